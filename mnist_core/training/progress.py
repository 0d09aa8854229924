"""Where a training run is: the value the training engine reports after every batch and epoch.

Its own module, free of TensorFlow, so the pages can read a job's progress without loading it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["DRAWING_WRITERS", "DRAWING_WRITERS_AGAIN", "Progress"]

# The "preparing" stage's steps for the real writers' digits: "real writers" while a run takes
# its sample (a moment, or a small run drawing its own few), these two while the pool's
# drawings are made for their cache (once per machine), the second when a damaged one was
# found.
DRAWING_WRITERS = "drawing real writers"
DRAWING_WRITERS_AGAIN = "drawing real writers again"


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
    def preparing_text(self) -> str:
        """What the "preparing" stage is doing, in a sentence for the page and the command
        line, e.g. "Drawing real writers' digits on the canvas, once: 3,000 of 36,111"."""
        count = f"{self.batch:,} of {self.batches:,}"
        if self.step == DRAWING_WRITERS:
            return f"Drawing real writers' digits on the canvas, once for this machine: {count}"
        if self.step == DRAWING_WRITERS_AGAIN:
            return ("The real writers' drawings kept here were damaged; drawing them again: "
                    + count)
        if self.step == "real writers":
            return f"Taking this run's real writers' digits: {count}"
        return f"Re-drawing training digits as mouse strokes, once: {count}"

    @property
    def step_fraction(self) -> float:
        """Share of the stage or scoring step under way done, in [0, 1]: digits re-drawn,
        the training's batches, or the scoring step's items."""
        if self.stage == "training":
            return self.fraction
        return min(1.0, self.batch / self.batches) if self.batches > 0 else 0.0
