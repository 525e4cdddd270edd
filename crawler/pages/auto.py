"""``layout = "auto"``: a site whose CMS the sites file does not state.

A site's layout cannot be told from its host name: nato-pfp.mfa.gov.az runs
the main site's CMS (SITE_FACTS.md). For such a site each page is read by the
layout whose markup it shows (the main CMS's, else the mission CMS's, whose
fallbacks read anything), and the source records which one read it. Its
listings are read likewise. It is not the ministry's own site: its copies
never outrank the main site's (a sites file may say otherwise with
``authoritative``).
"""

from __future__ import annotations

from typing import ClassVar

from parsel import Selector

from crawler.items import ArticleFields, ListingEntry
from crawler.pages.base import Layout
from crawler.pages.main import MainSiteV1
from crawler.pages.mission import MissionSiteV1


class AutoLayout(Layout):
    """Reads each page with the first of ``candidates`` whose markup it shows,
    else with the last."""

    name = "auto"
    authoritative = False
    candidates: ClassVar[tuple[type[Layout], ...]] = (MainSiteV1, MissionSiteV1)
    site_names = MissionSiteV1.site_names
    boilerplate = MissionSiteV1.boilerplate
    # URL identity must not depend on which layout read a page (the listing's
    # walk compares identities before any page is read): the main CMS's rule,
    # which folds a numbered release's decorative slug, applies to the site.
    identity_rule = MainSiteV1.identity_rule

    @classmethod
    def detect(cls, selector: Selector) -> type[Layout]:
        page = selector.root
        for candidate in cls.candidates:
            if candidate.shows(page):
                return candidate.detect(selector)
        return cls.candidates[-1]

    @classmethod
    def parse_listing(cls, selector: Selector, url: str) -> list[ListingEntry]:
        for candidate in cls.candidates:
            if entries := candidate.parse_listing(selector, url):
                return entries
        return []

    @classmethod
    def parse_article(cls, selector: Selector, url: str) -> ArticleFields:
        return cls.detect(selector).parse_article(selector, url)
