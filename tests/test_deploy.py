"""Scheduled refreshes as the README gives them: the cron line, run under `sh`
against the replica, and the systemd units shipped in deploy/systemd/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
UNITS = ROOT / "deploy" / "systemd"
HOME = "/srv/mfa-archive"  # where the README's recipes expect the clone


def readme_blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", README, re.S | re.M)


def unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A unit file's sections and keys (a key may repeat, as systemd allows)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if header := re.fullmatch(r"\[(\w+)\]", line):
            current = sections.setdefault(header[1], {})
        else:
            key, value = line.split("=", 1)
            current.setdefault(key, []).append(value)
    return sections


def cron_command() -> str:
    """The command of the README's crawl crontab line (after its five time fields)."""
    (block,) = [block for block in readme_blocks("cron") if " crawl " in block]
    (line,) = block.splitlines()
    return re.fullmatch(r"(?:\S+\s+){5}(.+)", line)[1]


# -- cron --------------------------------------------------------------------------


def run_cron_line(tmp_path: Path, sites: Path) -> subprocess.CompletedProcess:
    """The README's cron command, verbatim but for the clone's directory, under
    `sh` as cron runs it. The clone's mfa-archive is this checkout's, pointed at
    the replica's sites file (the live sites are unreachable here)."""
    home = tmp_path / "srv"
    (home / ".venv" / "bin").mkdir(parents=True, exist_ok=True)
    command = home / ".venv" / "bin" / "mfa-archive"
    command.write_text(
        f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m mfa_archive.cli "$@" '
        f'--sites "{sites}"\n',
        encoding="utf-8",
    )
    command.chmod(0o755)
    environment = {k: v for k, v in os.environ.items() if k != "MFA_ARCHIVE_DB"}
    return subprocess.run(
        ["sh", "-c", cron_command().replace(HOME, str(home))],
        capture_output=True, text=True, env=environment, timeout=120, check=False,
    )  # fmt: skip


def test_the_cron_line_has_no_pipe_and_runs_quietly():
    command = cron_command()
    assert command.startswith(f"cd {HOME} && .venv/bin/mfa-archive crawl ")
    assert "|" not in command  # sh reports a pipeline's last command, not the crawl
    assert "--quiet" in command.split()


@pytest.fixture
def maintenance_site() -> Iterator[str]:
    """A site that answers every page with a maintenance notice: its listings
    show no items, so a crawl of it fetches nothing."""

    class Maintenance(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html><body><h1>Down for maintenance</h1></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Maintenance)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_cron_line_reports_a_failing_crawl_as_failing(maintenance_site, tmp_path):
    """A crawl that fetched nothing (a listing's first page shows no items)
    exits 3 through the cron line, and says `failed:` in the one line it prints."""
    sites = tmp_path / "maintenance.toml"
    sites.write_text(
        "[crawl]\ndownload_delay = 0\nautothrottle = false\nretry_backoff = 0\n\n"
        f'[[site]]\nname = "main"\nbase_url = "{maintenance_site}"\n'
        'layout = "main"\nlanguages = ["en"]\n',
        encoding="utf-8",
    )
    result = run_cron_line(tmp_path, sites)
    assert result.returncode == 3, (result.stdout, result.stderr)
    (summary,) = result.stdout.splitlines()  # the summary line, alone
    assert summary.startswith("failed: ")
    assert "has the layout changed?" in result.stderr
    assert_errors_only(result.stderr)
    log = (tmp_path / "srv" / "data" / "crawl.log").read_text(encoding="utf-8")
    assert log.rstrip().endswith(summary)  # the log file has everything, the summary last


def test_the_cron_line_reports_a_good_crawl_in_one_line(sites_file, tmp_path):
    result = run_cron_line(tmp_path, sites_file)
    assert result.returncode == 1, (result.stdout, result.stderr)  # the replica has rejects
    (summary,) = result.stdout.splitlines()
    assert summary.startswith("partial: ")
    assert_errors_only(result.stderr)
    assert (tmp_path / "srv" / "data" / "archive.db").exists()


def assert_errors_only(stderr: str) -> None:
    for line in stderr.splitlines():
        assert " ERROR: " in line or line.startswith("mfa-archive: error: "), line
    assert "progress:" not in stderr


# -- systemd -----------------------------------------------------------------------


def test_the_readme_shows_the_units_as_shipped():
    shown = readme_blocks("ini")
    for name in ("mfa-archive.service", "mfa-archive.timer"):
        assert (UNITS / name).read_text(encoding="utf-8") in shown, name


def test_the_service_runs_the_cron_lines_crawl_and_fails_on_3_and_4():
    service = unit(UNITS / "mfa-archive.service")["Service"]
    assert service["Type"] == ["oneshot"]
    assert service["WorkingDirectory"] == [HOME]
    (exec_start,) = service["ExecStart"]
    assert exec_start == f"{HOME}/{cron_command().split(' && ', 1)[1]}"
    # 1 (partial) is a normal day; 3 (fetched nothing, or the archive failed) and
    # 4 (locked) are not, nor anything else but 0.
    assert service["SuccessExitStatus"] == ["1"]
    timer = unit(UNITS / "mfa-archive.timer")
    assert timer["Timer"]["OnCalendar"] == ["*-*-* 06:15:00"]
    assert timer["Timer"]["Persistent"] == ["true"]
    assert "Unit" not in timer["Timer"]  # it starts the service of its own name
    assert timer["Install"]["WantedBy"] == ["timers.target"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_analyze_verifies_the_units(tmp_path):
    """`systemd-analyze verify` on the units, with their directory made real
    here (it checks that ExecStart's program exists), warnings included."""
    home = tmp_path / "srv"
    (home / ".venv" / "bin").mkdir(parents=True)
    (home / "data").mkdir()
    (home / ".venv" / "bin" / "mfa-archive").symlink_to(Path(sys.executable).parent / "mfa-archive")
    units = tmp_path / "units"
    units.mkdir()
    for name in ("mfa-archive.service", "mfa-archive.timer"):
        text = (UNITS / name).read_text(encoding="utf-8").replace(HOME, str(home))
        (units / name).write_text(text, encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", units / "mfa-archive.service", units / "mfa-archive.timer"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr  # an unknown key is only a warning
