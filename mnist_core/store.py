"""The model store: one folder per training run, and a pointer to the active one.

    models/                      the project's folder; $MNIST_MODELS_DIR moves it
      shipped/                   the model the app ships with (in the repository, read-only)
      runs/2026-11-21_081502/    one run: model.keras, config.json, history.json,
                                 metrics.json, evaluation.json
      active.json                {"run_id": "..."}; absent means the shipped model

A run is written to a hidden temporary folder and renamed into place, so nobody ever sees half
a run. The active pointer is replaced atomically. Readers skip and report a broken run folder;
they never crash on one. The shipped model always lives in the project's own `models/shipped`,
so a store moved elsewhere (tests, a server's data disk) still has it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from mnist_core.config import TrainConfig
from mnist_core.errors import ConfigError, ModelLoadError, RunNotFoundError, StoreError
from mnist_core.model import MlpWeights, _Layer, build_model

if TYPE_CHECKING:
    import keras

__all__ = ["BrokenRun", "LoadedModel", "MODELS_DIR_ENV", "ModelStore", "RunInfo", "SHIPPED_ID"]

MODELS_DIR_ENV = "MNIST_MODELS_DIR"
PROJECT_MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
SHIPPED_ID = "shipped"
MODEL_FILE = "model.keras"
_RUN_FILES = ("config.json", "history.json", "metrics.json")
_TEMP_PREFIX = ".tmp-"
# A temporary folder older than this was left by a crash and may be cleaned up.
_STALE_TEMP_SECONDS = 3600


@dataclass(frozen=True)
class RunInfo:
    """One saved run, as read from its folder.

    Attributes:
        run_id: the folder name, e.g. "2026-11-21_081502" or "shipped".
        path: the run's folder.
        config: the settings it was trained with.
        history: one dict per epoch (epoch, loss, accuracy, val_loss, val_accuracy, seconds,
            complete).
        metrics: measured figures: status, test_accuracy, test_loss, drawn_accuracy (when
            measured), train_seconds, finished_at (ISO 8601, UTC), versions, ...
    """

    run_id: str
    path: Path
    config: TrainConfig
    history: list[dict[str, Any]]
    metrics: dict[str, Any]

    @property
    def model_path(self) -> Path:
        """The run's `.keras` file."""
        return self.path / MODEL_FILE

    @property
    def status(self) -> str:
        """"completed", "stopped", "failed" or "interrupted"."""
        return str(self.metrics.get("status", "completed"))

    @property
    def is_shipped(self) -> bool:
        """True for the model that ships with the app."""
        return self.run_id == SHIPPED_ID

    @property
    def test_accuracy(self) -> float | None:
        """Accuracy on MNIST's 10,000 test images, in [0, 1], if measured."""
        value = self.metrics.get("test_accuracy")
        return float(value) if value is not None else None

    @property
    def drawn_accuracy(self) -> float | None:
        """Accuracy on the drawn-digits benchmark, in [0, 1], if measured."""
        value = self.metrics.get("drawn_accuracy")
        return float(value) if value is not None else None

    @property
    def pen_accuracy(self) -> float | None:
        """Accuracy on real pen digits of writers it never saw (`mnist_core.pendigits`'s
        held-out writers), in [0, 1], if measured."""
        value = self.metrics.get("pen_accuracy")
        return float(value) if value is not None else None

    @property
    def finished_at(self) -> str:
        """When training ended, ISO 8601 UTC, or "" if unknown."""
        return str(self.metrics.get("finished_at", ""))

    def evaluation(self) -> dict[str, Any] | None:
        """The stored test-set evaluation (confusion matrix, misclassified images), if any."""
        try:
            return json.loads((self.path / "evaluation.json").read_text())
        except (OSError, ValueError):
            return None


class BrokenRun(NamedTuple):
    """A run folder that cannot be read, and why; listed so people can see and delete it."""

    run_id: str
    path: Path
    reason: str


class LoadedModel(NamedTuple):
    """A model ready to predict, and which run it came from.

    `fallback_reason` is None when the requested run loaded; otherwise it says why the shipped
    model is being used instead.
    """

    run: RunInfo
    weights: MlpWeights
    fallback_reason: str | None = None


