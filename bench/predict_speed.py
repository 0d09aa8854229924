"""Time from a canvas image to a prediction: preprocess + predict, in process, after warm-up.

Draws a "7" on a 336x336 transparent RGBA canvas (the home page's size; the canvas
component's format) and times `Recognizer.predict` 2,000 times with the active model, in a
plain process and as the web server runs it (numpy's BLAS on one thread); prints the median
and p99.

    python bench/predict_speed.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mnist_core.data.drawn import render_strokes, sketch  # noqa: E402
from mnist_core.model import use_one_blas_thread  # noqa: E402
from mnist_core.recognizer import Recognizer  # noqa: E402


def timed(recognizer: Recognizer, canvas, runs: int = 2000) -> np.ndarray:
    """Times of `recognizer.predict(canvas)` in ms, after 100 warm-up calls."""
    for _ in range(100):
        recognizer.predict(canvas)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        recognizer.predict(canvas)
        times.append(time.perf_counter() - started)
    return np.array(times) * 1000


def main() -> None:
    recognizer = Recognizer.load()
    canvas = render_strokes(sketch(7), brush_width=22, scale=240, centre=(168, 168),
                            canvas_size=336)
    print(f"model: {recognizer.source} ({'-'.join(map(str, recognizer.weights.hidden_units))})")
    for name in ("in a plain process", "as the web server runs it (BLAS on one thread)"):
        if name.startswith("as the web server"):
            use_one_blas_thread()  # what ui/models.py does in the server
        ms = timed(recognizer, canvas)
        print(f"preprocess + predict, 336x336 canvas, {name}: median {np.median(ms):.3f} ms, "
              f"p99 {np.percentile(ms, 99):.3f} ms ({len(ms)} runs; load average "
              f"{os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
