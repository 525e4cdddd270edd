"""WARC files (ISO 28500, WARC/1.1): a crawl's captures written, read back and indexed.

Free of Scrapy: the capture middleware (crawler.capture) writes through
``WarcWriter``; reparse, check-layout --captures, show-capture and
``captures`` read through ``read_record`` and ``scan``.

Each fetch is three records, each its own gzip member, written together:

1. ``response``: the status line, the headers and the body as the server sent
   them (still in their Content-Encoding); or ``revisit`` when the URL's last
   capture had the same payload digest: the headers alone, referring to the
   record that holds the payload (identical-payload-digest profile);
2. ``request``: the request as sent, concurrent to the response;
3. ``metadata`` (application/json), concurrent to the response: what the crawl
   made of the URL (run, site, language, layout, and for an article the
   listing entry that led to it), so that the captures alone can be read
   again as the crawl read them (crawler.reparse).

A file opens with a ``warcinfo`` record naming the software, its version and
the run; a new file starts once one reaches ``max_bytes``.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import platform
import sys
import uuid
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from warcio.archiveiterator import ArchiveIterator
from warcio.timeutils import datetime_to_iso_date, iso_date_to_datetime
from warcio.warcwriter import WARCWriter

from crawler import __version__

try:  # ISA-L's deflate (the isal package): four times zlib's speed at level 1
    from isal import isal_zlib as _isal_zlib
except ImportError:  # a platform without its wheels: zlib, slower
    _isal_zlib = None
from storage.engine import sqlite_path
from storage.errors import MfaArchiveError
from storage.records import CaptureRef

WARC_DIR_ENV = "MFA_WARC_DIR"
SOFTWARE = f"mfa-archive/{__version__} (warcio {metadata.version('warcio')})"
# A new file once one reaches this size: the 1 GB that ISO 28500's annex, Heritrix
# and Browsertrix use. A daily refresh writes a file of its own far below it.
DEFAULT_MAX_BYTES = 1_000_000_000
# The fastest level (of ISA-L's 0-3, and zlib's 1-9): the CPU is the crawl's,
# on a machine whose cores it already keeps busy. zlib's 6 took 0.3 ms a page
# for 5.0 KB, and warcio's own writer uses 9; ISA-L's 1 takes 0.03 ms for 5.3 KB.
GZIP_LEVEL = 1
SMALL_RECORD = 4096  # bytes of block: compressed with a small window
SUFFIX = ".warc.gz"
# Beside each finished WARC file, its index (one JSON line per record, then
# the file's size): reading the captures then needs no pass over the records.
# Without one (a crawl killed mid-file, a pruned file), the file is scanned.
INDEX_SUFFIX = ".idx.jsonl"
# Headers of the HTTP message that no longer describe the stored bytes:
# Twisted removed the chunking before Scrapy saw the body.
_DROPPED_HEADERS = frozenset({"transfer-encoding"})
# The fetch context a metadata record carries.
CONTEXT_TYPE = "application/json"
HTTP_RESPONSE = "application/http; msgtype=response"
HTTP_REQUEST = "application/http; msgtype=request"
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"


def warc_dir_for(db_url: str, explicit: str | os.PathLike[str] | None = None) -> Path:
    """Where a crawl of this archive keeps its captures: ``explicit`` (--warc-dir),
    else $MFA_WARC_DIR, else beside a SQLite archive (``data/warc/`` for
    ``data/archive.db``, ``data/demo.warc/`` for ``data/demo.db``), else
    ``data/warc-<database>/`` in the working directory. One directory per
    archive: pruning keeps what its archive refers to, and knows no other's."""
    if explicit:
        return Path(explicit)
    if env := os.environ.get(WARC_DIR_ENV):
        return Path(env)
    path = sqlite_path(db_url)
    if path is not None:
        return path.parent / ("warc" if path.stem == "archive" else f"{path.stem}.warc")
    return Path("data") / f"warc-{make_url(db_url).database or 'archive'}"