@dataclass
class ModelStore:
    """Runs on disk. `ModelStore()` uses $MNIST_MODELS_DIR, else the project's `models/`."""

    root: Path = field(default_factory=lambda: Path(
        os.environ.get(MODELS_DIR_ENV) or PROJECT_MODELS_DIR))
    shipped_dir: Path = PROJECT_MODELS_DIR / SHIPPED_ID

    def __post_init__(self) -> None:
        self.root = Path(self.root).expanduser()

    @property
    def runs_dir(self) -> Path:
        """Where trained runs live: `<root>/runs`."""
        return self.root / "runs"

    # Reading ------------------------------------------------------------------------------

    def run_path(self, run_id: str) -> Path:
        """The folder of `run_id` (which may not exist)."""
        if run_id == SHIPPED_ID:
            return self.shipped_dir
        if not run_id or run_id.startswith(".") or "/" in run_id or "\\" in run_id:
            raise RunNotFoundError(f"No run named {run_id!r}.")
        return self.runs_dir / run_id

    def get_run(self, run_id: str) -> RunInfo:
        """Read one run.

        Raises:
            RunNotFoundError: no such run folder.
            StoreError: the folder is broken (the message says which file and why).
        """
        path = self.run_path(run_id)
        if not path.is_dir():
            raise RunNotFoundError(f"No run named {run_id!r} in {path.parent}.")
        return _read_run(run_id, path)

    def list_runs(self) -> tuple[list[RunInfo], list[BrokenRun]]:
        """All readable runs, newest first (the shipped model included), and the broken ones."""
        runs: list[RunInfo] = []
        broken: list[BrokenRun] = []
        folders = [(SHIPPED_ID, self.shipped_dir)] if self.shipped_dir.is_dir() else []
        if self.runs_dir.is_dir():
            folders += [(p.name, p) for p in self.runs_dir.iterdir()
                        if p.is_dir() and not p.name.startswith(".")]
        for run_id, path in folders:
            try:
                runs.append(_read_run(run_id, path))
            except StoreError as error:
                broken.append(BrokenRun(run_id, path, str(error)))
        # Newest first. Times are to the second: on a tie a trained run comes before the
        # shipped model (a run id is its start time; "shipped" would sort above any of them).
        runs.sort(key=lambda run: (run.finished_at, not run.is_shipped, run.run_id),
                  reverse=True)
        return runs, broken

    def active_run_id(self) -> str:
        """The run the app predicts with: the one `activate` chose, else the shipped model."""
        try:
            run_id = json.loads((self.root / "active.json").read_text())["run_id"]
        except (OSError, ValueError, KeyError, TypeError):
            return SHIPPED_ID
        if not isinstance(run_id, str) or not self.run_path_exists(run_id):
            return SHIPPED_ID
        return run_id

    def run_path_exists(self, run_id: str) -> bool:
        """True when `run_id` names an existing run folder."""
        try:
            return self.run_path(run_id).is_dir()
        except RunNotFoundError:
            return False

    def load_weights(self, run_id: str) -> MlpWeights:
        """Load a run's model with Keras' safe mode and check that it is our kind of MLP.

        Raises:
            ModelLoadError: the file is missing, corrupt, or not an MLP from 28x28 to 10.
        """
        return load_model_file(self.run_path(run_id) / MODEL_FILE)

    def load_active(self) -> LoadedModel:
        """The active run's model; if it cannot be loaded, the shipped one, saying why.

        Raises:
            ModelLoadError: the shipped model itself cannot be loaded.
        """
        return self.load_with_fallback(self.active_run_id())

    def load_with_fallback(self, run_id: str) -> LoadedModel:
        """`run_id`'s model; if it cannot be loaded, the shipped one, saying why.

        Raises:
            ModelLoadError: the shipped model itself cannot be loaded.
        """
        reason = None
        if run_id != SHIPPED_ID:
            try:
                return LoadedModel(self.get_run(run_id), self.load_weights(run_id))
            except (StoreError, ModelLoadError) as error:
                reason = f"The model {run_id!r} could not be loaded ({error}); " \
                         "using the shipped model instead."
        try:
            shipped = self.get_run(SHIPPED_ID)
        except StoreError as error:
            raise ModelLoadError(f"The shipped model cannot be read: {error}") from error
        return LoadedModel(shipped, self.load_weights(SHIPPED_ID), reason)

    # Writing ------------------------------------------------------------------------------

    def save_run(self, config: TrainConfig, model: keras.Model | None,
                 history: list[dict[str, Any]], metrics: dict[str, Any],
                 evaluation: dict[str, Any] | None = None, run_id: str | None = None) -> RunInfo:
        """Write a run atomically and return it as read back.

        Args:
            config: the settings trained with.
            model: the trained model (may be None for a run that failed before training).
            history: per-epoch records.
            metrics: measured figures; `finished_at` is added if missing.
            evaluation: test-set details (confusion matrix, misclassified images), JSON-ready.
            run_id: the folder name; by default the current UTC time, e.g. 2026-11-21_081502.
        Raises:
            StoreError: the models folder is not writable, or the disk is full; nothing is
                left half-written.
        """
        now = dt.datetime.now(dt.UTC)
        metrics = {"finished_at": now.isoformat(timespec="seconds"), **metrics}
        temp = self.runs_dir / f"{_TEMP_PREFIX}{uuid.uuid4().hex}"
        try:
            self.runs_dir.mkdir(parents=True, exist_ok=True)
            self._clean_stale_temporaries()
            temp.mkdir()
            if model is not None:
                _save_model_without_optimizer(config, model, temp / MODEL_FILE)
            _write_json(temp / "config.json", config.to_dict())
            _write_json(temp / "history.json", history)
            _write_json(temp / "metrics.json", metrics)
            if evaluation is not None:
                _write_json(temp / "evaluation.json", evaluation)
            final_id = run_id or self._new_run_id(now)
            os.rename(temp, self.runs_dir / final_id)
        except OSError as error:
            shutil.rmtree(temp, ignore_errors=True)
            raise StoreError(
                f"Could not save the run in {self.runs_dir}: {error.strerror or error}. "
                f"Free some disk space, or set {MODELS_DIR_ENV} to a writable folder."
            ) from error
        return self.get_run(final_id)

    def activate(self, run_id: str) -> None:
        """Make `run_id` the model the app uses; the switch is atomic.

        Raises:
            RunNotFoundError: no such run.
            ModelLoadError: its model cannot be loaded (the active model is left as it was).
            StoreError: a failed run, or the folder is not writable.
        """
        run = self.get_run(run_id)
        if run.status == "failed":
            raise StoreError(f"Run {run_id!r} failed; it cannot be made the active model.")
        self.load_weights(run_id)  # refuse a model the app could not use
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            temp = self.root / f"{_TEMP_PREFIX}active-{uuid.uuid4().hex}.json"
            _write_json(temp, {"run_id": run_id})
            os.replace(temp, self.root / "active.json")
        except OSError as error:
            raise StoreError(
                f"Could not switch the active model in {self.root}: {error.strerror or error}."
            ) from error

    def write_evaluation(self, run_id: str, evaluation: dict[str, Any]) -> None:
        """Store a run's test-set evaluation (evaluation.json) atomically.

        Raises:
            RunNotFoundError: no such run.
            StoreError: the folder is not writable.
        """
        path = self.run_path(run_id)
        if not path.is_dir():
            raise RunNotFoundError(f"No run named {run_id!r} in {path.parent}.")
        temp = path / f"{_TEMP_PREFIX}evaluation-{uuid.uuid4().hex}.json"
        try:
            _write_json(temp, evaluation)
            os.replace(temp, path / "evaluation.json")
        except OSError as error:
            temp.unlink(missing_ok=True)
            raise StoreError(f"Could not save the evaluation of run {run_id!r}: {error}") \
                from error

    def delete(self, run_id: str) -> None:
        """Delete a run folder (readable or broken).

        Raises:
            StoreError: it is the active run or the shipped model, or cannot be removed.
            RunNotFoundError: no such run.
        """
        if run_id == SHIPPED_ID:
            raise StoreError("The shipped model cannot be deleted.")
        if run_id == self.active_run_id():
            raise StoreError(f"Run {run_id!r} is the active model: activate another one first.")
        path = self.run_path(run_id)
        if not path.is_dir():
            raise RunNotFoundError(f"No run named {run_id!r} in {path.parent}.")
        # Rename first so a half-finished delete never looks like a readable run.
        doomed = self.runs_dir / f"{_TEMP_PREFIX}deleted-{uuid.uuid4().hex}"
        try:
            os.rename(path, doomed)
            shutil.rmtree(doomed)
        except OSError as error:
            raise StoreError(f"Could not delete run {run_id!r}: {error}") from error

    def _new_run_id(self, now: dt.datetime) -> str:
        base = now.strftime("%Y-%m-%d_%H%M%S")
        run_id, number = base, 1
        while (self.runs_dir / run_id).exists():
            number += 1
            run_id = f"{base}-{number}"
        return run_id

    def _clean_stale_temporaries(self) -> None:
        cutoff = time.time() - _STALE_TEMP_SECONDS
        for path in self.runs_dir.glob(f"{_TEMP_PREFIX}*"):
            try:
                if path.stat().st_mtime < cutoff:
                    shutil.rmtree(path, ignore_errors=True)
            except OSError:
                pass


