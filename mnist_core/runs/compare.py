"""Comparing runs: summaries for a table, learning-curve facts, and the test-set details.

All plain values and numpy arrays; the Curves page turns them into tables and charts.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mnist_core.data.mnist import load_mnist
from mnist_core.model import MlpWeights
from mnist_core.runs.evaluate import evaluate_weights, evaluation_record
from mnist_core.runs.store import ModelStore, RunInfo

__all__ = ["Comparison", "compare_runs", "confusion_cells", "ensure_evaluation", "history_csv",
           "history_rows", "misclassified_in_cell", "overfitting_epoch", "read_right", "run_labels",
           "run_summary"]

HISTORY_COLUMNS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds",
                   "complete")


def run_summary(run: RunInfo, active_id: str) -> dict[str, Any]:
    """One row for the runs table: when, architecture, epochs, status, time, accuracies.

    Accuracies are fractions in [0, 1] or None when not measured.
    """
    planned = run.config.epochs
    done = len(run.history)
    return {
        "run": run.run_id,
        "name": run.name,
        "active": run.run_id == active_id,
        "finished": run.finished_at[:16].replace("T", " ") if run.finished_at else "",
        "architecture": "-".join(str(units) for units in (784, *run.config.hidden_units, 10)),
        "epochs": f"{done} of {planned}" if done != planned else str(done),
        "status": run.status,
        "train_seconds": run.metrics.get("train_seconds"),
        "test_accuracy": run.test_accuracy,
        "drawn_accuracy": run.drawn_accuracy,
        "pen_accuracy": run.pen_accuracy,
        "report_accuracy": run.report_accuracy,
        "settings": run.config.describe(),
    }


# Where validation loss "turned up", from real runs (bench/overfitting.py, docs/results.md).
# Its noise, measured as `validation_noise`, is 2.4-3.0% in runs that do not overfit
# (the shipped model's 100 epochs, the Quick preset with two seeds); after its lowest point it
# wandered up to 5.4% above it, and the last 3 epochs were 0.2-4.6% above it. In runs that
# really overfit (no dropout, or only 1,000-5,000 training images) the last 3 epochs were
# 14-24% above their lowest. So a rise counts when it is over 10% (3-4x the noise, 2x the
# largest wander) and over 4x this run's own noise (a small validation set is noisier), in each
# of the last 3 epochs: turned up and stayed up.
OVERFITTING_MIN_RISE = 0.10  # relative to the lowest validation loss
OVERFITTING_NOISE_MULTIPLE = 4.0
OVERFITTING_PATIENCE = 3  # the last this many epochs must all be that far above the lowest
_NOISE_FROM_EPOCH = 6  # the first epochs' steep fall is a trend, not noise
_NOISE_MIN_POINTS = 3


def validation_noise(history: list[dict[str, Any]]) -> float | None:
    """How far validation loss strays by chance from one epoch to the next, relative: the
    median over epochs 6 on of |v[n] - (v[n-1] + v[n+1]) / 2| / v[n], its distance from the
    average of its neighbours (a steady rise or fall, being a trend, does not count).

    Returns:
        A fraction (0.027 for the shipped model), or None when fewer than 3 epochs from
        epoch 6 on have a neighbour on each side (a run of fewer than 9 epochs).
    """
    losses = np.array([h["val_loss"] for h in history if h.get("val_loss") is not None],
                      dtype=float)[_NOISE_FROM_EPOCH - 2:]  # epoch 5 is epoch 6's neighbour
    if len(losses) < _NOISE_MIN_POINTS + 2:
        return None
    middle = losses[1:-1]
    return float(np.median(np.abs(middle - (losses[:-2] + losses[2:]) / 2) / middle))


def overfitting_epoch(history: list[dict[str, Any]]) -> int | None:
    """The epoch after which validation loss turned up for good, if it did; None otherwise.

    That is the epoch of the lowest validation loss, when each of the last
    `OVERFITTING_PATIENCE` epochs (all after it) is above that lowest loss by more than
    `OVERFITTING_MIN_RISE` (relative) and, when the run is long enough to measure it, by more
    than `OVERFITTING_NOISE_MULTIPLE` times its `validation_noise`. Smaller rises, and rises the
    run recovered from, are noise: see the constants for the measurements they come from.

    Args:
        history: a run's per-epoch records; those without a "val_loss" are left out.
    """
    records = [(h["epoch"], h["val_loss"]) for h in history if h.get("val_loss") is not None]
    if len(records) <= OVERFITTING_PATIENCE:
        return None
    best_epoch, best_loss = min(records, key=lambda record: record[1])
    last = records[-OVERFITTING_PATIENCE:]
    if any(epoch <= best_epoch for epoch, _ in last):
        return None
    noise = validation_noise(history)
    rise = max(OVERFITTING_MIN_RISE, OVERFITTING_NOISE_MULTIPLE * (noise or 0.0))
    if all(loss > best_loss * (1 + rise) for _, loss in last):
        return best_epoch
    return None


def run_labels(runs: Sequence[RunInfo]) -> dict[str, str]:
    """How a chart's legend names each run, by id: its name ("Quick preset, 7 Dec 08:08"),
    with its id after it when another of `runs` has the same name, so no two merge."""
    names = Counter(run.name for run in runs)
    return {run.run_id: run.name if names[run.name] == 1 else f"{run.name} ({run.run_id})"
            for run in runs}


def history_rows(runs: Sequence[RunInfo]) -> list[dict[str, Any]]:
    """The runs' per-epoch records as the rows of one chart or table: each with "run" (its
    label, `run_labels`) and every one of HISTORY_COLUMNS, None where the record has none (a
    run may lack validation figures, an older one "complete"), then any other figures it
    recorded."""
    labels = run_labels(runs)
    return [{"run": labels[run.run_id], **dict.fromkeys(HISTORY_COLUMNS), **record}
            for run in runs for record in run.history]


def history_csv(run: RunInfo) -> str:
    """The per-epoch history as CSV text, one row per epoch, with a header."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HISTORY_COLUMNS, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for record in run.history:
        writer.writerow(record)
    return buffer.getvalue()


