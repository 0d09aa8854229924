"""Small digits, thick pens: how the model reads real writers over digit size and pen width.

Each digit of a real-writers split (mnist_core.data.writers; default "validation", where rules
are chosen) is drawn on the home page's 336x336 canvas at each ink height (a share of the
square) and pen width of the grid, centred, with the writer's own slant, and read as the page
reads a drawing (`Recognizer.predict`: not-a-digit refusals included). For each cell it prints
the share read right, read wrong, and refused ("That looks like a dot/dash/scribble"), and
how many of the wrong ones the page shows as "4 or 9?" (under `UNSURE_MARGIN`) rather than a
sure answer. A digit smaller than a few pen widths cannot be drawn with that pen (its strokes
would merge into a blob); those cells are left out and marked "-".

    python bench/size_and_pen.py                      # validation split, about 2 minutes
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

SIZES = (0.20, 0.30, 0.45, 0.60, 0.80)  # ink height, of the square's side (wider would clip)
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
    print("cells: read right / wrong (of which shown \"4 or 9?\") / refused as not a digit")
    print("height \\ pen " + "".join(f"{pen:>27d} px" for pen in PENS))
    for size in SIZES:
        height = size * CANVAS_SIZE
        cells = []
        for pen in PENS:
            if height < MIN_HEIGHT_PER_PEN * pen:
                cells.append(f"{'-':>30s}")
                continue
            right = wrong = unsure = refused = 0
            for digit in digits:
                canvas = draw_pen_digit(digit, pen_width=pen, height=height)
                try:
                    prediction = recognizer.predict(canvas)
                except DrawingError:  # NotADigitError, or too little ink: named, not read
                    refused += 1
                    continue
                if prediction.digit == digit.label:
                    right += 1
                else:
                    wrong += 1
                    unsure += prediction.is_unsure
            n = len(digits)
            cells.append(f"{right / n:7.1%} / {wrong / n:5.1%} ({unsure:3d}) / {refused / n:5.1%}")
        print(f"{size:>5.0%} ({height:3.0f} px)" + "".join(f"{cell:>30s}" for cell in cells))
    print(f"bench total: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
