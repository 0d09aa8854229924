"""Finding a data set's file through its environment variable, and checking it is the
published one: what the real pen digits' readers (pendigits, unipen) share.

    path = find_file("UNIPEN_DATA_DIR", ("x.jsonl.gz", "x.jsonl"), "UNIPEN's pen digits", fix)
    check_published(content, path, size=10_359_789, md5="68f0…", what="UNIPEN's digits file")
    digits = read_once(_cache, path, _read_file)      # parsed once per process and path
    reason = unavailable(load_unipen)                 # the error's sentence, or None
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, MutableMapping, Sequence
from pathlib import Path
from typing import TypeVar

from mnist_core.errors import DataCorruptError, DataNotFoundError

__all__ = ["check_published", "find_file", "read_once", "unavailable"]

Read = TypeVar("Read")
_read_lock = threading.Lock()  # one file read at a time: threads waiting for it share it


def find_file(variable: str, names: Sequence[str], what: str, fix: str) -> Path:
    """The first of `names` in the folder $`variable` names.

    Args:
        what: the data, for the message ("The real pen digits were not found: …").
        fix: a sentence saying what to set, ending the message.
    Raises:
        DataNotFoundError: the variable is unset, its folder missing, or none of the files
            there (the message says which, and `fix`).
    """
    value = os.environ.get(variable, "").strip()
    if not value:
        raise DataNotFoundError(f"{what} were not found: ${variable} is not set. {fix}")
    folder = Path(value).expanduser().resolve()
    if not folder.is_dir():
        raise DataNotFoundError(f"{what} were not found: ${variable}={value} is not a folder. "
                                f"{fix}")
    for name in names:
        if (folder / name).is_file():
            return folder / name
    listed = f"no {names[0]}" if len(names) == 1 else \
        "neither " + ", ".join(names[:-1]) + f" nor {names[-1]}"
    raise DataNotFoundError(f"{what} were not found: {folder} holds {listed}. {fix}")


def check_published(content: bytes, path: Path, *, size: int, md5: str, what: str) -> None:
    """Raise DataCorruptError unless `content` (a file's text, gunzipped) has the published
    `size` and `md5`; `what` names the file in the message ("The pen digits file")."""
    if len(content) != size:
        raise DataCorruptError(
            f"{what} {path} is the wrong size: expected {size:,} bytes of text, received "
            f"{len(content):,} (truncated or not this file).")
    actual = hashlib.md5(content).hexdigest()
    if actual != md5:
        raise DataCorruptError(
            f"{what} {path} fails its checksum: expected MD5 {md5} of its text, received "
            f"{actual}. The file is damaged or not the published one.")


def read_once(cache: MutableMapping[Path, Read], path: Path,
              read: Callable[[Path], Read]) -> Read:
    """`read(path)`, kept in `cache` by path: parsed once per process (per file, should the
    variable change), and shared by every caller and thread."""
    with _read_lock:
        if path not in cache:
            cache[path] = read(path)
        return cache[path]


def unavailable(load: Callable[[], object]) -> str | None:
    """Why `load()` cannot find or read its data here (its DataNotFoundError's or
    DataCorruptError's sentence), or None when it can."""
    try:
        load()
    except (DataNotFoundError, DataCorruptError) as error:
        return str(error)
    return None
