"""The body normalizer: units, and properties that must hold for any markup."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.normalize.body import normalize_body
from crawler.pages import LAYOUTS

BASE = "https://mfa.gov.az/en/news/no43820-x"


def test_paragraphs_in_order_separated_by_one_blank_line():
    body = normalize_body("<p>One.</p><p>Two.</p>\n<p>Three.</p>", BASE)
    assert body.text == "One.\n\nTwo.\n\nThree."
    assert body.html == "<p>One.</p>\n<p>Two.</p>\n<p>Three.</p>"


def test_cms_noise_is_removed_and_typography_kept():
    raw = (
        '<p style="text-align:justify"><span><span style="font-size:12pt">“Peace”&nbsp;—'
        " now\u200b</span></span><br></p><p>&nbsp;</p><p></p><p><br></p>"
        '<p class="MsoNormal">Line<br>break</p>'
    )
    body = normalize_body(raw, BASE)
    assert body.text == "“Peace” — now\n\nLine break"
    assert body.html == "<p>“Peace” — now</p>\n<p>Line<br> break</p>"


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_boilerplate_never_reaches_the_body(layout):
    raw = (
        "<p>Text.</p><p>Share this page</p><p>Paylaş</p><p>Search in archive</p>"
        "<p>All rights reserved. Contact us to use any licensed material.</p>"
        "<p>Bütün hüquqlar qorunur. Hər hansı bir lisenziyalı materialdan istifadə etmək "
        "üçün əlaqə saxlayın.</p><p>Privacy Policy</p>"
        '<img alt="news banner image Desktop" src="/b.jpg">'
    )
    assert normalize_body(raw, BASE, LAYOUTS[layout].boilerplate).text == "Text."


def test_display_html_is_sanitized_with_absolute_links():
    raw = (
        '<p onclick="x()">See <a href="/en/content/12" target="_blank" style="c">this</a>'
        '<script>alert(1)</script><img src="/a.png"> and <a href="javascript:evil()">that</a>'
        "<iframe src='//x'></iframe> <strong>now</strong></p><style>p{}</style>"
    )
    body = normalize_body(raw, BASE)
    assert body.html == (
        '<p>See <a href="https://mfa.gov.az/en/content/12">this</a> and <a>that</a> '
        "<strong>now</strong></p>"
    )
    assert body.text == "See this and that now"


def test_nested_blocks_give_each_paragraph_once():
    raw = "<div><blockquote><p>Quoted.</p></blockquote><ul><li>One</li><li>Two</li></ul></div>"
    assert normalize_body(raw, BASE).text == "Quoted.\n\nOne\n\nTwo"


def test_text_without_paragraph_markup_splits_on_blank_lines():
    raw = "First paragraph.<br><br>Second<br>paragraph.<br><br>Search in archive"
    boilerplate = LAYOUTS["mission"].boilerplate
    assert normalize_body(raw, BASE, boilerplate).text == "First paragraph.\n\nSecond paragraph."


def test_empty_bodies():
    assert normalize_body("", BASE).text == ""
    assert normalize_body("<p>&nbsp;</p><p><br></p><p></p>", BASE).text == ""


# -- properties -----------------------------------------------------------------

words = st.text(
    alphabet=st.sampled_from(list("abcəğıöşüçАБВжщ“”—-.,:;0123456789")), min_size=1, max_size=12
)
spaces = st.sampled_from([" ", "  ", "&nbsp;", "\u00a0", "\u200b", "\n", "\t", " &#8203;"])
inline = st.sampled_from(["{}", "<span>{}</span>", "<strong>{}</strong>", "<em>{}</em>",
                          '<span style="x">{}</span>', "{}<br>", '<a href="/x">{}</a>'])  # fmt: skip
extra = st.sampled_from(
    ["", "<p>&nbsp;</p>", "<p></p>", "<p><br></p>", "<p>Share this page</p>", "<p>Paylaş</p>",
     "<p>Search in archive</p>", "<p>Privacy Policy</p>"]
)  # fmt: skip


@st.composite
def cms_bodies(draw):
    paragraphs = []
    for _ in range(draw(st.integers(0, 5))):
        tokens = draw(st.lists(st.tuples(words, spaces, inline), min_size=1, max_size=8))
        text = "".join(wrap.format(word) + space for word, space, wrap in tokens)
        paragraphs.append(draw(extra) + f"<p>{text}</p>")
    return "\n".join(paragraphs) + draw(extra)


@settings(max_examples=200, deadline=None)
@given(cms_bodies(), st.sampled_from(sorted(LAYOUTS)))
def test_normalized_text_has_no_noise(raw, layout):
    boilerplate = LAYOUTS[layout].boilerplate
    text = normalize_body(raw, BASE, boilerplate).text
    assert "\u00a0" not in text
    assert "\u200b" not in text
    assert "  " not in text
    assert "\n\n\n" not in text
    for paragraph in text.split("\n\n") if text else []:
        assert paragraph == paragraph.strip() and paragraph
        assert "\n" not in paragraph
        assert not boilerplate.matches(paragraph)
    for line in boilerplate.lines:
        assert line not in {p.casefold() for p in text.split("\n\n")}


@settings(max_examples=200, deadline=None)
@given(cms_bodies())
def test_normalizing_is_idempotent(raw):
    once = normalize_body(raw, BASE)
    twice = normalize_body(once.html, BASE)
    assert twice.text == once.text
    assert twice.html == once.html


@settings(max_examples=100, deadline=None)
@given(cms_bodies())
def test_display_html_says_what_the_text_says(raw):
    body = normalize_body(raw, BASE)
    assert not re.search(r"<(script|style|img|iframe|span)\b", body.html)
    assert not re.search(r"\s(style|class|onclick|target)=", body.html)
    assert normalize_body(body.html, BASE).text == body.text


def test_comments_and_scripts_are_not_text():
    body = normalize_body("<p>a<!-- editor's note -->b<script>var x;</script></p>", BASE)
    assert (body.text, body.html) == ("ab", "<p>ab</p>")


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_news_navigation_and_every_languages_chrome_never_reach_the_body(layout):
    raw = (
        "<p>Text.</p><p><a href='/en/news/1'>back news</a> <a href='/en/news/2'>prev news</a></p>"
        "<p>Im Archiv suchen</p><p>Diese Seite teilen</p><p>Търсене в архива</p>"
        "<p>Cerca nell'archivio</p><p>Alle Rechte vorbehalten. Kontakt.</p>"
    )
    assert normalize_body(raw, BASE, LAYOUTS[layout].boilerplate).text == "Text."


def test_a_paragraph_that_only_begins_like_chrome_is_body():
    boilerplate = LAYOUTS["mission"].boilerplate
    raw = "<p>Search in archive of the National Library, the delegation found the treaty.</p>"
    assert normalize_body(raw, BASE, boilerplate).text.startswith("Search in archive of")
