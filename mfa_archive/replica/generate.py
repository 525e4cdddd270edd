"""Generated replicas of any size, for benchmarks and crash tests.

Pages use the same templates as the hand-checked replica, so they weigh what
real pages weigh (40-60 KB on the main site); the text is drawn from a seeded
generator, so a given size always renders the same bytes.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from pathlib import Path

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


def generated_articles(
    per_language: int, languages: Sequence[str] = ("en",), seed: int = 0, site: str = "main"
) -> list[Case]:
    """per_language numbered releases in each language, one a day going back from 2026-11-01."""
    rng = random.Random(seed)
    cases = []
    for lang in languages:
        for n in range(per_language):
            day = dt.date(2026, 11, 1) - dt.timedelta(days=n)
            number = (n % 999) + 1
            title = f"No:{number:03d}/{day.year % 100:02d}, " + _sentence(rng, lang).rstrip(".")
            path = f"/{lang}/news/no{number:03d}{day.year % 100:02d}-generated-{n}"
            article = ReplicaArticle(
                site=site,
                lang=lang,
                path=path,
                title=title,
                category="Press release",
                date=day,
                paragraphs=[_paragraph(rng, lang) for _ in range(rng.randint(3, 7))],
                noise_seed=rng.randint(0, 1 << 30),
            )
            cases.append(Case(name=f"{site}-{lang}-{n:06d}", article=article))
    return cases


def generate_replica(
    root: Path, per_language: int, languages: Sequence[str] = ("en",), per_page: int = 20
) -> list[Case]:
    """A one-site replica (main layout) under root; returns its articles."""
    cases = generated_articles(per_language, languages)
    spec = SiteSpec(name="main", layout="main", languages=list(languages), per_page=per_page)
    build_replica(root, [spec], cases, write_expected=False)
    return cases