def load_model_file(path: Path) -> MlpWeights:
    """Read a `.keras` file that holds our kind of MLP, without running any of its code.

    The file is a zip of `config.json` (the architecture) and `model.weights.h5` (the arrays).
    Only InputLayer, Flatten, Dropout and Dense layers with ReLU/softmax are accepted and
    nothing is deserialised but JSON and arrays: stricter than Keras' safe mode, and Keras
    need not be imported, which keeps it out of the Streamlit server (see mnist_core.model).
    tests/test_store.py checks it against `keras.saving.load_model(..., safe_mode=True)`.

    Raises:
        ModelLoadError: missing, corrupt, or not an MLP from 28x28 images to 10 digits.
    """
    import h5py

    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"The model file {path} is missing.")
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
            weights = archive.read("model.weights.h5")
        layers_config = config["config"]["layers"]
        layers, dense_count, input_shape = [], 0, None
        with h5py.File(io.BytesIO(weights), "r") as arrays:
            for layer in layers_config:
                kind, settings = layer["class_name"], layer["config"]
                if kind == "InputLayer":
                    shape = settings.get("batch_shape") or settings.get("batch_input_shape")
                    input_shape = tuple(shape[1:]) if shape else None
                if kind != "Dense":
                    layers.append(_Layer(kind, settings.get("name", "?")))
                    continue
                # Keras names a model's Dense weights dense, dense_1, dense_2... in order.
                group = arrays[f"layers/dense{'_' + str(dense_count) if dense_count else ''}"]
                dense_count += 1
                variables = group["vars"]
                bias = variables["1"][()] if "1" in variables else None
                layers.append(_Layer("Dense", settings.get("name", "?"),
                                     str(settings.get("activation")),
                                     bool(settings.get("use_bias", True)),
                                     variables["0"][()], bias))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, zipfile.BadZipFile,
            EOFError) as error:
        raise ModelLoadError(
            f"The model file {path} cannot be loaded: it is corrupt or not a Keras model "
            f"({type(error).__name__}: {str(error)[:200]})."
        ) from error
    return MlpWeights.from_layers(layers, input_shape)


