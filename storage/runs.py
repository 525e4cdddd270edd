"""Crawl runs: one row per crawl, from its start to its final status and counts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from storage import search_index
from storage.models import CrawlRun
from storage.records import Outcome
from storage.types import utcnow

# running | ok | partial | failed | interrupted | killed (found running, its lock free)
RUN_STATUSES = ("running", "ok", "partial", "failed", "interrupted", "killed")


@dataclass
class RunCounts:
    """What a run did, as its summary line and crawl_runs row give it."""

    pages_fetched: int = 0
    documents_new: int = 0
    documents_updated: int = 0
    documents_unchanged: int = 0
    duplicates_merged: int = 0
    rejects: int = 0
    errors: int = 0
    fallback_extractions: int = 0  # pages their layout's selectors could not read

    def count(self, outcome: Outcome) -> None:
        if outcome is Outcome.NEW:
            self.documents_new += 1
        elif outcome is Outcome.UPDATED:
            self.documents_updated += 1
        elif outcome is Outcome.UNCHANGED:
            self.documents_unchanged += 1
        else:
            self.duplicates_merged += 1

    @property
    def documents(self) -> int:
        """Documents written this run, whatever became of them."""
        return (self.documents_new + self.documents_updated + self.documents_unchanged
                + self.duplicates_merged)  # fmt: skip


def start_run(engine: Engine, sites: Iterable[str], languages: Iterable[str], mode: str) -> int:
    """A new run, and its id. Runs still marked running died without finishing
    (the caller holds the archive's lock, storage.lock, so none is alive), and
    what they left unindexed for search is indexed now."""
    if engine.dialect.name == "postgresql":
        search_index.catch_up(engine)
    with Session(engine) as session, session.begin():
        session.execute(
            update(CrawlRun).where(CrawlRun.status == "running").values(status="killed")
        )
        run = CrawlRun(
            started_at=utcnow(),
            status="running",
            mode=mode,
            sites=",".join(sites),
            languages=",".join(languages),
        )
        session.add(run)
        session.flush()
        return run.id


def finish_run(
    engine: Engine, run_id: int, status: str, counts: RunCounts, failure: str | None = None
) -> None:
    """The run's end: its status, counts and, for a failed run, what failed."""
    assert status in RUN_STATUSES, status
    with Session(engine) as session, session.begin():
        run = session.get_one(CrawlRun, run_id)
        run.finished_at = utcnow()
        run.status = status
        run.failure = failure
        run.pages_fetched = counts.pages_fetched
        run.documents_new = counts.documents_new
        run.documents_updated = counts.documents_updated
        run.documents_unchanged = counts.documents_unchanged
        run.duplicates_merged = counts.duplicates_merged
        run.rejects = counts.rejects
        run.errors = counts.errors
        run.fallback_extractions = counts.fallback_extractions
