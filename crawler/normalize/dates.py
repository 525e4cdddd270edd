"""Publication dates as the ministry's sites write them, in any language dateparser knows.

The ministry writes az, en and ru; mission sites add their host country's
language (bg, de, es, it, hr, ...). A date is read in the page's language,
given, never guessed: dateparser's data for that language, and nothing when
a day, a month or a year is missing.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache, lru_cache

from dateparser.data.languages_info import language_order
from dateparser.date import DateDataParser
from dateparser.languages.loader import default_loader

# The ministry is in Baku; a date without a time is a Baku calendar day.
SITE_TIMEZONE = "Asia/Baku"

_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
# "24 September 2019", "24 sentyabr 2019", "24 сентября 2019", "3 Oct. 2020",
# "24. September 2019" (de, hr), "24 de septiembre de 2019" (es): a day, one
# word, a year. dateparser's data decides whether the word is a month.
_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})\.?\s+(?:de\s+)?([^\W\d_]+)\.?,?\s+(?:de\s+)?(\d{4})\b")
# "24.09.2019": day, month, year wherever dots separate them (de, ru, bg, hr, az).
_DOTTED = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
# Any other form has at least a year's four digits ("2019年9月24日").
_YEAR = re.compile(r"\d{4}")
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
def known_languages() -> frozenset[str]:
    """The ISO 639-1 codes dateparser has data for: the languages a site may have."""
    return frozenset(code for code in language_order if len(code) == 2 and code.isalpha())


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
    match = _ISO.search(text) or _DAY_MONTH_YEAR.search(text) or _DOTTED.search(text)
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
    if dotted := _DOTTED.search(text):
        try:
            return dt.date(int(dotted[3]), int(dotted[2]), int(dotted[1]))
        except ValueError:
            return None
    match = _DAY_MONTH_YEAR.search(text)
    if match is None:
        # Another script's or order's date, read by dateparser in the page's
        # language; it returns nothing without a day, a month and a year.
        parsed = _parser(lang).get_date_data(text).date_obj if _YEAR.search(text) else None
        return parsed.date() if parsed else None
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
