"""Time from a canvas image to a prediction: preprocess + predict, in process, after warm-up.

Draws a "7" on a 336x336 transparent RGBA canvas (the home page's size; the canvas
component's format) and times `Recognizer.predict` 2,000 times with the active model; prints
the median and p99.

    python bench/predict_speed.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mnist_core.drawn import render_strokes, sketch  # noqa: E402
from mnist_core.recognizer import Recognizer  # noqa: E402


def main() -> None:
    recognizer = Recognizer.load()
    canvas = render_strokes(sketch(7), brush_width=22, scale=240, centre=(168, 168),
                            canvas_size=336)
    for _ in range(100):
        recognizer.predict(canvas)
    times = []
    for _ in range(2000):
        started = time.perf_counter()
        recognizer.predict(canvas)
        times.append(time.perf_counter() - started)
    ms = np.array(times) * 1000
    print(f"model: {recognizer.source} ({'-'.join(map(str, recognizer.weights.hidden_units))})")
    print(f"preprocess + predict, 336x336 canvas: median {np.median(ms):.3f} ms, "
          f"p99 {np.percentile(ms, 99):.3f} ms ({len(ms)} runs; load average "
          f"{os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
