"""Real people's pen digits (UCI pendigits): find them, read them, draw them on the app's canvas.

The UCI "Pen-Based Recognition of Handwritten Digits" training file (E. Alpaydin and F.
Alimoglu, CC BY 4.0) holds 7,494 digits by 30 writers as the pen trajectories they drew on a
tablet (UNIPEN format), not as pictures. Drawn with a round brush on a canvas the size of the
app's, each one is what that person would have sent the app. This module:

    load_pendigits         every digit, read from $PENDIGITS_DATA_DIR, verified, cached
    HELD_OUT_WRITERS       the 8 writers never trained on; training_digits() / held_out_digits()
    render_pen_digit       one digit -> (336, 336, 4) canvas image, random size, place, slant,
                           pen and canvas format, as a person draws on the home page
    vary_strokes           a digit's strokes warped as another writer might draw them
    draw_pen_digit         the same with every setting given (for tests and pictures)
    pen_inputs             digits -> (N * F, 28, 28) model inputs in each canvas format
    pen_training_set       (count, 28, 28) uint8 images of the training writers, for training
    pen_accuracy_metrics   a model's accuracy on the held-out writers, for metrics.json

Points are as the tablet recorded them: tablet units (the writing box is about 500 x 500), x
to the right and y UPWARDS, one point every 100 ms, so fast strokes have few points; drawing
flips y and smooths the path through the points (centripetal Catmull-Rom).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from mnist_core.data import files

# The canvas's round brush as drawn.py paints it, and its careful person's choice of pen (its
# private helpers, so MNIST re-drawn and real pen digits are drawn by one rule).
from mnist_core.data.drawn import _AA_WIDENING, _SHIFT, _PenLimit, _place, _shear
from mnist_core.data.mnist import UNREADABLE, read_maybe_gzipped
from mnist_core.errors import DataCorruptError

__all__ = [
    "CANVAS_SIZE",
    "DATA_DIR_ENV",
    "FORMATS",
    "HELD_OUT_WRITERS",
    "PEN_METRICS_SEED",
    "PenDigit",
    "draw_pen_digit",
    "held_out_digits",
    "load_pendigits",
    "pen_accuracy_metrics",
    "pen_inputs",
    "pen_training_set",
    "render_pen_digit",
    "scored_inputs",
    "training_digits",
    "unavailable",
    "vary_strokes",
]

DATA_DIR_ENV = "PENDIGITS_DATA_DIR"
FILE_NAME = "pendigits-orig.tra"  # looked for gzipped (".gz") first, then plain
# Published with the data (shared/data/pendigits/README.md): the gunzipped text.
TEXT_SIZE = 3_641_673
TEXT_MD5 = "28e269fb7eaf8cb51af3f561743a0de5"
DIGIT_COUNT = 7494
WRITERS = range(1, 31)

# The writer-disjoint split, written down here and nowhere else. Every fourth writer id from 2
# (2, 6, ..., 30): fixed ids, spread over the whole range of ids (the ids follow the order the
# writers were recorded in, so a block of neighbouring ids could share a session or a tablet).
# 8 of 30 writers: 1,999 digits held out, 5,495 from the 22 others to train on.
HELD_OUT_WRITERS = frozenset({2, 6, 10, 14, 18, 22, 26, 30})

CANVAS_SIZE = 336
"""Side of the home page's canvas in px (app.py's CANVAS_SIZE)."""

FORMATS = ("transparent", "white-on-black", "black-on-white")
"""The canvas images the app receives, all (H, W, 4) uint8 RGBA:

- "transparent": what the drawing canvas sends: RGBA 0 where nothing is drawn, the white ink's
  coverage in alpha (anti-aliased at the edges), RGB 255 under the ink;