def payload_digest(body: bytes) -> str:
    """WARC-Payload-Digest of a body: SHA-1, base32, as every WARC tool writes it."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def warc_date(moment: dt.datetime) -> str:
    return str(
        datetime_to_iso_date(moment.astimezone(dt.UTC).replace(tzinfo=None), use_micros=True)
    )


def parse_warc_date(text: str) -> dt.datetime:
    return iso_date_to_datetime(text).replace(tzinfo=dt.UTC)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Exchange:
    """One fetch as the crawl saw it: what the capture middleware hands the writer."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    status: int
    response_headers: list[tuple[str, str]]
    body: bytes  # as received: still in its Content-Encoding
    fetched_at: dt.datetime
    context: Mapping[str, Any]  # the metadata record's: run, kind, site, lang, ...
    ip_address: str | None = None


class WarcWriter:
    """Writes fetches into WARC files ``<prefix>-NNNNN.warc.gz`` in a directory.

    Not thread-safe: one thread writes (the capture middleware's).
    """

    def __init__(
        self,
        directory: Path,
        prefix: str,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        gzip_level: int = GZIP_LEVEL,
        info: Mapping[str, str] | None = None,
    ) -> None:
        self.directory = directory
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.gzip_level = gzip_level
        self.info = dict(info or {})
        self.serial = 0
        self.file: BinaryIO | None = None
        self.index: Any = None  # the open file's index, written as records are
        self.name = ""
        self.files: list[str] = []  # every file written, in order
        self._buffer = io.BytesIO()
        # warcio builds the records; each is gzipped here, at our level.
        self._builder = WARCWriter(self._buffer, gzip=False, warc_version="1.1")

    def _member(self, record: Any) -> bytes:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._builder.write_record(record)
        compressor = zlib.compressobj(self.gzip_level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        return compressor.compress(self._buffer.getvalue()) + compressor.flush()

    def _open(self) -> BinaryIO:
        if self.file is not None:
            if self.file.tell() < self.max_bytes:
                return self.file
            self.close()
        self.serial += 1
        self.name = f"{self.prefix}-{self.serial:05d}{SUFFIX}"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.file = (self.directory / self.name).open("xb")
        self.index = _partial_index(self.directory / self.name).open("w", encoding="utf-8")
        self.files.append(self.name)
        info = {
            "software": SOFTWARE,
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "hostname": platform.node(),
            **self.info,
        }
        warcinfo = self._builder.create_warcinfo_record(self.name, info)
        member = self._member(warcinfo)
        self.file.write(member)
        self._index({"type": "warcinfo", "offset": 0, "length": len(member),
                     "id": warcinfo.rec_headers.get_header("WARC-Record-ID")})  # fmt: skip
        return self.file

    def _index(self, line: dict[str, Any]) -> None:
        self.index.write(json.dumps(line, ensure_ascii=False) + "\n")

    def write(self, exchange: Exchange, previous: CaptureRef | None = None) -> CaptureRef:
        """Write a fetch; a revisit if ``previous`` (the URL's last capture) has
        the same payload digest. Its reference, for the records read from it."""
        out = self._open()
        digest = payload_digest(exchange.body)
        date = warc_date(exchange.fetched_at)
        record_id, request_id, metadata_id = _record_id(), _record_id(), _record_id()
        status_line = f"HTTP/1.1 {exchange.status} {_reason(exchange.status)}"
        kept = [(k, v) for k, v in exchange.response_headers if k.lower() not in _DROPPED_HEADERS]
        head = _http_head(status_line, kept)
        fields = [("WARC-Type", "response"), ("WARC-Record-ID", record_id), ("WARC-Date", date),
                  ("WARC-Target-URI", exchange.url)]  # fmt: skip
        if exchange.ip_address:
            fields.append(("WARC-IP-Address", exchange.ip_address))
        original = None
        if previous is not None and previous.payload_digest == digest:
            original = previous.original or previous
            fields[0] = ("WARC-Type", "revisit")
            fields += [("WARC-Profile", REVISIT_PROFILE), ("WARC-Refers-To", original.record_id),
                       ("WARC-Refers-To-Target-URI", original.url),
                       ("WARC-Refers-To-Date", warc_date(original.fetched_at)),
                       ("WARC-Payload-Digest", digest)]  # fmt: skip
            blocks: tuple[bytes, ...] = (head,)  # the headers alone
        else:
            fields.append(("WARC-Payload-Digest", digest))
            blocks = (head, exchange.body)
        response = self._record(fields, HTTP_RESPONSE, blocks)
        related = [("WARC-Date", date), ("WARC-Target-URI", exchange.url),
                   ("WARC-Concurrent-To", record_id)]  # fmt: skip
        request_line = f"{exchange.method} {_target(exchange.url)} HTTP/1.1"
        asked = self._record(
            [("WARC-Type", "request"), ("WARC-Record-ID", request_id), *related],
            HTTP_REQUEST, (_http_head(request_line, _with_host(exchange)),),
        )  # fmt: skip
        context = json.dumps(exchange.context, ensure_ascii=False, sort_keys=True).encode()
        told = self._record(
            [("WARC-Type", "metadata"), ("WARC-Record-ID", metadata_id), *related],
            CONTEXT_TYPE, (context,),
        )  # fmt: skip
        offset = out.tell()
        out.write(response + asked + told)
        # Whole records on disk (the OS's cache) before anything refers to them.
        out.flush()
        request_at, metadata_at = offset + len(response), offset + len(response) + len(asked)
        self._index({
            "type": "revisit" if original else "response", "offset": offset,
            "length": len(response), "id": record_id, "url": exchange.url, "date": date,
            "status": exchange.status, "digest": digest,
            "refers_to": original.record_id if original else None,
        })  # fmt: skip
        self._index({"type": "request", "offset": request_at, "length": len(asked),
                     "id": request_id, "to": record_id})  # fmt: skip
        self._index({"type": "metadata", "offset": metadata_at, "length": len(told),
                     "id": metadata_id, "to": record_id, "context": exchange.context})  # fmt: skip
        return CaptureRef(
            record_id=record_id, url=exchange.url, warc_file=self.name, offset=offset,
            length=len(response), record_type="revisit" if original else "response",
            payload_digest=digest, status=exchange.status,
            fetched_at=exchange.fetched_at, original=original,
        )  # fmt: skip

    def _record(
        self, fields: list[tuple[str, str]], content_type: str, blocks: tuple[bytes, ...]
    ) -> bytes:
        """A WARC/1.1 record as one gzip member. Built here rather than by warcio's
        record builder, whose Python took 0.3 ms a page on the crawl's event
        loop (warcio writes the warcinfo record, and reads all). No block
        digest (optional in WARC/1.1): a response's payload digest, which
        revisits and `warcio check` use, is its body's; a second SHA-1 over
        the same bytes cost a sixth of a capture's time."""
        length = sum(len(block) for block in blocks)
        head = "".join(
            f"{name}: {value}\r\n"
            for name, value in (
                *fields,
                ("Content-Type", content_type),
                ("Content-Length", str(length)),
            )
        )
        compressor = _compressor(self.gzip_level, length)
        parts = [compressor.compress(f"WARC/1.1\r\n{head}\r\n".encode())]
        parts += [compressor.compress(block) for block in blocks]
        parts += [compressor.compress(b"\r\n\r\n"), compressor.flush()]
        return b"".join(parts)

    def close(self) -> None:
        if self.file is not None:
            size = self.file.tell()
            self.file.close()
            self.file = None
            # The index is whole once it says the size of the file it indexes.
            self._index({"size": size})
            self.index.close()
            path = self.directory / self.name
            _partial_index(path).replace(index_path(path))


def index_path(path: Path) -> Path:
    """Where a WARC file's index is."""
    return path.with_name(path.name + INDEX_SUFFIX)


def _partial_index(path: Path) -> Path:
    return path.with_name(f".{path.name}{INDEX_SUFFIX}.partial")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _compressor(level: int, length: int) -> Any:
    """A gzip member's compressor: ISA-L's where installed (a 57 KB page in
    0.03 ms to 5.3 KB, where zlib's level 1 takes 0.11 ms to 5.4 KB), else zlib's."""
    if _isal_zlib is not None:
        return _isal_zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    # A request's or metadata record's few hundred bytes need no 32 KB window:
    # setting one up cost ten times the compressing (24 µs against 2.5).
    window, memory = (zlib.MAX_WBITS, 8) if length > SMALL_RECORD else (9, 1)
    return zlib.compressobj(level, zlib.DEFLATED, window | 16, memory)


def _record_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def _http_head(first_line: str, headers: list[tuple[str, str]]) -> bytes:
    """An HTTP message's head: its first line and headers, then the blank line.
    Header values came as Latin-1 (Scrapy's bytes, decoded so): so they go back."""
    lines = [first_line, *(f"{name}: {value}" for name, value in headers), "", ""]
    return "\r\n".join(lines).encode("latin-1", errors="replace")


def _target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _with_host(exchange: Exchange) -> list[tuple[str, str]]:
    """The request's headers, with the Host the HTTP client sends added."""
    headers = list(exchange.request_headers)
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ("Host", urlsplit(exchange.url).netloc))
    return headers


