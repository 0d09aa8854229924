"""Fine-tuning: teach the model in use the class's saved drawings in seconds, without it
forgetting MNIST.

A fine-tune is an ordinary run: its `TrainConfig` says which run it started from
(`tuned_from`) and what it learnt (`include_drawings`: the saved drawings the class did not
hold out, `drawings_weight` times each, mixed with a replay of `max_train_samples` MNIST
training digits and `pen_fraction` real writers' digits), it trains as a background job like
any other (`TrainingJobs.start`), and it is saved in the store as a run, only if it completes.

    store = ModelStore()
    base = store.get_run(store.active_run_id())
    refusal = teach_refusal(DrawingStore().counts())      # None, or why not yet
    job = TrainingJobs(store).start(fine_tune_config(base))
    ...
    scores = before_and_after(store.get_run(job_status.run_id))

No TensorFlow here: the pages import it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mnist_core.classroom.drawings import DrawingCounts, DrawingStore
from mnist_core.config import TrainConfig
from mnist_core.wording import plural

__all__ = ["FINE_TUNE", "MAX_NOW_RIGHT", "MIN_TEACH_DRAWINGS", "BeforeAfter", "before_and_after",
           "class_change", "fine_tune_config",
           "scored_quickly", "teach_refusal"]

# The recipe, measured with `python bench/teach_loop.py --crossed-sevens --fine-tune` on the
# shared 2-core development machine at load 2-8 (docs/results.md): the shipped model,
# 300 crossed 7s saved (226 to learn, 74 held out, read right 58.1% before). 20,000 replayed
# MNIST digits, x5: held-out 89.2%, MNIST 99.33% -> 99.32%, 13 s; 12,000 replayed: 89.2% but
# MNIST -0.19 points (x10 at 6,000: 95.9% and -0.51); x25 or a 1e-4 rate gained nothing on the
# drawings and cost MNIST more; 2 passes at 3e-4 did as well as 3 at 2e-4. Real writers' digits
# in the replay (10%) kept the held-out writers at 97.85% (97.60% without, 97.55% with 5%;
# 98.05% before) for 12 s of drawing them at load 8 (22.6 s in all, held-out 89.2%, MNIST
# -0.02 points).
FINE_TUNE: dict[str, Any] = {
    "epochs": 3,
    "learning_rate": 2e-4,  # a tenth of Quick's: the weights are good already
    "batch_size": 256,
    "max_train_samples": 20_000,  # MNIST training digits replayed, so it does not forget
    "drawings_weight": 5,  # each saved drawing counts as this many replayed digits
    "pen_fraction": 0.1,  # real writers' digits in the replay, when they are on the machine
    "augment": False,
    "drawn_fraction": 0.0,  # the saved drawings are drawn already; re-drawing costs minutes
    "validation_split": 0.05,
}
# Fewer saved drawings to learn from than this, and "Teach it now" says to save more first.
MIN_TEACH_DRAWINGS = 10
MAX_NOW_RIGHT = 24  # the class's drawings it newly reads right, kept to show (newest first)


def fine_tune_config(base_run: Any, *, pen_digits: bool | None = None,
                     **overrides: Any) -> TrainConfig:
    """The settings that fine-tune `base_run`'s model on the saved drawings (`FINE_TUNE`).

    Args:
        base_run: the run to start from (a `RunInfo`; usually the model in use,
            `store.get_run(store.active_run_id())`): its layers and dropout are kept.
        pen_digits: mix real writers' digits into the replay; None (default) does when they
            are on this machine, from the files of the base run's `pen_sources` that are
            (`mnist_core.data.writers.trainable`).
        overrides: `TrainConfig` fields to set instead of the recipe's (the benchmark tunes
            the recipe this way).
    Raises:
        ConfigError: an override is out of range (every problem, as for any config).
    """
    values = {**base_run.config.to_dict(), **FINE_TUNE, "include_drawings": True,
              "tuned_from": base_run.run_id}
    if pen_digits is None:
        from mnist_core.data.writers import trainable
        values = trainable(TrainConfig.from_dict(values))[0].to_dict()
    elif not pen_digits:
        values["pen_fraction"] = 0.0
    values.update(overrides)
    return TrainConfig.from_dict(values)


def scored_quickly(config: TrainConfig) -> bool:
    """True for teaching the saved drawings (a fine-tune with `include_drawings`, as Teach it
    now makes): it is judged at once by MNIST and the held-out drawings, before and after, and
    skips the re-drawn digits and real writers (about 25 s). Every other run, a fine-tune on
    MNIST and real writers alone included, gets every score."""
    return config.tuned_from is not None and config.include_drawings


def teach_refusal(counts: DrawingCounts) -> str | None:
    """Why the model cannot be taught the saved drawings yet, as a sentence; None when it can
    (at least `MIN_TEACH_DRAWINGS` saved drawings that are not held out)."""
    if counts.for_training >= MIN_TEACH_DRAWINGS:
        return None
    held = f" ({counts.held_out:,} more held out to check it)" if counts.held_out else ""
    have = plural(counts.for_training, "saved drawing") if counts.for_training else \
        "no saved drawings"
    return (f"The model can learn from {have} so far{held}: save at least "
            f"{MIN_TEACH_DRAWINGS} with 'Right, it's a …' or 'Wrong? It was a …' on the home "
            "page first.")


@dataclass(frozen=True)
class BeforeAfter:
    """How a fine-tuned run reads against the model it started from, on the same digits.

    Attributes:
        tuned_from: the run id it started from.
        test_before, test_after: accuracy on MNIST's test digits, in [0, 1].
        drawings_before, drawings_after: accuracy on the held-out saved drawings, in [0, 1];
            None when fewer than `MIN_HELD_OUT` were held out.
        drawings_count: held-out drawings scored (0 when none were).
        drawings_trained: saved drawings it learnt from.
        train_seconds: how long the fine-tune trained.
        held_right_before, held_right_after, held_count: held-out drawings read right by the
            model it started from and by it, of `held_count` (any number, however few); None
            for runs from before these were kept.
        trained_right_before, trained_right_after: the drawings it learnt from read right
            before and after (of `drawings_trained`).
        now_right: ids of the class's drawings (learnt or held out) it reads right that the
            model it started from read wrong, newest first, at most MAX_NOW_RIGHT.
    """

    tuned_from: str
    test_before: float | None
    test_after: float | None
    drawings_before: float | None
    drawings_after: float | None
    drawings_count: int
    drawings_trained: int
    train_seconds: float | None
    held_right_before: int | None = None
    held_right_after: int | None = None
    held_count: int = 0
    trained_right_before: int | None = None
    trained_right_after: int | None = None
    now_right: tuple[int, ...] = ()

    @property
    def held_changed(self) -> tuple[int, int] | None:
        """(right before, right after) on every held-out drawing, however few (the shares
        above need `MIN_HELD_OUT`); None when the run did not record them."""
        if self.held_right_before is None or self.held_right_after is None \
                or not self.held_count:
            return None
        return self.held_right_before, self.held_right_after


def before_and_after(run: Any) -> BeforeAfter | None:
    """The before-and-after scores a fine-tuned run recorded (`RunInfo`); None for a run
    trained from scratch."""
    if run.config.tuned_from is None:
        return None
    metrics = run.metrics

    def share(name: str) -> float | None:
        value = metrics.get(name)
        return float(value) if isinstance(value, (int, float)) else None

    def count(name: str) -> int | None:
        value = metrics.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 \
            else None

    ids = metrics.get("now_right_ids")
    now_right = tuple(item for item in ids if isinstance(item, int) and item > 0)[
        :MAX_NOW_RIGHT] if isinstance(ids, list) else ()
    return BeforeAfter(run.config.tuned_from, share("tuned_from_test_accuracy"),
                       share("test_accuracy"), share("tuned_from_drawings_accuracy"),
                       share("drawings_accuracy"), int(metrics.get("drawings_count") or 0),
                       int(metrics.get("drawings_trained") or 0), share("train_seconds"),
                       count("held_right_before"), count("held_right_after"),
                       count("held_count") or 0, count("trained_right_before"),
                       count("trained_right_after"), now_right)


def class_change(before: Callable[[np.ndarray], np.ndarray],
                 after: Callable[[np.ndarray], np.ndarray],
                 store: DrawingStore) -> dict[str, Any]:
    """What teaching changed on the class's own drawings, however few: for the held-out ones
    (never learnt: the fair figure) and the learnt ones, how many each model reads right, and
    which drawings the new model reads right that the old one read wrong.

    Args:
        before, after: (N, 28, 28) float32 in [0, 1] -> (N, 10) probabilities: the model it
            started from and the fine-tuned one (`MlpWeights.predict`).
        store: the saved drawings.
    Returns:
        metrics.json entries: `held_count`, `held_right_before`, `held_right_after`,
        `trained_right_before`, `trained_right_after` (ints) and `now_right_ids` (ids, newest
        first, at most MAX_NOW_RIGHT).
    """
    found: dict[str, Any] = {}
    newly_right: list[int] = []
    for held_out, name in ((True, "held"), (False, "trained")):
        images, labels, ids = store.dataset_with_ids(held_out=held_out)
        if held_out:
            found["held_count"] = int(len(labels))
        if not len(labels):
            found[f"{name}_right_before"] = found[f"{name}_right_after"] = 0
            continue
        scaled = images.astype(np.float32) / 255.0
        right_before = np.asarray(before(scaled)).argmax(axis=1) == labels
        right_after = np.asarray(after(scaled)).argmax(axis=1) == labels
        found[f"{name}_right_before"] = int(right_before.sum())
        found[f"{name}_right_after"] = int(right_after.sum())
        newly_right += ids[right_after & ~right_before].tolist()
    found["now_right_ids"] = sorted(newly_right, reverse=True)[:MAX_NOW_RIGHT]
    return found
