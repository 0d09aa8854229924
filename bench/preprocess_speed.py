"""Time `preprocess` on a 280x280 canvas drawing: prints median and p99 in ms.

Run from the repository root: `python bench/preprocess_speed.py [--runs 1000]`. Not a test: the
figures depend on the machine; the app's budget for preprocess + predict is 1 ms.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mnist_core.reading.preprocessing import preprocess  # noqa: E402


def canvas_drawing(brush_px: int) -> np.ndarray:
    """A "7" as streamlit-drawable-canvas returns it: (280, 280, 4) uint8, ink in alpha."""
    canvas = np.zeros((280, 280, 4), np.uint8)
    stroke = (255, 255, 255, 255)
    cv2.line(canvas, (70, 60), (210, 60), stroke, brush_px, cv2.LINE_AA)
    cv2.line(canvas, (210, 60), (120, 230), stroke, brush_px, cv2.LINE_AA)
    cv2.line(canvas, (110, 150), (200, 150), stroke, brush_px, cv2.LINE_AA)
    return canvas


def time_ms(image: np.ndarray, runs: int) -> tuple[float, float]:
    """Return (median, p99) wall time of preprocess(image) in ms over `runs` calls."""
    for _ in range(50):  # warm-up: OpenCV allocates its buffers on first use
        preprocess(image)
    times = np.empty(runs)
    for index in range(runs):
        start = time.perf_counter()
        preprocess(image)
        times[index] = time.perf_counter() - start
    return float(np.median(times)) * 1e3, float(np.percentile(times, 99)) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    runs = parser.parse_args().runs
    cases = {
        "transparent canvas, 20 px brush": canvas_drawing(20),
        "transparent canvas, 4 px brush": canvas_drawing(4),
        "transparent canvas, 40 px brush": canvas_drawing(40),
        "opaque canvas, black on white": 255 - canvas_drawing(20)[:, :, [3, 3, 3]],
    }
    opaque = cases["opaque canvas, black on white"]
    cases["opaque canvas, black on white"] = np.dstack([opaque, np.full((280, 280), 255, np.uint8)])
    for name, image in cases.items():
        median, p99 = time_ms(image, runs)
        print(f"{name:36s} median {median:.3f} ms   p99 {p99:.3f} ms   ({runs} runs)")


if __name__ == "__main__":
    main()
