"""Shared fixtures: the replica served over HTTP, fresh archives, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from mfa_archive.replica.generate import generate_replica
from mfa_archive.replica.server import DEFAULT_ROOT, ReplicaServer

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = DEFAULT_ROOT
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
    return tmp_path / "archive.db"


@pytest.fixture
def db_url(db_path: Path) -> str:
    return f"sqlite:///{db_path}"


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