# -- reading -----------------------------------------------------------------------


@dataclass(frozen=True)
class StoredResponse:
    """A response or revisit record as a WARC file holds it."""

    record_id: str
    record_type: str  # response | revisit
    url: str
    fetched_at: dt.datetime
    status: int
    status_line: str  # "HTTP/1.1 200 OK"
    headers: list[tuple[str, str]]
    body: bytes  # the payload as stored (in its Content-Encoding); b"" for a revisit
    payload_digest: str
    refers_to: str | None = None  # a revisit's original (WARC-Refers-To)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def read_record(path: Path, offset: int, handle: BinaryIO | None = None) -> StoredResponse:
    """The response or revisit record at offset in a WARC file (read through
    ``handle``, the file open, if given)."""
    try:
        with contextlib.nullcontext(handle) if handle else path.open("rb") as source:
            source.seek(offset)
            record = next(iter(ArchiveIterator(source)))
            if record.rec_type not in ("response", "revisit"):
                raise MfaArchiveError(f"{path} at {offset} is a {record.rec_type} record")
            return _stored(record)
    except FileNotFoundError as exc:
        raise MfaArchiveError(f"no WARC file {path}") from exc
    except (OSError, StopIteration, ValueError) as exc:
        raise MfaArchiveError(f"cannot read a record of {path} at {offset}: {exc!r}") from exc


