"""Train, evaluate on the official test set, and save the run: what the CLI and the Train page do.

After training, scoring reports its steps through the same `on_progress` callback (stage
"scoring", `mnist_core.training.estimate.SCORING_STEPS`), and every run records how long each phase
took (`startup_seconds`, `first_epoch_seconds`, `finishing_seconds`, `scoring_seconds`,
`scoring_steps`, ...), so the next estimate on this machine rests on this one.

A fine-tuned run (`config.tuned_from` set, see `mnist_core.training.finetune`) starts from that
run's model, is saved only if it completes (a stopped or failed one leaves nothing behind), and also
records how the model it started from scores now on the same test digits and held-out drawings
(`tuned_from_test_accuracy`, `tuned_from_drawings_accuracy`): before and after, side by side.
"""

from __future__ import annotations

import datetime as dt
import platform
import time
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from mnist_core.classroom.drawings import DrawingStore, held_out_metrics
from mnist_core.config import TrainConfig
from mnist_core.data.mnist import load_mnist
from mnist_core.errors import DrawingStoreError
from mnist_core.model import MlpWeights
from mnist_core.runs.evaluate import evaluate_weights, evaluation_record
from mnist_core.runs.store import ModelStore, RunInfo
from mnist_core.training.engine import Progress, TrainingResult, train_model
from mnist_core.training.estimate import SCORING_STEPS
from mnist_core.training.finetune import class_change
from mnist_core.training.training_set import saved_drawings

__all__ = ["evaluation_record", "train_and_save", "versions"]

def versions() -> dict[str, str]:
    """Library versions, recorded with every run so results can be reproduced."""
    return {"python": platform.python_version(), "tensorflow": tf.__version__,
            "keras": keras.__version__, "numpy": np.__version__}


def train_and_save(
    config: TrainConfig,
    *,
    store: ModelStore | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    data: tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
    extra_metrics: Callable[[MlpWeights, Callable[[int, int], None]], dict[str, Any]]
    | None = None,
    pen_metrics: Callable[[MlpWeights], dict[str, Any]] | None = None,
    drawings: DrawingStore | None = None,
    started_at: float | None = None,
) -> tuple[RunInfo | None, TrainingResult]:
    """Train with `config`, score the model on the test images, and save the run.

    Completed, stopped and failed runs are all saved, each with its status and history; a
    stopped run is scored like a completed one. A fine-tuned run (`config.tuned_from`) is
    saved only when it completes: half a fine-tune is no use to anyone, and the model it
    started from is still there. Nothing here makes a run active.

    Args:
        config: the settings.
        store: where to save; the default store if None.
        on_progress: passed to `train_model`; then called at each scoring step (stage
            "scoring": "test set", "re-drawn digits" with a count, "real writers",
            "held-out drawings", "saving").
        should_stop: passed to `train_model` (scoring, a minute at most, is not stopped).
        data: `((x_train, y_train), (x_test, y_test))` instead of MNIST (for tests).
        extra_metrics: `extra_metrics(weights, report)` computes more figures from the
            trained weights: the drawn-digit accuracy (`drawn_accuracy_metrics`), shown as
            the "re-drawn digits" step, its progress given as `report(done, total)`.
        pen_metrics: `pen_metrics(weights)` scores the model on the held-out writers' pen
            digits (`mnist_core.training.quality.pen_metrics`), the "real writers" step.
        drawings: the saved drawings (the default store if None): trained on when
            `config.include_drawings`, and every run is scored on the held-out ones when
            there are enough (`drawings_accuracy`, `drawings_count` in its metrics).
        started_at: `time.time()` when the run was started (a job's start, a command's), so
            `startup_seconds` counts a new process importing TensorFlow; default: now.
    Returns:
        The saved run (None for a fine-tune that did not complete) and the training result.
    Raises:
        DataNotFoundError, DataCorruptError: MNIST cannot be loaded.
        DrawingStoreError: `include_drawings` is on but no drawings can be read to train on.
        StoreError: the run cannot be written. RunNotFoundError: `config.tuned_from` names no
            run.
        ModelLoadError: the model of `config.tuned_from` cannot be loaded.
        ConfigError: that model's hidden layers are not `config.hidden_units`.
    """
    started_at = time.time() if started_at is None else started_at
    store = store or ModelStore()
    drawings = drawings or DrawingStore()
    base_weights = None
    if config.tuned_from is not None:
        store.get_run(config.tuned_from)  # RunNotFoundError, in a sentence, before any work
        base_weights = store.load_weights(config.tuned_from)
    (x_train, y_train), (x_test, y_test) = data if data is not None else load_mnist()
    train_drawings = saved_drawings(config, drawings)
    started = dt.datetime.now(dt.UTC)
    training_began = time.time()
    result = train_model(config, on_progress=on_progress, should_stop=should_stop,
                         data=(x_train, y_train), drawings=train_drawings,
                         start_weights=base_weights)
    if base_weights is not None and result.status != "completed":
        return None, result
    scoring = _Scoring(on_progress, result)
    metrics: dict[str, Any] = {
        "status": result.status,
        "epochs_run": len(result.history),
        "train_seconds": round(result.seconds, 2),
        "train_samples": result.train_samples,
        "validation_samples": result.validation_samples,
        "engine": result.engine,
        "started_at": started.isoformat(timespec="seconds"),
        "versions": versions(),
    }
    if train_drawings is not None:
        metrics["drawings_trained"] = len(train_drawings[1])
    metrics.update(_phase_seconds(result, training_began - started_at))
    evaluation = None
    if result.error:
        metrics["error"] = result.error
    if result.model is not None and result.status != "failed":
        weights = MlpWeights.from_model(result.model)
        scoring.step("test set")
        scored = evaluate_weights(weights, x_test, y_test)
        metrics.update(test_accuracy=scored.accuracy, test_loss=scored.loss,
                       test_count=scored.count, test_errors=len(scored.misclassified),
                       parameters=int(result.model.count_params()))
        evaluation = evaluation_record(scored, y_test)
        if base_weights is not None:  # the model it started from, on the same digits, now
            metrics["tuned_from_test_accuracy"] = evaluate_weights(
                base_weights, x_test, y_test).accuracy
        if extra_metrics is not None:
            scoring.step("re-drawn digits")
            metrics.update(extra_metrics(weights, scoring.count))
        if pen_metrics is not None:
            scoring.step("real writers")
            metrics.update(pen_metrics(weights))
        scoring.step("held-out drawings")
        try:
            metrics.update(held_out_metrics(weights.predict, drawings))
            if base_weights is not None:
                before = held_out_metrics(base_weights.predict, drawings)
                if before:
                    metrics["tuned_from_drawings_accuracy"] = before["drawings_accuracy"]
                if config.include_drawings:  # what teaching changed, for a class of any size
                    metrics.update(class_change(base_weights.predict, weights.predict,
                                                drawings))
        except DrawingStoreError as error:  # a broken drawings file must not lose the run
            metrics["drawings_error"] = str(error)
    scoring.step("saving")
    # Saving itself cannot be in the file it writes; its time is estimated from the others'.
    metrics.update(scoring_seconds=round(scoring.total(), 2), scoring_steps=scoring.record())
    run = store.save_run(config, result.model if result.status != "failed" else None,
                         result.history, metrics, evaluation)
    return run, result


