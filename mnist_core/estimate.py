"""How long a training run will take on this machine, before it starts.

The matrix products dominate an MLP's training, so the estimate counts its floating-point
operations and divides by this machine's numpy matrix-multiply speed (measured once, in about
0.1 s), times the ratio Keras achieves here (bench/train_speed.py: 1.57x for the Quick preset),
plus the per-batch, distortion and start-up costs measured on the development machine.
"""

from __future__ import annotations

import functools
import time

import numpy as np

from mnist_core.config import MNIST_TRAIN_SIZE, TrainConfig
from mnist_core.model import count_macs

__all__ = ["estimate_seconds"]

_KERAS_OVERHEAD = 1.6  # epoch time over pure matmul time (bench/train_speed.py)
_SECONDS_PER_BATCH = 0.0015  # Keras' fixed cost per step
_SECONDS_PER_DISTORTED_IMAGE = 25e-6  # augment_batch, partly hidden behind the training step
_STARTUP_SECONDS = 8.0  # TensorFlow import, graph tracing, loading MNIST
_SCORING_SECONDS = 7.0  # test set, 2,000 re-drawn digits, saving
_SECONDS_PER_REDRAWN_DIGIT = 0.0019  # drawn_training: render + preprocess, both cores


@functools.lru_cache(maxsize=1)
def _matmul_flops_per_second() -> float:
    # The best of several short trials: other work on the machine only ever slows a trial.
    rng = np.random.default_rng(0)
    a = rng.random((1024, 1024), dtype=np.float32)
    a @ a
    best = float("inf")
    for _ in range(8):
        started = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - started)
    return 2 * 1024**3 / best


def estimate_seconds(config: TrainConfig, *, drawn_cached: bool = True) -> float:
    """Seconds the run will take here, start to saved: a guide, typically within 30%.

    Args:
        config: the settings.
        drawn_cached: False when the re-drawn training digits must be rendered first (the
            first run with `drawn_fraction` > 0 on a machine).
    """
    samples = config.max_train_samples or MNIST_TRAIN_SIZE
    validation = round(samples * config.validation_split)
    fit = samples - validation
    macs = count_macs(config.hidden_units)
    flops = 6 * macs * fit + 2 * macs * validation
    per_epoch = flops / _matmul_flops_per_second() * _KERAS_OVERHEAD
    per_epoch += -(-fit // config.batch_size) * _SECONDS_PER_BATCH
    if config.augment:
        per_epoch += fit * _SECONDS_PER_DISTORTED_IMAGE
    total = _STARTUP_SECONDS + config.epochs * per_epoch + _SCORING_SECONDS
    if config.drawn_fraction > 0 and not drawn_cached:
        from mnist_core.drawn_training import COPIES

        total += MNIST_TRAIN_SIZE * COPIES * _SECONDS_PER_REDRAWN_DIGIT
    return total
