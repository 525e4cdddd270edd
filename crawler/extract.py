"""From an article page's HTML to its normalized record: page object, then normalizers.

Pure functions of the page, with no Scrapy engine and no I/O, so that the
extraction pipeline can run them in a worker process, and the fixture tests
and the parse benchmark run exactly what a crawl runs.

Each normalizer fills its fields or raises PageRejected with an exact reason;
the archive pipeline records that reason among the rejects. The site's rules
(dates, boilerplate, two-language pages, URL identity, release keys) are its
layout's (crawler.pages).
"""

from __future__ import annotations

import codecs
import dataclasses
from functools import cache

from parsel import Selector

from crawler.exceptions import PageRejected
from crawler.items import Article, FetchedPage
from crawler.normalize.bilingual import second_part_start, without_mark
from crawler.normalize.body import normalize_body
from crawler.normalize.text import clean_text, split_release_number
from crawler.pages import LAYOUTS
from storage.records import REJECT_BAD_ENCODING, REJECT_TOO_LARGE

# Reasons are part of the interface: tests and operators match them exactly.
NO_TITLE = "no title"
EMPTY_BODY = "empty body"
NO_DATE = "no readable publication date (article: {article!r}, listing: {listing!r})"
NO_SECOND_PART = "two-language page without its {lang} text"
BAD_ENCODING = "bad encoding: the bytes are not valid {encoding}"
TOO_LARGE = "too large: {size:,} {unit} (the limit is {limit:,})"

# No statement runs near these (the longest seen are some 30,000 characters in
# a few dozen paragraphs); a page past them is not one, and would slow every
# search that matched it.
MAX_BODY_CHARACTERS = 200_000
MAX_PARAGRAPHS = 2_000


@cache
def _single_byte(encoding: str) -> bool:
    """Whether every byte is one character in encoding (latin-1, windows-125x, koi8)."""
    try:
        decoded = bytes(range(256)).decode(encoding, errors="replace")
    except LookupError:
        return False
    # UTF-8 also gives 256 characters here: one U+FFFD for each high byte.
    # ASCII has no high bytes at all: what a page has of them is some other charset's.
    return encoding == "ascii" or (len(decoded) == 256 and decoded.count("\ufffd") < 32)


def page_encoding(body: bytes, declared: str) -> str:
    """The encoding to read a page with. Servers often declare a single-byte
    charset (iso-8859-1) for UTF-8 pages: bytes that are valid UTF-8 beyond
    ASCII are read as UTF-8 whatever a single-byte declaration says, since
    text in a single-byte charset is practically never valid UTF-8."""
    if not _known(declared):
        raise PageRejected(BAD_ENCODING.format(encoding=declared), REJECT_BAD_ENCODING)
    encoding = codecs.lookup(declared).name
    if _single_byte(encoding) and not body.isascii():
        try:
            body.decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError:
            pass
    return encoding


def check_decoding(article: Article, page: FetchedPage, encoding: str) -> None:
    """Reject a page whose text its encoding could not decode cleanly: the
    parser stands U+FFFD in for bytes it cannot read, and a stored text never
    holds one from decoding. Only a text that has the character is checked,
    by decoding the whole page strictly: most pages cost nothing here, and a
    page that writes the character itself (or ``&#xFFFD;``) decodes cleanly."""
    parts = (article, article.companion) if article.companion else (article,)
    texts = [text for part in parts for text in (part.title, part.body, part.category) if text]
    if not any("\ufffd" in text for text in texts):
        return
    try:
        page.body.decode(encoding)
    except UnicodeDecodeError:
        raise PageRejected(BAD_ENCODING.format(encoding=encoding), REJECT_BAD_ENCODING) from None


def _known(encoding: str) -> bool:
    try:
        codecs.lookup(encoding)
    except LookupError:
        return False
    return True


def normalize_title(article: Article) -> None:
    """Title without its release number ("No:438/20, "), which becomes doc_number."""
    number, title = split_release_number(article.raw.title or "")
    if not title:
        raise PageRejected(NO_TITLE)
    article.doc_number, article.title = number, title
    category = article.raw.category or article.listing.category
    article.category = clean_text(category) if category else None


