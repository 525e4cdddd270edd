"""Extraction's guards on what it is given: encodings it cannot trust, bodies no
statement has (crawler.extract)."""

from __future__ import annotations

import pytest

from crawler.exceptions import PageRejected
from crawler.extract import MAX_BODY_CHARACTERS, MAX_PARAGRAPHS, extract_article, page_encoding
from crawler.items import FetchedPage, ListingEntry

AZ = "Xarici İşlər Nazirliyinin bəyanatı: Cənubi Qafqazda sülh gündəliyi"
RU = "Заявление Министерства иностранных дел"
URL = "https://mfa.gov.az/en/news/no12025-x"


def page(paragraphs: list[str], title: str = "Statement") -> FetchedPage:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    html = (f'<section class="section_articleInner"><h1>{title}</h1>'
            '<span class="section_articleInner_body_information--date">3 October 2020</span>'
            f'<div class="section_articleInner_body_content--description">{body}</div></section>')  # fmt: skip
    return FetchedPage(URL, "main", "en", "main", html.encode(), "utf-8", ListingEntry(URL))


@pytest.mark.parametrize("declared", ["iso-8859-1", "cp1252", "latin-1", "ascii"])
def test_utf8_bytes_declared_single_byte_are_read_as_utf8(declared):
    assert page_encoding(AZ.encode(), declared) == "utf-8"


def test_a_single_byte_page_is_read_in_its_own_charset():
    assert page_encoding(RU.encode("cp1251"), "cp1251") == "cp1251"
    assert page_encoding(b"plain ascii", "cp1251") == "cp1251"  # any codec reads ASCII alike


@pytest.mark.parametrize(
    ("text", "broken", "declared"),
    [
        (AZ, lambda raw: raw.replace(b" ", b"\xff", 1), "utf-8"),  # broken UTF-8
        (RU, lambda raw: raw + b"\x98", "cp1251"),  # a byte windows-1251 has no letter for
    ],
)
def test_a_body_its_charset_cannot_decode_is_a_bad_encoding_reject(text, broken, declared):
    fetched = page([text])
    fetched.body = fetched.body.replace(text.encode(), broken(text.encode(declared)))
    fetched.encoding = declared
    with pytest.raises(PageRejected) as rejected:
        extract_article(fetched)
    assert rejected.value.kind == "bad_encoding"
    assert str(rejected.value) == f"bad encoding: the bytes are not valid {declared}"


def test_a_page_that_holds_the_replacement_character_itself_is_stored():
    assert "\ufffd" in extract_article(page([AZ + " \ufffd"])).body
    ascii_page = page(["Text &#xFFFD; here."])
    ascii_page.encoding = "ascii"
    assert extract_article(ascii_page).body == "Text \ufffd here."


def test_a_literal_replacement_character_elsewhere_hides_no_broken_byte():
    fetched = page(["Bak\xc4 broken"])
    fetched.body = fetched.body.replace("Bak\xc4".encode(), b"Bak\xc4") + "<!-- \ufffd -->".encode()
    with pytest.raises(PageRejected) as rejected:
        extract_article(fetched)
    assert rejected.value.kind == "bad_encoding"


def test_an_unknown_charset_is_a_bad_encoding_reject():
    fetched = page([AZ])
    fetched.encoding = "no-such-charset"
    with pytest.raises(PageRejected) as rejected:
        extract_article(fetched)
    assert rejected.value.kind == "bad_encoding"


def test_a_page_in_a_lying_charset_is_stored_without_mojibake():
    fetched = page([AZ])
    fetched.encoding = "iso-8859-1"
    assert extract_article(fetched).body == AZ


def test_a_body_past_the_limits_is_too_large_never_stored():
    with pytest.raises(PageRejected) as rejected:
        extract_article(page(["word " * 1000] * (MAX_BODY_CHARACTERS // 5000 + 1)))
    assert rejected.value.kind == "too_large"
    assert f"(the limit is {MAX_BODY_CHARACTERS:,})" in str(rejected.value)
    with pytest.raises(PageRejected) as rejected:
        extract_article(page([f"P{n}." for n in range(MAX_PARAGRAPHS + 1)]))
    assert rejected.value.kind == "too_large" and "paragraphs" in str(rejected.value)
    assert extract_article(page([f"P{n}." for n in range(MAX_PARAGRAPHS)])).body


def test_control_characters_never_reach_a_title_or_body():
    article = extract_article(page(["Red \x1b[31malert\x1b[0m\x07 over."], "Title\u202e reversed"))
    assert (article.title, article.body) == ("Title reversed", "Red alert over.")
