"""Shared fixtures: the replica served over HTTP, fresh archives, the CLI."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from mfa_archive.replica.generate import generate_replica
from mfa_archive.replica.server import DEFAULT_ROOT, ReplicaServer, serving
from storage.scratch import postgres_database

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = DEFAULT_ROOT
BACKENDS = ("sqlite", "postgresql")
POSTGRES_URL_ENV = "MFA_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_ENV = "MFA_REQUIRE_POSTGRES"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CASES = sorted(p for p in (FIXTURES / "cases").iterdir() if (p / "expected.json").exists())


@dataclass
class Case:
    name: str
    html: str
    meta: dict
    expected: dict


def load_case(path: Path) -> Case:
    return Case(
        name=path.name,
        html=(path / "page.html").read_text(encoding="utf-8"),
        meta=json.loads((path / "meta.json").read_text(encoding="utf-8")),
        expected=json.loads((path / "expected.json").read_text(encoding="utf-8")),
    )


@pytest.fixture
def replica() -> Iterator[ReplicaServer]:
    """The replica's sites, each on its own free 127.0.0.1 port, for one test."""
    server = ReplicaServer(FIXTURES)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sites_file(tmp_path: Path, replica: ReplicaServer) -> Path:
    path = tmp_path / "sites.toml"
    path.write_text(replica.sites_toml(), encoding="utf-8")
    return path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A SQLite archive's file, for the tests about SQLite itself."""
    return tmp_path / "archive.db"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Engine]:
    """An engine on the PostgreSQL server's maintenance database, in autocommit.

    $MFA_TEST_POSTGRES_URL names the server (default: 127.0.0.1:5432, database
    test, trust auth). Without a server the PostgreSQL tests are skipped with
    the reason, unless $MFA_REQUIRE_POSTGRES=1 (as .ci/run sets): then they fail.
    """
    url = os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect():
            pass
    except (OperationalError, ImportError) as exc:
        reason = f"no PostgreSQL server at {url}: {str(exc).splitlines()[0]}"
        if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
            pytest.fail(f"{reason} (and {REQUIRE_POSTGRES_ENV}=1)")
        pytest.skip(f"{reason}; set {POSTGRES_URL_ENV} to test PostgreSQL")
    yield engine
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Makes fresh, empty archives on one backend: SQLite files, or PostgreSQL
    databases of their own (dropped after the test)."""
    numbers = itertools.count()
    with ExitStack() as stack:

        def new_archive() -> str:
            if request.param == "sqlite":
                return f"sqlite:///{tmp_path}/archive-{next(numbers)}.db"
            server = request.getfixturevalue("postgres_server")
            return stack.enter_context(postgres_database(server))

        yield new_archive


@pytest.fixture
def db_url(db_factory: Callable[[], str]) -> str:
    """A fresh, empty archive on each backend: for tests whose outcome depends
    on the backend (storage, search, export, the crawl lock, one whole crawl)."""
    return db_factory()


@pytest.fixture
def sqlite_factory(tmp_path: Path) -> Callable[[], str]:
    """Makes fresh SQLite archives, for tests of what the crawler does, which
    it does alike on either backend."""
    numbers = itertools.count()
    return lambda: f"sqlite:///{tmp_path}/archive-{next(numbers)}.db"


@pytest.fixture
def sqlite_url(sqlite_factory: Callable[[], str]) -> str:
    return sqlite_factory()


def run_cli(
    *args: str, timeout: float = 120, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run `mfa-archive ARGS` as a user would, in its own process (Twisted's
    reactor cannot be restarted, so every crawl gets a fresh interpreter)."""
    return subprocess.run(
        [sys.executable, "-m", "mfa_archive.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        check=False,
    )


@contextmanager
def generated_replica(
    tmp_path: Path,
    per_language: int,
    prepare: Callable[[Path], None] | None = None,
    per_page: int = 20,
) -> Iterator[tuple[ReplicaServer, Path, list]]:
    """A generated replica (main site, en) served on a free port, and its sites file."""
    root = tmp_path / "replica"
    cases = generate_replica(root, per_language=per_language, per_page=per_page)
    if prepare is not None:
        prepare(root)
    server = ReplicaServer(root)
    server.start()
    sites = tmp_path / "sites.toml"
    sites.write_text(server.sites_toml(), encoding="utf-8")
    try:
        yield server, sites, cases
    finally:
        server.stop()


@pytest.fixture(scope="module", params=BACKENDS)
def replica_crawl(request, tmp_path_factory) -> Iterator[tuple[str, ReplicaServer]]:
    """One crawl of the replica per module and backend, for tests that only read
    the archive it makes: the archive's URL and the server (still serving)."""
    tmp = tmp_path_factory.mktemp("crawled")
    with ExitStack() as stack:
        if request.param == "sqlite":
            db = f"sqlite:///{tmp}/archive.db"
        else:
            db = stack.enter_context(postgres_database(request.getfixturevalue("postgres_server")))
        server = stack.enter_context(serving())
        sites = tmp / "sites.toml"
        sites.write_text(server.sites_toml(), encoding="utf-8")
        result = run_cli("crawl", "--db", db, "--sites", str(sites))
        assert result.returncode == 1, result.stderr  # partial: the replica has rejects
        yield db, server
