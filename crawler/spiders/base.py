"""The base of mfa-archive's spiders: which sites, which languages, how deep."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler

from crawler.exceptions import ConfigError
from crawler.settings import MFA_RECHECK_DAYS
from crawler.sites import Site, load_sites, parse_languages
from crawler.walk import CrawlOptions, CrawlPlan


def _flag(value: str | bool | None) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _whole_number(name: str, value: str | int | None, minimum: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from exc
    if number < minimum:
        raise ConfigError(
            f"{name} must be at least {minimum}" if minimum else f"{name} must be 0 or more"
        )
    return number


def _date(name: str, value: str | dt.date | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError as exc:
        raise ConfigError(f"{name} must be a date (YYYY-MM-DD), got {value!r}") from exc


class ArchiveSpider(scrapy.Spider):
    """A spider over the sites of a sites file.

    Spider arguments (``scrapy crawl press -a NAME=VALUE``; the CLI passes the same):

    sites_file
        The TOML sites file. Default: the MFA_SITES_FILE setting, else the
        packaged crawler/sites.toml (the live main site and some missions).
    site
        Comma-separated site names to crawl; default all of the file.
    lang
        Comma-separated languages, among those of the sites file (az, en, ru, a
        mission's host language: ISO 639-1 codes); default each site's own.
    max_pages
        Listing pages to read per site and language at most; default all.
    full
        "1": read every listing page and request every article again, known or
        not (how an operator sweeps the archive for edits). Default: an
        incremental crawl, which stops where earlier crawls have been.
    since
        YYYY-MM-DD: leave out articles the listing dates before this day, and
        stop a listing at its first page that is all older.
    recheck_days
        Known articles published in the last N days are requested again, since
        that is when the ministry corrects its statements. Default: the
        MFA_RECHECK_DAYS setting (7); 0: none.
    retry_rejects
        "1": request pages rejected by earlier crawls again (failed downloads
        are always retried).

    The sites file's [crawl] table (download_delay, autothrottle,
    retry_backoff) overrides the politeness settings for this crawl.

    The arguments become ``options`` (CrawlOptions); the crawl-run extension
    (crawler.run.ArchiveRun) turns them and the archive's state into ``plan``
    (CrawlPlan) when the spider opens. Without the extension (``scrapy
    parse``), the plan is a first crawl's.
    """

    plan: CrawlPlan

    def __init__(
        self,
        *args: Any,
        sites_file: str | None = None,
        site: str | None = None,
        lang: str | None = None,
        max_pages: str | int | None = None,
        full: str | bool = False,
        since: str | dt.date | None = None,
        recheck_days: str | int | None = None,
        retry_rejects: str | bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        names = [name.strip() for name in (site or "").split(",") if name.strip()]
        languages = parse_languages(lang) if lang else ()
        sites = load_sites(sites_file).select(names, languages)
        if not sites.sites:
            raise ConfigError("no site left to crawl with these --site and --lang choices")
        recheck = _whole_number("recheck_days", recheck_days, minimum=0)
        self.options = CrawlOptions(
            sites=sites,
            max_pages=_whole_number("max_pages", max_pages, minimum=1),
            full=_flag(full),
            since=_date("since", since),
            recheck_days=MFA_RECHECK_DAYS if recheck is None else recheck,
            retry_rejects=_flag(retry_rejects),
        )
        self.plan = CrawlPlan(self.options.listings(), since=self.options.since,
                              max_pages=self.options.max_pages)  # fmt: skip

    def locate(self, url: str) -> tuple[Site, str]:
        """The site a URL is on and the language its path names (its first
        segment, after any ``/index.php``), for callbacks given a bare URL
        (``scrapy parse``, contracts); the site's first language if none."""
        for site in self.options.sites.sites:
            if site.serves(url):
                segments = [s for s in urlsplit(url).path.split("/") if s and s != "index.php"]
                lang = segments[0] if segments and segments[0] in site.languages else None
                return site, lang or site.languages[0]
        raise ConfigError(f"{url} is on no site of the sites file")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ArchiveSpider:
        if kwargs.get("sites_file") is None:
            kwargs["sites_file"] = crawler.settings.get("MFA_SITES_FILE")
        if kwargs.get("recheck_days") is None:
            kwargs["recheck_days"] = crawler.settings.getint("MFA_RECHECK_DAYS")
        spider = super().from_crawler(crawler, *args, **kwargs)
        # Settings are still open here (Crawler.crawl applies them after
        # creating the spider), so the sites file's politeness takes effect.
        for name, value in spider.options.sites.politeness.settings().items():
            crawler.settings.set(name, value, priority="spider")
        return spider
