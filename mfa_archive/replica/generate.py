"""Generated replicas of any size, for benchmarks and crash tests.

Pages use the same templates as the hand-checked replica, so they weigh what
real pages weigh (40-60 KB on the main site); the text is drawn from a seeded
generator, so a given size always renders the same bytes.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from mfa_archive.replica.build import Case, SiteSpec, build_replica
from mfa_archive.replica.templates import ReplicaArticle

_WORDS = {
    "en": (
        "ministry foreign affairs republic azerbaijan minister statement press release meeting "
        "cooperation peace process region international community security council resolution "
        "delegation visit bilateral relations agreement development energy transport embassy "
        "parties discussed prospects strengthening partnership dialogue mutual interest"
    ).split(),
    "az": (
        "nazirlik xarici işlər respublikası azərbaycan nazir bəyanat mətbuat açıqlaması görüş "
        "əməkdaşlıq sülh prosesi region beynəlxalq ictimaiyyət təhlükəsizlik şurası qətnamə "
        "nümayəndə heyəti səfər ikitərəfli münasibətlər saziş inkişaf enerji nəqliyyat səfirlik"
    ).split(),
    "ru": (
        "министерство иностранных дел республика азербайджан министр заявление пресс-релиз "
        "встреча сотрудничество мирный процесс регион международное сообщество безопасность "
        "совет резолюция делегация визит двусторонние отношения соглашение развитие энергетика"
    ).split(),
}


def _sentence(rng: random.Random, lang: str) -> str:
    words = rng.choices(_WORDS[lang], k=rng.randint(8, 22))
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random, lang: str) -> str:
    return " ".join(_sentence(rng, lang) for _ in range(rng.randint(2, 4)))


# The day the generated archive ends; later days belong to items published
# "after the first crawl" (new=...).
LAST_DAY = dt.date(2026, 11, 1)


def _article(
    rng: random.Random, site: str, lang: str, day: dt.date, number: int, slug: str
) -> ReplicaArticle:
    title = f"No:{number:03d}/{day.year % 100:02d}, " + _sentence(rng, lang).rstrip(".")
    return ReplicaArticle(
        site=site,
        lang=lang,
        path=f"/{lang}/news/no{number:03d}{day.year % 100:02d}-{slug}",
        title=title,
        category="Press release",
        date=day,
        paragraphs=[_paragraph(rng, lang) for _ in range(rng.randint(3, 7))],
        noise_seed=rng.randint(0, 1 << 30),
    )


def generated_articles(
    per_language: int,
    languages: Sequence[str] = ("en",),
    seed: int = 0,
    site: str = "main",
    *,
    new: int | Mapping[str, int] = 0,
    edited: Collection[int] = (),
    respaced: Collection[int] = (),
) -> list[Case]:
    """per_language numbered releases in each language, one a day going back
    from LAST_DAY; then the site as it is some days later:

    new: that many further releases in each language (or {lang: how many}),
        one a day after LAST_DAY;
    edited: the n-th releases (0: the newest of the first per_language) with a
        sentence added to their first paragraph, as the ministry corrects them;
    respaced: the n-th releases with other markup and whitespace, same text.
    """
    rng = random.Random(seed)
    cases = []
    for lang in languages:
        for n in range(per_language):
            day = LAST_DAY - dt.timedelta(days=n)
            article = _article(rng, site, lang, day, (n % 999) + 1, f"generated-{n}")
            if n in edited:
                first, *rest = article.paragraphs
                article.paragraphs = [f"{first} This statement was corrected on {day}.", *rest]
            if n in respaced:
                article.noise_seed += 1
            cases.append(Case(name=f"{site}-{lang}-{n:06d}", article=article))
        later = random.Random(seed + 1)
        for n in range(new.get(lang, 0) if isinstance(new, Mapping) else new):
            # Numbers 900 and up: no release of the generated year has them.
            day = LAST_DAY + dt.timedelta(days=n + 1)
            article = _article(later, site, lang, day, 900 + n, f"new-{n}")
            cases.append(Case(name=f"{site}-{lang}-new-{n:04d}", article=article))
    return cases


def generate_replica(
    root: Path,
    per_language: int,
    languages: Sequence[str] = ("en",),
    per_page: int = 20,
    **changes: Any,
) -> list[Case]:
    """A one-site replica (main layout) under root; returns its articles.
    changes: new, edited, respaced, as generated_articles takes them."""
    cases = generated_articles(per_language, languages, **changes)
    spec = SiteSpec(name="main", layout="main", languages=list(languages), per_page=per_page)
    build_replica(root, [spec], cases, write_expected=False)
    return cases
