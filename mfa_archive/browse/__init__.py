"""A browsable archive: Datasette with the archive's metadata and plugin.

`make_datasette` builds the Datasette instance `mfa-archive browse` serves
(and the tests query): the SQLite archive under the name ``archive``, the
metadata of ``metadata.yaml``, the plugin of ``plugin.py`` and the page of
a document (``templates/``). A PostgreSQL
archive is served from a SQLite snapshot (storage.snapshot): Datasette reads
SQLite only.
"""

from __future__ import annotations

import asyncio
import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from datasette.app import Datasette
from datasette.database import Database
from datasette.plugins import pm

from mfa_archive.browse import plugin
from mfa_archive.browse.plugin import DATABASE

# Datasette's defaults are for small tables: the documents' bodies would fill
# the page, and facets over a large archive need more than 200 ms.
SETTINGS = {
    "truncate_cells_html": 160,
    "facet_time_limit_ms": 2000,
    "sql_time_limit_ms": 5000,
    "default_facet_size": 30,
}


def metadata() -> dict[str, Any]:
    """The packaged metadata (titles, descriptions, search, facets, queries),
    with the views' column descriptions of docs/schema.md (columns.json)."""
    package = resources.files(__package__)
    loaded: dict[str, Any] = yaml.safe_load(package.joinpath("metadata.yaml").read_text("utf-8"))
    tables = loaded["databases"][DATABASE]["tables"]
    for view, columns in json.loads(package.joinpath("columns.json").read_text("utf-8")).items():
        tables.setdefault(view, {})["columns"] = columns
    return loaded


def make_datasette(path: Path, *, immutable: bool = False) -> Datasette:
    """Datasette on the SQLite archive at ``path``, with the archive's metadata
    and plugin; ``immutable`` for a snapshot nobody writes to."""
    if not pm.is_registered(plugin):
        pm.register(plugin, name="mfa-archive")
    templates = resources.files(__package__).joinpath("templates")
    datasette = Datasette(metadata=metadata(), settings=SETTINGS, template_dir=str(templates))
    datasette.remove_database("_memory")  # made when no file is given: not ours to show
    datasette.add_database(
        Database(datasette, path=str(path), is_mutable=not immutable), name=DATABASE
    )
    return datasette


def serve(datasette: Datasette, host: str, port: int) -> None:
    """Serve until interrupted (Ctrl-C, SIGTERM), as `datasette serve` does."""
    import uvicorn

    asyncio.run(datasette.invoke_startup())
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning", lifespan="on")
