"""The base of mfa-archive's spiders: which sites, which languages, how deep."""

from __future__ import annotations

from typing import Any

import scrapy
from scrapy.crawler import Crawler

from crawler.exceptions import ConfigError
from crawler.sites import SitesConfig, load_sites, parse_languages


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

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ArchiveSpider:
        if kwargs.get("sites_file") is None:
            kwargs["sites_file"] = crawler.settings.get("MFA_SITES_FILE")
        spider = super().from_crawler(crawler, *args, **kwargs)
        # Settings are still open here (Crawler.crawl applies them after
        # creating the spider), so the sites file's politeness takes effect.
        for name, value in spider.sites.politeness.settings().items():
            crawler.settings.set(name, value, priority="spider")
        return spider
