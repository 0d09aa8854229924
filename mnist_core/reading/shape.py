"""Is the ink a digit at all? A dot, a dash or a tiny scribble must not get a confident answer.

Preprocessing scales any ink up to fill 20x20, so a dot becomes a big disc (read "8 or 0?") and a
short dash a bar (read "7, 96% sure"). This module measures the ink as it was drawn, before that
scaling, in units that do not depend on the pen or the picture's size:

    extent       the ink's longer side over the picture's longer side
    length       the ink's longer side in pen widths (a dot is about 1)
    thinness     the spread across the ink's main axis in pen widths (a straight stroke: 0.29)
    elongation   how much longer the ink is along its main axis than across it
    angle        the main axis's angle from horizontal, degrees

and calls it a dot, a dash, a tiny scribble, or a digit:

    shape = measure_ink(steps.ink)          # what it saw: an InkShape
    check_digit(shape)                      # NotADigitError unless shape.kind == "digit"
    check_ink(steps.ink)                    # the same check, measuring only what it needs

The thresholds below come from bench/not_a_digit.py, which prints the real digits nearest to
them: the 10,000 MNIST test digits (28x28, and scaled up onto a canvas), MNIST test digits
re-drawn as mouse strokes, and the held-out writers' pen digits (mnist_core.data.pendigits) drawn
with pens of 6-40 px, 80-300 px tall, in every canvas format; and that dots, dashes and tiny
scribbles at pens of 6-40 px are refused. The one mark it misses: a scribble with the 40 px pen
over 40 px, an 80 px blob, which measures like a 0 drawn 3 pen widths tall.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mnist_core.errors import NotADigitError

__all__ = ["KINDS", "InkShape", "check_digit", "check_ink", "measure_ink",
           "not_a_digit", "sentence"]

KINDS = ("digit", "dot", "dash", "scribble")

# Figures from `python bench/not_a_digit.py`: 63,979 real digits, none refused; 113 of 114
# made-up marks refused.
#
# A dot: at most this many pen widths long, and this small on the picture. Dots measure
# 1.1-1.5 (a dab, or one dragged a third of a pen width; a longer drag is a tiny scribble).
# Real digits this small on the picture are at least 3.0 pen widths long (an 80 px digit with a
# 14 px pen), 1.7 when drawn under 4 pen widths tall (80 px with a 22 px pen, beyond what a
# person does). Bold MNIST digits go down to 2.1, but fill half the picture or more (extent
# >= 0.5), hence the extent condition.
DOT_MAX_LENGTH = 1.5  # pen widths
DOT_MAX_EXTENT = 0.25  # of the picture's longer side

# A dash: a straight stroke (thinness of a straight stroke is 0.29 pen widths, of a real digit
# that is not a 1 at least 0.73) clearly longer than wide, lying within this angle of
# horizontal. A straight stroke nearer to vertical is a 1: real 1s lie at least 44 degrees from
# horizontal (an MNIST 1 leaning right; pen digits 52 degrees and up). No real digit is a flat
# line.
DASH_MAX_THINNESS = 0.36  # pen widths
DASH_MIN_ELONGATION = 1.8
DASH_MAX_ANGLE = 25.0  # degrees from horizontal

# A tiny scribble: ink under this share of the picture's longer side (50 px on the 336 px
# canvas). Real digits measure at least 0.24 (80 px tall on the canvas) and MNIST digits 0.50
# (14 px of 28); preprocessing itself calls ink under 0.03 specks (EmptyDrawingError).
SCRIBBLE_MAX_EXTENT = 0.15
# ...or a small blob: ink at most 3 pen widths across, under 0.22 of the picture (74 px on the
# canvas): scribbles with a 22 px pen measure 1.8-2.6 and 0.15-0.18; real digits are larger.
BLOB_MAX_LENGTH = 3.0  # pen widths
BLOB_MAX_EXTENT = 0.22

_MIN_SIDE = 100  # px; smaller crops (a 28x28 MNIST digit) are upscaled to measure pen widths
_MAX_SIDE = 120  # px; larger crops are downscaled, which bounds the time

_SENTENCES = {
    "dot": "That looks like a dot: draw a digit, larger.",
    "dash": "That looks like a dash: draw a digit, larger.",
    "scribble": "That looks like a tiny scribble: draw a digit, larger.",
}
_SMALL_FOR_THE_PEN = ("That is too small to read with this pen: its strokes run together. "
                      "Draw the digit larger, or with a thinner pen.")


@dataclass(frozen=True)
class InkShape:
    """What the ink looks like before it is scaled to 20x20.

    Attributes:
        kind: one of KINDS: "digit", "dot", "dash" or "scribble".
        extent: the ink's bounding box's longer side over the picture's longer side, (0, 1].
        length: the bounding box's longer side in pen widths, >= about 1.
        pen_width: the pen's width in px of the picture, > 0 (twice the median distance from
            the ink's centre line to its edge; within 10% for a straight stroke).
        thinness: the standard deviation of the ink across its main axis in pen widths, > 0;
            0.29 for a straight stroke, 0.25 for a dot.
        elongation: the ink's spread along its main axis over the spread across it, >= 1.
        angle: the main axis's angle from horizontal in degrees, 0-90.
    """

    kind: str
    extent: float
    length: float
    pen_width: float
    thinness: float
    elongation: float
    angle: float

    @property
    def is_digit(self) -> bool:
        """True unless the ink is a dot, a dash or a tiny scribble."""
        return self.kind == "digit"


def ink_as_uint8(ink: np.ndarray) -> np.ndarray:
    """(H, W) ink coverage, float in [0, 1] or uint8 in [0, 255], as (H, W) uint8.

    Raises:
        ValueError: `ink` is not a 2-D array.
    """
    ink = np.asarray(ink)
    if ink.ndim != 2 or not ink.size:
        raise ValueError(f"Expected ink of shape (H, W). Received: shape={ink.shape}")
    if ink.dtype != np.uint8:
        ink = cv2.convertScaleAbs(np.asarray(ink, np.float32), alpha=255)  # rounds, clips
    return ink


def measure_ink(ink: np.ndarray, frame_side: int | None = None) -> InkShape:
    """Measure ink and say what it looks like.

    Args:
        ink: (H, W) ink coverage, float in [0, 1] or uint8 in [0, 255] (1 or 255 = full
            ink), as `PreprocessSteps.ink`; it must hold some ink.
        frame_side: the longer side in px (at the ink's scale) of the picture the ink was
            drawn on; None for max(H, W). A piece cut from a bigger picture passes the
            picture's.

    Returns:
        An InkShape; its `kind` is "digit" unless the rules above call it something else.

    Raises:
        ValueError: `ink` is not a 2-D array holding some ink.
    """
    mask, extent, factor = _mask(ink, frame_side)
    elongation, angle, across = _axes(mask)
    # The pen's width: twice the distance to the edge along the centre line (the ridge of
    # the distance map), less 1 px: OpenCV measures to the nearest background pixel's centre,
    # 0.5 px beyond the edge. The median, so crossings (wider) and ends (narrower) do not count.
    distance = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
    ridge = (distance >= cv2.dilate(distance, np.ones((3, 3), np.uint8))) & (mask > 0)
    pen = max(2.0 * float(np.median(distance[ridge])) - 1.0, 1.0)
    values = dict(
        extent=extent,
        length=(max(mask.shape) - 2) / pen,
        pen_width=pen / factor,
        thinness=float(np.sqrt(across)) / pen,
        elongation=elongation,
        angle=angle,
    )
    return InkShape(kind=_kind(**values), **values)


def not_a_digit(ink: np.ndarray, frame_side: int | None = None) -> InkShape | None:
    """None when `measure_ink(ink, frame_side)` would call the ink a digit, else its InkShape;
    faster for the usual drawing.

    Ink spanning more than any dot's or scribble's share of the picture, and not a flat bar
    (too round, or too steep, for a dash), is a digit whatever its pen width: the rules
    need the pen only for dots, dashes and blobs. So the pen, the slowest measurement, is
    taken only when the answer could depend on it, and the digit's axes are read off the ink
    as drawn, with margins, when it is at least 100 px across; the answer is `measure_ink`'s.

    Raises:
        ValueError: as `measure_ink`.
    """
    ink = ink_as_uint8(ink)
    left, top, width, height = cv2.boundingRect(ink)
    side = max(width, height)
    frame = max(ink.shape) if frame_side is None else frame_side
    if side >= _MIN_SIDE and side / frame > _PEN_FREE_EXTENT:  # the extent measure_ink finds
        # The axes of the crop as drawn, not of measure_ink's copy scaled to 120 px: the same
        # shape, so the same figures within far less than the margins (10% and 5 degrees).
        crop = ink[top:top + height, left:left + width]
        _, mask = cv2.threshold(crop, int(crop.max()) // 2, 255, cv2.THRESH_BINARY)
        elongation, angle, _ = _axes(mask)
        if elongation < 0.9 * DASH_MIN_ELONGATION or angle > DASH_MAX_ANGLE + 5:
            return None
    shape = measure_ink(ink, frame_side)
    return None if shape.is_digit else shape


def check_ink(ink: np.ndarray, frame_side: int | None = None) -> None:
    """`check_digit(measure_ink(ink, frame_side))`, measuring only what the answer needs.

    Raises:
        NotADigitError: as `check_digit`. ValueError: as `measure_ink`.
    """
    shape = not_a_digit(ink, frame_side)
    if shape is not None:
        raise NotADigitError(sentence(shape), shape)


# Above this extent no dot, scribble or blob rule applies (each needs the extent at or below
# its own limit), so only the dash rule is left.
_PEN_FREE_EXTENT = max(DOT_MAX_EXTENT, SCRIBBLE_MAX_EXTENT, BLOB_MAX_EXTENT)


def _mask(ink: np.ndarray, frame_side: int | None) -> tuple[np.ndarray, float, float]:
    """The ink's crop as a 0/255 uint8 mask about 100-120 px across with a 1 px background
    border, the ink's extent on the picture, and the factor the crop was scaled by."""
    ink = ink_as_uint8(ink)
    left, top, width, height = cv2.boundingRect(ink)
    if not width or not height:
        raise ValueError("Expected ink holding some ink. Received: an empty ink array")
    crop = ink[top:top + height, left:left + width]
    side = max(width, height)
    factor = 1.0
    if side < _MIN_SIDE:
        factor = _MIN_SIDE / side
    elif side > _MAX_SIDE:
        factor = _MAX_SIDE / side
    if factor != 1.0:
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_LINEAR if factor > 1
                          else cv2.INTER_AREA)
    # Ink counts where it is at least half the strongest; a border of background, so ink
    # that fills its crop still has an edge to measure to.
    _, mask = cv2.threshold(crop, int(crop.max()) // 2, 255, cv2.THRESH_BINARY)
    mask = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    frame = max(ink.shape) if frame_side is None else frame_side
    return mask, side / frame, factor


def _axes(mask: np.ndarray) -> tuple[float, float, float]:
    """The mask's elongation, its main axis's angle from horizontal (degrees, 0-90), and its
    variance across that axis (px^2), from its second moments."""
    moments = cv2.moments(mask, binaryImage=True)
    mu20, mu02, mu11 = (moments[key] / moments["m00"] for key in ("mu20", "mu02", "mu11"))
    half_spread = np.hypot((mu20 - mu02) / 2, mu11)
    along = (mu20 + mu02) / 2 + half_spread  # variance along the main axis, px^2
    across = max((mu20 + mu02) / 2 - half_spread, 1e-9)
    angle = abs(float(np.degrees(0.5 * np.arctan2(2 * mu11, mu20 - mu02))))
    return float(np.sqrt(along / across)), angle, across


def _kind(*, extent: float, length: float, pen_width: float, thinness: float,
          elongation: float, angle: float) -> str:
    """The rules, in order: a dot, a dash, a tiny scribble, else a digit."""
    if length <= DOT_MAX_LENGTH and extent <= DOT_MAX_EXTENT:
        return "dot"
    if (thinness <= DASH_MAX_THINNESS and elongation >= DASH_MIN_ELONGATION
            and angle <= DASH_MAX_ANGLE):
        return "dash"
    if extent < SCRIBBLE_MAX_EXTENT or (length < BLOB_MAX_LENGTH and extent < BLOB_MAX_EXTENT):
        return "scribble"
    return "digit"


def sentence(shape: InkShape) -> str:
    """What the page says about ink that is not a digit, e.g. 'That looks like a dot: ...'.
    A small blob (the scribble rule's second half) may be a digit drawn too small for its
    pen: the page says so rather than call it a scribble."""
    if shape.kind == "scribble" and shape.extent >= SCRIBBLE_MAX_EXTENT:
        return _SMALL_FOR_THE_PEN
    return _SENTENCES.get(shape.kind, "")


def check_digit(shape: InkShape) -> InkShape:
    """Return `shape` if it is a digit's.

    Raises:
        NotADigitError: the ink is a dot, a dash or a tiny scribble; the message says which,
            and the error's `shape` is this InkShape.
    """
    if not shape.is_digit:
        raise NotADigitError(sentence(shape), shape)
    return shape
