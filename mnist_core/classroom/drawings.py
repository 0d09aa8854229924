"""The class's own drawings, each with the digit a person said it is, kept in SQLite.

    data/drawings.sqlite3        beside models/; $MNIST_DRAWINGS_DIR moves the folder

One row per drawing: the label a person gave, the 28x28 model input (uint8, white digit on
black, as `preprocess` made it), the original picture as PNG, what the model said at the time
(digit, confidence, which model), when, and where it came from ("canvas", "upload", "import").
The same drawing saved twice is one row (keyed by a hash of its model input); saving it again
with another label corrects the label.

One drawing in five is held out: never trained on, only scored, so every run can say how well
it reads *our* digits. The choice follows the hash, so a drawing never changes side and the
held-out set only grows.

Several browser sessions may write at once: the database uses SQLite's write-ahead log, each
write is one short transaction, and a writer waits up to 10 s for another. With
`synchronous=FULL` a write that has returned survives a crash or a power cut; a write cut off
halfway is rolled back when the database is next opened, so readers never see half of one.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import shutil
import sqlite3
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from mnist_core.errors import DrawingError, DrawingStoreError, EmptyDrawingError
from mnist_core.wording import a_digit

__all__ = [
    "DRAWINGS_DIR_ENV",
    "HELD_OUT_SHARE",
    "MIN_HELD_OUT",
    "DrawingCounts",
    "DrawingStore",
    "ImportReport",
    "SavedDrawing",
    "digest_of",
    "held_out_metrics",
]

DRAWINGS_DIR_ENV = "MNIST_DRAWINGS_DIR"
PROJECT_DATA_DIR = Path(__file__).resolve().parents[2] / "data"
FILE_NAME = "drawings.sqlite3"
HELD_OUT_SHARE = 5  # one drawing in this many is held out
MIN_HELD_OUT = 10  # fewer held-out drawings than this give no accuracy: one is 10 points
SOURCES = ("canvas", "upload", "import")
MAX_PICTURE_SIDE = 560  # px: originals are kept for people to look at, not for the model
_BUSY_TIMEOUT_S = 10.0
# Import limits: a class's drawings are hundreds; a zip far beyond these is a mistake or a bomb.
MAX_IMPORT_FILES = 20_000
MAX_IMPORT_FILE_BYTES = 10 * 1024 * 1024
MAX_IMPORT_TOTAL_BYTES = 500 * 1024 * 1024
MAX_IMPORT_ROWS = MAX_IMPORT_FILES  # rows of labels.csv: more rows than files is a mistake
MAX_IMPORT_SECONDS = 120.0  # s of reading pictures; a class's export takes a few
LABELS_FILE = "labels.csv"
EXPORT_COLUMNS = ("file", "label", "predicted", "confidence", "model", "created_at", "source",
                  "input_file", "hidden")
# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...)).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Under this much free space a failed write is the disk being full, whatever SQLite said
# ("disk I/O error" as often as "database or disk is full").
_FULL_DISK_BYTES = 16 * 1024 * 1024

# Version 1's tables, then what each later version adds; `_make_schema` runs what a file lacks.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS drawings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    label       INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
    predicted   INTEGER CHECK (predicted BETWEEN 0 AND 9),
    confidence  REAL CHECK (confidence BETWEEN 0 AND 1),
    model       TEXT,
    created_at  TEXT NOT NULL,
    source      TEXT NOT NULL,
    held_out    INTEGER NOT NULL CHECK (held_out IN (0, 1)),
    digest      TEXT NOT NULL UNIQUE,
    model_input BLOB NOT NULL CHECK (length(model_input) = 784),
    image_png   BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS drawings_by_label ON drawings (label, id);
CREATE TABLE IF NOT EXISTS changes (id INTEGER PRIMARY KEY CHECK (id = 1), count INTEGER);
INSERT OR IGNORE INTO changes VALUES (1, 0);
"""
# Version 2: the teacher can hide a drawing from the projector.
_SCHEMA_2 = "ALTER TABLE drawings ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0 " \
            "CHECK (hidden IN (0, 1))"
