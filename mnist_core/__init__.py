"""mnist_core: everything behind the app, with no UI.

Data (`load_mnist`), settings (`TrainConfig`), the model (`build_model`, `MlpWeights`), the
training engine (`train_model`, `Progress`), evaluation (`evaluate_predictions`), the run store
(`ModelStore`) and the train-evaluate-save workflow (`train_and_save`). Errors are listed in
`mnist_core.errors`.
"""

from mnist_core.config import BEST, PRESETS, QUICK, TrainConfig, config_problems
from mnist_core.data import load_mnist, mnist_source
from mnist_core.errors import (
    ConfigError,
    DataCorruptError,
    DataNotFoundError,
    DrawingError,
    EmptyDrawingError,
    MnistCoreError,
    ModelLoadError,
    RunNotFoundError,
    StoreError,
    TrainingBusyError,
)
from mnist_core.evaluate import Evaluation, evaluate_predictions, evaluate_weights
from mnist_core.model import MlpWeights, build_model
from mnist_core.store import SHIPPED_ID, BrokenRun, LoadedModel, ModelStore, RunInfo
from mnist_core.training import Progress, TrainingResult, train_model
from mnist_core.workflow import train_and_save

__all__ = [
    "BEST",
    "PRESETS",
    "QUICK",
    "SHIPPED_ID",
    "BrokenRun",
    "ConfigError",
    "DataCorruptError",
    "DataNotFoundError",
    "DrawingError",
    "EmptyDrawingError",
    "Evaluation",
    "LoadedModel",
    "MlpWeights",
    "MnistCoreError",
    "ModelLoadError",
    "ModelStore",
    "Progress",
    "RunInfo",
    "RunNotFoundError",
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
    "train_model",
    "train_and_save",
]
