"""Sites are data: the TOML sites file that says what a crawl visits."""

from __future__ import annotations

import dataclasses
import stat
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.exceptions import ConfigError
from crawler.normalize.dates import known_languages
from crawler.pages import LAYOUTS

DEFAULT_SITES_FILE = Path(str(files("crawler") / "sites.toml"))


@dataclass(frozen=True)
class Site:
    name: str
    base_url: str  # scheme://host[:port], no trailing slash
    layout: str
    languages: tuple[str, ...]
    # The ministry's own site: its copy of a statement outranks every other.
    # Default: what the layout says (the main CMS is the ministry's).
    authoritative: bool = False

    def serves(self, url: str) -> bool:
        """Whether url is on this site: its host (or its ``www.`` alias) and port.
        A page from anywhere else is never fetched as this site's."""
        return _host(url) == _host(self.base_url)


def _host(url: str) -> tuple[str, int | None]:
    """(host without ``www.``, port or None for the scheme's default), lowercase."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: no site's
        return ("", -1)
    host = (parts.hostname or "").removeprefix("www.")
    return host, None if port == {"http": 80, "https": 443}.get(parts.scheme) else port


@dataclass(frozen=True)
class CrawlPoliteness:
    """The [crawl] table: how hard a crawl may press the sites of the file.

    None leaves the Scrapy setting as crawler/settings.py has it.
    """

    download_delay: float | None = None
    autothrottle: bool | None = None
    retry_backoff: float | None = None
    download_timeout: float | None = None

    def settings(self) -> dict[str, float | bool]:
        """The Scrapy settings this table overrides."""
        values = {
            "DOWNLOAD_DELAY": self.download_delay,
            "AUTOTHROTTLE_ENABLED": self.autothrottle,
            "MFA_RETRY_BACKOFF": self.retry_backoff,
            "DOWNLOAD_TIMEOUT": self.download_timeout,
        }
        return {name: value for name, value in values.items() if value is not None}


@dataclass(frozen=True)
class SitesConfig:
    sites: tuple[Site, ...]
    politeness: CrawlPoliteness = field(default_factory=CrawlPoliteness)
    path: Path | None = None

    @property
    def names(self) -> list[str]:
        return [site.name for site in self.sites]

    @property
    def languages(self) -> list[str]:
        """Every language of every site, sorted."""
        return sorted({lang for site in self.sites for lang in site.languages})

    def select(self, names: Iterable[str] = (), languages: Sequence[str] = ()) -> SitesConfig:
        """Only the named sites (all when none is named), with only those languages."""
        names = list(names)
        known = {site.name for site in self.sites}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ConfigError(
                f"unknown site {unknown[0]!r} (the sites file lists: {', '.join(sorted(known))})"
            )
        named = [site for site in self.sites if not names or site.name in names]
        offered = {lang for site in named for lang in site.languages}
        absent = [lang for lang in languages if lang not in offered]
        if absent:
            raise ConfigError(
                f"language {absent[0]!r} is not among the sites' languages "
                f"(they have: {', '.join(sorted(offered))})"
            )
        chosen = []
        for site in named:
            langs = tuple(lang for lang in site.languages if not languages or lang in languages)
            if langs:
                chosen.append(dataclasses.replace(site, languages=langs))
        return SitesConfig(tuple(chosen), self.politeness, self.path)


def check_language(lang: Any) -> str | None:
    """Why lang is no language a site may have (None if it is one): an ISO 639-1
    code whose dates dateparser can read (crawler.normalize.dates)."""
    if not isinstance(lang, str) or lang not in known_languages():
        return (
            f"unknown language {lang!r}: languages are ISO 639-1 codes, lowercase "
            "(az, en, ru, de, bg, ...), that dateparser knows"
        )
    return None


def parse_languages(text: str) -> tuple[str, ...]:
    """``"az,en"`` -> ``("az", "en")``; an unknown language is a ConfigError."""
    langs = tuple(part.strip() for part in text.split(",") if part.strip())
    for lang in langs:
        if problem := check_language(lang):
            raise ConfigError(problem)
    if not langs:
        raise ConfigError("--lang needs at least one language")
    return langs


# A sites file of ~100 sites is a few KB; anything far larger is not one.
MAX_SITES_FILE_BYTES = 1 << 20


def load_sites(path: Path | str | None = None) -> SitesConfig:
    path = Path(path) if path else DEFAULT_SITES_FILE
    try:
        # A FIFO or a device (/dev/zero) would block or read without end.
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"sites file {path} is not a regular file")
        if info.st_size > MAX_SITES_FILE_BYTES:
            raise ConfigError(
                f"sites file {path} is larger than {MAX_SITES_FILE_BYTES // 1024} KB: not a sites file"
            )
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read sites file {path}: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"sites file {path} is not valid TOML: {exc}") from exc
    entries = data.get("site")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"sites file {path} lists no [[site]] entries")
    sites = tuple(_site(entry, path, n) for n, entry in enumerate(entries, start=1))
    names = [site.name for site in sites]
    duplicated = {name for name in names if names.count(name) > 1}
    if duplicated:
        raise ConfigError(f"sites file {path}: site name {sorted(duplicated)[0]!r} appears twice")
    return SitesConfig(sites, _politeness(data.get("crawl", {}), path), path)


def _site(entry: Any, path: Path, n: int) -> Site:
    where = f"sites file {path}, site #{n}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a table")
    for key in ("name", "base_url", "layout", "languages"):
        if key not in entry:
            raise ConfigError(f"{where}: missing {key!r}")
    parts = urlsplit(str(entry["base_url"]))
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path.strip("/"):
        raise ConfigError(
            f"{where}: base_url must be scheme://host[:port], got {entry['base_url']!r}"
        )
    if entry["layout"] not in LAYOUTS:
        raise ConfigError(f"{where}: layout must be one of {', '.join(LAYOUTS)}")
    languages = entry["languages"]
    if not isinstance(languages, list) or not languages:
        raise ConfigError(f"{where}: languages must be a non-empty list")
    for lang in languages:
        if problem := check_language(lang):
            raise ConfigError(f"{where}: {problem}")
    authoritative = entry.get("authoritative", LAYOUTS[entry["layout"]].authoritative)
    if not isinstance(authoritative, bool):
        raise ConfigError(f"{where}: authoritative must be true or false")
    base_url = f"{parts.scheme}://{parts.netloc}"
    return Site(str(entry["name"]), base_url, entry["layout"], tuple(languages), authoritative)


def _politeness(table: Any, path: Path) -> CrawlPoliteness:
    if not isinstance(table, dict):
        raise ConfigError(f"sites file {path}: [crawl] must be a table")
    unknown = set(table) - {"download_delay", "autothrottle", "retry_backoff", "download_timeout"}
    if unknown:
        raise ConfigError(f"sites file {path}: unknown [crawl] key {sorted(unknown)[0]!r}")
    for key in ("download_delay", "retry_backoff", "download_timeout"):
        value = table.get(key)
        if value is not None and (not isinstance(value, int | float) or value < 0):
            raise ConfigError(f"sites file {path}: [crawl] {key} must be a number >= 0")
    if not isinstance(table.get("autothrottle", False), bool):
        raise ConfigError(f"sites file {path}: [crawl] autothrottle must be true or false")
    return CrawlPoliteness(
        download_delay=table.get("download_delay"),
        autothrottle=table.get("autothrottle"),
        retry_backoff=table.get("retry_backoff"),
        download_timeout=table.get("download_timeout"),
    )
