"""Where the not-a-digit rule's thresholds come from (mnist_core.reading.shape): real digits it
would refuse (target 0), and the dots, dashes and tiny scribbles it must refuse.

Real digits, each measured by `mnist_core.reading.shape.measure_ink` on the ink `preprocess` finds:
the 10,000 MNIST test digits as 28x28 pictures and scaled up to 336x336 dark on light (as an
upload would come), MNIST test digits re-drawn as mouse strokes on the canvas, and the held-out
writers' pen digits (mnist_core.data.pendigits) drawn with pens of 6-40 px, 80-300 px tall on the
canvas, at least 3 pen widths tall (the target is set on those at least 4 pen widths tall, as
mnist_core.data.pendigits draws them, like a person who sees a thick pen fill a small digit's
loops), in every canvas format, and once more as render_pen_digit draws them. For each rule it
prints how many real digits it refuses and the real digits nearest its thresholds; then what
it calls each made-up mark.

    python bench/not_a_digit.py                 # about 3 min on two cores
    python bench/not_a_digit.py --quick         # 1,000 MNIST, 300 pen digits

Needs MNIST_DATA_DIR and PENDIGITS_DATA_DIR (a set without its data is left out and says so).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mnist_core.errors import DataNotFoundError, EmptyDrawingError  # noqa: E402
from mnist_core.reading import shape as rules  # noqa: E402
from mnist_core.reading.preprocessing import preprocess  # noqa: E402

CANVAS = 336


def measure(image: np.ndarray) -> rules.InkShape | None:
    """What the rule sees in one picture (None: preprocess calls it empty)."""
    try:
        _, steps = preprocess(image, return_steps=True)
    except EmptyDrawingError:
        return None
    return rules.measure_ink(steps.ink)


def mnist_sets(count: int):
    from mnist_core.data.drawn import iter_redrawn
    from mnist_core.data.mnist import load_mnist

    _, (x_test, _) = load_mnist()
    x_test = x_test[:count]
    yield "MNIST test, 28x28", (image for image in x_test), len(x_test)
    yield ("MNIST test, scaled up to 336x336, dark on light",
           (255 - cv2.resize(image, (CANVAS, CANVAS), interpolation=cv2.INTER_LINEAR)
            for image in x_test), len(x_test))
    redrawn = x_test[: max(1, count // 5)]
    yield "MNIST test re-drawn with the mouse (280x280)", iter_redrawn(redrawn), len(redrawn)


def pen_sets(count: int):
    from mnist_core.data.pendigits import FORMATS, draw_pen_digit, held_out_digits, render_pen_digit

    digits = held_out_digits()[:count]
    for pen in (6, 14, 22, 30, 40):
        for height in (80, 120, 200, 300):
            if height < 3 * pen:
                continue
            beyond = " (under 4 pen widths tall: beyond the target)" if height < 4 * pen else ""
            # Digit i in FORMATS[i % 3]: the format changes how the ink is found, not its shape.
            yield (f"held-out pen digits, pen {pen} px, {height} px tall{beyond}",
                   (draw_pen_digit(digit, pen_width=pen, height=height,
                                   format=FORMATS[index % len(FORMATS)])
                    for index, digit in enumerate(digits)), len(digits))
    rng = np.random.default_rng(1)
    yield ("held-out pen digits as render_pen_digit draws them, 3 formats",
           (render_pen_digit(digit, rng, format=format) for digit in digits
            for format in FORMATS), len(digits) * len(FORMATS))


def nearest(shapes: list[rules.InkShape]) -> str:
    """The real digits nearest each rule's thresholds."""
    near_dot = [s.length for s in shapes if s.extent <= rules.DOT_MAX_EXTENT]
    straight = [s for s in shapes if s.thinness <= rules.DASH_MAX_THINNESS
                and s.elongation >= rules.DASH_MIN_ELONGATION]
    flat = [s.thinness for s in shapes if s.angle <= rules.DASH_MAX_ANGLE
            and s.elongation >= rules.DASH_MIN_ELONGATION]
    small = [s.length for s in shapes if s.extent < rules.BLOB_MAX_EXTENT]
    parts = [
        f"length (extent < {rules.BLOB_MAX_EXTENT}) min " + (f"{min(small):.2f}" if small
                                                              else "-")
        + f" [scribble < {rules.BLOB_MAX_LENGTH}]",
        f"length (extent <= {rules.DOT_MAX_EXTENT}) min "
        + (f"{min(near_dot):.2f}" if near_dot else "-") + f" [dot <= {rules.DOT_MAX_LENGTH}]",
        "straight strokes' angle min " + (f"{min(s.angle for s in straight):.1f}"
                                         if straight else "-")
        + f" [dash <= {rules.DASH_MAX_ANGLE:g}]",
        "flat inks' thinness min " + (f"{min(flat):.2f}" if flat else "-")
        + f" [dash <= {rules.DASH_MAX_THINNESS}]",
        f"length min {min(s.length for s in shapes):.2f}",
        f"extent min {min(s.extent for s in shapes):.2f} [scribble < "
        f"{rules.SCRIBBLE_MAX_EXTENT}]",
    ]
    return "; ".join(parts)


