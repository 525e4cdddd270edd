"""Serve a replica directory over real HTTP, every site on its own 127.0.0.1 port.

A replica directory holds::

    replica.toml                 the sites: name, layout, languages
    sites/<site>/<path>.html     listing pages and anything else of a site
    cases/<case>/page.html       article pages, each with meta.json naming its
                                 site and URL path (and expected.json for tests)

A URL maps to a file by its path and query: ``/en/news?page=2`` is
``en/news@page=2.html``, ``/robots.txt`` is ``robots.txt``; a ``.redirect``
file in place of the ``.html`` answers 302 to the URL it holds, a ``.status``
file answers the HTTP status it holds (``503``: a server in trouble).  Pages may
write ``{{origin}}`` for their own site's ``http://127.0.0.1:PORT``.
"""

from __future__ import annotations

import importlib.resources
import json
import threading
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from mfa_archive.replica.templates import ORIGIN


def _default_root() -> Path:
    """The hand-checked replica: the repository's fixtures/, which the wheel ships
    as the package data mfa_archive.fixtures (pyproject.toml's package-dir)."""
    try:
        packaged = importlib.resources.files("mfa_archive.fixtures")
    except ModuleNotFoundError:
        # An editable install (setuptools' finder) cannot import a directory without
        # __init__.py mapped away from its parent package: use the source tree.
        return Path(__file__).resolve().parents[2] / "fixtures"
    # fixtures/ is a namespace package, whose files() is a MultiplexedPath rather
    # than a Path; the files in it are plain paths.
    return Path(str(packaged / "replica.toml")).parent


DEFAULT_ROOT = _default_root()


@dataclass
class ReplicaSite:
    name: str
    layout: str
    languages: list[str]
    routes: dict[str, Path] = field(default_factory=dict)  # "/path?query" -> file
    redirects: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)  # every path+query asked for, in order
    server: _SiteServer | None = None

    @property
    def origin(self) -> str:
        assert self.server is not None, "site is not being served"
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"


def url_key(path: str, query: str = "") -> str:
    return f"{path}?{query}" if query else path


def file_to_key(relative: Path) -> str:
    """``en/news@page=2.html`` -> ``/en/news?page=2``."""
    name = relative.as_posix()
    for suffix in (".html", ".redirect", ".status"):
        name = name.removesuffix(suffix)
    path, _, query = name.partition("@")
    if path == "index":
        path = ""
    return url_key("/" + path, query)


def load_sites(root: Path) -> dict[str, ReplicaSite]:
    config = tomllib.loads((root / "replica.toml").read_text(encoding="utf-8"))
    sites = {
        entry["name"]: ReplicaSite(entry["name"], entry["layout"], list(entry["languages"]))
        for entry in config["site"]
    }
    for site in sites.values():
        site_dir = root / "sites" / site.name
        for file in sorted(p for p in site_dir.rglob("*") if p.is_file()):
            key = file_to_key(file.relative_to(site_dir))
            if file.suffix == ".redirect":
                site.redirects[key] = file.read_text(encoding="utf-8").strip()
            elif file.suffix == ".status":
                site.statuses[key] = int(file.read_text(encoding="utf-8"))
            else:
                site.routes[key] = file
    for meta_file in sorted((root / "cases").glob("*/meta.json")):
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        for url in (meta["url"], *meta.get("aliases", ())):  # every spelling of its URL
            parts = urlsplit(url)
            sites[meta["site"]].routes[url_key(parts.path, parts.query)] = meta_file.with_name(
                "page.html"
            )
    return sites


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops connections that a crawler
    # opens in a burst, and each dropped SYN costs a 1 s retransmission.
    request_queue_size = 128


def _handler_for(site: ReplicaSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: with Nagle's algorithm on,
        # the body would wait for the client's delayed ACK.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            site.requests.append(self.path)
            parts = urlsplit(self.path)
            key = url_key(parts.path.rstrip("/") or "/", parts.query)
            if key in site.statuses:
                self._send(site.statuses[key], b"<html><body>Service Unavailable</body></html>")
            elif key in site.redirects:
                self._send(302, b"", location=site.redirects[key].replace(ORIGIN, site.origin))
            elif key in site.routes:
                file = site.routes[key]
                body = file.read_bytes().replace(ORIGIN.encode(), site.origin.encode())
                kind = "text/plain" if file.suffix == ".txt" else "text/html"
                self._send(200, body, content_type=f"{kind}; charset=utf-8")
            else:
                self._send(404, b"<html><body><h1>404 Not Found</h1></body></html>")

        def _send(
            self,
            status: int,
            body: bytes,
            *,
            content_type: str = "text/html; charset=utf-8",
            location: str | None = None,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if location:
                self.send_header("Location", location)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # the request list is the log; stderr stays quiet during crawls

    return Handler


class ReplicaServer:
    """Every site of a replica directory, each served on its own port."""

    def __init__(self, root: Path = DEFAULT_ROOT) -> None:
        self.root = root
        self.sites = load_sites(root)
        self._threads: list[threading.Thread] = []

    def start(self, ports: dict[str, int] | None = None) -> None:
        for site in self.sites.values():
            port = (ports or {}).get(site.name, 0)
            site.server = _SiteServer(("127.0.0.1", port), _handler_for(site))
            thread = threading.Thread(target=site.server.serve_forever, daemon=True)
            thread.start()
            self._threads.append(thread)

    def switch(self, root: Path) -> None:
        """Serve another replica directory (a later snapshot of the same sites)
        on the same ports: the site as it changed between two crawls."""
        later = load_sites(root)
        if later.keys() != self.sites.keys():
            raise ValueError(f"{root} holds other sites: {sorted(later)}")
        for name, site in self.sites.items():
            site.routes = later[name].routes
            site.redirects = later[name].redirects
            site.statuses = later[name].statuses
        self.root = root

    def stop(self) -> None:
        for site in self.sites.values():
            if site.server is not None:
                site.server.shutdown()
                site.server.server_close()
        for thread in self._threads:
            thread.join()

    def requests(self) -> dict[str, list[str]]:
        return {name: list(site.requests) for name, site in self.sites.items()}

    def sites_toml(self) -> str:
        """A sites file (see crawler.sites) pointing at the running replica."""
        entries = []
        for site in self.sites.values():
            langs = ", ".join(f'"{lang}"' for lang in site.languages)
            entries.append(
                f'[[site]]\nname = "{site.name}"\nbase_url = "{site.origin}"\n'
                f'layout = "{site.layout}"\nlanguages = [{langs}]\n'
            )
        header = (
            "# The offline replica, as served by mfa-archive serve-fixtures.\n"
            "# A local server needs no politeness: no delays, no AutoThrottle, no backoff.\n"
            "[crawl]\ndownload_delay = 0\nautothrottle = false\nretry_backoff = 0\n\n"
        )
        return header + "\n".join(entries)


@contextmanager
def serving(root: Path = DEFAULT_ROOT) -> Iterator[ReplicaServer]:
    server = ReplicaServer(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()
