"""Reading numbers: digits side by side, split by mnist_core.reading.numbers and read one by one.

Numbers are composed of real digits: the held-out writers' pen digits (mnist_core.data.pendigits),
each drawn with the same pen and height and set side by side on the 336x336 canvas in a canvas
format; and MNIST test digits set side by side in one picture (28 px tall, as an upload). The
horizontal gap between neighbours is drawn from a range, in units of the digits' height:
realistic (0.3-0.7), tight (0.1-0.25, under the split rule's 0.25: the limit), touching or
overlapping (-0.1-0). A number counts as read when every digit is read right and no digit is
missed or added. It also prints how many single digits are split (target 0: the home page
must read them exactly as before), and the time of `predict_number` on a three-digit number and
of `predict` on one digit (targets 3 ms and 1 ms, median).

    python bench/read_numbers.py                # 300 numbers per set, about 8 min on two cores
    python bench/read_numbers.py --count 1000
    python bench/read_numbers.py --speed       # only the timings

Needs PENDIGITS_DATA_DIR and MNIST_DATA_DIR (a set without its data is left out and says so).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mnist_core.errors import DataNotFoundError, DrawingError  # noqa: E402
from mnist_core.recognizer import Recognizer  # noqa: E402

CANVAS = 336
GAPS = {"realistic": (0.3, 0.7), "tight": (0.1, 0.25), "touching": (-0.1, 0.0)}
FORMATS = ("transparent", "white-on-black", "black-on-white")


def _as_format(alpha: np.ndarray, format: str) -> np.ndarray:
    """(H, W) uint8 ink coverage -> (H, W, 4) RGBA in one of the canvas formats."""
    if format == "transparent":
        white = np.where(alpha > 0, 255, 0).astype(np.uint8)
        return cv2.merge([white, white, white, alpha])
    grey = alpha if format == "white-on-black" else 255 - alpha
    return cv2.merge([grey, grey, grey, np.full_like(alpha, 255)])


def _side_by_side(crops: list[np.ndarray], gaps: list[float], height: int,
                  frame: tuple[int, int] | None) -> np.ndarray:
    """Crops (each `height` px tall or less) set left to right with the gaps (px) between them,
    bottoms aligned, centred in a frame of (rows, cols), or in a tight frame with a margin."""
    width = sum(crop.shape[1] for crop in crops) + int(round(sum(gaps)))
    rows, cols = frame or (height + 8, width + 8)
    picture = np.zeros((rows, cols), np.uint8)
    x = (cols - width) // 2
    bottom = (rows + height) // 2
    for index, crop in enumerate(crops):
        h, w = crop.shape
        x = max(0, min(x, cols - w))
        region = picture[bottom - h:bottom, x:x + w]
        np.maximum(region, crop, out=region)  # overlapping digits: their ink adds up
        x += w + (int(round(gaps[index])) if index < len(gaps) else 0)
    return picture


def _crop(alpha: np.ndarray) -> np.ndarray:
    left, top, width, height = cv2.boundingRect(alpha)
    return alpha[top:top + height, left:left + width]


def pen_numbers(digits, count: int, size: int, gap_range, rng):
    """(picture, text) of `count` numbers of `size` held-out pen digits on the canvas."""
    from mnist_core.data.pendigits import draw_pen_digit

    made = 0
    while made < count:
        chosen = [digits[i] for i in rng.integers(len(digits), size=size)]
        pen = int(rng.choice([6, 10, 14, 22, 30]))
        height = float(rng.uniform(max(4 * pen, 90), 150 if size == 2 else 120))
        crops = [_crop(draw_pen_digit(digit, pen_width=pen, height=height)[..., 3])
                 for digit in chosen]
        gaps = list(rng.uniform(*gap_range, size=size - 1) * height)
        width = sum(crop.shape[1] for crop in crops) + sum(gaps)
        if width > CANVAS - 8:
            continue  # would not fit the canvas: a person would write it smaller
        picture = _side_by_side(crops, gaps, max(c.shape[0] for c in crops), (CANVAS, CANVAS))
        yield _as_format(picture, FORMATS[made % 3]), "".join(str(d.label) for d in chosen)
        made += 1


def mnist_numbers(images, labels, count: int, size: int, gap_range, rng):
    """(picture, text) of numbers of MNIST test digits as one 28 px tall upload."""
    for made in range(count):
        chosen = rng.integers(len(images), size=size)
        crops = []
        for index in chosen:
            image = images[index]
            columns = np.flatnonzero(image.max(axis=0))
            crops.append(image[:, columns[0]:columns[-1] + 1])
        gaps = list(rng.uniform(*gap_range, size=size - 1) * 20)  # MNIST digits are 20 px tall
        picture = _side_by_side(crops, gaps, 28, None)
        if made % 2:
            picture = 255 - picture  # dark on light, as a scan
        yield picture, "".join(str(int(labels[i])) for i in chosen)


def accuracy(recognizer: Recognizer, numbers) -> tuple[int, int, int, int]:
    """(read right, split into the right count, refused, total)."""
    right = split = refused = total = 0
    for picture, text in numbers:
        total += 1
        try:
            reading = recognizer.predict_number(picture)
        except DrawingError:
            refused += 1
            continue
        split += len(reading.digits) == len(text)
        right += reading.text == text
    return right, split, refused, total


def single_digits(recognizer: Recognizer, pictures) -> tuple[int, int, int, int]:
    """(split into more than one, read differently from predict, read right, total) for
    (picture, digit) pairs of single digits."""
    split = differ = right = total = 0
    for picture, digit in pictures:
        try:
            single = recognizer.predict(picture)
        except DrawingError:
            continue
        total += 1
        right += single.digit == digit
        reading = recognizer.predict_number(picture)
        split += not reading.is_single
        differ += reading.text != str(single.digit) or not np.array_equal(
            reading.digits[0].probabilities, single.probabilities)
    return split, differ, right, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=300, help="numbers per set")
    parser.add_argument("--speed", action="store_true", help="only the timings")
    args = parser.parse_args()
    recognizer = Recognizer.load()
    rng = np.random.default_rng(0)
    print(f"model: {recognizer.source}")
    pen_digits = None
    try:
        from mnist_core.data.pendigits import FORMATS as PEN_FORMATS
        from mnist_core.data.pendigits import draw_pen_digit, held_out_digits

        digits = held_out_digits()
        if args.speed:
            show_speed(recognizer, digits, rng)
            return
        print("Held-out writers' pen digits on the 336x336 canvas (pens 6-30 px, 90-150 px "
              "tall, the 3 formats in turn)")
        for size in (2, 3):
            for name, gap_range in GAPS.items():
                started = time.perf_counter()
                right, split, refused, total = accuracy(
                    recognizer, pen_numbers(digits, args.count, size, gap_range, rng))
                print(f"  {size} digits, {name} gaps ({gap_range[0]:g} to {gap_range[1]:g} of "
                      f"the height): {right / total:.2%} read right ({right} of {total}); "
                      f"split into {size}: {split / total:.2%}; refused {refused} "
                      f"[{time.perf_counter() - started:.0f} s]")
        pen_digits = digits
        pictures = ((draw_pen_digit(digit, pen_width=pen, height=height,
                                    format=PEN_FORMATS[index % 3]), digit.label)
                    for index, digit in enumerate(digits)
                    for pen, height in ((6, 120), (22, 200), (40, 200)))
        split, differ, right, total = single_digits(recognizer, pictures)
        print(f"  single held-out pen digits (pens 6, 22, 40 px): {split} of {total:,} split, "
              f"{differ} read differently from predict; predict reads {right / total:.2%} "
              f"right (so about {(right / total) ** 2:.1%} of pairs at best)")
    except DataNotFoundError as error:
        print(f"pen digits left out: {error}")
    try:
        from mnist_core.data.mnist import load_mnist

        _, (x_test, y_test) = load_mnist()
        print("MNIST test digits side by side, 28 px tall (white on black and dark on light "
              "in turn)")
        for size in (2, 3):
            for name, gap_range in GAPS.items():
                right, split, refused, total = accuracy(
                    recognizer, mnist_numbers(x_test, y_test, args.count, size, gap_range, rng))
                print(f"  {size} digits, {name} gaps: {right / total:.2%} read right "
                      f"({right} of {total}); split into {size}: {split / total:.2%}; "
                      f"refused {refused}")
        split, differ, right, total = single_digits(recognizer, zip(x_test, y_test, strict=True))
        print(f"  single MNIST test digits: {split} of {total:,} split, {differ} read "
              f"differently from predict; predict reads {right / total:.2%} right")
    except DataNotFoundError as error:
        print(f"MNIST left out: {error}")
    if pen_digits is not None:
        show_speed(recognizer, pen_digits, rng)


def show_speed(recognizer: Recognizer, digits, rng, runs: int = 1500) -> None:
    """Median times, interleaved in one loop so a busy machine slows all of them alike, and
    each as a multiple of preprocess + the model alone (predict before the not-a-digit check);
    in a plain process, then as the web server runs them (numpy's BLAS on one thread)."""
    from mnist_core.model import use_one_blas_thread

    three = next(pen_numbers(digits, 1, 3, GAPS["realistic"], rng))[0]
    for setting in ("in a plain process", "as the web server runs it (BLAS on one thread)"):
        if setting.startswith("as the web server"):
            use_one_blas_thread()  # what ui/models.py does in the server
        print(f"{setting} (load average {os.getloadavg()[0]:.1f}):")
        _time_readings(recognizer, digits, three, runs)


def _time_readings(recognizer: Recognizer, digits, three, runs: int) -> None:
    from mnist_core.data.pendigits import draw_pen_digit
    from mnist_core.reading.preprocessing import preprocess

    single = draw_pen_digit(digits[0], pen_width=22, height=200)
    functions = {
        "preprocess + the model alone, one pen digit":
            lambda: recognizer.weights.predict(preprocess(single)[None]),
        "predict, one pen digit (target 1 ms)": lambda: recognizer.predict(single),
        "predict_number, the same digit": lambda: recognizer.predict_number(single),
        "predict_number, a three-digit pen number (target 3 ms)":
            lambda: recognizer.predict_number(three),
    }
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(runs):
        for name, function in functions.items():
            started = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - started)
    base = float(np.median(next(iter(times.values()))))
    for name, values in times.items():
        ms = np.array(values) * 1000
        print(f"  {name}: median {np.median(ms):.2f} ms ({np.median(values) / base:.2f}x), "
              f"p99 {np.percentile(ms, 99):.2f} ms")


if __name__ == "__main__":
    main()