def _stored(record: Any) -> StoredResponse:
    headers = record.rec_headers
    http = record.http_headers
    body = record.raw_stream.read() if record.rec_type == "response" else b""
    return StoredResponse(
        record_id=headers.get_header("WARC-Record-ID"),
        record_type=record.rec_type,
        url=headers.get_header("WARC-Target-URI"),
        fetched_at=parse_warc_date(headers.get_header("WARC-Date")),
        status=int(http.get_statuscode()),
        status_line=f"{http.protocol} {http.statusline}".strip(),
        headers=list(http.headers),
        body=body,
        payload_digest=headers.get_header("WARC-Payload-Digest") or "",
        refers_to=headers.get_header("WARC-Refers-To"),
    )


def read_capture(
    directory: Path, capture: CaptureRef, handles: Mapping[str, BinaryIO] | None = None
) -> StoredResponse:
    """A capture's response, a revisit's with its original's payload (through
    ``handles``, the files open by name, where given)."""
    handles = handles or {}
    stored = read_record(directory / capture.warc_file, capture.offset,
                         handles.get(capture.warc_file))  # fmt: skip
    if stored.record_type == "revisit" and capture.original is not None:
        original = read_record(directory / capture.original.warc_file, capture.original.offset,
                               handles.get(capture.original.warc_file))  # fmt: skip
        stored = _with_body(stored, original.body)
    return stored


def _with_body(revisit: StoredResponse, body: bytes) -> StoredResponse:
    return StoredResponse(**{**revisit.__dict__, "body": body})


# -- indexing ------------------------------------------------------------------------


