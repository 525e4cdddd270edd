"""The package as `pip install .` gives it: a wheel, installed apart from the source tree."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
# Not part of the package source: what a clone gathers around it.
UNBUILT = {".git", ".venv", "data", "build", "dist", ".pytest_cache", ".ruff_cache", ".hypothesis"}


def test_every_package_directory_is_listed():
    """pyproject.toml lists its packages (setuptools' find cannot add the mapped
    mfa_archive.fixtures): a new package directory must be added there too."""
    found = {
        ".".join(directory.relative_to(ROOT).parts)
        for top in ("crawler", "storage", "mfa_archive")
        for directory in [ROOT / top, *(ROOT / top).rglob("*")]
        if directory.is_dir() and any(directory.glob("*.py"))
    }
    assert set(SETUPTOOLS["packages"]) == found | set(SETUPTOOLS["package-dir"])


def _copy_source(destination: Path) -> Path:
    """The source tree without the clone's environment, so that the build writes
    its build/ and egg-info into a copy rather than the tree under test."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        top = Path(directory) == ROOT
        return {
            name
            for name in names
            if name == "__pycache__" or name.endswith(".egg-info") or (top and name in UNBUILT)
        }

    return Path(shutil.copytree(ROOT, destination, ignore=ignore))


def _environment() -> dict[str, str]:
    """This environment, less what would lead the installed package to the source tree
    or to another archive."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MFA_ARCHIVE_DB")}


def _check(*command: str | Path, cwd: Path) -> str:
    """Run a step; its output, or a failure that shows the command's own message."""
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=cwd, env=_environment(), check=False
    )
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed; its dependencies are this venv's,
    seen through a .pth file (no downloads, and seconds rather than a minute)."""
    work = tmp_path_factory.mktemp("wheel")
    source = _copy_source(work / "source")
    _check(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", source,
           "-w", work / "dist", cwd=work)  # fmt: skip
    (wheel,) = (work / "dist").glob("mfa_archive-*.whl")
    shutil.rmtree(source)  # nothing may be imported from the copy either

    venv = work / "venv"
    _check(sys.executable, "-m", "venv", venv, cwd=work)
    python = venv / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site_packages = Path(_check(python, "-c", purelib, cwd=work).strip())
    # A plain path line: the directory is searched after the venv's own, and the
    # .pth files in it (this venv's editable finder for the source tree) are not run.
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site_packages / "dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    _check(python, "-m", "pip", "install", "--no-index", "--quiet", wheel, cwd=work)
    return venv


def _run(venv: Path, *args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [venv / "bin" / "mfa-archive", *args],
        capture_output=True, text=True, timeout=timeout, cwd=cwd, env=_environment(), check=False,
    )  # fmt: skip


@pytest.mark.e2e
def test_the_installed_wheel_serves_and_crawls_the_replica(installed, tmp_path):
    venv = installed
    where = _check(
        venv / "bin" / "python", "-c",
        "import crawler, storage, mfa_archive, mfa_archive.replica.server as s\n"
        "for f in (crawler.__file__, storage.__file__, mfa_archive.__file__, s.DEFAULT_ROOT):\n"
        "    print(f)",
        cwd=tmp_path,
    ).split()  # fmt: skip
    assert len(where) == 4
    assert all(Path(path).is_relative_to(venv) for path in where), where

    version = _run(venv, "--version", cwd=tmp_path)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"mfa-archive {PYPROJECT['project']['version']}"

    sites = tmp_path / "sites.toml"
    log = tmp_path / "replica.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [venv / "bin" / "mfa-archive", "serve-fixtures", "--port", "0", "--sites-out", sites],
            cwd=tmp_path, stdout=log_file, stderr=subprocess.STDOUT, env=_environment(),
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not sites.exists() and server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sites.exists(), f"serve-fixtures wrote no sites file:\n{log.read_text()}"

        db = f"sqlite:///{tmp_path}/a.db"
        crawl = _run(
            venv, "crawl", "--db", db, "--sites", str(sites), "--site", "sofia", cwd=tmp_path
        )
        assert crawl.returncode in (0, 1), crawl.stderr
        assert crawl.stdout.splitlines()[-1].startswith(("ok: ", "partial: ")), crawl.stdout

        stats = _run(venv, "stats", "--db", db, "--json", cwd=tmp_path)
        assert stats.returncode == 0, stats.stderr
        assert json.loads(stats.stdout)["documents"] > 0
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
    assert server.returncode == 0, log.read_text()
    assert not sites.exists()
