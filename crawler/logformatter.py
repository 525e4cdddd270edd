"""Log lines for dropped items: the page and the reason, not the whole item."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult


class ArchiveLogFormatter(LogFormatter):
    def dropped(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Exception | None,
        spider: Spider | None = None,
    ) -> LogFormatterResult:
        return {
            "level": logging.INFO,
            "msg": "Rejected %(url)s: %(reason)s",
            "args": {"url": getattr(item, "url", "?"), "reason": exception},
        }
