"""Score a model on labelled images: accuracy, loss, confusion matrix, what it got wrong."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from mnist_core.model import NUM_CLASSES, MlpWeights

__all__ = ["Evaluation", "evaluate_predictions", "evaluate_weights", "evaluation_record",
           "share_interval", "writer_interval"]

# Misclassified images kept in evaluation.json; enough for any gallery, bounded for bad models.
MAX_MISCLASSIFIED_STORED = 2000

# Probabilities are clipped before the log so one certain mistake cannot make the loss infinite.
_EPSILON = 1e-7


@dataclass(frozen=True)
class Evaluation:
    """How a model did on N labelled images.

    Attributes:
        accuracy: share right, in [0, 1].
        loss: mean cross-entropy, >= 0.
        confusion: (10, 10) int64, confusion[true, predicted] = count.
        per_class_accuracy: (10,) float64 in [0, 1]; NaN for a digit with no images.
        misclassified: (K,) int64 indices of the images predicted wrong, most confident first.
        predictions: (N,) int64 predicted digits.
        confidences: (N,) float32 probability of the predicted digit.
    """

    accuracy: float
    loss: float
    confusion: np.ndarray
    per_class_accuracy: np.ndarray
    misclassified: np.ndarray
    predictions: np.ndarray
    confidences: np.ndarray

    @property
    def count(self) -> int:
        """Number of images scored."""
        return len(self.predictions)

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures: accuracy, loss, counts, per-class accuracy, confusion matrix."""
        return {
            "accuracy": self.accuracy,
            "loss": self.loss,
            "count": self.count,
            "errors": int(len(self.misclassified)),
            "per_class_accuracy": [None if np.isnan(v) else float(v)
                                   for v in self.per_class_accuracy],
            "confusion": self.confusion.tolist(),
        }


def evaluate_predictions(probabilities: np.ndarray, labels: np.ndarray) -> Evaluation:
    """Score predicted probabilities against true labels.

    Args:
        probabilities: (N, 10) float, rows summing to 1.
        labels: (N,) integers 0-9.
    Raises:
        ValueError: shapes do not match, or labels outside 0-9.
    """
    probabilities = np.asarray(probabilities)
    labels = np.asarray(labels)
    if probabilities.ndim != 2 or probabilities.shape[1] != NUM_CLASSES:
        raise ValueError(
            f"Expected probabilities of shape (N, 10). Received: shape={probabilities.shape}"
        )
    if labels.shape != (len(probabilities),):
        raise ValueError(
            f"Expected labels of shape ({len(probabilities)},). Received: shape={labels.shape}"
        )
    if len(labels) == 0:
        raise ValueError("Expected at least one image to evaluate. Received none.")
    labels = labels.astype(np.int64)
    if labels.min() < 0 or labels.max() >= NUM_CLASSES:
        raise ValueError(
            f"Expected labels in 0-9. Received values from {labels.min()} to {labels.max()}."
        )
    predictions = probabilities.argmax(axis=1).astype(np.int64)
    confidences = probabilities[np.arange(len(labels)), predictions].astype(np.float32)
    true_probability = probabilities[np.arange(len(labels)), labels]
    loss = float(-np.mean(np.log(np.clip(true_probability, _EPSILON, 1.0))))
    confusion = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(confusion, (labels, predictions), 1)
    per_class_total = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.diag(confusion) / per_class_total
    wrong = np.flatnonzero(predictions != labels)
    wrong = wrong[np.argsort(-confidences[wrong], kind="stable")]
    return Evaluation(
        accuracy=float(np.mean(predictions == labels)),
        loss=loss,
        confusion=confusion,
        per_class_accuracy=per_class.astype(np.float64),
        misclassified=wrong.astype(np.int64),
        predictions=predictions,
        confidences=confidences,
    )


def evaluate_weights(weights: MlpWeights, images: np.ndarray, labels: np.ndarray) -> Evaluation:
    """Score an MLP on images.

    Args:
        weights: the model, as `MlpWeights`.
        images: (N, 28, 28) uint8 in [0, 255] or float32 in [0, 1], white digit on black.
        labels: (N,) integers 0-9.
    """
    images = np.asarray(images)
    if images.dtype == np.uint8:
        images = images.astype(np.float32) / 255.0
    probabilities = np.concatenate([
        weights.predict(images[start:start + 2000]) for start in range(0, len(images), 2000)
    ]) if len(images) else np.zeros((0, NUM_CLASSES), np.float32)
    return evaluate_predictions(probabilities, labels)


