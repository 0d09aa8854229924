"""The model store: one folder per training run, and a pointer to the active one.

    models/                      the project's folder; $MNIST_MODELS_DIR moves it
      shipped/                   the model the app ships with (in the repository, read-only)
      runs/2026-11-21_081502/    one run: model.keras, config.json, history.json,
                                 metrics.json, evaluation.json
      active.json                {"run_id": "..."}; absent means the shipped model

A run is written to a hidden temporary folder and renamed into place, so nobody ever sees half
a run. The active pointer is replaced atomically. Readers skip and report a broken run folder;
they never crash on one: a run's JSON files are checked when read (`_read_run`), so every
figure a `RunInfo` holds has the type and range its readers expect. The shipped model always
lives in the project's own `models/shipped`, so a store moved elsewhere (tests, a server's
data disk) still has it.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
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
PROJECT_MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
SHIPPED_ID = "shipped"
MODEL_FILE = "model.keras"
MAX_NAME_LENGTH = 60  # characters of a run's name: a sidebar line and a table cell
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
            complete). Checked when read: "epoch" an integer >= 1; the others, where present
            and not null, a loss >= 0 (NaN or infinity for a run that diverged), an accuracy
            in [0, 1], seconds finite >= 0, complete true or false.
        metrics: measured figures: status, test_accuracy, test_loss, drawn_accuracy (when
            measured), train_seconds, finished_at (ISO 8601, UTC), versions, ... Checked when
            read: the figures the app shows or computes with have their type and range
            (`_METRIC_RULES`); keys it does not know are kept unchecked.
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
        """Accuracy on real pen digits of writers it never saw (`mnist_core.data.pendigits`'s
        held-out writers), in [0, 1], if measured."""
        value = self.metrics.get("pen_accuracy")
        return float(value) if value is not None else None

    @property
    def report_accuracy(self) -> float | None:
        """Accuracy on the report split of real writers (`mnist_core.data.writers`: 69 people
        it never learnt from, nor was chosen on), in [0, 1], if measured."""
        value = self.metrics.get("report_accuracy")
        return float(value) if value is not None else None

    @property
    def real_writers(self) -> tuple[float, int, int] | None:
        """How well it reads real people it never learnt from, as (accuracy in [0, 1], digits,
        writers): the report split of both real writers' files when measured (69 writers,
        `report_accuracy`), else pendigits' 8 held-out writers (`pen_accuracy`), else None."""
        if self.report_accuracy is not None:
            return (self.report_accuracy,
                    int(self.metrics.get("report_count") or 0),
                    int(self.metrics.get("report_writers") or 0))
        if self.pen_accuracy is not None:
            return self.pen_accuracy, int(self.metrics.get("pen_count") or 0), 8
        return None

    @property
    def name(self) -> str:
        """What people call it: the name the teacher gave, else one made from how it was
        trained and when ("Taught on the class's drawings, 7 Dec 08:08"; "Shipped model")."""
        given = self.metrics.get("name")
        if isinstance(given, str) and given.strip():
            return given.strip()
        return run_name(self.config, self.finished_at, shipped=self.is_shipped)

    @property
    def finished_at(self) -> str:
        """When training ended, ISO 8601 UTC, or "" if unknown."""
        return str(self.metrics.get("finished_at", ""))

    def evaluation(self) -> dict[str, Any] | None:
        """The stored test-set evaluation (confusion matrix, misclassified images), if any
        and well formed; None otherwise (`runs.ensure_evaluation` then computes it again)."""
        try:
            evaluation = json.loads((self.path / "evaluation.json").read_text())
        except (OSError, ValueError, RecursionError):
            return None
        return evaluation if _is_evaluation(evaluation) else None


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
        """The run the app predicts with: the one `activate` chose, else the shipped model
        (also when the chosen run's folder is gone: `active_problem` then says so)."""
        return self._active_pointer()[0]

    def active_problem(self) -> str | None:
        """Why the shipped model is in use although another run was chosen, as a sentence for
        people: the run named by active.json is no longer in the models folder, or active.json
        cannot be read. None when no run was chosen, or the chosen run's folder exists (one
        that cannot be read or loaded is `load_with_fallback`'s to explain)."""
        return self._active_pointer()[1]

    def _active_pointer(self) -> tuple[str, str | None]:
        """(the active run id, why it is the shipped model instead of the one chosen)."""
        path = self.root / "active.json"
        try:
            run_id = json.loads(path.read_text())["run_id"]
        except FileNotFoundError:
            return SHIPPED_ID, None  # nothing chosen yet: the shipped model, as intended
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            run_id = None
        if not isinstance(run_id, str):
            return SHIPPED_ID, (f"The file naming the model in use ({path}) cannot be read: "
                                "using the shipped model.")
        if not self.run_path_exists(run_id):
            return SHIPPED_ID, (f"The model in use, run {_cut(run_id)}, is no longer in the "
                                "models folder (deleted or moved): using the shipped model.")
        return run_id, None

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
        """The active run's model; if it cannot be loaded, or its folder is gone, the shipped
        one, saying why (`fallback_reason`).

        Raises:
            ModelLoadError: the shipped model itself cannot be loaded.
        """
        run_id, problem = self._active_pointer()
        loaded = self.load_with_fallback(run_id)
        return loaded._replace(fallback_reason=loaded.fallback_reason or problem)

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
        metrics.setdefault("name", run_name(config, metrics["finished_at"]))
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

    def rename(self, run_id: str, name: str) -> str:
        """Give a run the name people see (kept in its metrics.json, replaced atomically).

        Args:
            name: 1 to MAX_NAME_LENGTH characters once stripped, on one line.
        Returns:
            The name as kept (stripped).
        Raises:
            StoreError: an empty, too long or many-line name, the shipped model, or the
                folder is not writable. RunNotFoundError: no such run.
        """
        name = " ".join(str(name).split())
        if not name or len(name) > MAX_NAME_LENGTH:
            raise StoreError(f"A run's name needs 1 to {MAX_NAME_LENGTH} characters. "
                             f"Received: {len(name)}.")
        if run_id == SHIPPED_ID:
            raise StoreError("The shipped model keeps its name.")
        run = self.get_run(run_id)
        temp = run.path / f"{_TEMP_PREFIX}metrics-{uuid.uuid4().hex}.json"
        try:
            _write_json(temp, {**run.metrics, "name": name})
            os.replace(temp, run.path / "metrics.json")
        except OSError as error:
            temp.unlink(missing_ok=True)
            raise StoreError(f"Could not rename run {run_id!r}: {error.strerror or error}.") \
                from error
        return name

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


