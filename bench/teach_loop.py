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

With --fine-tune it does what "Teach it now" does instead of the two Quick runs: fine-tunes a
model (the shipped one, or --base quick: a Quick run trained first) on the saved drawings with
the recipe of `mnist_core.training.finetune.FINE_TUNE` (options override it, to tune it), and prints
the seconds of fine-tuning, the held-out drawings and MNIST test before and after, and the
load. --job runs it as the app does, a background job (its process at lower CPU priority),
and times the whole job too; --nice N lowers this process's priority by N first (run it with
0 and with 10 to see what the priority costs the training).

    python bench/teach_loop.py --crossed-sevens --fine-tune
    python bench/teach_loop.py --crossed-sevens --fine-tune --job
    python bench/teach_loop.py --crossed-sevens --fine-tune --nice 10 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mnist_core.classroom.drawings import DrawingStore, held_out_metrics  # noqa: E402
from mnist_core.config import QUICK, TrainConfig  # noqa: E402
from mnist_core.data.drawn import iter_redrawn, render_strokes, strokes_from_digit  # noqa: E402
from mnist_core.data.mnist import load_mnist  # noqa: E402
from mnist_core.reading.preprocessing import preprocess  # noqa: E402
from mnist_core.runs.evaluate import evaluate_weights  # noqa: E402
from mnist_core.runs.store import ModelStore  # noqa: E402
from mnist_core.training.finetune import FINE_TUNE, fine_tune_config  # noqa: E402
from mnist_core.training.jobs import TrainingJobs, lower_priority  # noqa: E402
from mnist_core.training.workflow import train_and_save  # noqa: E402

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
    parser.add_argument("--fine-tune", action="store_true",
                        help="fine-tune a model on the drawings instead of two Quick runs")
    parser.add_argument("--base", choices=["shipped", "quick"], default="shipped",
                        help="the model to fine-tune: the shipped one, or a Quick run")
    parser.add_argument("--job", action="store_true",
                        help="fine-tune as a background job, as the app does")
    parser.add_argument("--nice", type=int, default=0,
                        help="lower this process's CPU priority by this much first")
    parser.add_argument("--repeat", type=int, default=1, help="fine-tunes to run")
    parser.add_argument("--score-pen", action="store_true",
                        help="also score the held-out real writers before and after (~10 s)")
    for name, value in FINE_TUNE.items():
        kind = (lambda text: text.lower() in ("1", "true", "yes")) \
            if isinstance(value, bool) else type(value)
        parser.add_argument(f"--ft-{name.replace('_', '-')}", dest=f"ft_{name}", type=kind,
                            help=f"the recipe's {name} (default {value})")
    args = parser.parse_args()
    if args.nice:
        lower_priority(args.nice)
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
    if args.fine_tune:
        fine_tune(args, store, drawings, data)
        return
    for include in (False, True):
        config = TrainConfig(**{**QUICK.to_dict(), "include_drawings": include,
                                "drawings_weight": args.weight})
        run, _ = train_and_save(config, store=store, data=data, drawings=drawings)
        metrics = run.metrics
        print(f"Quick preset {'with' if include else 'without'} the drawings"
              f"{f' (x{args.weight})' if include else ''}: held-out drawings "
              f"{metrics['drawings_accuracy']:.2%} ({metrics['drawings_count']}), MNIST test "
              f"{metrics['test_accuracy']:.2%}, {metrics['train_seconds']:.0f} s")


def _load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def fine_tune(args: argparse.Namespace, store: ModelStore, drawings: DrawingStore,
              data) -> None:
    """Fine-tune the base model on `drawings` `args.repeat` times; print each one's figures."""
    (_, _), (x_test, y_test) = data
    if args.base == "quick":
        base, _ = train_and_save(QUICK, store=store, data=data, drawings=drawings)
        print(f"Quick run {base.run_id} trained in {base.metrics['train_seconds']:.0f} s")
    else:
        base = store.get_run("shipped")
    weights = store.load_weights(base.run_id)
    before = held_out_metrics(weights.predict, drawings)
    mnist_before = evaluate_weights(weights, x_test, y_test).accuracy
    pen = ""
    if args.score_pen:
        from mnist_core.training.quality import pen_metrics

        pen = f", real writers {pen_metrics(weights)['pen_accuracy']:.2%}"
    print(f"Base {base.run_id}: held-out drawings {before['drawings_accuracy']:.2%} "
          f"({before['drawings_count']}), MNIST test {mnist_before:.2%}{pen}")
    overrides = {name: getattr(args, f"ft_{name}") for name in FINE_TUNE
                 if getattr(args, f"ft_{name}") is not None}
    config = fine_tune_config(base, **overrides)
    print(f"Recipe: {config.describe()}, batch {config.batch_size}, learning rate "
          f"{config.learning_rate:g}, nice {os.nice(0)}")
    for _ in range(args.repeat):
        load_before = _load()
        began = time.perf_counter()
        if args.job:
            # The job's process finds the drawings where the app would: in $MNIST_DRAWINGS_DIR.
            os.environ["MNIST_DRAWINGS_DIR"] = str(drawings.folder)
            jobs = TrainingJobs(store)
            status = jobs.wait(jobs.start(config).job_id, timeout=600)
            if status.run_id is None:
                raise SystemExit(f"The job ended {status.state}: {status.error}")
            run = store.get_run(status.run_id)
        else:
            run, _ = train_and_save(config, store=store, data=data, drawings=drawings)
        wall = time.perf_counter() - began
        metrics = run.metrics
        job = f", whole job {wall:.1f} s" if args.job else f", with scoring {wall:.1f} s"
        print(f"Fine-tuned {run.run_id}: {metrics['train_seconds']:.1f} s of fine-tuning "
              f"({metrics.get('pen_seconds', 0):.1f} s of it getting "
              f"{metrics.get('pen_digits', 0):,} real writers' digits, drawn or from the cache"
              f"{job}); held-out drawings "
              f"{metrics['tuned_from_drawings_accuracy']:.2%} -> "
              f"{metrics['drawings_accuracy']:.2%}, MNIST test "
              f"{metrics['tuned_from_test_accuracy']:.2%} -> {metrics['test_accuracy']:.2%} "
              f"({(metrics['test_accuracy'] - metrics['tuned_from_test_accuracy']) * 100:+.2f}"
              f" points); {load_before} before, {_load()} after")
        if args.score_pen:
            from mnist_core.training.quality import pen_metrics

            tuned = pen_metrics(store.load_weights(run.run_id))['pen_accuracy']
            print(f"  real writers {tuned:.2%}")


if __name__ == "__main__":
    main()
