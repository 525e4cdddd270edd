"""The reference of the crawl benchmark: a bare Scrapy spider, no pipelines.

It walks the same listings and fetches the same articles as the press spider,
with the same politeness settings, and does nothing with what it fetches.

    python bench/bare_spider.py SITES_FILE

prints Scrapy's stats as one JSON line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response
from scrapy.settings import Settings

from crawler.sites import load_sites


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, sites_file: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sites = load_sites(sites_file).sites

    async def start(self):
        for site in self.sites:
            for lang in site.languages:
                yield scrapy.Request(f"{site.base_url}/{lang}/news?page=1", cb_kwargs={"page": 1})

    def parse(self, response: Response, page: int) -> Iterator[scrapy.Request]:
        links = response.css("a.section_newsIn_item::attr(href)").getall()
        for href in links:
            yield response.follow(href, callback=self.article)
        if links:
            url = response.url.replace(f"page={page}", f"page={page + 1}")
            yield scrapy.Request(url, cb_kwargs={"page": page + 1})

    def article(self, response: Response) -> None:
        return None


def main() -> None:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("ITEM_PIPELINES", {}, priority="cmdline")
    settings.set("EXTENSIONS", {"scrapy.extensions.telnet.TelnetConsole": None}, "cmdline")
    settings.set("DOWNLOADER_MIDDLEWARES", {}, priority="cmdline")
    settings.set("DOWNLOAD_DELAY", 0, priority="cmdline")
    settings.set("AUTOTHROTTLE_ENABLED", False, priority="cmdline")
    settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, sites_file=sys.argv[1])
    process.start()
    stats = crawler.stats.get_stats()
    print(json.dumps({key: value for key, value in stats.items()
                      if isinstance(value, int | float)}))  # fmt: skip


if __name__ == "__main__":
    main()
