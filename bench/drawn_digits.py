"""Does the model read mouse drawings? Accuracy on MNIST test digits re-drawn as strokes.

Every test digit is re-drawn the way a person draws with a mouse (uniform round-brush strokes
following the digit, random size, position, slant, brush width and colour, on a 280x280 RGBA
canvas: the canvas's own format) and read by `Recognizer.predict`, one at a time, exactly as the
app does. The unchanged test images are read the same way (through preprocessing) and directly.

    python bench/drawn_digits.py                  # the active model, all 10,000 digits
    python bench/drawn_digits.py --model models/runs/2026-11-21_081502 --count 2000
    python bench/drawn_digits.py --record shipped # also store the figures in that run's metrics
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mnist_core.data.drawn import iter_redrawn  # noqa: E402
from mnist_core.data.mnist import load_mnist  # noqa: E402
from mnist_core.errors import EmptyDrawingError, NotADigitError  # noqa: E402
from mnist_core.recognizer import Recognizer  # noqa: E402
from mnist_core.runs.evaluate import evaluate_weights  # noqa: E402
from mnist_core.runs.store import ModelStore  # noqa: E402


def read_all(recognizer: Recognizer, images, labels) -> tuple[float, np.ndarray]:
    predicted = np.full(len(labels), -1)
    for index, image in enumerate(images):
        try:
            predicted[index] = recognizer.predict(image).digit
        except (EmptyDrawingError, NotADigitError):
            pass  # the app would say "draw a digit" or "that looks like a dot": a miss
    return float(np.mean(predicted == labels)), predicted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="a .keras file or run folder (default: active model)")
    parser.add_argument("--record", metavar="RUN_ID",
                        help="write drawn_accuracy and drawn_count into this run's metrics.json")
    parser.add_argument("--count", type=int, default=10000, help="test digits (default 10000)")
    parser.add_argument("--seed", type=int, default=0, help="drawing seed (default 0)")
    args = parser.parse_args()

    store = ModelStore()
    if args.record:
        args.model = args.model or str(store.run_path(args.record))
    recognizer = Recognizer.load(args.model)
    print(f"model: {recognizer.source}")
    _, (x_test, y_test) = load_mnist()
    x_test, y_test = x_test[: args.count], y_test[: args.count]

    started = time.perf_counter()
    drawn_accuracy, predicted = read_all(recognizer, iter_redrawn(x_test, seed=args.seed), y_test)
    seconds = time.perf_counter() - started
    print(f"drawn digits:       {drawn_accuracy:.2%} of {len(y_test)} "
          f"({len(y_test) - int(np.sum(predicted == y_test))} wrong; {seconds:.0f} s)")
    per_class = [np.mean(predicted[y_test == d] == d) for d in range(10)]
    print("  per digit:        " + "  ".join(f"{d}:{a:.1%}" for d, a in enumerate(per_class)))
    preprocessed_accuracy, _ = read_all(recognizer, x_test, y_test)
    print(f"test set, via preprocess: {preprocessed_accuracy:.2%}")
    direct = evaluate_weights(recognizer.weights, x_test, y_test).accuracy
    print(f"test set, direct:         {direct:.2%}")

    if args.record:
        path = store.run_path(args.record) / "metrics.json"
        metrics = json.loads(path.read_text())
        metrics.update(drawn_accuracy=drawn_accuracy, drawn_count=len(y_test),
                       test_accuracy_via_preprocess=preprocessed_accuracy)
        temp = path.with_suffix(".tmp")
        temp.write_text(json.dumps(metrics, indent=2) + "\n")
        os.replace(temp, path)
        print(f"recorded in {path}")


if __name__ == "__main__":
    main()
