"""The SQLite archive in Datasette: tables, views and full-text search, through
Datasette's own Python API (what `datasette data/archive.db` serves)."""

from __future__ import annotations

import asyncio

from datasette.app import Datasette

from storage.archive import Archive
from storage.engine import make_engine
from storage.migrate import upgrade
from tests.test_storage import record


def datasette_get(path, database) -> list[dict]:
    async def get() -> list[dict]:
        datasette = Datasette([str(database)])
        await datasette.invoke_startup()
        response = await datasette.client.get(path)
        assert response.status_code == 200, response.text
        return response.json()

    return asyncio.run(get())


def test_datasette_searches_the_archive(db_path):
    engine = make_engine(f"sqlite:///{db_path}")
    upgrade(engine)
    archive = Archive(engine)
    archive.store(record(url="https://mfa.gov.az/en/news/1", title="Remembrance", doc_number=None,
                         body="A day of remembrance in Baku."))  # fmt: skip
    archive.store(record(url="https://mfa.gov.az/az/news/2", lang="az", title="Görüş",
                         doc_number=None, body="Nazir Bakıda görüş keçirib."))  # fmt: skip
    archive.store(record(url="https://sofia.mfa.gov.az/en/news/3", site="sofia", doc_number=None,
                         title="Other", body="Nothing alike here at all, about Sofia."))  # fmt: skip
    engine.dispose()

    found = datasette_get("/archive/documents.json?_search=remembrance&_shape=array", db_path)
    assert [row["title"] for row in found] == ["Remembrance"]
    folded = datasette_get("/archive/documents.json?_search=gorus&_shape=array", db_path)
    assert [row["title"] for row in folded] == ["Görüş"]  # diacritics folded, as the CLI does
    raw = datasette_get(
        "/archive/documents.json?_search=remembrance+OR+sofia&_searchmode=raw&_shape=array",
        db_path,
    )
    assert sorted(row["title"] for row in raw) == ["Other", "Remembrance"]

    view = datasette_get("/archive/documents_v.json?_shape=array&_sort=document_id", db_path)
    assert [(row["title"], row["url"], row["sources"]) for row in view] == [
        ("Remembrance", "https://mfa.gov.az/en/news/1", 1),
        ("Görüş", "https://mfa.gov.az/az/news/2", 1),
        ("Other", "https://sofia.mfa.gov.az/en/news/3", 1),
    ]
