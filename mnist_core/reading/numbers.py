"""Split a drawing of several digits side by side ("42", an upload of "10") into one per digit.

The ink is cut into connected pieces (8-connected, where it is at least a quarter of the
strongest). Pieces that stand tall (at least `TALL` of the tallest piece's height) are digits or
parts of one: from left to right, a piece starts a new digit when the horizontal gap between it
and the digit so far is at least `GAP` of the tallest piece's height, and belongs to that digit
otherwise (a 4's two strokes that do not meet, a 1's base). A short piece (a 5's flag, a 7's
bar, a dot) is never a digit of its own: it joins the nearest digit.

    pieces = split_digits(steps.ink)        # left to right
    pieces[0].ink, pieces[0].box

The gap was measured on real single digits (see GAP) and is checked by bench/read_numbers.py,
which also reads numbers composed of real digits with gaps of several widths. People writing on
a phone leave narrower gaps (bench/number_gaps.py): `digit_gaps` says where the tall pieces
are apart, and the recognizer also reads a drawing split at a narrower gap
(`split_digits(ink, gap=...)`) to tell "4" from "42", or say "4 or 42?". Touching digits are
one piece: `cut_touching` guesses where wide ink would part, and the recognizer offers that
only beside the one-digit reading.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from mnist_core.reading.shape import ink_as_uint8

__all__ = ["DigitPiece", "GAP", "TALL", "WIDE", "cut_touching", "digit_gaps", "split_digits"]

# Of the tallest piece's height. Digits side by side are separated by a gap at least GAP wide:
# the pieces of one real digit are never that far apart. Measured (a one-off script) on all
# 7,494 pen digits drawn with 6 and 14 px pens (22,482 drawings): at most 0.125, a 4 whose two
# strokes do not meet; on 10,000 MNIST test and 20,000 training digits: at most 0.20, a 1 in
# two pieces. 0.15 keeps the canvas's digits whole (0 of 5,997 held-out pen drawings split)
# and splits most numbers written with tight gaps (0.1-0.25 of the height): pairs of held-out
# writers' digits read right 2% -> 56%, of MNIST digits 33% -> 89% (0.25 split none of them),
# at the cost of 3 of the 10,000 MNIST test digits (broken 1s and 7s in uploads) being split.
# bench/read_numbers.py measures both. Touching digits are one. Pieces closer than GAP but
# apart are read both ways by `Recognizer.predict_number` (numbers at natural gaps: see
# bench/number_gaps.py; with that, tight pairs read 95%, not 56%).
GAP = 0.15
TALL = 0.4  # a piece at least this tall may be a digit; a shorter one joins the nearest
_INK_LEVEL = 0.25  # of the strongest ink: fainter pixels join no pieces (anti-aliasing)
_MARGIN = 2  # px of background around each piece's ink
# Ink at least this many times as wide as it is tall may be two digits touching (cut_touching).
# Chosen with mnist_core.recognizer.TOUCHING_SURE, on half of UNIPEN's writers.
WIDE = 1.0
_CUT_BAND = (0.3, 0.7)  # where cut_touching looks for the thinnest column, of the ink's width
_POOLED_SIDE = 112  # px; see split_digits


@dataclass(frozen=True, eq=False)
class DigitPiece:
    """One digit's ink cut from a drawing.

    Attributes:
        ink: (h, w) uint8 in [0, 255], 255 = full ink, white on black: this digit's ink alone
            (the other digits' ink removed), with a 2 px margin of background, at least 8x8.
            `mnist_core.preprocess` reads it like any grayscale image.
        box: (top, left, bottom, right), half-open, the ink's bounding box in px of the ink
            array it was cut from.
    """

    ink: np.ndarray
    box: tuple[int, int, int, int]


def split_digits(ink: np.ndarray, *, gap: float = GAP) -> list[DigitPiece]:
    """Cut ink into digits, left to right.

    Args:
        ink: (H, W) ink coverage, float in [0, 1] or uint8 in [0, 255], as
            `PreprocessSteps.ink`; it must hold some ink.
        gap: the narrowest gap between digits, of the tallest piece's height (>= 0): tall
            pieces closer than this are one digit. `GAP` unless a caller asks where a drawing
            would split at a narrower gap (the recognizer does, for "4 or 42?").

    Returns:
        One DigitPiece per digit, ordered by their left edges; one piece for a single digit
        (its `ink` then holds all of the ink).

    Raises:
        ValueError: `ink` is not a 2-D array holding some ink, or `gap` is negative.
    """
    if not gap >= 0:
        raise ValueError(f"Expected gap >= 0 (of the tallest piece's height). Received: gap={gap}")
    ink = ink_as_uint8(ink)
    labels, stats, block = _components(ink)
    groups = _group(stats, gap)
    height, width = ink.shape
    if len(groups) == 1:
        left, top, box_width, box_height = cv2.boundingRect(ink)
        return [_piece(ink, (top, left, top + box_height, left + box_width), None, labels,
                       block)]
    pieces = []
    for members in groups:
        spans = stats[members]
        left = int(spans[:, cv2.CC_STAT_LEFT].min()) * block
        top = int(spans[:, cv2.CC_STAT_TOP].min()) * block
        right = int((spans[:, cv2.CC_STAT_LEFT] + spans[:, cv2.CC_STAT_WIDTH]).max()) * block
        bottom = int((spans[:, cv2.CC_STAT_TOP] + spans[:, cv2.CC_STAT_HEIGHT]).max()) * block
        pieces.append(_piece(ink, (top, left, min(bottom, height), min(right, width)),
                             [m + 1 for m in members], labels, block))
    return sorted(pieces, key=lambda piece: piece.box[1])


def digit_gaps(ink: np.ndarray) -> list[float]:
    """The gaps between the tall pieces' runs, left to right, of the tallest piece's height.

    Tall pieces (`TALL`) whose columns overlap or touch make one run; a gap is the empty
    columns between two runs. `split_digits(ink, gap=g)` cuts the ink into
    1 + (the number of gaps >= g) digits. Empty for ink in one run (most single digits).

    Args:
        ink: as `split_digits`.
    Raises:
        ValueError: as `split_digits`.
    """
    _, stats, _ = _components(ink_as_uint8(ink))
    tall = stats[stats[:, cv2.CC_STAT_HEIGHT] >= TALL * stats[:, cv2.CC_STAT_HEIGHT].max()]
    tallest = float(tall[:, cv2.CC_STAT_HEIGHT].max())
    gaps, right = [], None
    for left, width in sorted(zip(tall[:, cv2.CC_STAT_LEFT].tolist(),
                                  tall[:, cv2.CC_STAT_WIDTH].tolist(), strict=True)):
        if right is not None and left >= right:
            gaps.append((left - right) / tallest)
        right = left + width if right is None else max(right, left + width)
    return gaps


def cut_touching(ink: np.ndarray) -> list[DigitPiece] | None:
    """Two digits whose ink touches ("42" with the 4's bar running into the 2), cut apart at
    the thinnest column of the ink's middle (`_CUT_BAND` of its width); None for ink less
    than `WIDE` times as wide as it is tall, which is one digit, or not two tall halves.

    A guess, not a split: a wide single digit (a flat 2, a long-barred 7) is cut as readily,
    so the recognizer only offers this reading beside the one-digit one ("4 or 42?").

    Args:
        ink: as `split_digits`.
    Returns:
        Two DigitPieces, left then right, as `split_digits` makes them; or None.
    Raises:
        ValueError: as `split_digits`.
    """
    ink = ink_as_uint8(ink)
    strongest = int(ink.max())
    if strongest == 0:
        raise ValueError("Expected ink holding some ink. Received: an empty ink array")
    mask = ink >= max(1, int(strongest * _INK_LEVEL))
    left, top, width, height = cv2.boundingRect(mask.astype(np.uint8))
    if width < WIDE * height:
        return None
    columns = mask[top:top + height, left:left + width].sum(axis=0)
    band = np.arange(int(width * _CUT_BAND[0]), int(np.ceil(width * _CUT_BAND[1])))
    # The thinnest column; of equals, the one nearest the middle.
    cut = left + int(band[np.lexsort((np.abs(band - width / 2), columns[band]))[0]])
    pieces = []
    for start, stop in ((0, cut), (cut, ink.shape[1])):
        half = np.zeros_like(ink)
        half[:, start:stop] = ink[:, start:stop]
        x, y, w, h = cv2.boundingRect(half)
        if h < TALL * height:  # a bar's end, not a digit
            return None
        pieces.append(_piece(half, (y, x, y + h, x + w), None, None, 1))
    return pieces


def _components(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """The ink's connected pieces: (labels, stats without the background's row, block).

    Raises ValueError for ink without ink.
    """
    strongest = int(ink.max())
    if strongest == 0:
        raise ValueError("Expected ink holding some ink. Received: an empty ink array")
    _, mask = cv2.threshold(ink, max(1, int(strongest * _INK_LEVEL)) - 1, 255,
                            cv2.THRESH_BINARY)
    # Pieces are found on a max-pooled copy (blocks of `block` px, about 112 across), which
    # is 5x faster than at full size on the canvas; pooling joins only ink closer than a
    # block (3 px on the 336 px canvas, 1% of its side): such pieces count as touching.
    height, width = ink.shape
    block = max(1, max(height, width) // _POOLED_SIDE)
    if block > 1:
        mask = cv2.dilate(mask, np.ones((block, block), np.uint8), anchor=(0, 0))
        mask = np.ascontiguousarray(mask[::block, ::block])
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return labels, stats[1:count], block  # row 0 of stats is the background


def _group(stats: np.ndarray, gap: float) -> list[list[int]]:
    """Group connected pieces (rows of OpenCV's stats) into digits; lists of row indices."""
    lefts = stats[:, cv2.CC_STAT_LEFT].astype(float)
    rights = lefts + stats[:, cv2.CC_STAT_WIDTH]
    heights = stats[:, cv2.CC_STAT_HEIGHT].astype(float)
    tallest = float(heights.max())
    min_gap = gap * tallest
    order = [int(i) for i in np.argsort(lefts, kind="stable")]
    groups: list[list[int]] = []
    spans: list[list[float]] = []  # each group's [left, right]
    for index in (i for i in order if heights[i] >= TALL * tallest):
        if spans and lefts[index] - spans[-1][1] < min_gap:
            groups[-1].append(index)
            spans[-1][1] = max(spans[-1][1], rights[index])
        else:
            groups.append([index])
            spans.append([lefts[index], rights[index]])
    for index in (i for i in order if heights[i] < TALL * tallest):
        # The gap to each digit's span (negative: they overlap); the nearest one takes it,
        # however far: a short mark is part of a digit, never a digit of its own.
        gaps = [max(left - rights[index], lefts[index] - right) for left, right in spans]
        nearest = int(np.argmin(gaps))
        groups[nearest].append(index)
        spans[nearest] = [min(spans[nearest][0], lefts[index]),
                          max(spans[nearest][1], rights[index])]
    return groups


def _piece(ink: np.ndarray, box: tuple[int, int, int, int], members: list[int] | None,
           labels: np.ndarray | None, block: int) -> DigitPiece:
    """Cut one digit out: its box plus a margin, other digits' ink removed, at least 8x8.

    `labels` are the pieces found on the pooled mask: pixel (r, c) of `ink` belongs to piece
    labels[r // block, c // block].
    """
    top, left, bottom, right = box
    height, width = ink.shape
    rows = slice(max(0, top - _MARGIN), min(height, bottom + _MARGIN))
    cols = slice(max(0, left - _MARGIN), min(width, right + _MARGIN))
    cut = ink[rows, cols].copy()
    if members is not None:
        # Faint pixels belong to no piece; keep those next to this digit's pieces only. The
        # pooled labels of the cut, looked up and only then blown up to full size.
        mine = np.zeros(int(labels.max()) + 1, np.uint8)
        mine[members] = 1
        pooled = mine[labels[rows.start // block:-(-rows.stop // block),
                             cols.start // block:-(-cols.stop // block)]]
        if block > 1:
            pooled = np.repeat(np.repeat(pooled, block, axis=0), block, axis=1)
        first_row, first_col = rows.start % block, cols.start % block
        own = np.ascontiguousarray(pooled[first_row:first_row + cut.shape[0],
                                          first_col:first_col + cut.shape[1]])
        own = cv2.dilate(own, np.ones((3, 3), np.uint8))
        cut[own == 0] = 0
        # The box of the ink kept (the pooled pieces' box is a block too large).
        x, y, w, h = cv2.boundingRect(cut)
        box = (rows.start + y, cols.start + x, rows.start + y + h, cols.start + x + w)
        cut = cut[max(0, y - _MARGIN):y + h + _MARGIN, max(0, x - _MARGIN):x + w + _MARGIN]
    # A margin of background on every side (the box may touch the picture's edge), and at
    # least 8x8, the smallest picture preprocess takes.
    pad_rows = max(_MARGIN, (8 - cut.shape[0] + 1) // 2)
    pad_cols = max(_MARGIN, (8 - cut.shape[1] + 1) // 2)
    cut = cv2.copyMakeBorder(cut, pad_rows, pad_rows, pad_cols, pad_cols,
                             cv2.BORDER_CONSTANT, value=0)
    return DigitPiece(cut, box)
