"""How right the Train page's time estimates are: before a run, and "Time left" during it.

Runs real trainings through the background job machinery the page uses, in a fresh models
folder (so the first estimate has no run to learn from, as on a new machine, and each later
one learns from the runs before it): a small run, the Quick preset, the small run again and
Quick again. Polling each job as the page does, it records the time left the page would show
at every epoch's end and during scoring, and compares it with the time the job really took
to finish. Then it sizes the Best preset from those runs and times two of its epochs.

Prints, per run: the pre-start estimate against the real end-to-end time, the time left at
each epoch end and scoring step against the truth, and the worst relative error after the
first epoch (target: within 25%); and the numpy matmul GFLOP/s measured in the same run.

    MNIST_DATA_DIR=../shared/data/mnist python bench/train_estimate.py
    python bench/train_estimate.py --skip-best          # without timing Best's epochs
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mnist_core.config import BEST, QUICK, TrainConfig  # noqa: E402
from mnist_core.runs.store import PROJECT_MODELS_DIR, SHIPPED_ID, ModelStore  # noqa: E402
from mnist_core.training.drawn_cache import has_cache  # noqa: E402
from mnist_core.training.estimate import describe_seconds, estimate_run, machine_calibration  # noqa: E402
from mnist_core.training.jobs import TrainingJobs  # noqa: E402

SMALL = TrainConfig(hidden_units=(16,), epochs=2, max_train_samples=2000)
POLL_SECONDS = 0.25  # the page refreshes every second; finer here to catch every epoch end


def numpy_gflops(size: int = 2048, repeats: int = 10) -> float:
    """float32 matrix-multiply speed, GFLOP/s, as bench/train_speed.py measures it."""
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    a @ b
    started = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * size**3 * repeats / (time.perf_counter() - started) / 1e9


def watch(jobs: TrainingJobs, name: str, config: TrainConfig) -> dict:
    """Train `config` as a background job; the time left shown at each point against the
    truth. Returns the figures for the summary."""
    status = jobs.start(config)
    estimate = status.estimate
    points = []  # (what, elapsed, shown time left)
    epochs_seen, seen = 0, set()  # scoring points recorded
    while status.active:
        time.sleep(POLL_SECONDS)
        status = jobs.get(status.job_id)
        progress = status.progress
        if not status.active or progress is None:
            continue
        if len(status.history) > epochs_seen:
            epochs_seen = len(status.history)
            points.append((f"epoch {epochs_seen} of {config.epochs} ended",
                           status.elapsed_seconds, status.seconds_left))
        if progress.stage == "scoring":
            where = progress.step + (f" {progress.batch:,} of {progress.batches:,}"
                                     if progress.batches > 1 else "")
            if where not in seen and (progress.batches <= 1 or progress.batch % 400 == 0):
                seen.add(where)
                points.append((f"scoring: {where}", status.elapsed_seconds,
                               status.seconds_left))
    if status.state != "completed":
        raise SystemExit(f"{name}: the job ended {status.state}: {status.error}")
    total = status.elapsed_seconds  # to the saved run, as the page sees it end
    run = jobs.store.get_run(status.run_id)
    print(f"\n{name}: {config.describe()}, {config.max_train_samples or 60000:,} images")
    print(f"  estimate before the start: {estimate.total:6.1f} s  ({estimate.basis})")
    print(f"  actual, start to saved:    {total:6.1f} s  (error "
          f"{(estimate.total - total) / total:+.0%}); training {run.metrics['train_seconds']}"
          f" s, start-up {run.metrics.get('startup_seconds')} s, scoring "
          f"{run.metrics.get('scoring_seconds')} s")
    print(f"  load average (1 min) at the end: {os.getloadavg()[0]:.1f}")
    print(f"  {'point':38} {'elapsed':>8} {'shown':>7} {'truth':>7} {'error':>7}")
    worst, worst_scoring = 0.0, 0.0
    for what, elapsed, shown in points:
        truth = total - elapsed
        error = (shown - truth) / truth if truth > 0 else float("nan")
        print(f"  {what:38} {elapsed:7.1f}s {shown:6.1f}s {truth:6.1f}s {error:+7.0%}")
        if what.startswith("epoch ") and not what.startswith("epoch 1 "):
            worst = max(worst, abs(error))
        if what.startswith("scoring"):
            worst_scoring = max(worst_scoring, abs(shown - truth))
    print(f"  worst time-left error after the first epoch: {worst:.0%} (target 25%); "
          f"during scoring: {worst_scoring:.1f} s")
    return {"name": name, "estimate": estimate.total, "actual": total, "worst": worst,
            "worst_scoring": worst_scoring}


def best_check(store: ModelStore) -> None:
    """Size Best from the runs trained here, and time two of its epochs (distortions on;
    without the re-drawn digits unless their cache exists, since rendering them takes
    minutes)."""
    from mnist_core.training.engine import train_model

    estimate = estimate_run(BEST, machine_calibration(store), drawn_cached=True)
    cold = estimate_run(BEST, machine_calibration(store), drawn_cached=False)
    print(f"\nBest preset: estimated {describe_seconds(estimate.total)} with the re-drawn "
          f"digits cached ({estimate.per_epoch:.2f} s per epoch x {BEST.epochs}, from "
          f"{estimate.basis}); {describe_seconds(cold.total)} when they must be rendered "
          f"first (cached here now: {has_cache()})")
    config = dataclasses.replace(BEST, epochs=2,
                                 drawn_fraction=BEST.drawn_fraction if has_cache() else 0.0)
    ends: list[float] = []
    train_model(config, on_progress=lambda p: p.epoch_end and ends.append(p.elapsed_seconds))
    per_epoch = ends[1] - ends[0]
    print(f"  measured: {per_epoch:.2f} s per epoch ({config.describe()}); 100 such epochs "
          f"{describe_seconds(100 * per_epoch)}; the estimate's epoch is "
          f"{(estimate.per_epoch - per_epoch) / per_epoch:+.0%} off")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-best", action="store_true", help="do not time Best's epochs")
    args = parser.parse_args()
    gflops = numpy_gflops()
    print(f"numpy matmul: {gflops:.0f} GFLOP/s (2048x2048 float32); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    results = []
    with tempfile.TemporaryDirectory(prefix="train-estimate-") as folder:
        store = ModelStore(Path(folder) / "models", PROJECT_MODELS_DIR / SHIPPED_ID)
        jobs = TrainingJobs(store)
        for name, config in [("small run, nothing trained here yet", SMALL),
                             ("Quick preset, after one small run", QUICK),
                             ("small run, again", SMALL),
                             ("Quick preset, again", QUICK)]:
            results.append(watch(jobs, name, config))
        if not args.skip_best:
            best_check(store)
    print(f"\nnumpy matmul after the runs: {numpy_gflops():.0f} GFLOP/s; load average over "
          f"the last 15 minutes {os.getloadavg()[2]:.1f}")
    print("\nsummary: run, estimate before the start vs actual, worst time-left error after "
          "the first epoch, worst during scoring")
    for result in results:
        print(f"  {result['name']:38} {result['estimate']:6.1f} s vs {result['actual']:6.1f} s"
              f" ({(result['estimate'] - result['actual']) / result['actual']:+.0%}); "
              f"{result['worst']:.0%}; {result['worst_scoring']:.1f} s")


if __name__ == "__main__":
    main()