_SCHEMA_VERSION = 2  # PRAGMA user_version of a database `_make_schema` has brought up to date
_COLUMNS = ("id, label, predicted, confidence, model, created_at, source, held_out, "
            "model_input, hidden")
_INSERT = ("INSERT INTO drawings (label, predicted, confidence, model, created_at, source,"
           " held_out, digest, model_input, image_png, hidden) VALUES (?,?,?,?,?,?,?,?,?,?,?)")


@dataclass(frozen=True)
class SavedDrawing:
    """One saved drawing (without its PNG: `DrawingStore.image_png(id)` reads that).

    Attributes:
        id: the row's number, never reused.
        label: the digit a person said it is, 0-9.
        predicted, confidence: the model's answer when it was saved (None for imports without).
        model: the run id that gave that answer, or None.
        created_at: when it was saved, ISO 8601 UTC.
        source: "canvas", "upload" or "import".
        held_out: True for the drawings kept out of training to score models on.
        model_input: (28, 28) uint8 in [0, 255], white digit on black.
        hidden: True when the teacher hid it from the projector (it still trains and scores).
    """

    id: int
    label: int
    predicted: int | None
    confidence: float | None
    model: str | None
    created_at: str
    source: str
    held_out: bool
    model_input: np.ndarray
    hidden: bool = False

    @property
    def image(self) -> np.ndarray:
        """The model input as (28, 28) float32 in [0, 1], ready for `MlpWeights.predict`."""
        return self.model_input.astype(np.float32) / 255.0


@dataclass(frozen=True)
class DrawingCounts:
    """How many drawings are saved: `by_label[d]` of digit d, `held_out` of them kept out."""

    by_label: tuple[int, ...]
    held_out: int

    @property
    def total(self) -> int:
        """All saved drawings."""
        return sum(self.by_label)

    @property
    def for_training(self) -> int:
        """Drawings a run may train on (not held out)."""
        return self.total - self.held_out


@dataclass(frozen=True)
class ImportReport:
    """What an import did: drawings added, duplicates skipped, and one line per skipped file."""

    added: int
    duplicates: int
    problems: tuple[str, ...]


def digest_of(model_input: np.ndarray) -> str:
    """A drawing's identity: the SHA-256 of its model input as (28, 28) uint8 (hex)."""
    return _digest(_as_model_input(model_input))


def _digest(pixels: np.ndarray) -> str:
    """SHA-256 (hex) of (28, 28) uint8 pixels: the `digest` column."""
    return hashlib.sha256(pixels.tobytes()).hexdigest()


def _is_held_out(digest: str) -> bool:
    return int(digest[:8], 16) % HELD_OUT_SHARE == 0


def _as_model_input(image: np.ndarray) -> np.ndarray:
    """(28, 28) float in [0, 1] (what `preprocess` returns) or uint8 -> (28, 28) uint8."""
    image = np.asarray(image)
    if image.shape != (28, 28):
        raise DrawingError(f"Expected a (28, 28) model input. Received: shape={image.shape}")
    if image.dtype == np.uint8:
        return image.copy()
    if not np.issubdtype(image.dtype, np.floating) or not np.isfinite(image).all() \
            or image.min() < 0 or image.max() > 1:
        raise DrawingError("Expected a (28, 28) model input of floats in [0, 1] or uint8. "
                           f"Received: dtype={image.dtype}")
    return np.rint(image * 255).astype(np.uint8)


def _png(image: np.ndarray) -> bytes:
    """PNG bytes of an (H, W), (H, W, 3) RGB or (H, W, 4) RGBA uint8 image, shrunk to at most
    MAX_PICTURE_SIDE px on its longer side (a 12-megapixel photo would be 20 MB as PNG)."""
    scale = MAX_PICTURE_SIDE / max(image.shape[:2])
    if scale < 1:
        size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    if image.ndim == 3 and image.shape[2] == 4 and image[..., 3].min() == 255:
        image = image[..., :3]  # an opaque canvas: the same picture, and quicker to show
    if image.ndim == 3:
        code = cv2.COLOR_RGBA2BGRA if image.shape[2] == 4 else cv2.COLOR_RGB2BGR
        image = cv2.cvtColor(image, code)
    ok, encoded = cv2.imencode(".png", image)
    if not ok:
        raise DrawingError(f"Could not encode an image of shape {image.shape} as PNG.")
    return encoded.tobytes()


