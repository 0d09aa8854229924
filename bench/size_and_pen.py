"""Small digits, thick pens: how the model reads real writers over digit size and pen width.

Each digit of a real-writers split (mnist_core.data.writers; default "validation", where rules
are chosen) is drawn on the home page's 336x336 canvas at each ink height (a share of the
square) and pen width of the grid, centred, with the writer's own slant, and read as the page
reads a drawing (`Recognizer.predict`: not-a-digit refusals included). For each cell it prints
the share read right, read wrong, and refused ("too small to read with this pen"); then the
share shown sure and wrong (what misleads a person) and the share read right but shown with a
doubt ("4 or 9?" under `UNSURE_MARGIN`, "8?" when drawn small for the pen, `THICK_SHARE`).
A digit smaller than a few pen widths cannot be drawn with that pen (its strokes would merge
into a blob); those cells are left out and marked "-".

    python bench/size_and_pen.py                      # validation split, about 3 minutes
    python bench/size_and_pen.py --split report --per-writer 10

Needs UNIPEN_DATA_DIR and PENDIGITS_DATA_DIR.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mnist_core.data.pendigits import CANVAS_SIZE, draw_pen_digit  # noqa: E402
from mnist_core.data.writers import real_writers  # noqa: E402
from mnist_core.errors import DrawingError  # noqa: E402
from mnist_core.recognizer import Recognizer  # noqa: E402

SIZES = (0.20, 0.25, 0.30, 0.38, 0.45, 0.60, 0.80)  # ink height, of the square's side
PENS = (6, 14, 22, 30, 40)  # px: the page's slider runs 6-40, default 22
MIN_HEIGHT_PER_PEN = 2.5  # below this many pen widths tall the strokes merge into one blob


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=["validation", "report"], default="validation")
    parser.add_argument("--per-writer", type=int, default=8,
                        help="digits per writer (default 8: about 500 digits a cell)")
    args = parser.parse_args()
    started = time.perf_counter()
    recognizer = Recognizer.load()
    digits = real_writers(args.split, per_writer=args.per_writer)
    print(f"model: {recognizer.source}; {args.split} split: {len(digits)} digits of "
          f"{len({digit.writer_key for digit in digits})} writers; centred, writer's slant")
    sizes = [size for size in SIZES if size * CANVAS_SIZE >= MIN_HEIGHT_PER_PEN * min(PENS)]
    tally = {}  # (size, pen) -> right, right shown unsure, wrong, wrong shown sure, refused
    for size in sizes:
        height = size * CANVAS_SIZE
        for pen in PENS:
            if height < MIN_HEIGHT_PER_PEN * pen:
                continue
            counts = [0] * 5
            for digit in digits:
                canvas = draw_pen_digit(digit, pen_width=pen, height=height)
                try:
                    prediction = recognizer.predict(canvas)
                except DrawingError:  # NotADigitError, or too little ink: named, not read
                    counts[4] += 1
                    continue
                if prediction.digit == digit.label:
                    counts[0] += 1
                    counts[1] += prediction.is_unsure
                else:
                    counts[2] += 1
                    counts[3] += not prediction.is_unsure
            tally[size, pen] = counts
    n = len(digits)
    print("read right / wrong / refused (named: too small for the pen, a scribble)")
    _table(sizes, tally, lambda c: f"{c[0] / n:6.1%} / {c[2] / n:5.1%} / {c[4] / n:5.1%}")
    print("\nshown sure and wrong (what misleads) / right but shown unsure (\"8?\", \"4 or 9?\")")
    _table(sizes, tally, lambda c: f"{c[3] / n:5.1%} / {c[1] / n:5.1%}")
    shown = [tally[key] for key in tally if key[0] >= 0.45 and key[1] <= 30]
    print(f"\ntypical (45% of the square and up, pens to 30 px): read right "
          f"{sum(c[0] for c in shown) / (n * len(shown)):.2%}, shown sure and wrong "
          f"{sum(c[3] for c in shown) / (n * len(shown)):.2%}, refused "
          f"{sum(c[4] for c in shown)} of {n * len(shown)}")
    print(f"bench total: {time.perf_counter() - started:.0f} s")


def _table(sizes, tally, cell) -> None:
    """One row per ink height, one column per pen; "-" where the pen is too wide to draw."""
    print("height \\ pen " + "".join(f"{pen:>24d} px" for pen in PENS))
    for size in sizes:
        cells = [cell(tally[size, pen]) if (size, pen) in tally else "-" for pen in PENS]
        print(f"{size:>5.0%} ({size * CANVAS_SIZE:3.0f} px)" + "".join(f"{c:>27s}" for c in cells))


if __name__ == "__main__":
    main()
