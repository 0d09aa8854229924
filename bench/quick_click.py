"""The Quick preset from the click to a scored run, phase by phase, beside the machine's limit.

Starts Quick as the Train page does (a background job, `TrainingJobs.start`), in a fresh
models folder, polls it as the page does, and prints the wall time from the click to the saved,
scored run, split into its phases as the run recorded them: start-up (a new process importing
TensorFlow, loading MNIST), preparing (the real writers' digits: drawn once per machine, then
read), the epochs, and scoring; and the estimate the page showed before the start. Beside it:
the numpy matrix-multiply speed measured in the same run, and the time Quick's epochs' floating-
point work takes at that speed (the limit the epochs are held to).

    python bench/quick_click.py            # with this machine's caches as they are (warm)
    python bench/quick_click.py --cold     # a fresh cache folder: as on a new machine

Needs MNIST_DATA_DIR, PENDIGITS_DATA_DIR and UNIPEN_DATA_DIR (Quick learns from both files).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_speed import numpy_flops_per_second  # noqa: E402

from mnist_core.config import QUICK  # noqa: E402
from mnist_core.model import count_macs  # noqa: E402
from mnist_core.runs.store import PROJECT_MODELS_DIR, SHIPPED_ID, ModelStore  # noqa: E402
from mnist_core.training.estimate import describe_seconds  # noqa: E402
from mnist_core.training.jobs import TrainingJobs  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cold", action="store_true",
                        help="use a fresh, empty cache folder (MNIST_CACHE_DIR)")
    args = parser.parse_args()
    peak = numpy_flops_per_second()
    caches = "cold (a fresh folder)" if args.cold else "as they are"
    print(f"numpy matmul: {peak / 1e9:.0f} GFLOP/s; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores; caches {caches}")
    with tempfile.TemporaryDirectory(prefix="quick-click-") as folder:
        if args.cold:
            os.environ["MNIST_CACHE_DIR"] = str(Path(folder) / "cache")
        store = ModelStore(Path(folder) / "models", PROJECT_MODELS_DIR / SHIPPED_ID)
        jobs = TrainingJobs(store)
        clicked = time.perf_counter()
        status = jobs.start(QUICK)
        estimate = status.estimate
        while status.active:
            time.sleep(0.25)
            status = jobs.get(status.job_id)
        wall = time.perf_counter() - clicked
        if status.state != "completed":
            raise SystemExit(f"the job ended {status.state}: {status.error}")
        run = store.get_run(status.run_id)
    metrics, history = run.metrics, run.history
    epochs = [b["seconds"] - a["seconds"] for a, b in zip(history, history[1:], strict=False)]
    macs = count_macs(QUICK.hidden_units)
    flops = 6 * macs * metrics["train_samples"] + 2 * macs * metrics["validation_samples"]
    limit = flops / peak
    print(f"config: {QUICK.describe()}, batch {QUICK.batch_size}")
    print(f"click to scored run: {wall:.1f} s (the page estimated "
          f"{describe_seconds(estimate.total)} before the start: {estimate.basis})")
    print(f"  start-up:   {metrics.get('startup_seconds', 0):6.1f} s  (a new process: TensorFlow, "
          "MNIST)")
    print(f"  preparing:  {metrics.get('preparing_seconds', 0):6.1f} s  (real writers' digits: "
          f"{metrics.get('pen_drawn', 0):,} drawings made, {metrics.get('pen_digits', 0):,} "
          "taken)")
    print(f"  epochs:     {history[-1]['seconds'] - metrics.get('preparing_seconds', 0):6.1f} s  "
          f"(first {metrics.get('first_epoch_seconds', 0):.1f} s with tracing; then "
          f"{sorted(epochs)[len(epochs) // 2]:.2f} s median each)")
    print(f"  scoring:    {metrics.get('scoring_seconds', 0):6.1f} s  "
          f"{metrics.get('scoring_steps')}")
    print(f"limit: one epoch's {flops / 1e9:.0f} GFLOP at {peak / 1e9:.0f} GFLOP/s = "
          f"{limit:.2f} s; epochs at {sorted(epochs)[len(epochs) // 2] / limit:.2f}x it; all "
          f"{QUICK.epochs} epochs at the limit: {QUICK.epochs * limit:.0f} s")
    print(f"read: MNIST test {metrics['test_accuracy']:.2%}, real writers "
          f"{metrics.get('report_accuracy', float('nan')):.2%} "
          f"({metrics.get('report_writers')} writers)")


if __name__ == "__main__":
    main()
