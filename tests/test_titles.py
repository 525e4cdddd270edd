import pytest

from crawler.normalize.text import clean_text, split_release_number


@pytest.mark.parametrize(
    ("raw", "number", "title"),
    [
        ("No:438/20, Head of the Press Service Department", "438/20", "Head of the Press Service Department"),
        ("No:072/26, Press release", "072/26", "Press release"),
        ("No: 72/26 - Press release", "072/26", "Press release"),
        ("No.274/19: Statement", "274/19", "Statement"),
        ("  No:416/20,\u00a0 Statement  of the MFA ", "416/20", "Statement of the MFA"),
        ("Statement on the Day of Remembrance", None, "Statement on the Day of Remembrance"),
        ("Notes on No:12/20 in the middle", None, "Notes on No:12/20 in the middle"),
        ("Nobel laureate visits Baku", None, "Nobel laureate visits Baku"),
    ],
)  # fmt: skip
def test_release_number_is_split_off(raw, number, title):
    assert split_release_number(raw) == (number, title)


def test_clean_text():
    assert clean_text(" a\u00a0\u200bb \n\t c\u00ad ") == "a b c"
    assert clean_text("e\u0301") == "\u00e9"  # NFC
    assert clean_text("“quoted” — dash") == "“quoted” — dash"