@dataclass(slots=True)
class IndexEntry:
    """A response or revisit record of a WARC file, with the fetch's context."""

    warc_file: str
    offset: int
    length: int
    record_id: str
    record_type: str
    url: str
    fetched_at: dt.datetime
    status: int
    payload_digest: str
    refers_to: str | None
    # What the crawl made of the fetch, as far as choosing captures needs it;
    # the whole context is read again from its metadata record when needed
    # (CaptureIndex.context): an index of 100,000 captures held 100 MB of it.
    kind: str = "other"  # "article", "listing" or "other" (robots.txt)
    site: str | None = None
    lang: str | None = None
    layout: str | None = None
    page: int | None = None  # a listing page's number
    listed: str | None = None  # an article's listed URL, when a redirect led to ``url``
    context_offset: int = -1  # of the metadata record

    @property
    def listed_url(self) -> str:
        """The URL the listing gave (an article's), else the URL fetched."""
        return self.listed or self.url

    def attach(self, context: dict[str, Any], offset: int) -> None:
        """Take what choosing needs from the fetch's context (its metadata record, at offset)."""
        self.kind = sys.intern(str(context.get("kind", "other")))
        for name in ("site", "lang", "layout"):
            if isinstance(value := context.get(name), str):
                setattr(self, name, sys.intern(value))
        self.page = context.get("page")
        listed = (context.get("listing") or {}).get("url")
        self.listed = listed if listed and listed != self.url else None
        self.context_offset = offset

    def ref(self, original: CaptureRef | None = None) -> CaptureRef:
        return CaptureRef(
            record_id=self.record_id, url=self.url, warc_file=self.warc_file,
            offset=self.offset, length=self.length, record_type=self.record_type,
            payload_digest=self.payload_digest, status=self.status,
            fetched_at=self.fetched_at, original=original,
        )  # fmt: skip


@dataclass(slots=True)
class RecordSpan:
    """Where any record of a file is: what pruning copies."""

    record_type: str
    offset: int
    length: int
    record_id: str
    concurrent_to: str | None
    context: Any = None  # while scanning: the record's entry or fetch context


@dataclass
class FileIndex:
    name: str
    size: int
    records: list[RecordSpan] = field(default_factory=list)
    captures: list[IndexEntry] = field(default_factory=list)
    complete: bool = True  # False: it ends in a record cut short (a killed crawl)