def evaluation_record(evaluation: Evaluation, labels: np.ndarray) -> dict[str, Any]:
    """The JSON-ready test-set details stored beside a run (evaluation.json)."""
    wrong = evaluation.misclassified[:MAX_MISCLASSIFIED_STORED]
    return {
        **evaluation.summary(),
        "misclassified": [
            {"index": int(i), "true": int(labels[i]),
             "predicted": int(evaluation.predictions[i]),
             "confidence": round(float(evaluation.confidences[i]), 5)}
            for i in wrong
        ],
    }


def share_interval(right: int, count: int, *, level: float = 0.9) -> tuple[float, float]:
    """Where the share a model reads right could lie, seen `right` of `count` times: the
    Wilson score interval, which stays sensible for a handful of drawings (4 of 4 right gives
    60%-100% at 90%, not 100%-100%).

    Args:
        right: drawings read right, 0 <= right <= count.
        count: drawings scored, >= 1.
        level: how sure, in (0, 1).
    Returns:
        (low, high), shares in [0, 1], low <= right / count <= high.
    Raises:
        ValueError: counts or level out of range.
    """
    if not (isinstance(count, (int, np.integer)) and count >= 1 and 0 <= right <= count):
        raise ValueError(f"Expected 0 <= right <= count and count >= 1. Received: "
                         f"right={right}, count={count}")
    if not 0 < level < 1:
        raise ValueError(f"Expected a level in (0, 1). Received: level={level}")
    from statistics import NormalDist

    z = NormalDist().inv_cdf(0.5 + level / 2)
    share = right / count
    middle = (share + z * z / (2 * count)) / (1 + z * z / count)
    half = z * math.sqrt(share * (1 - share) / count + z * z / (4 * count * count)) / (
        1 + z * z / count)
    return max(0.0, min(middle - half, share)), min(1.0, max(middle + half, share))


def writer_interval(right: np.ndarray, writers: np.ndarray, *, level: float = 0.9,
                    draws: int = 4000, seed: int = 0) -> tuple[float, float]:
    """How far an accuracy could move with other writers: a bootstrap interval over writers.

    A person's digits are not independent draws: one writer's style decides many of them, so
    an accuracy over 2,000 digits of 8 writers is much less certain than 2,000 coin flips
    suggest. This resamples whole writers (with replacement, as many as there are) and
    pools their digits, `draws` times; the interval holds the middle `level` of the pooled
    accuracies. It says nothing of writers unlike all of these.

    Args:
        right: (N,) bool, whether each digit was read right.
        writers: (N,) integer writer ids, the same length.
        level: share of the resampled accuracies inside the interval, in (0, 1).
        draws: resamplings, >= 100.
        seed: the generator's seed (same seed, same interval).
    Returns:
        (low, high) accuracies in [0, 1], low <= high.
    Raises:
        ValueError: mismatched or empty arrays, or a level or draws out of range.
    """
    right = np.asarray(right, dtype=bool)
    writers = np.asarray(writers)
    if right.ndim != 1 or writers.shape != right.shape or not len(right):
        raise ValueError(
            f"Expected right and writers of the same shape (N,), N >= 1. "
            f"Received: shapes {right.shape} and {writers.shape}"
        )
    if not 0 < level < 1 or draws < 100:
        raise ValueError(
            f"Expected 0 < level < 1 and draws >= 100. Received: level={level}, draws={draws}"
        )
    ids, index = np.unique(writers, return_inverse=True)
    counts = np.bincount(index, minlength=len(ids))
    hits = np.bincount(index, weights=right, minlength=len(ids))
    chosen = np.random.default_rng(seed).integers(0, len(ids), size=(draws, len(ids)))
    accuracies = hits[chosen].sum(axis=1) / counts[chosen].sum(axis=1)
    tail = (1 - level) / 2
    low, high = np.quantile(accuracies, [tail, 1 - tail])
    return float(low), float(high)
