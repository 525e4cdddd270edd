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
import signal
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
_OK, _DROP, _ERROR, _DIED = "ok", "drop", "error", "died"
# A page whose worker died is sent to a new worker, up to this many tries: a
# worker killed from outside costs no page, and a page that kills every
# worker it meets (a crash in the parser) is rejected rather than retried forever.
PAGE_ATTEMPTS = 3
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
            self.workers.append(await self._spawn())

    async def _spawn(self) -> _Worker:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "crawler.workers",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stdin is not None
        _enlarge_pipe(process.stdin)
        worker = _Worker(process)
        worker.reader = asyncio.get_running_loop().create_task(self._read(worker))
        return worker

    async def extract(self, page: FetchedPage) -> Article:
        """The page's Article; raises PageRejected as extract_article does, WorkerError otherwise."""
        payload = pickle.dumps(page, protocol=pickle.HIGHEST_PROTOCOL)
        for _ in range(PAGE_ATTEMPTS):
            status, value = await self._send(payload)
            if status == _OK:
                return value
            if status == _DROP:
                raise value  # the PageRejected the worker raised, with its kind
            if status == _ERROR:
                raise WorkerError(value)
        raise WorkerError(
            f"parse error: the extraction worker died on this page {PAGE_ATTEMPTS} times"
        )

    async def _send(self, payload: bytes) -> tuple[str, Any]:
        """Extract one page in the least busy worker: its (status, value)."""
        for index, worker in enumerate(self.workers):
            if not worker.alive:  # died: a new one takes its place
                replacement = await self._spawn()
                if self.workers[index] is worker:
                    self.workers[index] = replacement
                else:  # another page replaced it meanwhile: this one is not needed
                    await self._stop(replacement)
        worker = min(self.workers, key=lambda w: len(w.pending))
        request_id = next(self.ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        worker.pending[request_id] = future
        stdin = worker.process.stdin
        assert stdin is not None
        try:
            stdin.write(_HEADER.pack(request_id, len(payload)) + payload)
            await stdin.drain()  # waits only when the pipe is full: backpressure
        except (BrokenPipeError, ConnectionResetError):
            worker.pending.pop(request_id, None)
            worker.alive = False
            return _DIED, None
        return await future

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
        except (asyncio.IncompleteReadError, Exception):  # died, or its output is broken
            worker.alive = False
            if worker.pending:
                logger.warning("an extraction worker died with %d pages: they go to a new one",
                               len(worker.pending))  # fmt: skip
            for future in worker.pending.values():
                if not future.done():
                    future.set_result((_DIED, None))
            worker.pending.clear()

    async def close(self) -> None:
        for worker in self.workers:
            if worker.process.stdin is not None:
                worker.process.stdin.close()
        for worker in self.workers:
            await self._stop(worker)

    @staticmethod
    async def _stop(worker: _Worker) -> None:
        """Close the worker's input (it ends when it has answered), wait for it."""
        if worker.process.stdin is not None:
            worker.process.stdin.close()
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
            result = (_DROP, exc)
        except Exception as exc:  # reported to the crawl as this page's parse error
            traceback.print_exc(file=sys.stderr)
            result = (_ERROR, f"parse error: {type(exc).__name__}: {exc}")
        payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        responses.write(_HEADER.pack(request_id, len(payload)) + payload)
        responses.flush()


def main() -> None:
    # Ctrl-C in a terminal and systemd's SIGTERM reach the whole process group:
    # the crawl shuts down gracefully, and the worker finishes the pages it
    # was given until the crawl closes its stdin. Killed, it costs no page:
    # the crawl sends them to a new worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # Frames own stdout: anything a library prints goes to stderr instead.
    responses = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, responses)


if __name__ == "__main__":
    main()
