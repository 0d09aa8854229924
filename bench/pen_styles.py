"""How do real writers draw a digit? A picture of their pen digits, one row per writer.

Each argument is DIGIT:WRITER; its row shows that writer's digits drawn on the canvas with the
same pen, with the model's answer (red when wrong) above each one:

    python bench/pen_styles.py 9:2 9:14 3:28 3:20          # held-out 9s beside trained-on 3s
    python bench/pen_styles.py 8:14 8:18 --run 2026-12-02_074721 --picture /tmp/eights.png

Rows of held-out writers (mnist_core.data.pendigits.HELD_OUT_WRITERS) are marked "held out".
Needs PENDIGITS_DATA_DIR.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from mnist_core.data.pendigits import HELD_OUT_WRITERS, draw_pen_digit, load_pendigits  # noqa: E402
from mnist_core.reading.preprocessing import preprocess  # noqa: E402
from mnist_core.runs.store import ModelStore  # noqa: E402

TILE = 72  # px
PER_ROW = 16
LABEL = 150  # px of the row's caption on the left


def read_all(digits, weights) -> tuple[list[np.ndarray], np.ndarray]:
    """Each digit drawn with one pen and size, and the model's answer on each."""
    canvases = [draw_pen_digit(digit, pen_width=16, height=220, format="white-on-black")
                for digit in digits]
    answers = weights.predict(np.stack([preprocess(canvas) for canvas in canvases])).argmax(1)
    return canvases, answers


def row(digits, canvases, answers, caption: str) -> np.ndarray:
    """The first PER_ROW digits as tiles, the model's answer on each, a caption on the left."""
    tiles = []
    for digit, canvas, answer in list(zip(digits, canvases, answers, strict=True))[:PER_ROW]:
        tile = cv2.cvtColor(cv2.resize(canvas[..., 0], (TILE, TILE),
                                       interpolation=cv2.INTER_AREA), cv2.COLOR_GRAY2BGR)
        colour = (90, 200, 90) if answer == digit.label else (60, 60, 255)
        cv2.putText(tile, str(answer), (3, 15), cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, 1,
                    cv2.LINE_AA)
        tiles.append(np.pad(tile, ((1, 1), (1, 1), (0, 0)), constant_values=80))
    while len(tiles) < PER_ROW:
        tiles.append(np.zeros((TILE + 2, TILE + 2, 3), np.uint8))
    head = np.full((TILE + 2, LABEL, 3), 30, np.uint8)
    for line, text in enumerate(caption.split("\n")):
        cv2.putText(head, text, (6, 28 + 20 * line), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                    (230, 230, 230), 1, cv2.LINE_AA)
    return np.concatenate([head, *tiles], axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("rows", nargs="+", metavar="DIGIT:WRITER")
    parser.add_argument("--run", metavar="RUN_ID", help="a run id (default: the model in use)")
    parser.add_argument("--picture", type=Path,
                        default=PROJECT / "screenshots-tmp" / "pen-styles.png")
    args = parser.parse_args()
    store = ModelStore()
    run_id = args.run or store.active_run_id()
    weights = store.load_weights(run_id)
    every = load_pendigits()
    rows = []
    for spec in args.rows:
        try:
            label, writer = (int(part) for part in spec.split(":"))
        except ValueError:
            parser.error(f"Expected DIGIT:WRITER such as 9:2. Received: {spec!r}")
        digits = [d for d in every if d.label == label and d.writer == writer]
        if not digits:
            parser.error(f"Writer {writer} wrote no {label}s (writers are 1-30).")
        side = "held out" if writer in HELD_OUT_WRITERS else "trained on"
        canvases, answers = read_all(digits, weights)
        right = float(np.mean(answers == label))
        rows.append(row(digits, canvases, answers, f"{label}s of writer {writer}\n{side}\n"
                                                   f"{right:.0%} read right"))
        print(f"{label}s of writer {writer} ({side}): {right:.0%} of {len(digits)} read right "
              f"by {run_id}")
    args.picture.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.picture), np.concatenate(rows))
    print(f"picture: {args.picture}")


if __name__ == "__main__":
    main()
