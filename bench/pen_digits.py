"""Does the model read real people's digits? Accuracy on writers it never learnt from.

Every digit of the chosen writers is drawn on the home page's 336x336 canvas the way a person
draws there (random pen 8-36 px, size, place and extra slant, fixed seed), in each of the three
canvas formats the app receives (the same drawing in each), read through preprocess by the
model, as the app does. The writers: by default the pendigits file's 8 held-out writers
(mnist_core.data.pendigits.HELD_OUT_WRITERS, 1,999 digits, every figure reported so far); with
--split, a split of both real-writer files (mnist_core.data.writers: "validation" to choose
recipes on, "report" to report them; at most 60 digits a writer). --small draws each digit a
quarter to 40% of the square's height with the page's default 22 px pen, as people draw small.

    python bench/pen_digits.py                    # the model in use
    python bench/pen_digits.py --run 2026-11-21_081502 --copies 2
    python bench/pen_digits.py --split validation --small   # needs UNIPEN_DATA_DIR too

Prints accuracy overall, per format, per digit and per writer, how far the overall and
per-digit figures could move with other writers like these (a bootstrap over writers), the
ten most common confusions, how many misses and right answers each margin would show as
"4 or 9?", a picture of the misses (drawing and model input side by side)
and the cost of pen_accuracy_metrics and pen_training_set. Needs PENDIGITS_DATA_DIR.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from mnist_core.data import pendigits  # noqa: E402
from mnist_core.data.pendigits import (  # noqa: E402
    CANVAS_SIZE,
    FORMATS,
    HELD_OUT_WRITERS,
    draw_pen_digit,
    held_out_digits,
    pen_accuracy_metrics,
    pen_training_set,
    render_pen_digit,
)
from mnist_core.data.writers import real_writers  # noqa: E402
from mnist_core.reading.preprocessing import preprocess  # noqa: E402
from mnist_core.recognizer import UNSURE_MARGIN  # noqa: E402
from mnist_core.runs.evaluate import writer_interval  # noqa: E402
from mnist_core.runs.store import ModelStore  # noqa: E402

SEED = 12  # fixed: the same drawings on every run of the bench
TILE = 112  # px of each half of a picture tile
MAX_TILES = 120


def cpu_seconds() -> float:
    """CPU time of this process and of its finished worker processes, in s."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def drawing_rng(copy: int, index: int) -> np.random.Generator:
    """The generator of one drawing: the same for its three formats, and on every run."""
    return np.random.default_rng([SEED, copy, index])


def drawing(digit, rng: np.random.Generator, format: str, small: bool) -> np.ndarray:
    """One digit on the canvas: as people draw (render_pen_digit), or small at the default pen
    (a quarter to 40% of the square's height, anywhere, the writer's slant -15..+15 degrees)."""
    if not small:
        return render_pen_digit(digit, rng, format=format)
    height = float(rng.uniform(0.25, 0.40)) * CANVAS_SIZE
    centre = tuple(float(v) for v in rng.uniform(height, CANVAS_SIZE - height, size=2))
    return draw_pen_digit(digit, pen_width=22, height=height, centre=centre,
                          slant=float(rng.uniform(-15, 15)), format=format)


def as_seen(canvas: np.ndarray) -> np.ndarray:
    """(H, W) uint8 of a canvas image as a person sees it (a transparent one on black)."""
    if canvas[..., 3].min() < 255:
        return canvas[..., 3]
    return canvas[..., 0]