def _phase_seconds(result: TrainingResult, before_training: float) -> dict[str, float]:
    """The start-up, re-drawing and first-epoch seconds of a run, for later estimates."""
    phases: dict[str, float] = {}
    if result.fit_started_seconds is not None:
        startup = before_training + result.fit_started_seconds - result.preparing_seconds
        phases["startup_seconds"] = round(max(0.0, startup), 2)
        first = result.history[0] if result.history else None
        if first is not None and first.get("complete"):
            phases["first_epoch_seconds"] = round(first["seconds"] - result.fit_started_seconds,
                                                  3)
        if result.history and result.history[-1].get("complete"):
            # Keras winding down after the last epoch's end, before training returns
            phases["finishing_seconds"] = round(result.seconds - result.history[-1]["seconds"],
                                                3)
    if result.preparing_seconds:
        phases["preparing_seconds"] = round(result.preparing_seconds, 2)
    if result.redrawn_digits:
        phases.update(redrawn_digits=result.redrawn_digits,
                      redrawn_seconds=round(result.redrawn_seconds, 2))
    if result.pen_digits:
        phases.update(pen_digits=result.pen_digits, pen_seconds=round(result.pen_seconds, 2),
                      pen_drawn=result.pen_drawn)
    return phases


class _Scoring:
    """Times the scoring steps and reports them as `Progress` (stage "scoring")."""

    def __init__(self, on_progress: Callable[[Progress], None] | None, result: TrainingResult):
        self.on_progress, self.result = on_progress, result
        self.began = time.perf_counter()
        self.seconds: dict[str, float] = {}
        self.name: str | None = None
        self.step_began = self.began
        self.epoch = result.history[-1]["epoch"] if result.history else 0

    def step(self, name: str) -> None:
        """Begin step `name` (one of SCORING_STEPS), ending the one under way."""
        if name not in SCORING_STEPS:
            raise ValueError(f"Expected one of {SCORING_STEPS}. Received: {name!r}")
        self._end()
        self.name, self.step_began = name, time.perf_counter()
        self._report(0, 1)

    def count(self, done: int, total: int) -> None:
        """The step under way has done `done` of its `total` items."""
        self._report(done, total)

    def total(self) -> float:
        """Seconds since scoring began."""
        return time.perf_counter() - self.began

    def record(self) -> dict[str, float]:
        """Seconds per step that has ended, in order."""
        return {name: round(seconds, 3) for name, seconds in self.seconds.items()}

    def _end(self) -> None:
        if self.name is not None:
            self.seconds[self.name] = time.perf_counter() - self.step_began

    def _report(self, done: int, total: int) -> None:
        if self.on_progress is None:
            return
        now = time.perf_counter()
        pace = (now - self.step_began) / done if done > 0 else None
        self.on_progress(Progress(
            self.epoch, self.result.config.epochs, done, total,
            self.result.seconds + now - self.began, {}, stage="scoring", step=self.name or "",
            pace=pace))
