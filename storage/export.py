"""Export formats beyond JSON lines (the CLI writes those): CSV and Parquet, each written as records stream by.

The records are storage.reports.export_records's; a writer holds one batch
at a time at most (Parquet: one row group), so exports of any size run in
constant memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

import pyarrow as pa
import pyarrow.parquet as pq

from storage.reports import EXPORT_FIELDS

# Parquet rows per row group: what the writer holds in memory. 1,000 rows of
# 2-5 KB documents: an export's peak RSS some 50 MB over a JSON-lines one
# (pyarrow itself is 30 of them); 5,000 made it 140 MB.
ROW_GROUP = 1_000

_TIMESTAMP = pa.timestamp("us", tz="UTC")
# Where the source's response is kept (storage.reports.capture_record); its time as text.
_CAPTURE = pa.struct([("warc_file", pa.string()), ("offset", pa.int64()), ("length", pa.int64()),
                      ("record_id", pa.string()), ("record_type", pa.string()),
                      ("payload_digest", pa.string()), ("status", pa.int32()),
                      ("fetched_at", pa.string())])  # fmt: skip
_SOURCE = pa.struct([("site", pa.string()), ("url", pa.string()), ("title", pa.string()),
                     ("match_rule", pa.string()), ("similarity", pa.float64()),
                     ("capture", _CAPTURE)])  # fmt: skip
PARQUET_SCHEMA = pa.schema([
    ("id", pa.int64()), ("lang", pa.string()), ("doc_number", pa.string()),
    ("title", pa.string()), ("category", pa.string()), ("published_on", pa.date32()),
    ("body", pa.string()), ("body_html", pa.string()), ("url", pa.string()),
    ("sources", pa.list_(_SOURCE)), ("release", pa.string()),
    ("translations", pa.list_(pa.struct([("lang", pa.string()), ("id", pa.int64())]))),
    ("content_hash", pa.string()), ("first_seen", _TIMESTAMP), ("last_seen", _TIMESTAMP),
    ("revisions", pa.int32()), ("last_changed", _TIMESTAMP),
])  # fmt: skip
assert PARQUET_SCHEMA.names == list(EXPORT_FIELDS)


def write_csv(records: Iterable[dict[str, Any]], out: TextIO) -> None:
    """One row per record; the list fields (sources, translations) as JSON."""
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for record in records:
        for name in ("sources", "translations"):
            record[name] = json.dumps(record[name], ensure_ascii=False)
        writer.writerow(record)


def write_parquet(records: Iterable[dict[str, Any]], path: Path) -> None:
    """A typed Parquet file (PARQUET_SCHEMA), a row group at a time."""
    with pq.ParquetWriter(path, PARQUET_SCHEMA, compression="zstd") as writer:
        for group in _batches(records, ROW_GROUP):
            columns = {name: [record[name] for record in group] for name in EXPORT_FIELDS}
            columns["published_on"] = [dt.date.fromisoformat(v) for v in columns["published_on"]]
            for name in ("first_seen", "last_seen", "last_changed"):
                columns[name] = [dt.datetime.fromisoformat(v) if v else None
                                 for v in columns[name]]  # fmt: skip
            writer.write_table(pa.Table.from_pydict(columns, schema=PARQUET_SCHEMA))


def _batches(records: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch
