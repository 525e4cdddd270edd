"""Extraction worker processes give exactly what in-process extraction gives."""

from __future__ import annotations

import asyncio
import dataclasses
import fcntl
import signal
from pathlib import Path

import pytest

from crawler.exceptions import PageRejected
from crawler.extract import extract_article
from crawler.items import FetchedPage, ListingEntry
from crawler.workers import PIPE_SIZE, ExtractionWorkers, WorkerError
from tests.conftest import CASES, load_case

ORIGIN = "http://replica.test"


def fetched(case_path) -> FetchedPage:
    case = load_case(case_path)
    url = ORIGIN + case.meta["url"]
    return FetchedPage(url, case.meta["site"], case.meta["lang"], case.meta["layout"],
                       case.html.replace("{{origin}}", ORIGIN).encode(), "utf-8",
                       ListingEntry(url=url, **case.meta["listing"]))  # fmt: skip


def in_process(page: FetchedPage):
    try:
        return ("ok", extract_article(page))
    except PageRejected as exc:
        return ("drop", str(exc))


async def in_workers(pages, processes=2):
    workers = ExtractionWorkers(processes)
    await workers.start()

    async def one(page):
        try:
            return ("ok", await workers.extract(page))
        except PageRejected as exc:
            return ("drop", str(exc))

    try:
        return await asyncio.gather(*(one(page) for page in pages))
    finally:
        await workers.close()


def test_workers_extract_every_case_as_the_crawl_process_would():
    pages = [fetched(path) for path in CASES]
    results = asyncio.run(in_workers(pages))
    assert results == [in_process(page) for page in pages]
    assert sum(status == "drop" for status, _ in results) == 3


def test_a_page_the_page_object_cannot_read_is_a_parse_error():
    page = dataclasses.replace(fetched(CASES[0]), layout="no-such-layout")

    async def run():
        workers = ExtractionWorkers(1)
        await workers.start()
        try:
            with pytest.raises(WorkerError, match=r"parse error: KeyError: 'no-such-layout'"):
                await workers.extract(page)
            # the worker survives a bad page
            assert (await workers.extract(fetched(CASES[1]))).title
        finally:
            await workers.close()

    asyncio.run(run())


def test_a_dead_worker_is_replaced_and_no_page_is_lost():
    """A worker killed from outside (the OOM killer, a stray signal) costs no
    page: the pages it held go to a new worker."""

    async def run():
        workers = ExtractionWorkers(2)
        await workers.start()
        try:
            for worker in workers.workers:  # every worker dead
                worker.process.kill()
                await worker.reader
            assert (await workers.extract(fetched(CASES[1]))).title  # new workers took over
            assert all(worker.alive for worker in workers.workers)
            # killed while it holds a page: the page is extracted all the same
            pending = asyncio.ensure_future(workers.extract(fetched(CASES[2])))
            while not any(worker.pending for worker in workers.workers):
                await asyncio.sleep(0)
            (holder,) = [worker for worker in workers.workers if worker.pending]
            holder.process.kill()
            assert (await pending).record() == in_process(fetched(CASES[2]))[1].record()
        finally:
            await workers.close()

    asyncio.run(run())


def test_a_worker_ignores_the_terminals_interrupt():
    """Ctrl-C reaches the whole process group: the crawl shuts down, the worker
    goes on with its pages until the crawl closes its input."""

    async def run():
        workers = ExtractionWorkers(1)
        await workers.start()
        try:
            await workers.extract(fetched(CASES[1]))  # it is up and serving
            workers.workers[0].process.send_signal(signal.SIGINT)
            workers.workers[0].process.send_signal(signal.SIGTERM)
            assert (await workers.extract(fetched(CASES[1]))).title
            assert workers.workers[0].alive
        finally:
            await workers.close()
        return workers.workers[0].process.returncode

    assert asyncio.run(run()) == 0


@pytest.mark.skipif(not hasattr(fcntl, "F_GETPIPE_SZ"), reason="pipe sizes are Linux's")
def test_a_workers_pipe_holds_many_pages():
    # With the default 64 KB the loop writes each ~60 KB page in pieces,
    # waiting on the worker (bench/crawl_throughput.py measures the cost).
    async def run():
        workers = ExtractionWorkers(1)
        await workers.start()
        try:
            stdin = workers.workers[0].process.stdin
            pipe = stdin.transport.get_extra_info("pipe")
            return fcntl.fcntl(pipe.fileno(), fcntl.F_GETPIPE_SZ)
        finally:
            await workers.close()

    allowed = int(Path("/proc/sys/fs/pipe-max-size").read_text())
    assert asyncio.run(run()) >= min(PIPE_SIZE, allowed)
