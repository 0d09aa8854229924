"""Train, evaluate on the official test set, and save the run: what the CLI and the Train page do.
"""

from __future__ import annotations

import datetime as dt
import platform
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from mnist_core.config import TrainConfig
from mnist_core.data import load_mnist
from mnist_core.drawings import DrawingStore, held_out_metrics
from mnist_core.errors import DrawingStoreError
from mnist_core.evaluate import evaluate_weights, evaluation_record
from mnist_core.model import MlpWeights
from mnist_core.store import ModelStore, RunInfo
from mnist_core.training import Progress, TrainingResult, train_model

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
    extra_metrics: Callable[[MlpWeights], dict[str, Any]] | None = None,
    drawings: DrawingStore | None = None,
) -> tuple[RunInfo, TrainingResult]:
    """Train with `config`, score the model on the test images, and save the run.

    Completed, stopped and failed runs are all saved, each with its status and history; a
    stopped run is scored like a completed one. Nothing here makes a run active.

    Args:
        config: the settings.
        store: where to save; the default store if None.
        on_progress, should_stop: passed to `train_model`.
        data: `((x_train, y_train), (x_test, y_test))` instead of MNIST (for tests).
        extra_metrics: computes more figures from the trained weights (e.g. drawn accuracy).
        drawings: the saved drawings (the default store if None): trained on when
            `config.include_drawings`, and every run is scored on the held-out ones when
            there are enough (`drawings_accuracy`, `drawings_count` in its metrics).
    Returns:
        The saved run and the training result.
    Raises:
        DataNotFoundError, DataCorruptError: MNIST cannot be loaded.
        DrawingStoreError: `include_drawings` is on but no drawings can be read to train on.
        StoreError: the run cannot be written.
    """
    store = store or ModelStore()
    drawings = drawings or DrawingStore()
    (x_train, y_train), (x_test, y_test) = data if data is not None else load_mnist()
    train_drawings = None
    if config.include_drawings:
        train_drawings = drawings.dataset(held_out=False)
        if not len(train_drawings[1]):
            raise DrawingStoreError(
                "There are no saved drawings to train on yet (held-out ones are only scored). "
                "Save some from the home page with 'Right, it's a …' or 'Wrong? It was a …', "
                "or turn off training on saved drawings.")
    started = dt.datetime.now(dt.UTC)
    result = train_model(config, on_progress=on_progress, should_stop=should_stop,
                         data=(x_train, y_train), drawings=train_drawings)
    metrics: dict[str, Any] = {
        "status": result.status,
        "epochs_run": len(result.history),
        "train_seconds": round(result.seconds, 2),
        "train_samples": result.train_samples,
        "validation_samples": result.validation_samples,
        "started_at": started.isoformat(timespec="seconds"),
        "versions": versions(),
    }
    if train_drawings is not None:
        metrics["drawings_trained"] = len(train_drawings[1])
    evaluation = None
    if result.error:
        metrics["error"] = result.error
    if result.model is not None and result.status != "failed":
        weights = MlpWeights.from_model(result.model)
        scored = evaluate_weights(weights, x_test, y_test)
        metrics.update(test_accuracy=scored.accuracy, test_loss=scored.loss,
                       test_count=scored.count, test_errors=len(scored.misclassified),
                       parameters=int(result.model.count_params()))
        if extra_metrics is not None:
            metrics.update(extra_metrics(weights))
        try:
            metrics.update(held_out_metrics(weights.predict, drawings))
        except DrawingStoreError as error:  # a broken drawings file must not lose the run
            metrics["drawings_error"] = str(error)
        evaluation = evaluation_record(scored, y_test)
    run = store.save_run(config, result.model if result.status != "failed" else None,
                         result.history, metrics, evaluation)
    return run, result
