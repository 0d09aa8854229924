"""UNIPEN's real pen digits: 15,445 isolated digits by 256 writers from 17 sites (category 1a).

The file `unipen-1a-digits.jsonl.gz` (UNIPEN train_r01_v07, CC BY 4.0; I. Guyon, L. Schomaker,
R. Plamondon, M. Liberman and S. Janet, ICPR 1994) holds one digit a line:

    {"writer": "ced-007", "source": "ced", "label": 4, "checked": true,
     "strokes": [[[x, y], [x, y], ...], ...]}

read here as the same `PenDigit` as the UCI pendigits file's (mnist_core.data.pendigits), so
drawing on the canvas and varying shapes work the same for both: points in the tablet's own
units, y upwards (each digit is scaled by its own box and smoothed when drawn, which the
coarsely sampled Apple sources need). `writer` is the file's pseudonym ("ced-007"), `source`
the site, `checked` whether the site verified the label.

    load_unipen()     every digit, read from $UNIPEN_DATA_DIR, verified, cached per process
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mnist_core.data import files
from mnist_core.data.mnist import UNREADABLE, read_maybe_gzipped
from mnist_core.data.pendigits import PenDigit
from mnist_core.errors import DataCorruptError

__all__ = ["DATA_DIR_ENV", "DIGIT_COUNT", "WRITER_COUNT", "load_unipen", "unavailable"]

DATA_DIR_ENV = "UNIPEN_DATA_DIR"
FILE_NAME = "unipen-1a-digits.jsonl.gz"
# Published with the data (shared/data/unipen/README.md): the gunzipped text.
TEXT_SIZE = 10_359_789
TEXT_MD5 = "68f002f4c8f3a3ca59f5c7157b3d7531"
DIGIT_COUNT = 15_445
WRITER_COUNT = 256

_cache: dict[Path, tuple[PenDigit, ...]] = {}


def unavailable() -> str | None:
    """Why UNIPEN's digits cannot be used here (`load_unipen`'s error's sentence), or None."""
    return files.unavailable(load_unipen)


def load_unipen() -> tuple[PenDigit, ...]:
    """All 15,445 digits, in file order, cached per process.

    The file is `unipen-1a-digits.jsonl.gz` (or the gunzipped `unipen-1a-digits.jsonl`) in the
    folder named by $UNIPEN_DATA_DIR; its text is checked against the published size and MD5.

    Returns:
        A tuple of PenDigit (`number` is the digit's place among its writer's, `index` its
        line, from 0), shared by every caller: its arrays are read-only.
    Raises:
        DataNotFoundError: the variable is unset, or its folder or the file is missing.
        DataCorruptError: the file is truncated, malformed (the message names the line) or
            fails its checksum.
    """
    return files.read_once(_cache, _find_file(), _read_file)


def _find_file() -> Path:
    return files.find_file(DATA_DIR_ENV, (FILE_NAME, FILE_NAME.removesuffix(".gz")),
                     "UNIPEN's pen digits",
                     f"Set {DATA_DIR_ENV} to the folder holding {FILE_NAME} (UNIPEN 1a digits), "
                     f"for example `export {DATA_DIR_ENV}=../shared/data/unipen`.")


def _read_file(path: Path) -> tuple[PenDigit, ...]:
    try:
        content = read_maybe_gzipped(path)
    except UNREADABLE as error:
        raise DataCorruptError(f"Cannot read UNIPEN's digits file {path}: {error} "
                               "(truncated or not a gzip file).") from error
    # Parse first: a line-level message says more than a checksum, which then catches what
    # parses but is not the published file.
    digits = _parse(content, path)
    files.check_published(content, path, size=TEXT_SIZE, md5=TEXT_MD5, what="UNIPEN's digits file")
    return digits


def _parse(content: bytes, path: Path) -> tuple[PenDigit, ...]:
    digits: list[PenDigit] = []
    per_writer: dict[str, int] = {}
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            digit = _digit(row, len(digits), per_writer)
        except (ValueError, TypeError, KeyError) as error:
            raise DataCorruptError(
                f"UNIPEN's digits file {path} is malformed at line {number}: {error}. "
                f"Received: {line[:60]!r}") from error
        digits.append(digit)
    if not digits:
        raise DataCorruptError(f"UNIPEN's digits file {path} holds no digits.")
    return tuple(digits)


def _digit(row: object, index: int, per_writer: dict[str, int]) -> PenDigit:
    """One line's digit; ValueError, TypeError or KeyError saying what is wrong."""
    if not isinstance(row, dict):
        raise TypeError("expected a JSON object")
    label, writer, source = row["label"], row["writer"], row["source"]
    if type(label) is not int or not 0 <= label <= 9:
        raise ValueError(f"expected a label from 0 to 9, got {label!r}")
    if not (isinstance(writer, str) and isinstance(source, str) and writer and source):
        raise ValueError("expected a writer and a source as text")
    if not isinstance(row["checked"], bool):
        raise ValueError("expected 'checked' true or false")
    strokes = []
    for stroke in row["strokes"]:
        points = np.asarray(stroke, np.float32)
        if points.ndim != 2 or points.shape[1] != 2 or not len(points):
            raise ValueError("expected each stroke as a list of [x, y] points")
        if not np.isfinite(points).all():
            raise ValueError("expected finite point coordinates")
        points.flags.writeable = False
        strokes.append(points)
    if not strokes:
        raise ValueError("expected at least one stroke")
    number = per_writer.get(writer, 0)
    per_writer[writer] = number + 1
    return PenDigit(label, writer, number, index, tuple(strokes), source=source,
                    checked=row["checked"])
