"""Two digits side by side at the gaps people leave: read as two digits, or taken for one?

Pairs are built from real writers' pen digits (a split of mnist_core.data.writers: UNIPEN's
writers, $UNIPEN_DATA_DIR, and the pendigits file's, $PENDIGITS_DATA_DIR), each drawn as the
canvas draws it (mnist_core.data.pendigits.draw_pen_digit: round pen, transparent 336x336
canvas), the two set side by side with a gap between their ink boxes of 0 to 0.6 of their height
(about one digit's width), as large as people draw on a phone: 180-300 px tall (shrunk until the
pair fits the canvas), pens of 14, 22 (the page's default) and 30 px.

The rules for close and touching pieces (mnist_core.recognizer.NEAR_GAP, TOUCHING_SURE) are
chosen on the validation writers (the default); --split report reports a rule already chosen, on
writers no rule was chosen on. (They were first chosen on a half of UNIPEN's writers of this
bench's own, before the project's splits existed.) --dump keeps each drawing's gaps and
readings, so another rule can be tried on them without drawing again. Per gap it prints how
often the pair is read as two digits, read right, shown as "4 or 42?" (ambiguous) and taken for
one confident digit (the bug: "42" read as "4, 67% sure"); and for single digits of the same
writers, drawn as large (pens 6-30 px), and for MNIST test digits as uploads, how many are split
or shown as ambiguous.

    python bench/number_gaps.py                    # validation: 200 pairs per gap, about 5 min
    python bench/number_gaps.py --split report     # report a rule already chosen
    python bench/number_gaps.py --pairs 60 --singles 600   # a quick look
    python bench/number_gaps.py --dump features.pkl       # each drawing's gaps and readings

Needs UNIPEN_DATA_DIR and PENDIGITS_DATA_DIR.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mnist_core.data.pendigits import PenDigit, draw_pen_digit  # noqa: E402
from mnist_core.data.writers import real_writers  # noqa: E402
from mnist_core.errors import DataNotFoundError, DrawingError  # noqa: E402
from mnist_core.reading.numbers import GAP, digit_gaps, split_digits  # noqa: E402
from mnist_core.reading.preprocessing import find_ink, prepare_found  # noqa: E402
from mnist_core.recognizer import NEAR_GAP, Recognizer  # noqa: E402

CANVAS = 336
GAPS = (0.0, 0.03, 0.06, 0.1, 0.15, 0.2, 0.3, 0.45, 0.6)  # of the digits' height
PENS = (14, 22, 30)
SINGLE_PENS = (6, 10, 14, 22, 30)  # thin pens leave gaps inside digits: the test of the rule
HEIGHTS = (180, 300)  # px
PER_WRITER = 40  # digits per writer at most, so a few prolific writers do not dominate
PROBE_GAPS = (0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12)  # where readings of closer splits are kept


def _alpha(digit: PenDigit, pen: int, height: float) -> np.ndarray:
    """The digit's ink, cropped to its box, drawn `height` px tall with a `pen` px pen."""
    alpha = draw_pen_digit(digit, pen_width=pen, height=height)[..., 3]
    left, top, width, rows = cv2.boundingRect(alpha)
    return alpha[top:top + rows, left:left + width]


def pair_picture(first: PenDigit, second: PenDigit, gap: float, rng: np.random.Generator
                 ) -> np.ndarray:
    """(336, 336) uint8 ink: the two digits side by side, `gap` (of their height) apart."""
    pen = int(rng.choice(PENS))
    height = float(rng.uniform(*HEIGHTS))
    for _ in range(4):  # shrink until the pair fits, as a person would write it
        crops = [_alpha(digit, pen, height) for digit in (first, second)]
        width = crops[0].shape[1] + crops[1].shape[1] + gap * height
        if width <= CANVAS - 8:
            break
        height = max(4.5 * pen, height * (CANVAS - 8) / width - 1)
    picture = np.zeros((CANVAS, CANVAS), np.uint8)
    x = max(0, round((CANVAS - width) / 2))
    bottom = round((CANVAS + height) / 2)
    for crop in crops:
        h, w = crop.shape
        x = min(x, CANVAS - w)
        region = picture[max(0, bottom - h):bottom, x:x + w]
        np.maximum(region, crop[-region.shape[0]:], out=region)
        x += w + round(gap * height)
    return picture


def single_picture(digit: PenDigit, rng: np.random.Generator) -> np.ndarray:
    """(336, 336) uint8 ink: one digit, 180-300 px tall, centred, pen of 6-30 px."""
    pen = int(rng.choice(SINGLE_PENS))
    alpha = draw_pen_digit(digit, pen_width=pen, height=float(rng.uniform(*HEIGHTS)))[..., 3]
    return alpha