def run_name(config: TrainConfig, finished_at: str, *, shipped: bool = False) -> str:
    """A name people read, from how a run was trained and when it finished (ISO 8601, shown
    in this computer's time): "Taught on the class's drawings, 7 Dec 08:08", "Quick preset,
    7 Dec 08:08", "Trained 7 Dec 08:08"; "Shipped model" for the shipped one."""
    if shipped:
        return "Shipped model"
    try:
        when = dt.datetime.fromisoformat(finished_at).astimezone()
        at = f"{when.day} {when:%b %H:%M}"
    except (TypeError, ValueError):
        at = ""
    if config.tuned_from is not None:
        what = "Taught on the class's drawings" if config.include_drawings else "Fine-tuned"
    else:
        from mnist_core.config import PRESETS

        preset = next((name for name, settings in PRESETS.items()
                       if settings.to_dict() == {**config.to_dict(), "seed": settings.seed}),
                      None)
        what = f"{preset} preset" if preset else "Trained"
    if not at:
        return what
    return f"{what}, {at}" if what != "Trained" else f"Trained {at}"


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
        except (OSError, ValueError, RecursionError) as error:  # (JSON nested too deep)
            raise StoreError(f"Run {run_id!r} is broken: {name} cannot be read ({error}).") \
                from error
    try:
        config = TrainConfig.from_dict(values["config.json"])
    except (ConfigError, TypeError, AttributeError) as error:
        raise StoreError(f"Run {run_id!r} is broken: config.json is invalid ({error}).") \
            from error
    history, metrics = values["history.json"], values["metrics.json"]
    problem = _metrics_problem(metrics) or _history_problem(history)
    if problem:
        raise StoreError(f"Run {run_id!r} is broken: {problem}.")
    if metrics.get("status") != "failed" and not (path / MODEL_FILE).is_file():
        raise StoreError(f"Run {run_id!r} is broken: {MODEL_FILE} is missing.")
    return RunInfo(run_id, path, config, history, metrics)


# What a run's JSON files must hold, checked once when a run is read so that no page meets a
# figure it cannot show: (test, what is expected, as a phrase for people).
def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_SHARE = (lambda value: _is_number(value) and 0 <= value <= 1, "a number from 0 to 1")
# A run whose training diverged records a loss of NaN or infinity (json writes both): it is a
# real run to see and delete, not a broken file. `not value < 0` lets both through.
_LOSS = (lambda value: _is_number(value) and not value < 0, "a number 0 or more")
_SECONDS = (lambda value: _is_number(value) and math.isfinite(value) and value >= 0,
            "a number of seconds, 0 or more")