def misclassified_in_cell(evaluation: dict[str, Any], true: int | None = None,
                          predicted: int | None = None) -> list[dict[str, Any]]:
    """The stored misclassified test images with that true and/or predicted digit.

    Args:
        evaluation: a run's evaluation.json (its "misclassified" list).
        true, predicted: digits 0-9, or None for any.
    Returns:
        Entries {"index", "true", "predicted", "confidence"}, most confident mistakes first.
    """
    return [entry for entry in evaluation.get("misclassified", [])
            if (true is None or entry["true"] == true)
            and (predicted is None or entry["predicted"] == predicted)]


def ensure_evaluation(store: ModelStore, run: RunInfo) -> dict[str, Any]:
    """The run's test-set evaluation, computed once and stored beside it if it was missing.

    Raises:
        ModelLoadError: the run's model cannot be loaded.
        DataNotFoundError: MNIST is needed to compute it and cannot be found.
    """
    stored = run.evaluation()
    if stored is not None:
        return stored
    _, (x_test, y_test) = load_mnist()
    record = evaluation_record(evaluate_weights(store.load_weights(run.run_id), x_test, y_test),
                               y_test)
    store.write_evaluation(run.run_id, record)
    return record


def confusion_cells(evaluation: dict[str, Any]) -> list[dict[str, int]]:
    """The confusion matrix as rows {"true", "predicted", "count"} for a heatmap."""
    matrix = np.asarray(evaluation["confusion"])
    return [{"true": int(t), "predicted": int(p), "count": int(matrix[t, p])}
            for t in range(matrix.shape[0]) for p in range(matrix.shape[1])]


# Differences smaller than these are noise, not a better or worse model: one standard error
# of an accuracy near 99% is 0.1 points on the 10,000 test images and 0.2 points on the 2,000
# re-drawn digits; a twice-that margin is what a second training of the same recipe moves.
SAME_TEST_POINTS = 0.2
SAME_DRAWN_POINTS = 0.5
SAME_PEN_POINTS = 0.6  # 1,999 held-out writers' digits: a standard error of 0.3 points at 98%


