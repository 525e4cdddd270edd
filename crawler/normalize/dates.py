"""Publication dates as the ministry's sites write them, in az, en and ru."""

from __future__ import annotations

import datetime as dt
import re
from functools import cache, lru_cache

from dateparser.date import DateDataParser

# The ministry is in Baku; a date without a time is a Baku calendar day.
SITE_TIMEZONE = "Asia/Baku"

_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
# "24 September 2019", "24 sentyabr 2019", "24 сентября 2019", "3 Oct. 2020":
# a day, one word, a year. dateparser decides whether the word is a month.
_DAY_MONTH_YEAR = re.compile(r"\b\d{1,2}\s+[^\W\d_]+\.?,?\s+\d{4}\b")

_SETTINGS = {
    "DATE_ORDER": "DMY",
    "REQUIRE_PARTS": ["day", "month", "year"],  # never fill a missing part with today's
    "PARSERS": ["absolute-time"],  # "yesterday" is no publication date
    "TIMEZONE": SITE_TIMEZONE,
    "RETURN_AS_TIMEZONE_AWARE": True,
}


@cache
def _parser(lang: str) -> DateDataParser:
    return DateDataParser(languages=[lang], settings=_SETTINGS)


def find_date_text(text: str) -> str | None:
    """The part of a line that looks like a date: "Press release 24 September 2019"."""
    match = _ISO.search(text) or _DAY_MONTH_YEAR.search(text)
    return match.group(0) if match else None


@lru_cache(maxsize=8192)  # a site publishes on a few hundred distinct days a year
def parse_site_date(text: str | None, lang: str) -> dt.date | None:
    """The calendar day a date line names, or None when it names none."""
    if not text:
        return None
    if iso := _ISO.search(text):
        try:
            return dt.date(*map(int, iso.groups()))
        except ValueError:
            return None
    candidate = find_date_text(text)
    if candidate is None:
        return None
    parsed = _parser(lang).get_date_data(candidate).date_obj
    return parsed.date() if parsed else None
