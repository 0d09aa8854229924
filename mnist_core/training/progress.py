"""Where a training run is: the value the training engine reports after every batch and epoch.

Its own module, free of TensorFlow, so the pages can read a job's progress without loading it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Progress"]


@dataclass(frozen=True)
class Progress:
    """Where a run is. Sent after every batch (`epoch_end` False) and every epoch (True),
    while training digits are re-drawn, and at each scoring step after training.

    Attributes:
        epoch: the epoch under way or just finished, 1 to `epochs`.
        epochs: epochs planned.
        batch: batches done in this epoch, 1 to `batches`.
        batches: batches per epoch.
        elapsed_seconds: wall time since training started.
        metrics: `loss` and `accuracy` so far in this epoch; at an epoch's end also
            `val_loss` and `val_accuracy`.
        epoch_end: True once per epoch, after validation.
        stage: "training"; "preparing" while drawn training digits are rendered before
            the first epoch (then `batch` of `batches` counts digits, and epoch is 0);
            "scoring" after training (then `step` names one of
            `mnist_core.training.estimate.SCORING_STEPS` and `batch` of `batches` counts its items,
            e.g. re-drawn digits 800 of 2,000; 0 of 1 for a step without a count).
        step: the scoring step under way; "" in the other stages.
        pace: the run's own seconds per unit of `batch` (a training batch with its share of
            validation, a re-drawn digit), measured after one-off costs such as graph
            tracing; None until measured.
    """

    epoch: int
    epochs: int
    batch: int
    batches: int
    elapsed_seconds: float
    metrics: Mapping[str, float]
    epoch_end: bool = False
    stage: str = "training"
    step: str = ""
    pace: float | None = None

    @property
    def fraction(self) -> float:
        """Share of all planned batches done, in [0, 1]: 0 while preparing, 1 while scoring."""
        if self.stage == "scoring":
            return 1.0
        if self.stage != "training" or self.epochs * self.batches <= 0:
            return 0.0
        return ((self.epoch - 1) * self.batches + self.batch) / (self.epochs * self.batches)

    @property
    def step_fraction(self) -> float:
        """Share of the stage or scoring step under way done, in [0, 1]: digits re-drawn,
        the training's batches, or the scoring step's items."""
        if self.stage == "training":
            return self.fraction
        return min(1.0, self.batch / self.batches) if self.batches > 0 else 0.0
