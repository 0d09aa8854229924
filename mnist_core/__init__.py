"""mnist_core: everything behind the app, with no UI.

Reading drawings (`preprocess`, `Recognizer`), data (`load_mnist`), settings (`TrainConfig`),
the model (`build_model`, `MlpWeights`), the training engine (`train_model`, `Progress`),
evaluation (`evaluate_predictions`), the run store (`ModelStore`), the train-evaluate-save
workflow (`train_and_save`) and the saved drawings (`DrawingStore`). Errors are listed in
`mnist_core.errors`.

Names are imported on first use (PEP 562), so `from mnist_core import ModelStore` does not load
TensorFlow: the Streamlit server must never import Keras (see mnist_core.model).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mnist_core.errors import (
    ConfigError,
    DataCorruptError,
    DataNotFoundError,
    DrawingError,
    DrawingStoreError,
    EmptyDrawingError,
    MnistCoreError,
    ModelLoadError,
    NotADigitError,
    RunNotFoundError,
    StoreError,
    TrainingBusyError,
)

_LAZY = {
    "BEST": "config", "PRESETS": "config", "QUICK": "config", "TrainConfig": "config",
    "config_problems": "config",
    "load_mnist": "data.mnist", "mnist_source": "data.mnist",
    "Evaluation": "runs.evaluate", "evaluate_predictions": "runs.evaluate",
    "evaluate_weights": "runs.evaluate",
    "MlpWeights": "model", "build_model": "model",
    "SHIPPED_ID": "runs.store", "BrokenRun": "runs.store", "LoadedModel": "runs.store",
    "ModelStore": "runs.store", "RunInfo": "runs.store",
    "Progress": "training.progress",
    "TrainingResult": "training.engine", "train_model": "training.engine",
    "train_and_save": "training.workflow",
    "DrawingStore": "classroom.drawings",
    "PreprocessSteps": "reading.preprocessing", "preprocess": "reading.preprocessing",
    "NumberPrediction": "recognizer", "Prediction": "recognizer", "Recognizer": "recognizer",
    "InkShape": "reading.shape",
}

__all__ = [
    "BEST",
    "BrokenRun",
    "ConfigError",
    "DataCorruptError",
    "DataNotFoundError",
    "DrawingError",
    "DrawingStore",
    "DrawingStoreError",
    "EmptyDrawingError",
    "Evaluation",
    "InkShape",
    "LoadedModel",
    "MlpWeights",
    "MnistCoreError",
    "ModelLoadError",
    "ModelStore",
    "NotADigitError",
    "NumberPrediction",
    "PRESETS",
    "Prediction",
    "PreprocessSteps",
    "Progress",
    "QUICK",
    "Recognizer",
    "RunInfo",
    "RunNotFoundError",
    "SHIPPED_ID",
    "StoreError",
    "TrainConfig",
    "TrainingBusyError",
    "TrainingResult",
    "build_model",
    "config_problems",
    "evaluate_predictions",
    "evaluate_weights",
    "load_mnist",
    "mnist_source",
    "preprocess",
    "train_and_save",
    "train_model",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mnist_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"mnist_core.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:
    from mnist_core.config import BEST, PRESETS, QUICK, TrainConfig, config_problems
    from mnist_core.data.mnist import load_mnist, mnist_source
    from mnist_core.model import MlpWeights, build_model
    from mnist_core.reading.preprocessing import PreprocessSteps, preprocess
    from mnist_core.reading.shape import InkShape
    from mnist_core.recognizer import NumberPrediction, Prediction, Recognizer
    from mnist_core.runs.evaluate import Evaluation, evaluate_predictions, evaluate_weights
    from mnist_core.runs.store import SHIPPED_ID, BrokenRun, LoadedModel, ModelStore, RunInfo
    from mnist_core.training.engine import TrainingResult, train_model
    from mnist_core.training.progress import Progress
    from mnist_core.training.workflow import train_and_save