@dataclass(frozen=True)
class Comparison:
    """How a run compares with the model in use, for choosing whether to use it.

    Attributes:
        verdict: "better" (ahead on one measure and not behind on the other), "worse" (behind
            on a measure by more than its noise), "similar", or "unknown" (not measured).
        sentence: the comparison for people, with the figures.
    """

    verdict: str
    sentence: str

    @property
    def recommended(self) -> bool:
        """True when using the run is the obvious next step (it reads better)."""
        return self.verdict == "better"


def _same_writers(candidate: RunInfo, in_use: RunInfo
                  ) -> tuple[str, float | None, float | None]:
    """Real writers' accuracy of both runs on the same people: the report split's 69 writers
    when both were scored on it, else pendigits' 8 held-out writers (every run has that)."""
    if candidate.report_accuracy is not None and in_use.report_accuracy is not None:
        people = candidate.real_writers[2]
        return (f"real writers' digits ({people} people)", candidate.report_accuracy,
                in_use.report_accuracy)
    return "real writers' digits (8 people)", candidate.pen_accuracy, in_use.pen_accuracy


def compare_runs(candidate: RunInfo, in_use: RunInfo) -> Comparison:
    """Compare `candidate` with `in_use` on MNIST test accuracy, drawn-digit accuracy and
    real writers' digits (each where both were measured).

    A difference counts only above SAME_TEST_POINTS / SAME_DRAWN_POINTS / SAME_PEN_POINTS
    (percentage points).
    """
    measures = [("MNIST test digits", candidate.test_accuracy, in_use.test_accuracy,
                 SAME_TEST_POINTS),
                ("re-drawn digits", candidate.drawn_accuracy, in_use.drawn_accuracy,
                 SAME_DRAWN_POINTS),
                (*_same_writers(candidate, in_use), SAME_PEN_POINTS)]
    parts, ahead, behind = [], False, False
    for name, mine, theirs, noise in measures:
        if mine is None or theirs is None:
            continue
        points = (mine - theirs) * 100
        if points > noise:
            ahead, how = True, f"{points:.1f} points above its {theirs:.2%}"
        elif points < -noise:
            behind, how = True, f"{-points:.1f} points below its {theirs:.2%}"
        else:
            how = f"about the same as its {theirs:.2%}"
        parts.append(f"{mine:.2%} of the {name} ({how})")
    if not parts:
        return Comparison("unknown", "Its accuracy was not measured, so it cannot be compared "
                                     "with the model in use.")
    verdict = "worse" if behind else "better" if ahead else "similar"
    lead = {"worse": "It reads worse than the model in use",
            "better": "It reads better than the model in use",
            "similar": "It reads about as well as the model in use"}[verdict]
    joined = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
    return Comparison(verdict, f"{lead}: {joined}.")


def read_right(weights: MlpWeights, images: np.ndarray, labels: np.ndarray, digit: int,
               limit: int = 40) -> tuple[int, list[dict[str, Any]]]:
    """The images of `digit` the model reads right: a diagonal cell of the confusion matrix.

    Args:
        weights: the run's model.
        images: (N, 28, 28) uint8 in [0, 255] or float32 in [0, 1], e.g. MNIST's test images.
        labels: (N,) integers 0-9.
        digit: 0-9.
        limit: at most this many entries are returned.
    Returns:
        How many of them it reads right, and up to `limit` entries {"index", "true",
        "predicted", "confidence"}, the ones it was least sure of first (the near misses).
    """
    indices = np.flatnonzero(np.asarray(labels) == digit)
    if not len(indices):
        return 0, []
    scored = evaluate_weights(weights, np.asarray(images)[indices], np.asarray(labels)[indices])
    right = np.flatnonzero(scored.predictions == digit)
    right = right[np.argsort(scored.confidences[right], kind="stable")]
    return len(right), [{"index": int(indices[i]), "true": int(digit), "predicted": int(digit),
                         "confidence": float(scored.confidences[i])} for i in right[:limit]]