def real_digits(args) -> None:
    print("Real digits (target: none refused)")
    sets = []
    try:
        sets.append(mnist_sets(args.mnist))
    except DataNotFoundError as error:
        print(f"  MNIST left out: {error}")
    try:
        from mnist_core.data.pendigits import held_out_digits

        held_out_digits()
        sets.append(pen_sets(args.pen))
    except DataNotFoundError as error:
        print(f"  pen digits left out: {error}")
    total = Counter()
    for name, images, count in itertools.chain(*sets):
        started = time.perf_counter()
        shapes = [shape for shape in map(measure, images) if shape is not None]
        kinds = Counter(shape.kind for shape in shapes)
        refused = len(shapes) - kinds["digit"]
        total["digits"] += len(shapes)
        total["refused"] += refused
        detail = ", ".join(f"{kinds[k]} {k}" for k in rules.KINDS[1:] if kinds[k])
        print(f"  {name}: {refused} of {len(shapes):,} refused" + (f" ({detail})" if detail
                                                                   else "")
              + f" [{count - len(shapes)} empty; {time.perf_counter() - started:.0f} s]")
        print(f"      nearest: {nearest(shapes)}")
    print(f"  all real digits: {total['refused']} of {total['digits']:,} refused")


def _canvas(strokes: list[list[tuple[float, float]]], pen: int) -> np.ndarray:
    """A transparent 336x336 RGBA canvas with round-pen strokes, as the drawing canvas sends."""
    alpha = np.zeros((CANVAS, CANVAS), np.uint8)
    shift = 4  # sub-pixel coordinates, as a mouse path has
    for points in strokes:
        path = np.round(np.array(points) * 2**shift).astype(np.int32)
        if len(path) == 1:
            cv2.circle(alpha, tuple(path[0]), pen * 2**shift // 2, 255, -1, cv2.LINE_AA, shift)
        else:
            cv2.polylines(alpha, [path], False, 255, pen, cv2.LINE_AA, shift)
    rgba = np.zeros((CANVAS, CANVAS, 4), np.uint8)
    rgba[..., :3] = np.where(alpha[..., None] > 0, 255, 0)
    rgba[..., 3] = alpha
    return rgba


def marks(rng: np.random.Generator):
    """(name, expected kind, canvas) for the dots, dashes and tiny scribbles."""
    centre = np.array([150.0, 170.0])
    for pen in (6, 10, 14, 22, 30, 40):
        yield f"dot, pen {pen}", "dot", _canvas([[tuple(centre)]], pen)
        drag = centre + [0.3 * pen, 0.2 * pen]
        yield f"dot dragged 0.3 pen, pen {pen}", "dot", _canvas([[tuple(centre), tuple(drag)]],
                                                                 pen)
    for pen in (6, 14, 22, 40):
        for length in (1.5, 3, 6, 12):
            for angle in (0, 10, 20):
                vector = length * pen * np.array([np.cos(np.radians(angle)),
                                                  -np.sin(np.radians(angle))])
                wobble = rng.normal(0, 0.05 * pen, (8, 2))
                path = centre + np.linspace(0, 1, 8)[:, None] * vector + wobble
                yield (f"dash {length:g} pens long at {angle} deg, pen {pen}", "dash",
                       _canvas([[tuple(p) for p in path]], pen))
    for pen in (6, 10, 14, 22, 30, 40):
        for box in (20, 30, 40):
            for seed in range(3):
                points = centre + rng.uniform(0, box, (6, 2))
                yield (f"scribble in {box} px, pen {pen} (#{seed})", "scribble",
                       _canvas([[tuple(p) for p in points]], pen))


def made_up_marks() -> None:
    print("Made-up marks (target: all refused)")
    outcome: dict[str, Counter] = {}
    missed = []
    for name, _expected, canvas in marks(np.random.default_rng(0)):
        shape = measure(canvas)
        kind = "empty" if shape is None else shape.kind
        group = name.split(",")[0].split(" ")[0]
        outcome.setdefault(group, Counter())[kind] += 1
        if kind == "digit":
            missed.append(f"{name}: length {shape.length:.2f}, extent {shape.extent:.2f}, "
                          f"thinness {shape.thinness:.2f}, angle {shape.angle:.0f}")
    for group, kinds in outcome.items():
        total = sum(kinds.values())
        said = ", ".join(f"{count} {kind}" for kind, count in kinds.most_common())
        print(f"  {group}: {total - kinds['digit']} of {total} refused ({said})")
    for line in missed:
        print(f"    read as a digit: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 MNIST, 300 pen digits")
    parser.add_argument("--mnist", type=int, default=10000, help="MNIST test digits")
    parser.add_argument("--pen", type=int, default=1999, help="held-out pen digits")
    parser.add_argument("--marks-only", action="store_true", help="only the made-up marks")
    args = parser.parse_args()
    if args.quick:
        args.mnist, args.pen = 1000, 300
    made_up_marks()
    if not args.marks_only:
        real_digits(args)


if __name__ == "__main__":
    main()
