"""What Scrapy's feed exports write (`scrapy crawl press -O feed.jsonl`): each
page's document in the archive's export shape, and rejects only when asked
(MFA_FEED_REJECTS), instead of the pipelines' internals."""

from __future__ import annotations

from typing import Any

from crawler.items import Article, RejectedPage
from storage.records import content_hash


def document_record(article: Article) -> dict[str, Any]:
    """The fields of storage.reports' export record that a crawl knows of a
    page; what only the archive knows (id, sources, translations, first and
    last seen, revisions) is `mfa-archive export`'s. A two-language page's
    second half is its own record, under ``second_language``."""
    assert article.title is not None and article.body is not None
    record: dict[str, Any] = {
        "lang": article.lang,
        "doc_number": article.doc_number,
        "title": article.title,
        "category": article.category,
        "published_on": article.published_on.isoformat() if article.published_on else None,
        "body": article.body,
        "body_html": article.body_html,
        "url": article.url,
        "site": article.site,
        "release": article.release_key,
        "content_hash": content_hash(article.title, article.body),
    }
    if article.companion is not None:
        record["second_language"] = document_record(article.companion)
    return record


def reject_record(page: RejectedPage) -> dict[str, Any]:
    """A reject as `mfa-archive rejects --json` spells it."""
    return {"url": page.url, "site": page.site, "lang": page.lang, "kind": page.kind,
            "reason": page.reason}  # fmt: skip