def warc_files(directory: Path) -> list[Path]:
    """The directory's WARC files, oldest run first (the names sort so)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.name.endswith(SUFFIX) and p.is_file())


def scan_file(path: Path, *, spans: bool = True) -> FileIndex:
    """Every record of a WARC file (``records``, unless not ``spans``: only
    pruning and statistics need them), and its captures with their context:
    from the file's index when it has a whole one, else read from the file.
    A file that ends in a record cut short (a killed crawl) is read up to it."""
    size = path.stat().st_size
    indexed = _read_index(path, size, spans=spans)
    if indexed is not None:
        return indexed
    index = FileIndex(path.name, size)
    by_id: dict[str, IndexEntry] = {}
    last: RecordSpan | None = None
    with path.open("rb") as handle:
        records = ArchiveIterator(handle)
        iterator = iter(records)
        while True:
            try:
                record = next(iterator)
                last = _span(records, record)
            except StopIteration:
                break
            except Exception:  # what a cut record makes warcio raise varies
                index.complete = False
                break
            if spans:
                index.records.append(last)
            if isinstance(last.context, IndexEntry):
                last.context.warc_file = index.name
                last.context.offset, last.context.length = last.offset, last.length
                index.captures.append(last.context)
                by_id[last.record_id] = last.context
            elif last.context is not None and last.concurrent_to in by_id:
                by_id[last.concurrent_to].attach(json.loads(last.context), last.offset)
            last.context = None
        if last is not None and not _whole_member(handle, last):
            # The file ends inside a gzip member (a crawl killed mid-write): that
            # record is not one, and its fetch not a capture.
            index.complete = False
            index.records = [span for span in index.records if span is not last]
            index.captures = [e for e in index.captures if e.record_id != last.record_id]
    return index


def _read_index(path: Path, size: int, *, spans: bool) -> FileIndex | None:
    """The file's index as its writer left it, read line by line; None if it
    has none, or one not of this file as it is (cut short, or rewritten since)."""
    index = FileIndex(path.name, size)
    by_id: dict[str, IndexEntry] = {}
    whole = False
    try:
        with index_path(path).open(encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                if "size" in record:  # the last line: the size of the file it indexes
                    whole = record["size"] == size
                    break
                _index_line(index, by_id, record, spans=spans)
    except (OSError, ValueError, KeyError):
        return None
    return index if whole else None


def _index_line(
    index: FileIndex, by_id: dict[str, IndexEntry], record: dict[str, Any], *, spans: bool
) -> None:
    kind = record["type"]
    if spans:
        index.records.append(RecordSpan(sys.intern(kind), record["offset"], record["length"],
                                        record["id"], record.get("to")))  # fmt: skip
    if kind in ("response", "revisit"):
        entry = IndexEntry(index.name, record["offset"], record["length"], record["id"],
                           sys.intern(kind), record["url"], parse_warc_date(record["date"]),
                           record["status"], record["digest"], record["refers_to"])  # fmt: skip
        index.captures.append(entry)
        by_id[entry.record_id] = entry
    elif kind == "metadata" and record.get("to") in by_id:
        by_id[record["to"]].attach(record["context"], record["offset"])


def _whole_member(handle: BinaryIO, span: RecordSpan) -> bool:
    """Whether a record's bytes are a whole gzip member (warcio reads a cut one
    without a word)."""
    if span.record_type is None:
        return False
    handle.seek(span.offset)
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        decompressor.decompress(handle.read(span.length))
    except zlib.error:
        return False
    return decompressor.eof


def _span(records: ArchiveIterator, record: Any) -> RecordSpan:
    """Where a record is, read to its end; with its entry (a response or
    revisit) or its context (a metadata record) in ``context`` for the caller."""
    headers = record.rec_headers
    found: IndexEntry | bytes | None = None
    if record.rec_type == "metadata" and record.content_type == CONTEXT_TYPE:
        found = record.raw_stream.read()
    elif record.rec_type in ("response", "revisit"):
        found = IndexEntry(
            "", 0, 0, headers.get_header("WARC-Record-ID"), record.rec_type,
            headers.get_header("WARC-Target-URI"),
            parse_warc_date(headers.get_header("WARC-Date")),
            int(record.http_headers.get_statuscode()),
            headers.get_header("WARC-Payload-Digest") or "",
            headers.get_header("WARC-Refers-To"),
        )  # fmt: skip
    records.read_to_end(record)
    if getattr(record.raw_stream, "limit", 0) > 0:  # the file ended inside the record
        raise EOFError(f"record {headers.get_header('WARC-Record-ID')} is cut short")
    span = RecordSpan(record.rec_type, records.get_record_offset(), records.get_record_length(),
                      headers.get_header("WARC-Record-ID"),
                      headers.get_header("WARC-Concurrent-To"))  # fmt: skip
    span.context = found
    return span


def scan(directory: Path, *, spans: bool = True) -> Iterator[FileIndex]:
    """Each WARC file of the directory, indexed, oldest first."""
    for path in warc_files(directory):
        yield scan_file(path, spans=spans)


@dataclass
class CaptureIndex:
    """The captures of a WARC directory: each entry in file order, and where
    each payload is (a revisit's original, by record id)."""

    directory: Path
    entries: list[IndexEntry]
    by_record: dict[str, IndexEntry]
    handles: dict[str, BinaryIO] = field(default_factory=dict)  # files open for reading

    @classmethod
    def of(cls, directory: Path) -> CaptureIndex:
        entries = [entry for file in scan(directory, spans=False) for entry in file.captures]
        return cls(directory, entries, {entry.record_id: entry for entry in entries})

    def ref(self, entry: IndexEntry) -> CaptureRef:
        """The entry's reference, with its original if it is a revisit (and kept)."""
        original = self.by_record.get(entry.refers_to) if entry.refers_to else None
        return entry.ref(original.ref() if original is not None else None)

    def _handle(self, name: str) -> BinaryIO:
        if name not in self.handles:
            self.handles[name] = (self.directory / name).open("rb")
        return self.handles[name]

    def read(self, entry: IndexEntry) -> StoredResponse:
        ref = self.ref(entry)
        for name in {ref.warc_file, *([ref.original.warc_file] if ref.original else [])}:
            self._handle(name)
        return read_capture(self.directory, ref, self.handles)

    def context(self, entry: IndexEntry) -> dict[str, Any]:
        """The fetch's whole context (WarcWriter.write's), from its metadata record."""
        if entry.context_offset < 0:
            return {}
        handle = self._handle(entry.warc_file)
        handle.seek(entry.context_offset)
        record = next(iter(ArchiveIterator(handle)))
        return json.loads(record.raw_stream.read())  # type: ignore[no-any-return]

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()
        self.handles.clear()

    def newest(self, entries: list[IndexEntry]) -> dict[str, IndexEntry]:
        """The newest of entries for each URL (fetch time, then file order)."""
        newest: dict[str, IndexEntry] = {}
        for entry in entries:
            if entry.url not in newest or entry.fetched_at >= newest[entry.url].fetched_at:
                newest[entry.url] = entry
        return newest


# -- pruning ----------------------------------------------------------------------------


@dataclass
class PrunePlan:
    """What pruning a WARC directory dropped, and where the kept captures moved."""

    files_rewritten: int = 0
    captures_kept: int = 0
    captures_dropped: int = 0
    records_dropped: int = 0
    bytes_dropped: int = 0
    moved: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # id: file, offset, length
    dropped_referenced: set[str] = field(default_factory=set)  # dropped, yet in the archive


def prune_directory(
    directory: Path,
    references: Mapping[str, set[str]],
    *,
    rejects: bool = False,
    dry_run: bool = False,
) -> PrunePlan:
    """Rewrite the WARC files without the captures no longer needed.

    Kept: every capture a source or revision was read from (``references``:
    storage.captures.capture_references), the original of every kept revisit,
    and the newest capture of each URL (a listing page's, robots.txt's)
    unless it is a reject's and ``rejects`` is set. Dropped: the rest, that
    is superseded fetches, and with ``rejects`` the captures of rejected
    pages. A fetch's request and metadata records go with its response; the
    records kept are copied byte for byte (each is its own gzip member).
    """
    files = list(scan(directory))
    entries = [entry for file in files for entry in file.captures]
    newest = CaptureIndex(directory, entries, {}).newest(entries)
    keep: set[str] = set()
    for entry in entries:
        kinds = references.get(entry.record_id, set())
        if kinds & {"source", "revision", "original"}:
            keep.add(entry.record_id)
        elif "reject" in kinds:
            if not rejects:
                keep.add(entry.record_id)
        elif newest[entry.url] is entry:
            keep.add(entry.record_id)
    keep |= {entry.refers_to for entry in entries if entry.record_id in keep and entry.refers_to}
    plan = PrunePlan()
    for file in files:
        dropped = [entry for entry in file.captures if entry.record_id not in keep]
        plan.captures_kept += len(file.captures) - len(dropped)
        if not dropped:
            continue
        plan.captures_dropped += len(dropped)
        plan.dropped_referenced |= {e.record_id for e in dropped if e.record_id in references}
        plan.files_rewritten += 1
        kept_spans = [
            span for span in file.records
            if span.record_type == "warcinfo" or span.record_id in keep or span.concurrent_to in keep
        ]  # fmt: skip
        plan.records_dropped += len(file.records) - len(kept_spans)
        kept_bytes = sum(span.length for span in kept_spans)
        plan.bytes_dropped += file.size - kept_bytes
        if not dry_run:
            plan.moved |= _rewrite(directory / file.name, kept_spans)
    return plan


def _rewrite(path: Path, spans: list[RecordSpan]) -> dict[str, tuple[str, int, int]]:
    """Write the spans' records into a new file that replaces path; their new places."""
    moved: dict[str, tuple[str, int, int]] = {}
    if all(span.record_type == "warcinfo" for span in spans):
        path.unlink()
        index_path(path).unlink(missing_ok=True)
        return moved
    index_path(path).unlink(missing_ok=True)  # of the file as it was: the next scan reads it
    partial = path.with_name(f".{path.name}.pruning")
    with path.open("rb") as source, partial.open("wb") as target:
        for span in spans:
            source.seek(span.offset)
            if span.record_type in ("response", "revisit"):
                moved[span.record_id] = (path.name, target.tell(), span.length)
            target.write(source.read(span.length))
    partial.replace(path)
    return moved
