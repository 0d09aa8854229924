"""What training on saved drawings buys: the Quick preset without and with them.

Saves COUNT MNIST test digits re-drawn as mouse strokes (as the home page saves a canvas: the
picture and its 28x28 input; a seed the drawn-digit benchmark does not use) into a temporary
drawings store, so one in five is held out. Then trains the Quick preset twice on MNIST, once
without and once with the saved drawings (`--weight` times each), and prints each run's
accuracy on the held-out drawings and on the MNIST test set.

    python bench/teach_loop.py                      # 300 drawings, weight 20
    python bench/teach_loop.py --count 100 --weight 50
    python bench/teach_loop.py --crossed-sevens     # a class that crosses its 7s

With --crossed-sevens the saved drawings are the test set's 7s re-drawn with a bar across the
middle, as many people write them (MNIST has few): a style the class teaches the model.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mnist_core.config import QUICK, TrainConfig  # noqa: E402
from mnist_core.data import load_mnist  # noqa: E402
from mnist_core.drawings import DrawingStore  # noqa: E402
from mnist_core.drawn import iter_redrawn, render_strokes, strokes_from_digit  # noqa: E402
from mnist_core.preprocessing import preprocess  # noqa: E402
from mnist_core.store import ModelStore  # noqa: E402
from mnist_core.workflow import train_and_save  # noqa: E402

SEED = 4242  # not the benchmark's


def crossed_sevens(sevens: np.ndarray, seed: int) -> Iterator[np.ndarray]:
    """Each (28, 28) MNIST 7 as a canvas drawn with a short bar across its stem, at 55% of its
    height, with a random brush, size, place and slant."""
    rng = np.random.default_rng(seed)
    for image in sevens:
        strokes = strokes_from_digit(image)
        points = np.concatenate(strokes) if strokes else np.zeros((0, 2), np.float32)
        top, bottom = points[:, 1].min(initial=0), points[:, 1].max(initial=0)
        middle = top + 0.55 * (bottom - top)
        stem = points[np.abs(points[:, 1] - middle) < 1.5]
        if not len(stem):
            continue
        half = rng.uniform(3.0, 5.0)
        bar = np.array([[stem[:, 0].mean() - half, middle],
                        [stem[:, 0].mean() + half, middle + rng.uniform(-0.5, 0.5)]],
                       np.float32)
        brush = int(rng.integers(12, 30))
        yield render_strokes([*strokes, bar], brush_width=brush,
                             scale=float(rng.uniform(max(150, 5 * brush), 240)),
                             centre=(float(rng.uniform(110, 170)), float(rng.uniform(120, 160))),
                             slant=float(rng.uniform(-10, 10)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--weight", type=int, default=20)
    parser.add_argument("--crossed-sevens", action="store_true")
    args = parser.parse_args()
    data = load_mnist()
    (_, _), (x_test, y_test) = data
    folder = Path(tempfile.mkdtemp())
    drawings = DrawingStore(folder / "data")
    # The last test digits, so the first 2,000 (the drawn accuracy in metrics) stay apart.
    if args.crossed_sevens:
        sevens = x_test[y_test == 7][-args.count:]
        pairs = ((canvas, 7) for canvas in crossed_sevens(sevens, SEED))
    else:
        start = len(x_test) - args.count
        pairs = zip(iter_redrawn(x_test[start:], seed=SEED), y_test[start:], strict=True)
    for canvas, label in pairs:
        drawings.add(int(label), preprocess(canvas), canvas, source="import")
    counts = drawings.counts()
    print(f"{counts.total} saved drawings: {counts.for_training} to train on, "
          f"{counts.held_out} held out")
    store = ModelStore(folder / "models")
    for include in (False, True):
        config = TrainConfig(**{**QUICK.to_dict(), "include_drawings": include,
                                "drawings_weight": args.weight})
        run, _ = train_and_save(config, store=store, data=data, drawings=drawings)
        metrics = run.metrics
        print(f"Quick preset {'with' if include else 'without'} the drawings"
              f"{f' (x{args.weight})' if include else ''}: held-out drawings "
              f"{metrics['drawings_accuracy']:.2%} ({metrics['drawings_count']}), MNIST test "
              f"{metrics['test_accuracy']:.2%}, {metrics['train_seconds']:.0f} s")


if __name__ == "__main__":
    main()
