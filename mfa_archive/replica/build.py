"""Render a replica directory (see server.py) from authored articles.

Used by fixtures/build.py for the hand-checked replica and by bench/ for
generated replicas of thousands of articles.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mfa_archive.replica.templates import (
    ORIGIN,
    ListingEntry,
    ReplicaArticle,
    render_main_article,
    render_main_listing,
    render_mission_article,
    render_mission_listing,
    site_date,
)


@dataclass
class SiteSpec:
    name: str
    layout: str  # as the sites file states it ("auto": not stated)
    languages: list[str]
    city: str = ""
    cms: str = ""  # the CMS its pages are rendered in, if not its layout's ("main", "mission")
    per_page: int = 10
    overlap: int = 0
    past_last: dict[str, str] | None = None  # lang -> "empty" | "404" | "redirect"
    absolute: Sequence[str] = ()
    robots: str = "User-agent: *\nAllow: /\n"

    @classmethod
    def from_toml(cls, entry: dict[str, Any]) -> SiteSpec:
        return cls(**entry)

    @property
    def renders(self) -> str:
        """The CMS whose markup its pages have: the layout that must read them."""
        return self.cms or self.layout


@dataclass
class ListedOnly:
    """A link a listing shows that leads to no article page (404, robots.txt)."""

    site: str
    lang: str
    href: str
    title: str
    category: str
    date: dt.date
    reject: str = ""


@dataclass
class Case:
    name: str
    article: ReplicaArticle
    reject: str = ""
    duplicate_of: str = ""  # the case whose document this page is another copy of
    second_part: int | None = None  # a two-language page: where its Russian title stands
    # The release key its translations share, for a page whose title has no
    # number ("slug:...", or "no:438/23" from a mission's slug); None: its own.
    release: str | None = None
    # A statement on the same template as that case's, that must stay apart from it.
    template_of: str = ""


def render_page(article: ReplicaArticle, spec: SiteSpec) -> str:
    if spec.renders == "main":
        return render_main_article(article)
    return render_mission_article(article, spec.city)


def expected_record(case: Case, layout: str = "main") -> dict[str, Any]:
    """The record the crawler must make of a case, derived from the authored text
    (layout: the one that must read it, the CMS its site renders)."""
    if case.reject:
        return {"rejected": case.reject}
    article = case.article
    match = re.match(r"No:\s*(\d{3}/\d{2}),\s*", article.title)
    paragraphs = [p for p in article.paragraphs if p.strip()]
    title = article.title[match.end() :] if match else article.title
    record: dict[str, Any] = {"duplicate_of": case.duplicate_of} if case.duplicate_of else {}
    if case.template_of:
        record["template_of"] = case.template_of
    common = {
        "site": article.site,
        "url": ORIGIN + article.path,
        "doc_number": match.group(1) if match else None,
        "category": article.category or None,
        "published_on": article.date.isoformat() if article.date else None,
        "release_key": f"no:{match.group(1)}" if match else case.release,
        "layout": layout,
        "extraction": "fallback" if article.extra.get("markup") == "plain" else "selectors",
    }
    if case.second_part is None:
        return record | _text_fields(article.lang, title, paragraphs) | common
    first, second = paragraphs[: case.second_part], paragraphs[case.second_part :]
    companion = _text_fields("ru", second[0], second[1:]) | common
    title = re.sub(r"\s*\(En/Ru\)$", "", title)
    return record | _text_fields("en", title, first) | common | {"companion": companion}


def _text_fields(lang: str, title: str, paragraphs: Sequence[str]) -> dict[str, Any]:
    return {
        "lang": lang,
        "title": title,
        "body": "\n\n".join(html.unescape(re.sub(r"<[^>]+>", "", p)) for p in paragraphs),
        "body_html": "\n".join(
            "<p>" + p.replace('href="/', f'href="{ORIGIN}/') + "</p>" for p in paragraphs
        ),
    }


def build_replica(
    root: Path,
    specs: Iterable[SiteSpec],
    cases: Sequence[Case],
    listed_only: Sequence[ListedOnly] = (),
    *,
    write_expected: bool = True,
) -> None:
    """Write replica.toml, sites/ and cases/ under root, replacing what was there."""
    specs = list(specs)
    by_name = {spec.name: spec for spec in specs}
    for sub in ("sites", "cases"):
        shutil.rmtree(root / sub, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    if not (root / "replica.toml").exists():
        (root / "replica.toml").write_text(_replica_toml(specs), encoding="utf-8")

    for case in cases:
        article = case.article
        spec = by_name[article.site]
        case_dir = root / "cases" / case.name
        case_dir.mkdir(parents=True)
        (case_dir / "page.html").write_text(render_page(article, spec), encoding="utf-8")
        entry = _listing_entry(article, spec)
        meta = {
            "site": article.site,
            "layout": spec.layout,
            "lang": article.lang,
            "url": article.path,
            "listing": {"title": entry.title, "date_text": entry.date_text,
                        "category": entry.category or None},
        }  # fmt: skip
        if aliases := article.extra.get("aliases"):
            meta["aliases"] = list(aliases)  # other spellings of its URL, served and listed
        _write_json(case_dir / "meta.json", meta)
        if write_expected:
            _write_json(case_dir / "expected.json", expected_record(case, spec.renders))

    for spec in specs:
        site_dir = root / "sites" / spec.name
        site_dir.mkdir(parents=True)
        (site_dir / "robots.txt").write_text(spec.robots, encoding="utf-8")
        for lang in spec.languages:
            entries = _listing_entries(spec, lang, cases, listed_only)
            _write_listing(site_dir, spec, lang, entries)


def _listing_entries(
    spec: SiteSpec, lang: str, cases: Sequence[Case], listed_only: Sequence[ListedOnly]
) -> list[ListingEntry]:
    dated: list[tuple[dt.date, ListingEntry]] = []
    for case in cases:
        a = case.article
        if a.site == spec.name and a.lang == lang:
            dated.append((a.date or dt.date.min, _listing_entry(a, spec)))
            for alias in a.extra.get("aliases", ()):  # listed again, under another spelling
                entry = _listing_entry(a, spec)
                dated.append((a.date or dt.date.min, dataclasses.replace(entry, href=alias)))
    for item in listed_only:
        if item.site == spec.name and item.lang == lang:
            date_text = _listing_date(item.date, lang, spec)
            dated.append((item.date, ListingEntry(item.href, item.title, item.category, date_text)))
    dated.sort(key=lambda pair: pair[0], reverse=True)  # newest first, stable for equal days
    entries = [entry for _, entry in dated]
    if lang in spec.absolute:
        for entry in entries:
            entry.href = ORIGIN + entry.href
    return entries


def _listing_date(day: dt.date, lang: str, spec: SiteSpec) -> str:
    return site_date(day, lang) if spec.renders == "main" else day.isoformat()


def _listing_entry(article: ReplicaArticle, spec: SiteSpec) -> ListingEntry:
    """What a listing shows of an article: main sites a category, missions none."""
    if article.listing_date is not None:
        date_text = article.listing_date
    else:
        date_text = _listing_date(article.date, article.lang, spec) if article.date else ""
    category = article.category if spec.renders == "main" else ""
    href = article.extra.get("listing_href", article.path)  # e.g. with tracking parameters
    return ListingEntry(href, article.title, category, date_text)


def _write_listing(site_dir: Path, spec: SiteSpec, lang: str, entries: list[ListingEntry]) -> None:
    chunks = [entries[i : i + spec.per_page] for i in range(0, len(entries), spec.per_page)]
    pages = [
        (chunks[n - 1][-spec.overlap :] if spec.overlap and n else []) + chunk
        for n, chunk in enumerate(chunks)
    ]
    listing_dir = site_dir / lang
    listing_dir.mkdir(parents=True, exist_ok=True)

    def render(items: Sequence[ListingEntry], page: int) -> str:
        if spec.renders == "main":
            return render_main_listing(items, lang, page, len(pages))
        return render_mission_listing(items, lang, spec.city)

    for n, items in enumerate(pages, start=1):
        (listing_dir / f"news@page={n}.html").write_text(render(items, n), encoding="utf-8")
    (listing_dir / "news.html").write_text(render(pages[0] if pages else [], 1), encoding="utf-8")
    past_last = (spec.past_last or {}).get(lang, "empty")
    after = listing_dir / f"news@page={len(pages) + 1}"
    if past_last == "empty":
        after.with_suffix(".html").write_text(render([], len(pages) + 1), encoding="utf-8")
    elif past_last == "redirect":
        after.with_suffix(".redirect").write_text(f"/{lang}/news\n", encoding="utf-8")
    # "404": no file at all


def _replica_toml(specs: Sequence[SiteSpec]) -> str:
    lines = ["# A generated replica (see mfa_archive/replica/build.py).", ""]
    for spec in specs:
        langs = ", ".join(f'"{lang}"' for lang in spec.languages)
        lines += [
            "[[site]]",
            f'name = "{spec.name}"',
            f'layout = "{spec.layout}"',
            f"languages = [{langs}]",
            "",
        ]
    return "\n".join(lines)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
