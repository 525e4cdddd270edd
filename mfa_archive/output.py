"""Where the command line writes: files replaced whole, and text safe for a terminal."""

from __future__ import annotations

import os
import stat
import sys
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from storage.errors import MfaArchiveError

STDOUT = Path("-")  # `--out -`: standard output, as Unix tools spell it


def check_output_path(path: Path) -> None:
    """Refuse, in one line, a path that cannot be replaced by a file: a
    directory, a device, a FIFO (as root, `--out /dev/null` would otherwise
    replace /dev/null), or a place the user cannot write."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise MfaArchiveError(f"cannot write {path}: {exc.strerror}") from exc
    if mode is not None and not stat.S_ISREG(mode):
        raise MfaArchiveError(f"cannot write {path}: it exists and is not a regular file")
    directory = path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)  # as `export --out data/x/y.jsonl` expects
    except OSError as exc:
        raise MfaArchiveError(f"cannot write {path}: {exc.strerror}: {directory}") from exc
    if not os.access(directory, os.W_OK | os.X_OK):
        raise MfaArchiveError(f"cannot write {path}: {directory} is not writable")


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Write path via a temporary file beside it, then rename: never half a file.
    The file gets the mode a new file gets under the user's umask (mkstemp's
    is 0600), as a shell redirect would give it."""
    check_output_path(path)
    try:
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as exc:
        raise MfaArchiveError(f"cannot write {path}: {exc.strerror}") from exc
    os.close(descriptor)
    try:
        write(Path(temporary))
        Path(temporary).chmod(0o666 & ~_umask())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text(path: Path | None, write: Callable[[TextIO], None]) -> None:
    """Write text to standard output (no path, or ``-``), or to path atomically."""
    if path is None or path == STDOUT:
        write(sys.stdout)
        return

    def write_file(temporary: Path) -> None:
        with temporary.open("w", encoding="utf-8", newline="") as handle:
            write(handle)

    write_atomically(path, write_file)


def _umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it
    os.umask(mask)
    return mask


def visible(text: str) -> str:
    """Text for a terminal: control and format characters (ESC, BEL, C1, bidi
    overrides and marks) as visible escapes, so stored text cannot drive the
    terminal or reorder what it shows. JSON output stays exact instead."""
    if text.isprintable():
        return text  # the common case
    return "".join(
        char if char == " " or unicodedata.category(char) not in {"Cc", "Cf", "Zl", "Zp"}
        else f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
        for char in text
    )  # fmt: skip
