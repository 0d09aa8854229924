"""What the Class page's projector costs per refresh: `classroom.class_summary` on a store of
saved drawings, one card's picture, and the counter read when nothing changed.

Saves COUNT MNIST test digits re-drawn as mouse strokes into a temporary drawings store, as the
home page saves them (picture, 28x28 input, what the model read), then times each with the
model in use and in a server's setting (numpy's BLAS on one thread).

    python bench/class_page.py              # 500 drawings
    python bench/class_page.py --count 2000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mnist_core.classroom.drawings import DrawingStore  # noqa: E402
from mnist_core.classroom.summary import class_summary  # noqa: E402
from mnist_core.data.drawn import iter_redrawn  # noqa: E402
from mnist_core.data.mnist import load_mnist  # noqa: E402
from mnist_core.model import use_one_blas_thread  # noqa: E402
from mnist_core.reading.preprocessing import preprocess  # noqa: E402
from mnist_core.reading.visualize import enlarge  # noqa: E402
from mnist_core.recognizer import Recognizer  # noqa: E402


def timed(function, runs: int) -> str:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    ms = np.array(times) * 1000
    return f"median {np.median(ms):.2f} ms, p95 {np.percentile(ms, 95):.2f} ms ({runs} runs)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="drawings saved (default 500)")
    args = parser.parse_args()
    use_one_blas_thread()  # as the web server does (ui/models.py)
    _, (images, labels) = load_mnist()
    recognizer = Recognizer.load()
    with tempfile.TemporaryDirectory() as folder:
        store = DrawingStore(Path(folder) / "data")
        for canvas, label in zip(iter_redrawn(images[:args.count], seed=1), labels[:args.count],
                                 strict=False):
            model_input = preprocess(canvas)
            probabilities = recognizer.weights.predict(model_input[None])[0]
            store.add(int(label), model_input, canvas, predicted=int(probabilities.argmax()),
                      confidence=float(probabilities.max()))
        print(f"{store.counts().total} drawings saved; model: {recognizer.source}")
        print("class_summary, with the model in use:",
              timed(lambda: class_summary(store, recognizer.weights.predict), 20))
        drawing = store.get(1)
        print("a card's picture (the 28x28 input enlarged to 88 px):",
              timed(lambda: enlarge(drawing.image, 88), 50))
        print("store.version(), the read of an unchanged refresh:", timed(store.version, 100))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
