import datetime as dt

import pytest

from crawler.normalize.dates import find_date_text, known_languages, parse_site_date
from mfa_archive.replica.templates import MONTHS

# Written out here rather than imported, so a typo in the replica's month
# names cannot hide one in the parser.
MONTH_NAMES = {
    "en": (
        "January February March April May June July August September October November December"
    ).split(),
    "az": "yanvar fevral mart aprel may iyun iyul avqust sentyabr oktyabr noyabr dekabr".split(),
    "ru": (
        "января февраля марта апреля мая июня июля августа сентября октября ноября декабря"
    ).split(),
}


@pytest.mark.parametrize("lang", ["en", "az", "ru"])
@pytest.mark.parametrize("month", range(1, 13))
def test_every_month_in_every_language(lang, month):
    text = f"24 {MONTH_NAMES[lang][month - 1]} 2019"
    assert parse_site_date(text, lang) == dt.date(2019, month, 24)


def test_the_replica_writes_the_same_month_names():
    assert MONTHS == MONTH_NAMES


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("2020-09-29", "en", dt.date(2020, 9, 29)),
        ("2020-09-29", "az", dt.date(2020, 9, 29)),
        ("03 October 2020", "en", dt.date(2020, 10, 3)),
        ("3 October 2020", "en", dt.date(2020, 10, 3)),
        ("Press release 24 September 2019", "en", dt.date(2019, 9, 24)),
        ("Mətbuat açıqlaması 24 sentyabr 2019", "az", dt.date(2019, 9, 24)),
        ("Пресс-релиз 24 сентября 2019", "ru", dt.date(2019, 9, 24)),
        ("  01\u00a0may\u00a02020 ", "az", dt.date(2020, 5, 1)),
    ],
)
def test_site_dates(text, lang, expected):
    assert parse_site_date(text, lang) == expected


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (None, "en"),
        ("", "en"),
        ("—", "az"),
        ("Press release", "en"),
        ("31 fevral 2021", "az"),  # no such day
        ("2021-02-31", "en"),
        ("24 Blorktober 2019", "en"),
        ("September 2019", "en"),  # no day: never filled in with today's
        ("yesterday", "en"),
        ("today", "en"),
    ],
)
def test_unreadable_dates_give_none_never_a_guess(text, lang):
    assert parse_site_date(text, lang) is None


def test_find_date_text_picks_the_date_out_of_a_line():
    assert find_date_text("Press release 24 September 2019") == "24 September 2019"
    assert find_date_text("Bəyanat 2026-02-26 10:00") == "2026-02-26"
    assert find_date_text("Press release") is None


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("24. September 2019", "de"),
        ("24.09.2019", "de"),
        ("Pressemitteilung vom 24.09.2019", "de"),
        ("24 септември 2019", "bg"),
        ("24. rujna 2019.", "hr"),
        ("24 de septiembre de 2019", "es"),
        ("24 settembre 2019", "it"),
        ("24 września 2019", "pl"),
        ("24 Eylül 2019", "tr"),
        ("24 septembre 2019", "fr"),
        ("2019年9月24日", "ja"),
        ("24 სექტემბერი 2019", "ka"),
    ],
)
def test_dates_in_a_missions_host_language(text, lang):
    assert parse_site_date(text, lang) == dt.date(2019, 9, 24)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("September 2019", "de"),  # no day
        ("24 septembre 2019", "de"),  # a French month is no German date: never a guess
        ("31.02.2019", "de"),
        ("gestern", "de"),
        ("2019", "bg"),
    ],
)
def test_no_date_in_another_language_is_guessed(text, lang):
    assert parse_site_date(text, lang) is None


def test_the_languages_a_site_may_have_are_those_dateparser_knows():
    languages = known_languages()
    assert {"az", "en", "ru", "bg", "hr", "de", "es", "it", "ka", "fa", "ar", "zh"} <= languages
    assert not {"xx", "EN", "deu", "zh-Hans", ""} & languages