def tile(canvas: np.ndarray, model_input: np.ndarray, caption: str) -> np.ndarray:
    """The drawing and the model input side by side under a caption, (TILE + 18, 2 TILE + 2)."""
    drawing = cv2.resize(as_seen(canvas), (TILE, TILE), interpolation=cv2.INTER_AREA)
    seen = cv2.resize(np.rint(model_input * 255).astype(np.uint8), (TILE, TILE),
                      interpolation=cv2.INTER_NEAREST)
    body = np.concatenate([drawing, np.full((TILE, 2), 128, np.uint8), seen], axis=1)
    body = cv2.cvtColor(body, cv2.COLOR_GRAY2BGR)
    head = np.full((18, body.shape[1], 3), 40, np.uint8)
    cv2.putText(head, caption, (3, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.42, (80, 200, 255), 1,
                cv2.LINE_AA)
    return np.pad(np.concatenate([head, body]), ((2, 2), (2, 2), (0, 0)), constant_values=90)


def misses_picture(misses: list[tuple], digits, path: Path, small: bool) -> int:
    """Write a grid of up to MAX_TILES misses (spread over the true digits); return how many."""
    misses = sorted(misses, key=lambda miss: (digits[miss[1]].label, miss[1]))
    if len(misses) > MAX_TILES:
        misses = [misses[i] for i in np.linspace(0, len(misses) - 1, MAX_TILES).astype(int)]
    tiles = []
    for copy, index, format, read, model_input in misses:
        digit = digits[index]
        canvas = drawing(digit, drawing_rng(copy, index), format, small)
        short = {"transparent": "alpha", "white-on-black": "w/b", "black-on-white": "b/w"}
        tiles.append(tile(canvas, model_input,
                          f"{digit.label} as {read}  {digit.writer} #{digit.number} "
                          f"{short[format]}"))
    columns = 6
    blank = np.full_like(tiles[0], 90)
    tiles += [blank] * (-len(tiles) % columns)
    rows = [np.concatenate(tiles[r:r + columns], axis=1) for r in range(0, len(tiles), columns)]
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.concatenate(rows))
    return len(misses)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run", metavar="RUN_ID", help="a run id (default: the model in use)")
    parser.add_argument("--copies", type=int, default=1,
                        help="drawings per held-out digit, each in the 3 formats (default 1)")
    parser.add_argument("--split", choices=["held-out", "validation", "report"],
                        default="held-out", help="whose digits (default: pendigits' 8 "
                        "held-out writers)")
    parser.add_argument("--small", action="store_true",
                        help="draw each digit small (25-40%% of the square) at the 22 px pen")
    parser.add_argument("--picture", type=Path, default=PROJECT / "screenshots-tmp" /
                        "pen-misses.png", help="where to write the picture of the misses")
    args = parser.parse_args()

    started = time.perf_counter()
    store = ModelStore()
    if args.run:
        run_id, weights = args.run, store.load_weights(args.run)
    else:
        loaded = store.load_active()
        run_id, weights = loaded.run.run_id, loaded.weights
    if args.split == "held-out":
        digits = held_out_digits()
        whose = f"held-out writers {sorted(HELD_OUT_WRITERS)}"
    else:
        digits = real_writers(args.split)
        sites = Counter(digit.source for digit in digits).most_common()
        whose = (f"the {args.split} split's {len({d.writer_key for d in digits})} writers "
                 f"({', '.join(f'{source} {count}' for source, count in sites)} digits)")
    print(f"model: {run_id}; {whose}: {len(digits)} digits x {args.copies} drawing(s) x "
          f"{len(FORMATS)} formats, {'small, 22 px pen' if args.small else 'as people draw'}, "
          f"seed {SEED}")

    drawn_at = time.perf_counter()
    inputs, labels, formats, indices, copies = [], [], [], [], []
    for copy in range(args.copies):
        for index, digit in enumerate(digits):
            for format in FORMATS:
                inputs.append(preprocess(drawing(digit, drawing_rng(copy, index), format,
                                                 args.small)))
                labels.append(digit.label)
                formats.append(format)
                indices.append(index)
                copies.append(copy)
    draw_seconds = time.perf_counter() - drawn_at
    inputs = np.stack(inputs)
    labels, formats, indices = np.array(labels), np.array(formats), np.array(indices)
    probabilities = weights.predict(inputs)
    predicted = np.argmax(probabilities, axis=1)
    right = predicted == labels
    top_two = np.sort(probabilities, axis=1)[:, -2:]
    margins = top_two[:, 1] - top_two[:, 0]  # shown "4 or 9?" when under UNSURE_MARGIN
    writers = np.array([digits[i].writer_key for i in indices])
    sources = np.array([digits[i].source for i in indices])

    print(f"overall:    {right.mean():.2%} of {len(right):,} ({np.sum(~right)} wrong)")
    for format in FORMATS:
        chosen = formats == format
        print(f"  {format:15s} {right[chosen].mean():.2%} of {chosen.sum():,}")
    print("per digit:  " + "  ".join(f"{d}:{right[labels == d].mean():.1%}" for d in range(10)))
    if len(set(sources)) > 1:
        print("per source: " + "  ".join(f"{s}:{right[sources == s].mean():.1%}"
                                         for s in sorted(set(sources))))
    by_writer = sorted((right[writers == w].mean(), w) for w in set(writers))
    print(("per writer: " if len(by_writer) <= 12 else "worst 12 writers: ") + "  ".join(
        f"{w.split('/')[1]}:{share:.1%}" for share, w in by_writer[:12]))
    # How much of each figure is these writers: the middle 90% of it over resampled writers.
    low, high = writer_interval(right, writers)
    print(f"with other writers like these (90% bootstrap over writers): overall "
          f"{low:.1%}-{high:.1%}")
    print("  per digit: " + "  ".join(
        "{}:{:.0%}-{:.0%}".format(d, *writer_interval(right[labels == d], writers[labels == d]))
        for d in range(10)))
    confusions = Counter(zip(labels[~right].tolist(), predicted[~right].tolist(), strict=True))
    print("most common confusions (true -> read as: count, all formats):")
    for (true, read), count in confusions.most_common(10):
        print(f"  {true} -> {read}: {count}")
    print(f'"4 or 9?" (top two closer than the margin; the page uses {UNSURE_MARGIN}): misses '
          "flagged / right answers shown unsure")
    print("  " + "  ".join(f"{margin}: {np.mean(margins[~right] < margin):.0%} / "
                           f"{np.mean(margins[right] < margin):.2%}"
                           for margin in (0.1, 0.25, 0.4, 0.5, 0.6, 0.8)))
    print(f"drawing + preprocess: {draw_seconds:.1f} s "
          f"({draw_seconds / len(right) * 1000:.2f} ms a canvas)")

    misses = [(copies[k], int(indices[k]), str(formats[k]), int(predicted[k]), inputs[k])
              for k in np.nonzero(~right)[0]]
    if misses:
        shown = misses_picture(misses, digits, args.picture, args.small)
        print(f"misses picture ({shown} of {len(misses)}: drawing | model input, "
              f"caption 'true as read, writer, #number, format'): {args.picture}")

    if args.split != "held-out" or args.small:  # the rest times the held-out writers' functions
        print(f"bench total: {time.perf_counter() - started:.0f} s")
        return
    metrics_at, metrics_cpu = time.perf_counter(), cpu_seconds()
    metrics = pen_accuracy_metrics(weights)
    print(f"pen_accuracy_metrics: {metrics['pen_accuracy']:.2%} of {metrics['pen_count']:,} "
          f"in {time.perf_counter() - metrics_at:.1f} s "
          f"({cpu_seconds() - metrics_cpu:.1f} s of CPU, its workers' included; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    for count in (500, 12000):
        set_at, set_cpu = time.perf_counter(), cpu_seconds()
        images, _ = pen_training_set(count, np.random.default_rng(0))
        seconds = time.perf_counter() - set_at
        cores = "all cores" if count >= pendigits._POOL_MIN else "one core"
        print(f"pen_training_set({count:,}): {seconds:.1f} s "
              f"({seconds / count * 1000:.2f} ms an image on {cores}; "
              f"{(cpu_seconds() - set_cpu) / count * 1000:.2f} ms of CPU an image)")
    print(f"bench total: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
