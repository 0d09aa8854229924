"""What training on saved drawings buys: the Quick preset without and with them.

Saves COUNT MNIST test digits re-drawn as mouse strokes (as the home page saves a canvas: the
picture and its 28x28 input; a seed the drawn-digit benchmark does not use) into a temporary
drawings store, so one in five is held out. Then trains the Quick preset twice on MNIST, once
without and once with the saved drawings (`--weight` times each), and prints each run's
accuracy on the held-out drawings and on the MNIST test set.

    python bench/teach_loop.py                      # 300 drawings, weight 20
    python bench/teach_loop.py --count 100 --weight 50
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mnist_core.config import QUICK, TrainConfig  # noqa: E402
from mnist_core.data import load_mnist  # noqa: E402
from mnist_core.drawings import DrawingStore  # noqa: E402
from mnist_core.drawn import iter_redrawn  # noqa: E402
from mnist_core.preprocess import preprocess  # noqa: E402
from mnist_core.store import ModelStore  # noqa: E402
from mnist_core.workflow import train_and_save  # noqa: E402

SEED = 4242  # not the benchmark's


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--weight", type=int, default=20)
    args = parser.parse_args()
    data = load_mnist()
    (_, _), (x_test, y_test) = data
    folder = Path(tempfile.mkdtemp())
    drawings = DrawingStore(folder / "data")
    # The last test digits, so the first 2,000 (the drawn accuracy in metrics) stay apart.
    start = len(x_test) - args.count
    for canvas, label in zip(iter_redrawn(x_test[start:], seed=SEED), y_test[start:],
                             strict=True):
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
