"""Training speed against the machine's limit, for each engine.

For a config (default: the Quick preset), trains two epochs on MNIST with Keras and prints
seconds per epoch, samples per second, and the ratio of one epoch's time to the time the same
number of floating-point operations take in a plain numpy matrix multiply measured in the same
run (the hardware limit). The second epoch is the one timed: the first includes graph tracing.

Then the same two epochs with the numpy engine (mnist_core.learning, the default for runs
without distortions), and the limit measured again: the machine's speed drifts on a shared
host, so each engine is set beside the limit measured next to it.

    python bench/train_speed.py                  # Quick preset
    python bench/train_speed.py --preset best    # Keras only: Best distorts its images
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mnist_core.config import PRESETS  # noqa: E402
from mnist_core.model import count_macs  # noqa: E402
from mnist_core.training.engine import train_model  # noqa: E402


def numpy_flops_per_second(size: int = 2048, repeats: int = 10) -> float:
    """Peak float32 matrix-multiply throughput of this machine, as numpy (BLAS) reaches it."""
    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    a @ b  # warm up threads and caches
    started = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * size**3 * repeats / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="quick", choices=[p.lower() for p in PRESETS])
    args = parser.parse_args()
    config = {name.lower(): c for name, c in PRESETS.items()}[args.preset]
    config = dataclasses.replace(config, epochs=2)

    for engine in ("keras", "numpy") if not config.augment else ("keras",):
        timed(config, engine)


def timed(config, engine: str) -> None:
    """Train two epochs with `engine` and print the second's time against the limit."""
    epoch_ends: list[float] = []
    result = train_model(config, on_progress=lambda p: p.epoch_end and epoch_ends.append(
        p.elapsed_seconds), engine=engine)
    epoch_seconds = epoch_ends[1] - epoch_ends[0]
    peak = numpy_flops_per_second()

    macs = count_macs(config.hidden_units)
    # Per image: forward 2 FLOPs per MAC, backward 4 (gradients of weights and of inputs);
    # validation images only go forward.
    flops = 6 * macs * result.train_samples + 2 * macs * result.validation_samples
    limit_seconds = flops / peak
    print(f"\n{engine} engine; config: {config.describe()}, batch {config.batch_size}")
    print(f"seconds per epoch: {epoch_seconds:.2f}  (first epoch, with tracing: "
          f"{epoch_ends[0]:.2f})")
    print(f"samples per second: {result.train_samples / epoch_seconds:,.0f}")
    print(f"numpy matmul:      {peak / 1e9:.0f} GFLOP/s; one epoch is {flops / 1e9:.0f} GFLOP "
          f"= {limit_seconds:.2f} s at that rate")
    print(f"ratio to the limit: {epoch_seconds / limit_seconds:.2f}x")


if __name__ == "__main__":
    main()
