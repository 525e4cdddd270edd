"""The views' column descriptions for Datasette, taken from docs/schema.md.

docs/schema.md is where a column's meaning is written; Datasette shows the
same words (without the Markdown backticks) from ``columns.json`` beside this
module, which ships in the package (docs/ does not). After editing a view's
table in docs/schema.md, regenerate it and review the diff::

    .venv/bin/python -m mfa_archive.browse.columns

tests/test_browse.py fails while the two disagree.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

COLUMNS_FILE = Path(__file__).with_name("columns.json")
SCHEMA_DOC = Path(__file__).resolve().parents[2] / "docs" / "schema.md"

# "### `documents_v`: one row per document", up to the next heading.
_VIEW = re.compile(r"^### `(\w+)`: .*?$(.*?)(?=^#)", re.S | re.M)


def parse(markdown: str) -> dict[str, dict[str, str]]:
    """Each view's columns and their meanings, from docs/schema.md's tables
    (a row may name several columns: "`first_seen`, `last_seen`")."""
    views: dict[str, dict[str, str]] = {}
    for view, section in _VIEW.findall(markdown):
        for line in section.splitlines():
            if not line.startswith("| `"):
                continue
            names, _type, meaning = (cell.strip() for cell in line.strip().strip("|").split("|"))
            for column in re.findall(r"`(\w+)`", names):
                views.setdefault(view, {})[column] = meaning.replace("`", "")
    return views


def render(views: dict[str, dict[str, str]]) -> str:
    return json.dumps(views, ensure_ascii=False, indent=2) + "\n"


def main() -> int:
    COLUMNS_FILE.write_text(render(parse(SCHEMA_DOC.read_text(encoding="utf-8"))), "utf-8")
    print(f"wrote {COLUMNS_FILE} from {SCHEMA_DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