def _read_run(run_id: str, path: Path) -> RunInfo:
    values = {}
    for name in _RUN_FILES:
        try:
            values[name] = json.loads((path / name).read_text())
        except FileNotFoundError:
            raise StoreError(f"Run {run_id!r} is broken: {name} is missing.") from None
        except (OSError, ValueError) as error:
            raise StoreError(f"Run {run_id!r} is broken: {name} cannot be read ({error}).") \
                from error
    try:
        config = TrainConfig.from_dict(values["config.json"])
    except (ConfigError, TypeError, AttributeError) as error:
        raise StoreError(f"Run {run_id!r} is broken: config.json is invalid ({error}).") \
            from error
    history, metrics = values["history.json"], values["metrics.json"]
    if not isinstance(history, list) or not isinstance(metrics, dict):
        raise StoreError(f"Run {run_id!r} is broken: history.json or metrics.json malformed.")
    if metrics.get("status") != "failed" and not (path / MODEL_FILE).is_file():
        raise StoreError(f"Run {run_id!r} is broken: {MODEL_FILE} is missing.")
    return RunInfo(run_id, path, config, history, metrics)


def _write_json(path: Path, value: Any) -> None:
    with open(path, "w", encoding="utf-8") as stream:
        json.dump(value, stream, indent=2, default=_json_default)
        stream.write("\n")
        stream.flush()
        os.fsync(stream.fileno())


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"Cannot write {type(value).__name__} as JSON.")


def _save_model_without_optimizer(config: TrainConfig, model: keras.Model, path: Path) -> None:
    # The optimizer's state would triple the file; a fresh, uncompiled copy holds only weights.
    clean = build_model(config)  # (imports Keras: saving happens only where training does)
    clean.set_weights(model.get_weights())
    clean.save(path)
