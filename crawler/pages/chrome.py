"""What the ministry's CMSs print around an article, by language: share labels,
the archive link after a body, privacy links, footers, navigation.

Nothing here may reach a body (crawler.normalize.body.Boilerplate), and the
archive link also marks where a mission article ends when its markup is not
known (crawler.pages.mission's fallback).

Known (SITE_FACTS.md): the en and az strings, "Search in archive", "back news
prev news". Likely, unseen: the ru strings. Invented for the replica: the de,
bg and it strings. To add a language's chrome (or correct one): add or edit
its entry in ``CHROME`` with the exact text the live site shows, run
``.venv/bin/pytest tests/test_body.py``, and say in docs/sites-and-selectors.md
whether it was seen or guessed. Every layout removes every language's chrome
(a mission page in German may keep English navigation), so an entry cannot
hurt another language's pages unless a real paragraph says exactly it.
"""

from __future__ import annotations

from dataclasses import dataclass

from crawler.normalize.body import Boilerplate


@dataclass(frozen=True)
class Chrome:
    """One language's chrome: whole lines, line openings (footers), and the
    archive link that ends a mission article."""

    lines: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    archive_link: str | None = None

    def boilerplate(self) -> Boilerplate:
        archive = (self.archive_link,) if self.archive_link else ()
        return Boilerplate.of(lines=(*self.lines, *archive), prefixes=self.prefixes)


CHROME: dict[str, Chrome] = {
    "en": Chrome(
        lines=("Share this page", "Privacy Policy",
               # older mission pages end with their news navigation (SITE_FACTS.md)
               "back news prev news", "back news next news", "back news prev news next news",
               "back news", "prev news", "next news"),
        prefixes=("All rights reserved",),
        archive_link="Search in archive",
    ),
    "az": Chrome(
        lines=("Paylaş", "Gizlilik Siyasəti"),
        prefixes=("Bütün hüquqlar qorunur",),
        archive_link="Arxivdə axtar",  # guessed
    ),
    "ru": Chrome(  # guessed: no public copy shows the Russian chrome
        lines=("Поделиться", "Политика конфиденциальности"),
        prefixes=("Все права защищены",),
        archive_link="Поиск в архиве",
    ),
    "de": Chrome(  # invented for the replica
        lines=("Diese Seite teilen", "Datenschutzerklärung"),
        prefixes=("Alle Rechte vorbehalten",),
        archive_link="Im Archiv suchen",
    ),
    "bg": Chrome(  # invented for the replica
        lines=("Сподели", "Политика за поверителност"),
        prefixes=("Всички права запазени",),
        archive_link="Търсене в архива",
    ),
    "it": Chrome(  # invented for the replica
        lines=("Condividi", "Informativa sulla privacy"),
        prefixes=("Tutti i diritti riservati",),
        archive_link="Cerca nell'archivio",
    ),
}  # fmt: skip


def ministry_boilerplate() -> Boilerplate:
    """Every language's chrome, as one Boilerplate."""
    boilerplate = Boilerplate()
    for chrome in CHROME.values():
        boilerplate = boilerplate | chrome.boilerplate()
    return boilerplate


#: The archive link's text in every language, casefolded: where a mission article ends.
ARCHIVE_LINKS = frozenset(
    chrome.archive_link.casefold() for chrome in CHROME.values() if chrome.archive_link
)
