"""Where a training run is: the value the training engine reports after every batch and epoch.

Its own module, free of TensorFlow, so the pages can read a job's progress without loading it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Progress"]


@dataclass(frozen=True)
class Progress:
    """Where a run is. Sent after every batch (`epoch_end` False) and every epoch (True).

    Attributes:
        epoch: the epoch under way or just finished, 1 to `epochs`.
        epochs: epochs planned.
        batch: batches done in this epoch, 1 to `batches`.
        batches: batches per epoch.
        elapsed_seconds: wall time since training started.
        metrics: `loss` and `accuracy` so far in this epoch; at an epoch's end also
            `val_loss` and `val_accuracy`.
        epoch_end: True once per epoch, after validation.
        stage: "training", or "preparing" while drawn training digits are rendered before
            the first epoch (then `batch` of `batches` counts digits, and epoch is 0).
    """

    epoch: int
    epochs: int
    batch: int
    batches: int
    elapsed_seconds: float
    metrics: Mapping[str, float]
    epoch_end: bool = False
    stage: str = "training"

    @property
    def fraction(self) -> float:
        """Share of all planned batches done, in [0, 1] (0 while preparing)."""
        if self.stage != "training":
            return 0.0
        return ((self.epoch - 1) * self.batches + self.batch) / (self.epochs * self.batches)

    @property
    def seconds_left(self) -> float | None:
        """Estimated seconds to the end, from the pace so far; None before it can be told."""
        done = self.fraction
        if done <= 0:
            return None
        return self.elapsed_seconds * (1 - done) / done