def _make_schema(connection: sqlite3.Connection) -> None:
    """Switch a new file to WAL and make the tables, or bring an older file's tables up to
    date; safe when several sessions open the file at the same moment (one immediate
    transaction, which reads the version again once it holds the write lock)."""
    # Switching the journal mode needs the file to itself, and SQLite answers "locked" at once
    # instead of waiting out the busy timeout (seen 1 time in 40 with 8 sessions saving their
    # first drawings together): wait for it here.
    deadline = time.monotonic() + _BUSY_TIMEOUT_S
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)
    connection.execute("BEGIN IMMEDIATE")
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version < 1:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                connection.execute(statement)
        if version < 2:
            connection.execute(_SCHEMA_2)
        connection.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class DrawingStore:
    """Saved drawings in `<folder>/drawings.sqlite3`, created on first use.

    `DrawingStore()` uses $MNIST_DRAWINGS_DIR, else the project's `data/` folder. Every method
    raises `DrawingStoreError` (with the path and what to do) when the database cannot be
    opened, read or written.
    """

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder or os.environ.get(DRAWINGS_DIR_ENV) or PROJECT_DATA_DIR)
        self.path = self.folder / FILE_NAME

    # -- connection -------------------------------------------------------------------------

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in autocommit mode, closed afterwards; see `_writing` for writes."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # Autocommit; writes take the write lock up front in `_writing`.
            connection = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S,
                                         isolation_level=None)
        except (OSError, sqlite3.Error) as error:
            raise DrawingStoreError(
                f"Cannot open the saved drawings at {self.path}: {error}. Make the folder "
                f"writable, or set {DRAWINGS_DIR_ENV} to a writable folder.") from error
        try:
            connection.execute("PRAGMA synchronous=FULL")
            # Made on first use; creating takes the write lock, so it is not redone on every
            # connection (pages make a store per rerun): the file says whether it has a schema.
            if connection.execute("PRAGMA user_version").fetchone()[0] < _SCHEMA_VERSION:
                _make_schema(connection)
            yield connection
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                raise DrawingStoreError(
                    f"The saved drawings are busy (another window has been writing for over "
                    f"{_BUSY_TIMEOUT_S:.0f} s). Try again.") from error
            raise DrawingStoreError(self._unusable(error)) from error
        except sqlite3.DatabaseError as error:
            raise DrawingStoreError(self._unusable(error)) from error
        finally:
            connection.close()

    def _unusable(self, error: Exception) -> str:
        """What to tell people when SQLite fails: a full disk, a damaged file, or neither.

        Only a file SQLite calls damaged is said to be: moving a healthy file away would lose
        every drawing since the last export."""
        text = str(error)
        if "full" in text or self._free_bytes() < _FULL_DISK_BYTES:
            return (f"The disk holding the saved drawings ({self.folder}) is full, so they "
                    "cannot be saved or read just now. Every drawing saved so far is safe: "
                    "free some space (delete old training runs on the Training runs page, or "
                    "other files on that disk), then try again.")
        if any(sign in text for sign in ("malformed", "not a database", "corrupt")):
            return (f"The file of saved drawings, {self.path}, is damaged ({text}): move it away "
                    "(a new, empty one is made) and import your last export.")
        return (f"The saved drawings at {self.path} cannot be read or written: {text}. Check "
                "that the folder is writable and its disk is connected; nothing saved so far "
                "has been deleted.")

    def _free_bytes(self) -> int:
        """Free space on the drawings' disk in bytes; a large number when it cannot be told."""
        try:
            return shutil.disk_usage(self.folder).free
        except OSError:
            return 2**62

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it is saved, or (on any error) none of it.

        BEGIN IMMEDIATE takes the write lock before reading, so a check-then-insert cannot
        race another session's; the change counter moves in the same transaction.
        """
        with self._connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
                connection.execute("UPDATE changes SET count = count + 1 WHERE id = 1")
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise

    # -- writing ----------------------------------------------------------------------------

    def add(self, label: int, model_input: np.ndarray, image: np.ndarray | bytes, *,
            predicted: int | None = None, confidence: float | None = None,
            model: str | None = None, source: str = "canvas",
            relabel: bool = True) -> tuple[int, str]:
        """Save a drawing with the digit a person says it is.

        Args:
            label: the right digit, 0-9.
            model_input: (28, 28) float in [0, 1] (what `preprocess` returns) or uint8.
            image: the original picture: PNG bytes, or an (H, W[, 3|4]) uint8 array.
            predicted, confidence, model: the model's answer at the time, and its run id.
            source: "canvas", "upload" or "import".
            relabel: whether a drawing saved before with another label takes this one. With
                False it keeps its label (someone else saved it; only they or the teacher
                may change it).
        Returns:
            `(id, what)`: what is "added", "relabelled" (this drawing was saved before with
            another label; the new one replaces it), "unchanged", or "kept" (saved before
            with another label, kept because `relabel` is False).
        Raises:
            ValueError: a label, prediction, confidence or source out of range.
            DrawingError: a model input of the wrong shape or values.
        """
        if not _is_digit(label):
            raise ValueError(f"Expected a label from 0 to 9. Received: {label!r}")
        if predicted is not None and not _is_digit(predicted):
            raise ValueError(f"Expected a predicted digit from 0 to 9. Received: {predicted!r}")
        if confidence is not None:
            if not -1e-6 <= confidence <= 1 + 1e-6:  # float32 softmax can overshoot by an ulp
                raise ValueError(f"Expected a confidence in [0, 1]. Received: {confidence!r}")
            confidence = min(max(float(confidence), 0.0), 1.0)
        if source not in SOURCES:
            raise ValueError(f"Expected a source in {SOURCES}. Received: {source!r}")
        pixels = _as_model_input(model_input)
        png = image if isinstance(image, bytes) else _png(np.asarray(image))
        digest = _digest(pixels)
        with self._writing() as connection:
            row = connection.execute("SELECT id, label FROM drawings WHERE digest = ?",
                                     (digest,)).fetchone()
            if row is not None:
                if row[1] == label:
                    return row[0], "unchanged"
                if not relabel:
                    return row[0], "kept"
                connection.execute("UPDATE drawings SET label = ? WHERE id = ?", (label, row[0]))
                return row[0], "relabelled"
            cursor = connection.execute(_INSERT, (
                int(label), None if predicted is None else int(predicted), confidence, model,
                _now(), source, int(_is_held_out(digest)), digest, pixels.tobytes(), png, 0))
            return cursor.lastrowid, "added"

    def find(self, model_input: np.ndarray) -> SavedDrawing | None:
        """The saved drawing with exactly this model input, or None: what `add` would
        relabel or leave unchanged.

        Raises:
            DrawingError: a model input of the wrong shape or values.
        """
        digest = _digest(_as_model_input(model_input))
        with self._connect() as connection:
            row = connection.execute(f"SELECT {_COLUMNS} FROM drawings WHERE digest = ?",
                                     (digest,)).fetchone()
        return None if row is None else _drawing(row)

    def relabel(self, drawing_id: int, label: int) -> None:
        """Give a saved drawing another digit (to take back a correction).

        Raises:
            ValueError: a label out of range.
            DrawingStoreError: no drawing with that id (perhaps deleted in another window).
        """
        if not _is_digit(label):
            raise ValueError(f"Expected a label from 0 to 9. Received: {label!r}")
        with self._writing() as connection:
            changed = connection.execute("UPDATE drawings SET label = ? WHERE id = ?",
                                         (int(label), int(drawing_id))).rowcount
            if not changed:
                raise DrawingStoreError(_gone(drawing_id))

    def delete(self, drawing_id: int) -> None:
        """Remove one drawing.

        Raises:
            DrawingStoreError: no drawing with that id (perhaps deleted in another window).
        """
        with self._writing() as connection:
            deleted = connection.execute("DELETE FROM drawings WHERE id = ?",
                                         (int(drawing_id),)).rowcount
            if not deleted:
                raise DrawingStoreError(_gone(drawing_id))

    def hide(self, drawing_id: int, hidden: bool = True) -> None:
        """Hide a drawing from the projector (or show it again with `hidden=False`). It is
        still trained on, scored and listed on the My drawings page.

        Raises:
            DrawingStoreError: no drawing with that id (perhaps deleted in another window).
        """
        with self._writing() as connection:
            changed = connection.execute("UPDATE drawings SET hidden = ? WHERE id = ?",
                                         (int(bool(hidden)), int(drawing_id))).rowcount
            if not changed:
                raise DrawingStoreError(_gone(drawing_id))

    # -- reading ----------------------------------------------------------------------------

    def counts(self) -> DrawingCounts:
        """How many drawings of each digit are saved, and how many are held out."""
        by_label = [0] * 10
        with self._connect() as connection:
            for label, count in connection.execute(
                    "SELECT label, count(*) FROM drawings GROUP BY label"):
                by_label[label] = count
            held_out = connection.execute(
                "SELECT count(*) FROM drawings WHERE held_out = 1").fetchone()[0]
        return DrawingCounts(tuple(by_label), held_out)

    def version(self) -> int:
        """A number that changes with every add, relabel, delete and import (to key caches)."""
        with self._connect() as connection:
            return connection.execute("SELECT count FROM changes WHERE id = 1").fetchone()[0]

    def list(self, label: int | None = None, *, limit: int = 60,
             offset: int = 0) -> list[SavedDrawing]:
        """Saved drawings, newest first; only those of `label` if given."""
        where, arguments = ("WHERE label = ?", [int(label)]) if label is not None else ("", [])
        with self._connect() as connection:
            rows = connection.execute(
                f"SELECT {_COLUMNS} FROM drawings {where} ORDER BY id DESC LIMIT ? OFFSET ?",
                [*arguments, int(limit), int(offset)]).fetchall()
        return [_drawing(row) for row in rows]

    def get(self, drawing_id: int) -> SavedDrawing:
        """One drawing. Raises DrawingStoreError when there is none with that id."""
        return _drawing(self._row(_COLUMNS, drawing_id))

    def image_png(self, drawing_id: int) -> bytes:
        """The original picture of one drawing, as PNG bytes."""
        return self._row("image_png", drawing_id)[0]

    def _row(self, columns: str, drawing_id: int) -> tuple:
        """`columns` of one drawing; DrawingStoreError when there is none with that id."""
        with self._connect() as connection:
            row = connection.execute(f"SELECT {columns} FROM drawings WHERE id = ?",
                                     (int(drawing_id),)).fetchone()
        if row is None:
            raise DrawingStoreError(_gone(drawing_id))
        return row

    def dataset(self, *, held_out: bool) -> tuple[np.ndarray, np.ndarray]:
        """The drawings to train on (held_out=False) or to score on (held_out=True).

        Returns:
            (N, 28, 28) uint8 in [0, 255] white digits on black, and (N,) uint8 labels, in the
            order they were saved.
        """
        images, labels, _ = self.dataset_with_ids(held_out=held_out)
        return images, labels

    def dataset_with_ids(self, *, held_out: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`dataset`, and the (N,) int64 ids of its drawings, read together."""
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT model_input, label, id FROM drawings WHERE held_out = ? ORDER BY id",
                (int(held_out),)).fetchall()
        images = np.zeros((len(rows), 28, 28), np.uint8)
        labels = np.zeros(len(rows), np.uint8)
        ids = np.zeros(len(rows), np.int64)
        for index, (pixels, label, drawing_id) in enumerate(rows):
            images[index] = np.frombuffer(pixels, np.uint8).reshape(28, 28)
            labels[index] = label
            ids[index] = drawing_id
        return images, labels, ids

    # -- export and import ------------------------------------------------------------------

    def export_zip(self, ids: Iterable[int] | None = None) -> bytes:
        """Every drawing (or those of `ids`) as a zip: `drawings/<id>-<label>.png` (the
        original picture), `inputs/<id>-<label>.png` (the 28x28 model input) and `labels.csv`
        (one row per drawing: file, label, predicted, confidence, model, created_at, source,
        input_file, hidden). `import_zip` reads it back; so can any spreadsheet or script: a
        text cell a spreadsheet would run as a formula (an imported model name such as
        "=HYPERLINK(...)") is written with a leading apostrophe, as text."""
        buffer = io.BytesIO()
        table = io.StringIO()
        writer = csv.writer(table, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        if ids is None:
            where, arguments = "", []
        else:
            arguments = sorted({int(drawing_id) for drawing_id in ids})
            where = f"WHERE id IN ({', '.join('?' * len(arguments))})" if arguments else \
                "WHERE 0"
        with self._connect() as connection, \
                zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for row in connection.execute(
                    f"SELECT {_COLUMNS}, image_png FROM drawings {where} ORDER BY id",
                    arguments):
                drawing = _drawing(row[:-1])
                name = f"{drawing.id:06d}-{drawing.label}.png"
                archive.writestr(f"drawings/{name}", row[-1])
                archive.writestr(f"inputs/{name}", _png(drawing.model_input))
                writer.writerow([f"drawings/{name}", drawing.label,
                                 "" if drawing.predicted is None else drawing.predicted,
                                 "" if drawing.confidence is None else f"{drawing.confidence:.4f}",
                                 _as_text_cell(drawing.model or ""), drawing.created_at,
                                 drawing.source, f"inputs/{name}", int(drawing.hidden)])
            archive.writestr(LABELS_FILE, table.getvalue())
        return buffer.getvalue()

    def import_zip(self, data: bytes,
                   preprocess: Callable[[np.ndarray], np.ndarray] | None = None, *,
                   clock: Callable[[], float] = time.monotonic) -> ImportReport:
        """Add the drawings in a zip like `export_zip` makes: all good ones, or none.

        Needs `labels.csv` with at least the columns `file` (a path inside the zip) and
        `label` (0-9); other columns are kept when valid. Each picture is read and preprocessed
        again (any photo or scan of one digit works, not only our exports). Files that cannot
        be used are skipped, each reported as one sentence naming its row, its file and why,
        e.g. "labels.csv row 3 (missing.png): listed in labels.csv but not in the zip;
        skipped."; drawings already saved count as duplicates. The good ones are written in
        one transaction. A file named in several rows is read once.

        Args:
            data: the zip file's bytes.
            preprocess: image -> (28, 28) float model input; `mnist_core.preprocess` if None.
            clock: seconds from a monotonic clock (tests pass a fake one).
        Raises:
            DrawingStoreError: not a zip, no labels.csv, a labels.csv that cannot be read or
                has over MAX_IMPORT_ROWS rows, too big, reading the pictures took over
                MAX_IMPORT_SECONDS, or the database cannot be written: nothing was added.
        """
        if preprocess is None:
            from mnist_core.reading.preprocessing import preprocess
        from mnist_core.reading.images import read_image_file

        archive = _open_archive(data)
        rows = _read_labels(archive)
        problems: list[str] = []
        found: dict[str, tuple[int, np.ndarray, bytes, dict[str, Any]]] = {}
        first_row: dict[str, tuple[int, str]] = {}  # digest -> its first row's number, file
        # file -> its digest, or why it could not be read: each picture is decoded once.
        read: dict[str, str | ValueError] = {}
        deadline = clock() + MAX_IMPORT_SECONDS
        for number, row in rows:
            where = f"labels.csv row {number}" + (f" ({row['file']})" if row.get("file") else "")
            try:
                label, extras = _row_values(row)
                earlier = read.get(row["file"])
                if isinstance(earlier, ValueError):
                    raise earlier
                if earlier is None:
                    if clock() > deadline:
                        raise DrawingStoreError(
                            f"Reading the pictures took over {MAX_IMPORT_SECONDS:.0f} s, "
                            f"{len(read):,} of them so far; split the zip into smaller ones.")
                    try:
                        picture = read_image_file(_member_bytes(archive, row["file"]))
                        model_input = _as_model_input(preprocess(picture))
                    except ValueError as error:
                        read[row["file"]] = error
                        raise
                    read[row["file"]] = _digest(model_input)
                    png = _png(picture)
            except ValueError as error:  # DrawingError is a ValueError
                problems.append(f"{where}: {_reason(error)}; skipped.")
                continue
            digest = read[row["file"]]
            if digest in found:
                earlier, name = first_row[digest]
                same = f"the same picture as row {earlier} ({name})"
                if found[digest][0] != label:
                    same += f", which says it is {a_digit(found[digest][0])}"
                problems.append(f"{where}: {same}; skipped.")
                continue
            found[digest] = (label, model_input, png, extras)
            first_row[digest] = (number, row["file"])
        added = duplicates = 0
        with self._writing() as connection:
            for digest, (label, model_input, png, extras) in found.items():
                if connection.execute("SELECT 1 FROM drawings WHERE digest = ?",
                                      (digest,)).fetchone():
                    duplicates += 1
                    continue
                connection.execute(_INSERT, (
                    label, extras["predicted"], extras["confidence"], extras["model"],
                    extras["created_at"] or _now(), "import", int(_is_held_out(digest)), digest,
                    model_input.tobytes(), png, int(extras["hidden"])))
                added += 1
        return ImportReport(added, duplicates, tuple(problems))


def held_out_metrics(predict: Callable[[np.ndarray], np.ndarray],
                     store: DrawingStore | None = None) -> dict[str, Any]:
    """A model's accuracy on the held-out saved drawings, when there are at least MIN_HELD_OUT.

    Args:
        predict: (N, 28, 28) float32 in [0, 1] -> (N, 10) probabilities (`MlpWeights.predict`).
        store: the drawings; the default store if None.
    Returns:
        `{"drawings_accuracy": share right in [0, 1], "drawings_count": drawings scored}`, or
        `{}` when fewer are held out.
    """
    images, labels = (store or DrawingStore()).dataset(held_out=True)
    if len(labels) < MIN_HELD_OUT:
        return {}
    predictions = predict(images.astype(np.float32) / 255.0).argmax(axis=1)
    return {"drawings_accuracy": float(np.mean(predictions == labels)),
            "drawings_count": int(len(labels))}


# -- helpers -------------------------------------------------------------------------------


def _gone(drawing_id: int) -> str:
    return f"Drawing {drawing_id} is not saved (any more)."


def _is_digit(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) \
        and 0 <= value <= 9


def _drawing(row: tuple) -> SavedDrawing:
    (identifier, label, predicted, confidence, model, created_at, source, held_out, pixels,
     hidden) = row
    return SavedDrawing(identifier, label, predicted, confidence, model, created_at, source,
                        bool(held_out), np.frombuffer(pixels, np.uint8).reshape(28, 28).copy(),
                        bool(hidden))


def _as_text_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: one that would start a formula gets a leading
    apostrophe (OWASP's advice on CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _reason(error: ValueError) -> str:
    """Why a row of an import was skipped, as a clause: 'listed in labels.csv but not in the
    zip'. Our own reasons are clauses already; a reading or preprocessing error (a sentence
    written for an upload or the canvas) is said for a picture in a zip."""
    if isinstance(error, EmptyDrawingError):  # its message speaks of the canvas
        return "no digit found: the picture is blank or its marks are too small"
    if isinstance(error, DrawingError):
        # Its first sentence; the rest tells someone uploading what to do instead.
        sentence = str(error).split(". ")[0].rstrip(".")
        return sentence[:1].lower() + sentence[1:]
    return str(error)


def _open_archive(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise DrawingStoreError(
            "That file is not a zip. Import takes a zip like 'Download all as a zip' makes: "
            "pictures plus labels.csv.") from error
    members = archive.infolist()
    if len(members) > MAX_IMPORT_FILES:
        raise DrawingStoreError(f"The zip holds {len(members):,} files; the limit is "
                                f"{MAX_IMPORT_FILES:,}. Split it into smaller zips.")
    if sum(member.file_size for member in members) > MAX_IMPORT_TOTAL_BYTES:
        raise DrawingStoreError(f"The zip unpacks to more than "
                                f"{MAX_IMPORT_TOTAL_BYTES // 2**20} MB; split it.")
    return archive


def _read_labels(archive: zipfile.ZipFile) -> list[tuple[int, dict]]:
    """Rows of labels.csv (at the top of the zip, or in its one top folder) with their row
    numbers, each row's `file` made a path inside the zip."""
    candidates = [name for name in archive.namelist()
                  if name.rsplit("/", 1)[-1] == LABELS_FILE and name.count("/") <= 1]
    if len(candidates) != 1:
        found = "no labels.csv at its top level" if not candidates else "several labels.csv"
        raise DrawingStoreError(
            f"The zip has {found}. It needs one, with a 'file' and a 'label' column (like the "
            "zip 'Download all as a zip' makes).")
    prefix = candidates[0][:-len(LABELS_FILE)]
    try:
        text = _member_bytes(archive, candidates[0]).decode("utf-8-sig")
    except (UnicodeDecodeError, ValueError) as error:
        raise DrawingStoreError(f"labels.csv cannot be read as UTF-8 text: {error}") from error
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    try:
        if not {"file", "label"} <= set(reader.fieldnames or ()):
            raise DrawingStoreError("labels.csv needs a 'file' and a 'label' column. Found: "
                                    f"{', '.join(reader.fieldnames or ()) or 'no header'}.")
        for number, row in enumerate(reader, start=2):  # row 1 is the header
            if len(rows) == MAX_IMPORT_ROWS:
                raise DrawingStoreError(
                    f"labels.csv has more than {MAX_IMPORT_ROWS:,} rows; split the zip into "
                    "smaller ones.")
            if row.get("file"):
                row["file"] = prefix + row["file"].strip().lstrip("/")
            rows.append((number, row))
    except csv.Error as error:  # e.g. a field over the csv module's 128 KiB limit
        raise DrawingStoreError(
            f"labels.csv cannot be read as CSV: {error} (line {reader.line_num}).") from error
    return rows


def _member_bytes(archive: zipfile.ZipFile, name: str) -> bytes:
    """The unpacked bytes of a file in the zip. Raises ValueError with a clause saying why
    not (not in the zip, too big, cannot be unpacked)."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise ValueError(f"listed in {LABELS_FILE} but not in the zip") from None
    if info.file_size > MAX_IMPORT_FILE_BYTES:
        raise ValueError(f"the file is {info.file_size / 1e6:.1f} MB unpacked, too big for one "
                         f"picture (the limit is {MAX_IMPORT_FILE_BYTES / 1e6:.0f} MB)")
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as error:
        raise ValueError(f"the file cannot be unpacked from the zip ({error})") from error


def _row_values(row: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """The label, and the optional columns that are valid (others become None).

    Raises ValueError with a clause saying why when the row names no file or no digit."""
    if not (row.get("file") or "").strip():
        raise ValueError("no file named in its 'file' column")
    text = (row.get("label") or "").strip()
    if not text:
        raise ValueError("no label: the 'label' column must be a digit from 0 to 9")
    if text not in {str(digit) for digit in range(10)}:
        raise ValueError(f"the label {text!r} is not a digit from 0 to 9")
    extras: dict[str, Any] = {"predicted": None, "confidence": None, "model": None,
                              "created_at": None,
                              "hidden": (row.get("hidden") or "").strip() == "1"}
    predicted = (row.get("predicted") or "").strip()
    if predicted in {str(digit) for digit in range(10)}:
        extras["predicted"] = int(predicted)
    try:
        confidence = float(row.get("confidence") or "nan")
        if 0 <= confidence <= 1:
            extras["confidence"] = confidence
    except ValueError:
        pass
    model = (row.get("model") or "").strip()
    extras["model"] = model[:200] or None
    try:
        extras["created_at"] = dt.datetime.fromisoformat(
            (row.get("created_at") or "").strip()).isoformat(timespec="seconds")
    except ValueError:
        pass
    return int(text), extras