def features(recognizer: Recognizer, ink: np.ndarray, upload: bool = False) -> dict | None:
    """One drawing's gaps and its readings: whole, as now (predict_number), and split at each
    of PROBE_GAPS (None where that split has a dot or dash, or the same pieces as a wider gap).
    `ink` is drawn on the transparent canvas, or read as it is (an upload) when `upload`."""
    picture = ink if upload else cv2.merge([ink, ink, ink, ink])  # white ink, alpha
    try:
        found = find_ink(picture)
        number = recognizer.predict_number(picture)
    except DrawingError:
        return None
    whole = recognizer.weights.predict(prepare_found(found).model_input[None])[0]
    splits = {}
    gaps = digit_gaps(found.ink)
    for probe in PROBE_GAPS:
        count = 1 + sum(g >= probe for g in gaps)
        if count < 2 or count in {len(v) for v in splits.values() if v is not None}:
            continue
        try:
            reading = recognizer._read_pieces(found, split_digits(found.ink, gap=probe), False)
            splits[probe] = [p.probabilities for p in reading.digits]
        except DrawingError:
            splits[probe] = None
    return {"gaps": gaps, "whole": whole, "splits": splits, "text": number.text,
            "ambiguous": number.is_ambiguous, "alternative": number.alternative_text}


def collect(recognizer, sets, pairs: int, singles: int, rng) -> list[dict]:
    rows = []
    for name, digits in sets.items():
        started = time.perf_counter()
        for gap in GAPS:
            for _ in range(pairs):
                first, second = (digits[i] for i in rng.integers(len(digits), size=2))
                row = features(recognizer, pair_picture(first, second, gap, rng))
                if row is not None:
                    rows.append(dict(row, set=name, kind="pair", gap=gap,
                                     truth=f"{first.label}{second.label}"))
        for index in rng.permutation(len(digits))[:singles]:
            row = features(recognizer, single_picture(digits[index], rng))
            if row is not None:
                rows.append(dict(row, set=name, kind="single", gap=None,
                                 truth=str(digits[index].label)))
        print(f"  [{name}: {time.perf_counter() - started:.0f} s]", file=sys.stderr)
    return rows


def mnist_singles(recognizer, count: int) -> list[dict]:
    """MNIST test digits read as uploads (28x28, white on black): broken 1s and 7s."""
    from mnist_core.data.mnist import load_mnist

    try:
        _, (x_test, y_test) = load_mnist()
    except DataNotFoundError as error:
        print(f"MNIST left out: {error}")
        return []
    rows = []
    for image, label in zip(x_test[:count], y_test[:count], strict=True):
        row = features(recognizer, image, upload=True)
        if row is not None:
            rows.append(dict(row, set="MNIST test (uploads)", kind="single", gap=None,
                             truth=str(int(label))))
    return rows


def report(rows: list[dict]) -> None:
    for name in dict.fromkeys(row["set"] for row in rows):
        mine = [row for row in rows if row["set"] == name]
        print(f"{name}:")
        for gap in GAPS:
            at = [row for row in mine if row["kind"] == "pair" and row["gap"] == gap]
            if not at:
                continue
            n = len(at)
            two = sum(len(row["text"]) == 2 for row in at)
            right = sum(row["text"] == row["truth"] for row in at)
            offered = sum(row["truth"] in (row["text"], row["alternative"]) for row in at)
            ambiguous = sum(row["ambiguous"] for row in at)
            one = sum(len(row["text"]) == 1 and not row["ambiguous"] for row in at)
            print(f"  gap {gap:4.2f} of the height ({n} pairs): read as two digits "
                  f"{two / n:6.1%}, read right {right / n:6.1%}, right one of the two readings "
                  f"shown {offered / n:6.1%}; \"4 or 42?\" {ambiguous / n:6.1%}; one sure digit "
                  f"{one / n:6.1%}")
        single = [row for row in mine if row["kind"] == "single"]
        if single:
            n = len(single)
            split = sum(len(row["text"]) > 1 and not row["ambiguous"] for row in single)
            ambiguous = sum(row["ambiguous"] for row in single)
            right = sum(row["text"] == row["truth"] and not row["ambiguous"] for row in single)
            pieces = sum(bool(row["gaps"]) for row in single)
            print(f"  single digits ({n}): shown as one sure digit and right {right / n:.2%}; "
                  f"split {split} ({split / n:.2%}), \"4 or 14?\" {ambiguous} "
                  f"({ambiguous / n:.2%}); {pieces} have tall pieces side by side")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=200, help="pairs per gap and set")
    parser.add_argument("--singles", type=int, default=2000, help="single digits per set")
    parser.add_argument("--mnist", type=int, default=10000, help="MNIST test digits")
    parser.add_argument("--dump", type=Path, help="write each drawing's features here")
    parser.add_argument("--split", choices=("validation", "report"), default="validation",
                        help="whose digits: validation (choose rules on it) or report")
    args = parser.parse_args()
    recognizer = Recognizer.load()
    rng = np.random.default_rng(0)
    print(f"model: {recognizer.source}; GAP {GAP}, NEAR_GAP {NEAR_GAP}; pens {PENS} px, "
          f"{HEIGHTS[0]}-{HEIGHTS[1]} px tall")
    sets = {f"{args.split} writers": list(real_writers(args.split, per_writer=PER_WRITER))}
    rows = collect(recognizer, sets, args.pairs, args.singles, rng)
    rows += mnist_singles(recognizer, args.mnist)
    if args.dump:
        with open(args.dump, "wb") as file:
            pickle.dump(rows, file)
    report(rows)


if __name__ == "__main__":
    main()
