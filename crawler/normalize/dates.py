"""Publication dates as the ministry's sites write them, in az, en and ru."""

from __future__ import annotations

import datetime as dt
import re
from functools import cache, lru_cache

from dateparser.date import DateDataParser
from dateparser.languages.loader import default_loader

# The ministry is in Baku; a date without a time is a Baku calendar day.
SITE_TIMEZONE = "Asia/Baku"

_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
# "24 September 2019", "24 sentyabr 2019", "24 сентября 2019", "3 Oct. 2020":
# a day, one word, a year. dateparser's data decides whether the word is a month.
_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})\s+([^\W\d_]+)\.?,?\s+(\d{4})\b")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")  # fmt: skip

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


@cache
def _month_numbers(lang: str) -> dict[str, int]:
    """Every name and abbreviation of each month in a language, from dateparser's locale data."""
    info = default_loader.get_locale(lang).info
    return {
        name.casefold().rstrip("."): number
        for number, key in enumerate(_MONTHS, start=1)
        for name in info.get(key, [])
    }


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
    match = _DAY_MONTH_YEAR.search(text)
    if match is None:
        return None
    # The site's own format, "DD Month YYYY", read with dateparser's month
    # names directly: a thousand times faster than its locale search.
    month = _month_numbers(lang).get(match[2].casefold())
    if month is not None:
        try:
            return dt.date(int(match[3]), month, int(match[1]))
        except ValueError:
            return None  # "31 fevral": no such day
    parsed = _parser(lang).get_date_data(match[0]).date_obj
    return parsed.date() if parsed else None