- "white-on-black": opaque (alpha 255), white ink on black in RGB (the canvas as it looks);
- "black-on-white": opaque, black ink on white (a picture of a paper drawing).
"""

PEN_METRICS_SEED = 20261212  # fixed: every run is scored on the same drawings
# Ranges a person uses on the home page (its pen slider runs 6-40 px, default 22).
_PEN_RANGE = (8, 36)  # px
_HEIGHT_RANGE = (0.30, 0.90)  # ink height as a share of the canvas's
_SLANT_RANGE = (-15.0, 15.0)  # degrees added to the writer's own slant; positive leans right
# A person who sees a thick pen fill a small digit's loops draws bigger: the ink is at least
# this many pen widths tall (a 36 px pen: 144 px, where an 8's loops still show holes).
_MIN_HEIGHT_PER_PEN = 4.0
_MARGIN = 4  # px kept free between the ink and the canvas's border
# Points per digit size along the smoothed path: 5 px apart on a 300 px digit, where a chord
# of a digit's tightest curves (30 px radius) strays 0.1 px from the curve.
_SMOOTH_STEPS = 60
# Writers' variation (vary_strokes), for training only: the 22 training writers are few, and a
# new writer's digit differs from theirs mostly in the proportions of its parts (a 9's small
# head on a long curled tail, a wide 8's lower loop). Each training drawing gets its digit
# stretched (log width/height with this std), turned (+- degrees), two parts grown or shrunk
# (+- log scale) and three parts nudged (std, a share of the digit's size). Measured on the
# held-out writers: fine-tuning the shipped model on MNIST and 30,000-60,000 training writers'
# drawings read them 98.15-98.20% with the writers' own shapes, 98.30-98.55% varied; the
# Quick preset (30% real writers) 96.20% before, 97.40% and 97.00% (seeds 0, 1) varied.
_VARY_ASPECT = 0.12
_VARY_TURN = 8.0  # degrees
_VARY_PARTS = 2
_VARY_PART_SCALE = 0.35
_VARY_PART_RADIUS = (0.20, 0.35)  # share of the digit's size: how far a part's change reaches
_VARY_NUDGES = 3
_VARY_NUDGE = 0.05
_VARY_NUDGE_RADIUS = (0.25, 0.45)
_CHUNK = 500  # digits per worker task
# Fewer digits than this render in this process: workers cost 0.3 s each to start, and on the
# busy shared machine the pool drew pen_accuracy_metrics' 1,999 slower (16 s) than one core
# (13 s); a pool also needs its caller's `if __name__ == "__main__":` guard.
_POOL_MIN = 4000


@dataclass(frozen=True, eq=False)
class PenDigit:
    """One digit as its writer drew it, whatever the file (this one's, or UNIPEN's:
    mnist_core.data.unipen).

    Attributes:
        label: the digit, 0-9.
        writer: who wrote it: 1-30 in the pendigits file, a pseudonym ("ced-007") in UNIPEN's.
            `writer_key` tells writers of every source apart.
        number: its running number in the writer's session (.COMMENT's third field), or among
            the writer's digits.
        index: its position in its file, from 0.
        strokes: the pen-down strokes in the order drawn, each a (K, 2) float32 array of
            (x, y) points, K >= 1, in tablet units (about 0-500 here; UNIPEN's sites differ),
            x to the right, y UPWARDS (as recorded). Read-only.
        source: "pendigits", or UNIPEN's site ("ced", "syn", ...).
        checked: False where the source left the label unverified (UNIPEN: a little noise).
    """

    label: int
    writer: int | str
    number: int
    index: int
    strokes: tuple[np.ndarray, ...]
    source: str = "pendigits"
    checked: bool = True

    @property
    def writer_key(self) -> str:
        """The writer, unique across sources: "pendigits/14", "unipen/ced-007"."""
        return f"pendigits/{self.writer}" if self.source == "pendigits" else \
            f"unipen/{self.writer}"


# Reading --------------------------------------------------------------------------------------

_cache: dict[Path, tuple[PenDigit, ...]] = {}


def unavailable() -> str | None:
    """Why the pen digits cannot be trained on or scored here (the `load_pendigits` error's
    sentence), or None when they can."""
    return files.unavailable(load_pendigits)


def load_pendigits() -> tuple[PenDigit, ...]:
    """All 7,494 digits of the UCI pendigits training file, in file order, cached per process.

    The file is found in the folder named by $PENDIGITS_DATA_DIR: `pendigits-orig.tra.gz`, or
    the gunzipped `pendigits-orig.tra`. Its text is checked against the published size and MD5.

    Returns:
        A tuple of PenDigit, shared by every caller (its arrays are read-only).

    Raises:
        DataNotFoundError: the variable is unset, or its folder or the file is missing.
        DataCorruptError: the file is truncated, malformed or fails its checksum (the message
            names the file and, for a malformed line, its number).
    """
    return files.read_once(_cache, _find_file(), _read_file)


def _find_file() -> Path:
    return files.find_file(DATA_DIR_ENV, (FILE_NAME + ".gz", FILE_NAME), "The real pen digits",
                     f"Set {DATA_DIR_ENV} to the folder holding {FILE_NAME}.gz (UCI pendigits, "
                     f"UNIPEN format), for example `export {DATA_DIR_ENV}=../shared/data/"
                     "pendigits`.")


def _read_file(path: Path) -> tuple[PenDigit, ...]:
    try:
        content = read_maybe_gzipped(path)
    except UNREADABLE as error:
        raise DataCorruptError(f"Cannot read the pen digits file {path}: {error} "
                               "(truncated or not a gzip file).") from error
    try:
        text = content.decode("ascii")
    except UnicodeDecodeError as error:
        raise DataCorruptError(f"The pen digits file {path} is not text: byte "
                               f"{error.start} is not ASCII.") from error
    # Parse first: a line-level message says more than a checksum. The checksum then catches
    # what parses but is not the published file (a cut at a line's end, an altered point).
    digits = _parse(text, path)
    files.check_published(content, path, size=TEXT_SIZE, md5=TEXT_MD5, what="The pen digits file")
    return digits


def _parse(text: str, path: Path) -> tuple[PenDigit, ...]:
    """Parse UNIPEN text into PenDigits; DataCorruptError names the line of a malformed one."""
    digits: list[PenDigit] = []
    label = writer = number = None
    segment_line, segment_text = 0, ""  # where the digit being read begins
    strokes: list[np.ndarray] = []
    points: list[tuple[int, int]] | None = None  # the stroke being drawn (pen down)
    in_header = True

    def fail(line_number: int, problem: str, line: str) -> DataCorruptError:
        return DataCorruptError(f"The pen digits file {path} is malformed at line "
                                f"{line_number}: {problem}. Received: {line.strip()[:60]!r}")

    def finish() -> None:
        if label is None:
            return
        if writer is None:
            raise fail(segment_line, "a digit without its .COMMENT label writer number line",
                       segment_text)
        if not strokes:
            raise fail(segment_line, "a digit with no .PEN_DOWN ... .PEN_UP stroke",
                       segment_text)
        digits.append(PenDigit(label, writer, number, len(digits), tuple(strokes)))

    for line_number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        keyword = fields[0]
        if in_header:
            if keyword != ".SEGMENT":
                continue  # .INCLUDE, .LEXICON, .HIERARCHY
            in_header = False
        if not keyword.startswith("."):
            if points is None:
                raise fail(line_number, "a point outside .PEN_DOWN ... .PEN_UP", line)
            if len(fields) != 2 or not all(f.lstrip("-").isdigit() for f in fields):
                raise fail(line_number, "expected a point as two whole numbers 'x y'", line)
            points.append((int(fields[0]), int(fields[1])))
            continue
        if points is not None and keyword != ".PEN_UP":
            raise fail(line_number, f"{keyword} inside a stroke (expected .PEN_UP first)", line)
        if keyword == ".SEGMENT":
            finish()
            quoted = fields[-1]
            if (len(fields) < 3 or fields[1] != "DIGIT" or len(quoted) != 3
                    or quoted[0] != '"' or quoted[2] != '"' or not quoted[1].isdigit()):
                raise fail(line_number, 'expected .SEGMENT DIGIT ... "d" with d a digit 0-9',
                           line)
            label, writer, number, strokes = int(quoted[1]), None, None, []
            segment_line, segment_text = line_number, line
        elif keyword == ".COMMENT":
            if len(fields) != 4 or not all(f.isdigit() for f in fields[1:]):
                raise fail(line_number, "expected .COMMENT label writer number", line)
            if int(fields[1]) != label:
                raise fail(line_number, f"the label differs from the .SEGMENT's {label}", line)
            if int(fields[2]) not in WRITERS:
                raise fail(line_number, "expected a writer from 1 to 30", line)
            writer, number = int(fields[2]), int(fields[3])
        elif keyword == ".PEN_DOWN":
            if label is None:
                raise fail(line_number, ".PEN_DOWN before any .SEGMENT", line)
            points = []
        elif keyword == ".PEN_UP":
            if not points:
                raise fail(line_number, ".PEN_UP without a .PEN_DOWN and points", line)
            stroke = np.array(points, np.float32)
            stroke.flags.writeable = False
            strokes.append(stroke)
            points = None
        elif keyword != ".DT":  # .DT: the sampling interval in ms, always 100 here
            raise fail(line_number, f"unknown keyword {keyword}", line)
    if points is not None:
        raise fail(line_number, "the file ends inside a stroke (no .PEN_UP)", line)
    finish()
    if not digits:
        raise DataCorruptError(f"The pen digits file {path} holds no digits "
                               "(no .SEGMENT DIGIT lines).")
    return tuple(digits)


def training_digits() -> tuple[PenDigit, ...]:
    """The digits of the 22 writers not in HELD_OUT_WRITERS (5,495), in file order.

    Raises: as load_pendigits.
    """
    return tuple(d for d in load_pendigits() if d.writer not in HELD_OUT_WRITERS)


def held_out_digits() -> tuple[PenDigit, ...]:
    """The digits of the 8 HELD_OUT_WRITERS (1,999), never trained on, in file order.

    Raises: as load_pendigits.
    """
    return tuple(d for d in load_pendigits() if d.writer in HELD_OUT_WRITERS)


# Drawing --------------------------------------------------------------------------------------

def _smooth(points: np.ndarray, step: float) -> np.ndarray:
    """The centripetal Catmull-Rom path through (K, 2) points, sampled about every `step`.

    The pen passed through every sampled point; between them this is the smoothest path a
    hand plausibly drew (centripetal: no loops or overshoots at sharp turns). Repeated points
    (the pen at rest) are dropped first. Returns (M, 2) float64 from the first point to the
    last; one point stays one point.
    """
    points = np.asarray(points, np.float64)
    keep = np.concatenate([[True], np.any(np.diff(points, axis=0) != 0, axis=1)])
    points = points[keep]
    if len(points) < 2:
        return points
    if len(points) > 3 and np.allclose(points[0], points[-1]):
        # A closed loop: the path runs on round its start.
        padded = np.concatenate([points[-2:-1], points, points[1:2]])
    else:
        # Mirror one point past each end, so the first and last segments are curves too.
        padded = np.concatenate([2 * points[:1] - points[1:2], points,
                                 2 * points[-1:] - points[-2:-1]])
    lengths = np.linalg.norm(np.diff(padded, axis=0), axis=1)
    knots = np.concatenate([[0.0], np.cumsum(np.sqrt(lengths))])
    segment_lengths = lengths[1:-1]  # of the len(points) - 1 real segments
    counts = np.maximum(np.ceil(segment_lengths / step).astype(int), 1)
    segment = np.repeat(np.arange(len(counts)), counts)
    fraction = np.concatenate([np.arange(count) / count for count in counts])[:, None]
    p0, p1, p2, p3 = (padded[segment + k] for k in range(4))
    t0, t1, t2, t3 = (knots[segment + k][:, None] for k in range(4))
    t = t1 + fraction * (t2 - t1)
    # Barry and Goldman's pyramid: three linear blends, then two, then one.
    a1 = ((t1 - t) * p0 + (t - t0) * p1) / (t1 - t0)
    a2 = ((t2 - t) * p1 + (t - t1) * p2) / (t2 - t1)
    a3 = ((t3 - t) * p2 + (t - t2) * p3) / (t3 - t2)
    b1 = ((t2 - t) * a1 + (t - t0) * a2) / (t2 - t0)
    b2 = ((t3 - t) * a2 + (t - t1) * a3) / (t3 - t1)
    curve = ((t2 - t) * b1 + (t - t1) * b2) / (t2 - t1)
    return np.concatenate([curve, points[-1:]])


def _screen_strokes(digit: PenDigit) -> list[np.ndarray]:
    """The digit's strokes smoothed, y flipped to grow downwards, in tablet units (float64)."""
    flipped = [np.asarray(stroke, np.float64) * (1.0, -1.0) for stroke in digit.strokes]
    everything = np.concatenate(flipped)
    extent = float(np.ptp(everything, axis=0).max()) or 1.0
    return [_smooth(stroke, extent / _SMOOTH_STEPS) for stroke in flipped]


def _check_format(format: str) -> str:
    if format not in FORMATS:
        raise ValueError(f"Expected a canvas format in {FORMATS}. Received: format={format!r}")
    return format


def _as_format(alpha: np.ndarray, format: str) -> np.ndarray:
    """(H, W) uint8 ink coverage -> (H, W, 4) uint8 RGBA canvas image in `format`."""
    if format == "transparent":
        white = cv2.compare(alpha, 0, cv2.CMP_GT)  # 255 under the ink, 0 elsewhere
        return cv2.merge([white, white, white, alpha])
    grey = alpha if format == "white-on-black" else cv2.bitwise_not(alpha)
    return cv2.merge([grey, grey, grey, np.full_like(alpha, 255)])


def _coverage(strokes: list[np.ndarray], *, pen_width: int, height: float,
              centre: tuple[float, float], slant: float) -> np.ndarray:
    """(CANVAS_SIZE, CANVAS_SIZE) uint8 alpha of the strokes drawn with a round pen.

    Exactly drawn.render_strokes' alpha (a test checks it), drawn here alone: its RGBA
    canvas costs 1 ms more per drawing, a third of the time of a whole pen input.
    """
    if int(pen_width) != pen_width or not 1 <= pen_width <= CANVAS_SIZE:
        raise ValueError(f"Expected pen_width to be a whole number of px in [1, {CANVAS_SIZE}]."
                         f" Received: pen_width={pen_width}")
    if not np.isfinite(height) or height <= pen_width:
        raise ValueError("Expected height (ink height in px) larger than pen_width. "
                         f"Received: height={height}, pen_width={pen_width}")
    if len(centre) != 2 or not np.isfinite(centre).all():
        raise ValueError(f"Expected centre as an (x, y) pair of px. Received: centre={centre}")
    if not -60.0 <= slant <= 60.0:
        raise ValueError(f"Expected slant in degrees in [-60, 60]. Received: slant={slant}")
    placed = _place(strokes, brush_width=int(pen_width), scale=height, centre=centre,
                    slant=slant)
    alpha = np.zeros((CANVAS_SIZE, CANVAS_SIZE), np.uint8)
    # render_strokes' brush: cv2's anti-aliasing widens lines and discs by _AA_WIDENING px.
    thickness = max(2 * round((pen_width - _AA_WIDENING) / 2), 1)
    radius = max(round((pen_width - _AA_WIDENING) / 2 * (1 << _SHIFT)), 1)
    for stroke in placed:
        fixed = np.round(stroke * (1 << _SHIFT)).astype(np.int32)
        if len(fixed) > 1:
            cv2.polylines(alpha, [fixed], False, 255, thickness, cv2.LINE_AA, _SHIFT)
        for x, y in (fixed[0], fixed[-1]):  # round caps, and the dab of a one-point stroke
            cv2.circle(alpha, (int(x), int(y)), radius, 255, cv2.FILLED, cv2.LINE_AA, _SHIFT)
    return alpha


def draw_pen_digit(digit: PenDigit, *, pen_width: int = 22, height: float = 0.6 * CANVAS_SIZE,
                   centre: tuple[float, float] = (CANVAS_SIZE / 2, CANVAS_SIZE / 2),
                   slant: float = 0.0, format: str = "transparent") -> np.ndarray:
    """Draw one pen digit on the home page's canvas with the settings given.

    Args:
        digit: the digit; its path is smoothed through the recorded points.
        pen_width: round pen diameter in px (the page's slider: 6-40, default 22).
        height: ink height in px, pen included, larger than pen_width.
        centre: (x, y) px of the centre of the ink's bounding box (x right, y down).
        slant: degrees of shear added to the writer's own slant (-60 to 60; positive leans
            right).
        format: one of FORMATS.

    Returns:
        (336, 336, 4) uint8 RGBA in `format`; the writer's digit upright (y flipped).

    Raises:
        ValueError: an unknown format or an out-of-range setting.
    """
    _check_format(format)
    alpha = _coverage(_screen_strokes(digit), pen_width=pen_width, height=height,
                      centre=centre, slant=slant)
    return _as_format(alpha, format)


def vary_strokes(strokes: Sequence[np.ndarray], rng: np.random.Generator
                 ) -> tuple[np.ndarray, ...]:
    """The digit as another writer might have drawn it: a smooth random warp of its strokes.

    The whole digit is stretched (width against height) and turned a little; two random parts
    of it are grown or shrunk in place (a loop made smaller or bigger, a tail longer), and
    three are nudged aside. Every change is a smooth displacement that fades with distance
    from a random point of the digit, so strokes stay strokes, joins stay joined and a loop
    stays a loop; no stroke is added or removed. For training drawings only: the held-out
    writers are always drawn as they wrote.

    Args:
        strokes: (K, 2) point arrays, in any units (tablet units, x right, y up, as
            PenDigit.strokes).
        rng: the random generator; the same state gives the same warp.

    Returns:
        The strokes warped, each (K, 2) float32 in the same units and order; the digit's
        centre and size stay about where they were.

    Raises:
        ValueError: no strokes, or a stroke that is not (K >= 1, 2).
    """
    arrays = [np.asarray(stroke, np.float64) for stroke in strokes]
    if not arrays or any(a.ndim != 2 or a.shape[1] != 2 or len(a) == 0 for a in arrays):
        raise ValueError("Expected one or more strokes, each a (K, 2) array with K >= 1. "
                         f"Received: shapes={[np.shape(a) for a in arrays]}")
    everything = np.concatenate(arrays)
    low, high = everything.min(axis=0), everything.max(axis=0)
    centre = (low + high) / 2
    size = float((high - low).max()) or 1.0
    half = (high - low) / size / 2  # the digit's half-extent in units of its size
    stretch = np.exp(rng.normal(0.0, _VARY_ASPECT))
    turn = np.radians(rng.uniform(-_VARY_TURN, _VARY_TURN))
    linear = (np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
              @ np.diag([stretch, 1 / stretch]))
    parts = [(rng.uniform(-half, half), np.exp(rng.uniform(-_VARY_PART_SCALE, _VARY_PART_SCALE)),
              rng.uniform(*_VARY_PART_RADIUS)) for _ in range(_VARY_PARTS)]
    nudges = [(rng.uniform(-half, half), rng.normal(0.0, _VARY_NUDGE, 2),
               rng.uniform(*_VARY_NUDGE_RADIUS)) for _ in range(_VARY_NUDGES)]
    warped = []
    for stroke in arrays:
        points = (stroke - centre) / size
        shift = np.zeros_like(points)
        for at, scale, reach in parts:  # grow (scale > 1) or shrink the part around `at`
            away = points - at
            shift += (scale - 1) * away * np.exp(-(away**2).sum(1) / (2 * reach**2))[:, None]
        for at, nudge, reach in nudges:
            away = points - at
            shift += nudge * np.exp(-(away**2).sum(1) / (2 * reach**2))[:, None]
        warped.append((((points + shift) @ linear.T) * size + centre).astype(np.float32))
    return tuple(warped)


def _random_coverage(digit: PenDigit, rng: np.random.Generator) -> np.ndarray:
    """The digit's ink with a random pen, size, slant and place, as a person draws it."""
    strokes = _screen_strokes(digit)
    pen_width = int(rng.integers(_PEN_RANGE[0], _PEN_RANGE[1] + 1))
    low = max(_HEIGHT_RANGE[0] * CANVAS_SIZE, _MIN_HEIGHT_PER_PEN * pen_width)
    height = float(rng.uniform(low, _HEIGHT_RANGE[1] * CANVAS_SIZE))
    slant = float(rng.uniform(*_SLANT_RANGE))
    place = rng.random(2)
    room = CANVAS_SIZE - 2 * _MARGIN
    # Like a careful person (and drawn.redraw_digit), keep the loops and gaps the writer drew
    # open: a pen that would fill them is made thinner (down to 8 px), else the digit bigger,
    # up to 90% of the canvas and its width. Without this a thick pen on a narrow 8 or 4 draws
    # a blob no one can read (the bench's figure barely moves: 93.20% without, 93.10% with;
    # the misses are mostly styles, not blobs).
    limit = _PenLimit(_shear(strokes, slant))
    max_height = _HEIGHT_RANGE[1] * CANVAS_SIZE
    if limit.width_units > 1e-6 and limit.height_units > 1e-6:
        thinnest = _PEN_RANGE[0]
        widest = thinnest + (room - thinnest) * limit.height_units / limit.width_units
        max_height = min(max_height, widest)
    pen_width, height = limit.fit(pen_width, height, max_height)
    # The ink's width at this height, as _place shears and scales it.
    ink_width = limit.width_units * (height - pen_width) / max(limit.height_units, 1e-6) \
        + pen_width
    if ink_width > room:  # a wide digit: smaller, so it fits the canvas as a person's would
        height = pen_width + (height - pen_width) * (room - pen_width) / (ink_width - pen_width)
        ink_width = room
    centre = (_MARGIN + ink_width / 2 + place[0] * (room - ink_width),
              _MARGIN + height / 2 + place[1] * (room - height))
    return _coverage(strokes, pen_width=pen_width, height=height, centre=centre, slant=slant)


def render_pen_digit(digit: PenDigit, rng: np.random.Generator, *,
                     format: str | None = None) -> np.ndarray:
    """Draw one pen digit the way a person draws it on the home page's canvas.

    Settings drawn from `rng` on every call (so each call gives another version): pen 8-36 px;
    ink 30-90% of the canvas's height (at least 4 pen widths; smaller if the digit would be
    wider than the canvas); the writer's slant plus -15..+15 degrees; anywhere on the canvas
    that keeps the ink whole; and, with format=None, one of FORMATS. Like a careful person,
    it keeps the loops and gaps the writer drew open: a pen that would fill them in is made
    thinner (down to 8 px), and if even that fills them the digit is drawn bigger.

    Args:
        digit: the digit.
        rng: the random generator; the same state gives the same image.
        format: one of FORMATS, or None for a random one.

    Returns:
        (336, 336, 4) uint8 RGBA, as draw_pen_digit.

    Raises:
        ValueError: an unknown format.
    """
    alpha = _random_coverage(digit, rng)
    if format is None:
        format = FORMATS[int(rng.integers(len(FORMATS)))]
    return _as_format(alpha, _check_format(format))


# Model inputs ---------------------------------------------------------------------------------

def _inputs_chunk(args: tuple[Sequence[PenDigit], int, tuple[str, ...] | None, bool, bool]
                  ) -> np.ndarray:
    """Worker: draw and preprocess digits (varied first if `vary`). (n * F, 28, 28) float32 in
    [0, 1], or uint8."""
    from mnist_core.reading.preprocessing import preprocess

    digits, seed, formats, as_uint8, vary = args
    rng = np.random.default_rng(seed)
    per_digit = 1 if formats is None else len(formats)
    out = np.empty((len(digits) * per_digit, 28, 28), np.uint8 if as_uint8 else np.float32)
    row = 0
    for digit in digits:
        if vary:
            digit = dataclasses.replace(digit, strokes=vary_strokes(digit.strokes, rng))
        alpha = _random_coverage(digit, rng)
        chosen = (FORMATS[int(rng.integers(len(FORMATS)))],) if formats is None else formats
        for format in chosen:
            model_input = preprocess(_as_format(alpha, format))
            out[row] = np.rint(model_input * 255) if as_uint8 else model_input
            row += 1
    return out


def _render(digits: Sequence[PenDigit], rng: np.random.Generator,
            formats: tuple[str, ...] | None, as_uint8: bool, vary: bool = False,
            on_progress: Callable[[int, int], None] | None = None,
            should_stop: Callable[[], bool] | None = None) -> np.ndarray | None:
    """Draw and preprocess digits in chunks of 500, each with a seed drawn from rng, on all
    cores when there are many; the result does not depend on the number of cores.
    `on_progress(done, total)` after each chunk; None when `should_stop` says stop."""
    starts = range(0, len(digits), _CHUNK)
    seeds = rng.integers(2**63, size=len(starts))
    chunks = [(tuple(digits[start:start + _CHUNK]), int(seed), formats, as_uint8, vary)
              for start, seed in zip(starts, seeds, strict=True)]
    workers = min(os.cpu_count() or 1, len(chunks))
    pool = None
    if len(digits) < _POOL_MIN or workers < 2:
        rendered = map(_inputs_chunk, chunks)
    else:
        # "spawn": TensorFlow's threads make forking a loaded process unsafe. A script calling
        # this with many digits needs an `if __name__ == "__main__":` guard.
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        rendered = pool.map(_inputs_chunk, chunks)
    results, done = [], 0
    try:
        for chunk, result in zip(chunks, rendered, strict=True):
            results.append(result)
            done += len(chunk[0])
            if on_progress is not None:
                on_progress(done, len(digits))
            if should_stop is not None and should_stop():
                return None
    finally:
        if pool is not None:  # on a stop, the chunks under way end on their own
            pool.shutdown(wait=False, cancel_futures=True)
    if not results:
        return np.empty((0, 28, 28), np.uint8 if as_uint8 else np.float32)
    return np.concatenate(results)


def pen_drawings(pool: Sequence[PenDigit], copies: int, seed: int,
                 on_progress: Callable[[int, int], None] | None = None,
                 should_stop: Callable[[], bool] | None = None) -> np.ndarray | None:
    """Each digit of `pool` drawn `copies` times as `pen_training_set` draws it (varied
    shape, random pen, size, slant, place and canvas format), through preprocess: the
    drawings a run's real writers' digits are sampled from (mnist_core.training.pen_cache).

    Returns:
        (len(pool), copies, 28, 28) uint8, white digit on black; the same for the same pool,
        copies and seed. None when `should_stop` said stop (checked after every 500).
    """
    pool = tuple(pool)
    rendered = _render(pool * copies, np.random.default_rng(seed), None, as_uint8=True,
                       vary=True, on_progress=on_progress, should_stop=should_stop)
    if rendered is None:
        return None
    return np.ascontiguousarray(rendered.reshape(copies, len(pool), 28, 28).transpose(1, 0, 2, 3))


def pen_inputs(digits: Sequence[PenDigit], rng: np.random.Generator,
               formats: Sequence[str] = FORMATS) -> tuple[np.ndarray, np.ndarray]:
    """Model inputs of pen digits as the app would read them, in each canvas format.

    Each digit is drawn once (render_pen_digit's random pen, size, slant and place), shown in
    every format of `formats` and put through mnist_core.reading.preprocessing.preprocess. Uses
    every core from 4,000 digits up; the result is the same either way.

    Args:
        digits: the pen digits.
        rng: the random generator of the drawings.
        formats: canvas formats, each one of FORMATS.

    Returns:
        (images, labels): (N * F, 28, 28) float32 in [0, 1], white digit on black, and (N * F,)
        uint8 0-9, where N = len(digits) and F = len(formats); row i * F + f is digits[i]
        in formats[f].

    Raises:
        ValueError: an unknown format.
    """
    formats = tuple(_check_format(format) for format in formats)
    if not formats:
        raise ValueError("Expected at least one canvas format. Received: formats=()")
    images = _render(digits, rng, formats, as_uint8=False)
    labels = np.repeat(np.array([d.label for d in digits], np.uint8), len(formats))
    return images, labels


def pen_training_set(count: int, rng: np.random.Generator, *, vary: bool = True,
                     pool: Sequence[PenDigit] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Training images of real pen digits, from the training writers only.

    The pool's digits (by default the 22 training writers' 5,495; a run's are
    `mnist_core.data.writers.training_pool`'s) are taken in shuffled rounds (every digit once before
    any twice), each varied as another writer might draw it (vary_strokes; `vary=False`
    keeps the writers' own shapes), drawn anew with render_pen_digit's random pen, size,
    slant, place and canvas format, and read back through preprocess, exactly the app's
    path. Uses every core from 4,000 images up. About 3.5 ms of CPU an image (measured by
    bench/pen_digits.py on the shared 2-core machine at load 9: 12,000 images in 62 s;
    keeping loops open, as drawn.redraw_digit does, is half of it; varying the shapes adds
    under 0.2 ms).

    Args:
        count: how many images, >= 0.
        rng: the random generator: the digits' order and their drawings.
        pool: the digits to draw from; None: `training_digits()`.

    Returns:
        (images, labels): (count, 28, 28) uint8 in [0, 255], white digit on black (MNIST's
        format), and (count,) uint8 0-9.

    Raises:
        ValueError: count is negative, or the pool is empty.
        DataNotFoundError, DataCorruptError: as load_pendigits.
    """
    if int(count) != count or count < 0:
        raise ValueError(f"Expected a whole number of images >= 0. Received: count={count}")
    pool = training_digits() if pool is None else tuple(pool)
    if count and not pool:
        raise ValueError("Expected digits to draw from. Received: an empty pool")
    rounds = -(-int(count) // len(pool))
    order = np.concatenate([rng.permutation(len(pool)) for _ in range(rounds)] or
                           [np.empty(0, int)])[:count]
    chosen = [pool[index] for index in order]
    images = _render(chosen, rng, None, as_uint8=True, vary=vary)
    return images, np.array([d.label for d in chosen], np.uint8)


def pen_accuracy_metrics(weights) -> dict[str, float | int]:
    """How well a model reads the held-out writers, for a run's metrics.json.

    Every held-out digit (1,999, by 8 writers never trained on) drawn once as
    render_pen_digit draws it (a random canvas format each) with a fixed seed
    (PEN_METRICS_SEED: the same drawings for every run), through preprocess, in this process:
    7-8 s of CPU on the shared 2-core machine at load 8-10, where preprocess takes 3-5 times
    its idle time (bench/pen_digits.py prints it).

    Args:
        weights: the model, an mnist_core.model.MlpWeights.

    Returns:
        {"pen_accuracy": float in [0, 1], "pen_count": int}.

    Raises:
        DataNotFoundError, DataCorruptError: as load_pendigits.
    """
    digits = held_out_digits()
    images, labels = scored_inputs(digits)
    predicted = np.argmax(weights.predict(images), axis=1)
    return {"pen_accuracy": float(np.mean(predicted == labels)), "pen_count": len(digits)}


def scored_inputs(digits: Sequence[PenDigit], seed: int = PEN_METRICS_SEED
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Pen digits as every run is scored on them: each drawn once as render_pen_digit draws
    it (a random canvas format each), with the fixed `seed` (the same drawings for every run),
    through preprocess. (N, 28, 28) float32 inputs in [0, 1] and (N,) uint8 labels."""
    images = _render(digits, np.random.default_rng(seed), None, as_uint8=False)
    return images, np.array([d.label for d in digits], np.uint8)
