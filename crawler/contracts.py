"""Scrapy contracts for `scrapy check`: smoke tests of every callback's selectors
against a page of a site of the sites file, live or the replica."""

from __future__ import annotations

from typing import Any

from scrapy.contracts import Contract

from crawler.exceptions import ConfigError
from crawler.pages import LAYOUTS


class SiteContract(Contract):
    """``@site NAME LANG [PATH]``: the request goes to the named site of the
    sites file (MFA_SITES_FILE), at PATH, or at its first listing page in LANG,
    so that the same contracts run against the live site and the replica."""

    name = "site"

    def adjust_request_args(self, args: dict[str, Any]) -> dict[str, Any]:
        name, lang, *path = self.args
        spider = args["callback"].__self__  # the bound callback: its spider has the sites
        sites = {site.name: site for site in spider.options.sites.sites}
        if name not in sites:
            raise ConfigError(f"@site {name}: no such site in the sites file")
        site = sites[name]
        layout = LAYOUTS[site.layout]
        args["url"] = (
            site.base_url + path[0] if path else layout.listing_url(site.base_url, lang, 1)
        )
        return args
