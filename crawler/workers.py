"""Extraction in worker processes, driven by the crawl's event loop.

Parsing and normalizing an article page is most of a crawl's CPU. Worker
processes do it on other cores while Scrapy's event loop keeps downloading.
They speak a small protocol over their stdin and stdout: frames of
``request id (8 bytes), length (4 bytes), pickle``. The event loop reads and
writes those pipes itself; no helper thread competes with it for the GIL (a
ProcessPoolExecutor's two helper threads cost the loop about 1 ms a page).

    python -m crawler.workers      # a worker: frames in on stdin, out on stdout
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import itertools
import logging
import os
import pickle
import struct
import sys
import traceback
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from crawler.exceptions import PageRejected
from crawler.extract import extract_article
from crawler.items import Article, FetchedPage

logger = logging.getLogger(__name__)

_HEADER = struct.Struct("!QI")  # request id, payload length
_OK, _DROP, _ERROR = "ok", "drop", "error"
# A page is about 60 KB and a pipe holds 64 KB by default: the event loop had
# to write each page in pieces as the worker read it, and the worker waited on
# the loop for the rest. A pipe of 1 MB (Linux's default fs.pipe-max-size)
# holds a queue of pages; a crawl ran 6% faster.
PIPE_SIZE = 1 << 20


class WorkerError(Exception):
    """Raised when a worker fails on a page in a way the page did not cause
    (the worker died), or the page object raised; the message says which."""


@dataclass
class _Worker:
    process: asyncio.subprocess.Process
    pending: dict[int, asyncio.Future[Any]] = field(default_factory=dict)
    reader: asyncio.Task[None] | None = None
    alive: bool = True


class ExtractionWorkers:
    """A few worker processes; ``extract`` sends a page to the least busy one."""

    def __init__(self, processes: int) -> None:
        self.size = processes
        self.workers: list[_Worker] = []
        self.ids = itertools.count()

    async def start(self) -> None:
        for _ in range(self.size):
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "crawler.workers",
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            assert process.stdin is not None
            _enlarge_pipe(process.stdin)
            worker = _Worker(process)
            worker.reader = asyncio.get_running_loop().create_task(self._read(worker))
            self.workers.append(worker)

    async def extract(self, page: FetchedPage) -> Article:
        """The page's Article; raises PageRejected as extract_article does, WorkerError otherwise."""
        alive = [worker for worker in self.workers if worker.alive]
        if not alive:
            raise WorkerError("every extraction worker has died")
        worker = min(alive, key=lambda w: len(w.pending))
        request_id = next(self.ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        worker.pending[request_id] = future
        payload = pickle.dumps(page, protocol=pickle.HIGHEST_PROTOCOL)
        stdin = worker.process.stdin
        assert stdin is not None
        stdin.write(_HEADER.pack(request_id, len(payload)) + payload)
        await stdin.drain()  # waits only when the pipe is full: backpressure
        status, value = await future
        if status == _OK:
            return value
        if status == _DROP:
            raise PageRejected(value)
        raise WorkerError(value)

    async def _read(self, worker: _Worker) -> None:
        stdout = worker.process.stdout
        assert stdout is not None
        try:
            while True:
                request_id, length = _HEADER.unpack(await stdout.readexactly(_HEADER.size))
                result = pickle.loads(await stdout.readexactly(length))
                future = worker.pending.pop(request_id)
                if not future.done():
                    future.set_result(result)
        except asyncio.IncompleteReadError:
            worker.alive = False
            if worker.pending:
                logger.error("an extraction worker died with %d pages", len(worker.pending))
            for future in worker.pending.values():
                if not future.done():
                    future.set_result((_ERROR, "the extraction worker died"))
            worker.pending.clear()

    async def close(self) -> None:
        for worker in self.workers:
            if worker.process.stdin is not None:
                worker.process.stdin.close()
        for worker in self.workers:
            await worker.process.wait()
            if worker.reader is not None:
                await worker.reader


def _enlarge_pipe(stream: asyncio.StreamWriter) -> None:
    """Give the pipe PIPE_SIZE bytes where the system allows it (Linux); else keep it."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    pipe = stream.transport.get_extra_info("pipe")
    if set_size is not None and pipe is not None:
        with contextlib.suppress(OSError):  # above fs.pipe-max-size: the default stays
            fcntl.fcntl(pipe.fileno(), set_size, PIPE_SIZE)


def _serve(requests: BinaryIO, responses: BinaryIO) -> None:
    """The worker's loop: a result frame for every request frame, until EOF."""
    while header := requests.read(_HEADER.size):
        request_id, length = _HEADER.unpack(header)
        page: FetchedPage = pickle.loads(requests.read(length))
        try:
            result: tuple[str, Any] = (_OK, extract_article(page))
        except PageRejected as exc:
            result = (_DROP, str(exc))
        except Exception as exc:  # reported to the crawl as this page's parse error
            traceback.print_exc(file=sys.stderr)
            result = (_ERROR, f"parse error: {type(exc).__name__}: {exc}")
        payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        responses.write(_HEADER.pack(request_id, len(payload)) + payload)
        responses.flush()


def main() -> None:
    # Frames own stdout: anything a library prints goes to stderr instead.
    responses = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, responses)


if __name__ == "__main__":
    main()
