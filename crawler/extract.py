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

import dataclasses

from parsel import Selector

from crawler.exceptions import PageRejected
from crawler.items import Article, FetchedPage
from crawler.normalize.bilingual import second_part_start, without_mark
from crawler.normalize.body import normalize_body
from crawler.normalize.text import clean_text, split_release_number
from crawler.pages import LAYOUTS

# Reasons are part of the interface: tests and operators match them exactly.
NO_TITLE = "no title"
EMPTY_BODY = "empty body"
NO_DATE = "no readable publication date (article: {article!r}, listing: {listing!r})"
NO_SECOND_PART = "two-language page without its {lang} text"


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
    assert article.title is not None
    languages = layout.two_languages(article.title, article.url)
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
    article.companion = dataclasses.replace(
        article, lang=second, title=body.paragraphs[start], body=rest.text,
        body_html=rest.html, part=second, companion=None,
    )  # fmt: skip


def derive_keys(article: Article) -> None:
    """The values storage compares by: the URL's identity and the release key,
    by the layout's rules (a two-language page's parts share both)."""
    layout = LAYOUTS[article.layout]
    article.canonical_url = layout.canonical_url(article.url)
    article.release_key = layout.release_key(article.doc_number, article.url)
    if article.companion is not None:
        article.companion.canonical_url = article.canonical_url
        article.companion.release_key = article.release_key


NORMALIZERS = (normalize_title, normalize_date, normalize_article_body)


def normalize(article: Article) -> Article:
    """Run the normalizers in order; the first that cannot do its part rejects the page."""
    for normalizer in NORMALIZERS:
        normalizer(article)
    return article


def extract_article(page: FetchedPage) -> Article:
    """The page's normalized record; raises PageRejected when the page cannot be one."""
    selector = Selector(body=page.body, encoding=page.encoding, type="html", base_url=page.url)
    fields = LAYOUTS[page.layout].parse_article(selector, page.url)
    article = Article(url=page.url, site=page.site, lang=page.lang, layout=page.layout,
                      raw=fields, listing=page.listing)  # fmt: skip
    derive_keys(normalize(article))
    return article