_COUNT = (lambda value: isinstance(value, int) and not isinstance(value, bool) and value >= 0,
          "a whole number, 0 or more")
_TEXT = (lambda value: isinstance(value, str), "text")
_STATUSES = ("completed", "stopped", "failed", "interrupted")
# The metrics the app shows or computes with (RunInfo's properties, the runs table, Teach it
# now's before and after, the command line's summary). Null stands for "not measured", except
# where a reader would show it as the word "None". The timings only the time estimate reads
# (startup_seconds, scoring_steps, ...) are left to it: `estimate` skips a bad one.
_METRIC_RULES: dict[str, tuple[Any, str]] = {
    "status": (lambda value: value in _STATUSES, "one of " + ", ".join(_STATUSES)),
    "finished_at": _TEXT,
    "name": _TEXT,
    "error": _TEXT,
    **dict.fromkeys(("test_accuracy", "drawn_accuracy", "pen_accuracy", "report_accuracy",
                     "drawings_accuracy",
                     "tuned_from_test_accuracy", "tuned_from_drawings_accuracy"), _SHARE),
    "test_loss": _LOSS,
    "train_seconds": _SECONDS,
    **dict.fromkeys(("test_count", "test_errors", "drawn_count", "pen_count", "report_count",
                     "report_writers", "drawings_count",
                     "drawings_trained", "epochs_run", "held_count", "held_right_before",
                     "held_right_after", "trained_right_before", "trained_right_after"),
                    _COUNT),
}
_NOT_NULL = {"status", "finished_at", "error"}
_HISTORY_RULES: dict[str, tuple[Any, str]] = {
    "loss": _LOSS, "val_loss": _LOSS, "accuracy": _SHARE, "val_accuracy": _SHARE,
    "seconds": _SECONDS, "complete": (lambda value: isinstance(value, bool), "true or false"),
}
_SHOWN_CHARACTERS = 40  # of a bad value, in a message


def _shown(value: Any) -> str:
    """A value from a file as a message shows it, cut short: text quoted, the rest as JSON
    ('very good', null, [0.9])."""
    return _cut(repr(value) if isinstance(value, str) else json.dumps(value, default=str))


def _cut(text: str) -> str:
    return text if len(text) <= _SHOWN_CHARACTERS else text[:_SHOWN_CHARACTERS - 3] + "..."


def _metrics_problem(metrics: Any) -> str | None:
    """What is wrong with a metrics.json's contents, as a phrase; None when nothing is."""
    if not isinstance(metrics, dict):
        return (f"metrics.json is malformed: expected an object of named figures, found "
                f"{_shown(metrics)}")
    for key, (test, expected) in _METRIC_RULES.items():
        if key not in metrics or (metrics[key] is None and key not in _NOT_NULL):
            continue
        if not test(metrics[key]):
            return f"metrics.json: {key} is {_shown(metrics[key])}, expected {expected}"
    return None


def _history_problem(history: Any) -> str | None:
    """What is wrong with a history.json's contents, as a phrase; None when nothing is."""
    if not isinstance(history, list):
        return (f"history.json is malformed: expected a list of epochs, found "
                f"{_shown(history)}")
    for number, record in enumerate(history, start=1):
        epoch = record.get("epoch") if isinstance(record, dict) else None
        if not _COUNT[0](epoch) or epoch < 1:
            return (f"history.json: entry {number} is {_shown(record)}, expected an object "
                    "with its epoch, a whole number from 1")
        for key, (test, expected) in _HISTORY_RULES.items():
            value = record.get(key)
            if value is not None and not test(value):
                return (f"history.json: epoch {epoch}'s {key} is {_shown(value)}, "
                        f"expected {expected}")
    return None


def _is_evaluation(value: Any) -> bool:
    """Whether an evaluation.json holds what the Curves page shows: an accuracy, 10 per-digit
    accuracies (null for a digit with no test images), a 10x10 confusion of counts and the
    misclassified images' records."""
    if not isinstance(value, dict):
        return False
    share, count = _SHARE[0], _COUNT[0]
    per_class, confusion = value.get("per_class_accuracy"), value.get("confusion")
    wrong = value.get("misclassified", [])
    return (share(value.get("accuracy"))
            and isinstance(per_class, list) and len(per_class) == 10
            and all(item is None or share(item) for item in per_class)
            and isinstance(confusion, list) and len(confusion) == 10
            and all(isinstance(row, list) and len(row) == 10 and all(map(count, row))
                    for row in confusion)
            and isinstance(wrong, list)
            and all(isinstance(item, dict) and count(item.get("index"))
                    and item.get("true") in range(10) and item.get("predicted") in range(10)
                    and share(item.get("confidence")) for item in wrong))


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
