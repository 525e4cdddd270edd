"""The base of mfa-archive's spiders: which sites, which languages, how deep."""

from __future__ import annotations

import datetime as dt
from typing import Any

import scrapy
from scrapy.crawler import Crawler

from crawler.exceptions import ConfigError
from crawler.settings import MFA_RECHECK_DAYS
from crawler.sites import SitesConfig, load_sites, parse_languages


def _flag(value: str | bool | None) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


class ArchiveSpider(scrapy.Spider):
    """A spider over the sites of a sites file.

    Spider arguments (``scrapy crawl press -a NAME=VALUE``; the CLI passes the same):

    sites_file
        The TOML sites file. Default: the MFA_SITES_FILE setting, else the
        packaged crawler/sites.toml (the live main site and some missions).
    site
        Comma-separated site names to crawl; default all of the file.
    lang
        Comma-separated languages (az, en, ru); default each site's own.
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
    """

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
        self.sites: SitesConfig = load_sites(sites_file).select(names, languages)
        if not self.sites.sites:
            raise ConfigError("no site left to crawl with these --site and --lang choices")
        try:
            self.max_pages = int(max_pages) if max_pages not in (None, "") else None
        except ValueError as exc:
            raise ConfigError(f"max_pages must be a whole number, got {max_pages!r}") from exc
        if self.max_pages is not None and self.max_pages < 1:
            raise ConfigError("max_pages must be at least 1")
        self.full = _flag(full)
        self.mode = "full" if self.full else "incremental"
        self.retry_rejects = _flag(retry_rejects)
        try:
            self.since = dt.date.fromisoformat(str(since)) if since else None
        except ValueError as exc:
            raise ConfigError(f"since must be a date (YYYY-MM-DD), got {since!r}") from exc
        try:
            self.recheck_days = int(recheck_days if recheck_days is not None else MFA_RECHECK_DAYS)
        except ValueError as exc:
            raise ConfigError(f"recheck_days must be a whole number, got {recheck_days!r}") from exc
        if self.recheck_days < 0:
            raise ConfigError("recheck_days must be 0 or more")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ArchiveSpider:
        if kwargs.get("sites_file") is None:
            kwargs["sites_file"] = crawler.settings.get("MFA_SITES_FILE")
        if kwargs.get("recheck_days") is None:
            kwargs["recheck_days"] = crawler.settings.getint("MFA_RECHECK_DAYS")
        spider = super().from_crawler(crawler, *args, **kwargs)
        # Settings are still open here (Crawler.crawl applies them after
        # creating the spider), so the sites file's politeness takes effect.
        for name, value in spider.sites.politeness.settings().items():
            crawler.settings.set(name, value, priority="spider")
        return spider