def normalize_date(article: Article) -> None:
    """published_on from the article's date line, else from its listing; never a guess."""
    layout = LAYOUTS[article.layout]
    published_on = layout.read_date(article.raw.date_text, article.lang) or layout.read_date(
        article.listing.date_text, article.lang
    )
    if published_on is None:
        raise PageRejected(
            NO_DATE.format(
                article=article.raw.date_text or "", listing=article.listing.date_text or ""
            )
        )
    article.published_on = published_on


def normalize_article_body(article: Article) -> None:
    """Plain-text body and sanitized display HTML, boilerplate removed; a two-language
    page keeps its first language's part and gets the other as its companion."""
    layout = LAYOUTS[article.layout]
    body = normalize_body(article.raw.body_html or "", article.url, layout.boilerplate)
    if not body.text:
        raise PageRejected(EMPTY_BODY)
    if len(body.paragraphs) > MAX_PARAGRAPHS:
        too_large = TOO_LARGE.format(size=len(body.paragraphs), unit="paragraphs",
                                     limit=MAX_PARAGRAPHS)  # fmt: skip
        raise PageRejected(too_large, REJECT_TOO_LARGE)
    if len(body.text) > MAX_BODY_CHARACTERS:
        too_large = TOO_LARGE.format(size=len(body.text), unit="characters",
                                     limit=MAX_BODY_CHARACTERS)  # fmt: skip
        raise PageRejected(too_large, REJECT_TOO_LARGE)
    assert article.title is not None
    languages = layout.two_languages(article.title, article.url, article.lang, body.paragraphs)
    if languages is None:
        article.body, article.body_html = body.text, body.html
        return
    first, second = languages
    start = second_part_start(body.paragraphs, second)
    if start is None or start + 1 >= len(body.paragraphs):
        raise PageRejected(NO_SECOND_PART.format(lang=second))
    rest = body.part(start + 1)
    article.lang, article.title = first, without_mark(article.title)
    article.body, article.body_html = body.part(0, start).text, body.part(0, start).html
    # The second part's source keeps its own title, as its page shows it.
    raw = dataclasses.replace(article.raw, title=body.paragraphs[start])
    article.companion = dataclasses.replace(
        article, lang=second, title=body.paragraphs[start], body=rest.text,
        body_html=rest.html, part=second, companion=None, raw=raw,
    )  # fmt: skip


def derive_keys(article: Article) -> None:
    """The values storage compares by: the URL's identity (by the site's layout,
    as its listings see it) and the release key (by the layout that read the
    page); a two-language page's parts share both."""
    layout = LAYOUTS[article.site_layout or article.layout]
    article.canonical_url = layout.canonical_url(article.url)
    article.release_key = LAYOUTS[article.layout].release_key(article.doc_number, article.url)
    if article.listing.url != article.url:  # a redirect led elsewhere
        listed = layout.canonical_url(article.listing.url)
        article.listed_canonical_url = listed if listed != article.canonical_url else None
    if article.companion is not None:
        article.companion.canonical_url = article.canonical_url
        article.companion.release_key = article.release_key
        article.companion.listed_canonical_url = article.listed_canonical_url


NORMALIZERS = (normalize_title, normalize_date, normalize_article_body)


def normalize(article: Article) -> Article:
    """Run the normalizers in order; the first that cannot do its part rejects the page."""
    for normalizer in NORMALIZERS:
        normalizer(article)
    return article


def extract_article(page: FetchedPage) -> Article:
    """The page's normalized record; raises PageRejected when the page cannot be one."""
    encoding = page_encoding(page.body, page.encoding)
    selector = Selector(body=page.body, encoding=encoding, type="html", base_url=page.url)
    # The sites file's layout, or the one whose markup the page shows (a host
    # may run another CMS than stated; "auto" states none).
    layout = LAYOUTS[page.layout].detect(selector)
    fields = layout.parse_article(selector, page.url)
    article = Article(url=page.url, site=page.site, lang=page.lang, layout=layout.name,
                      raw=fields, listing=page.listing,
                      site_layout=page.layout if layout.name != page.layout else None,
                      authoritative=page.authoritative)  # fmt: skip
    derive_keys(normalize(article))
    check_decoding(article, page, encoding)
    return article
