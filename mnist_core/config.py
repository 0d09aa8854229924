"""Training settings: one frozen dataclass, validated, saved beside every model as JSON.

The Train page builds a `TrainConfig` from its form, the command line from its arguments; both
call `config_problems()` first to show every bad field at once.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from mnist_core.errors import ConfigError

__all__ = ["BEST", "PRESETS", "QUICK", "TrainConfig", "config_problems"]

MAX_HIDDEN_LAYERS = 6
MAX_UNITS = 4096
MAX_EPOCHS = 500
MAX_BATCH_SIZE = 8192
MNIST_TRAIN_SIZE = 60000
MAX_DRAWINGS_WEIGHT = 1000


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run. Ranges are checked on construction.

    Attributes:
        hidden_units: sizes of the hidden Dense+ReLU layers, 1 to 6 layers of 1 to 4096 units.
        dropout_rate: dropout after each hidden layer, in [0, 0.9).
        learning_rate: Adam's initial learning rate, in (0, 1]; it decays to 0 along a cosine
            over the whole run.
        batch_size: samples per gradient step, 1 to 8192.
        epochs: passes over the training set, 1 to 500.
        validation_split: fraction of the training images held out to watch, in [0.01, 0.5].
        augment: distort training images (shift, rotate, scale, shear, stroke width, elastic).
        drawn_fraction: share of training images shown as mouse drawings (the digit re-drawn
            as uniform strokes and preprocessed like the app's canvas), in [0, 0.9]. The first
            run with it renders the training set once (about a minute), then it is cached.
        seed: seeds shuffling, the split, initial weights and augmentation; 0 to 2**31 - 1.
        max_train_samples: use only this many training images (before the split), at least
            100; None uses all 60,000. For quick demonstrations and tests.
        include_drawings: also train on the class's saved drawings (`mnist_core.drawings`),
            except the held-out ones, which every run is scored on anyway.
        drawings_weight: how many MNIST images each saved drawing counts as, 1 to 1000: it is
            shown this many times per epoch (each time distorted anew if `augment`), so a few
            dozen drawings matter against 60,000 MNIST images.
    """

    hidden_units: tuple[int, ...] = (1024, 512)
    dropout_rate: float = 0.3
    learning_rate: float = 0.002
    batch_size: int = 256
    epochs: int = 12
    validation_split: float = 0.1
    augment: bool = False
    drawn_fraction: float = 0.0
    seed: int = 0
    max_train_samples: int | None = None
    include_drawings: bool = False
    drawings_weight: int = 20

    def __post_init__(self) -> None:
        # JSON and forms give lists; a frozen dataclass wants a hashable tuple.
        if isinstance(self.hidden_units, list):
            object.__setattr__(self, "hidden_units", tuple(self.hidden_units))
        problems = config_problems(**dataclasses.asdict(self))
        if problems:
            raise ConfigError(problems)

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain JSON-ready values (hidden_units as a list)."""
        values = dataclasses.asdict(self)
        values["hidden_units"] = list(self.hidden_units)
        return values

    def to_json(self) -> str:
        """The settings as an indented JSON object."""
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Build from a dict such as `to_dict()` gives; unknown keys (newer versions) are ignored,
        missing keys (older versions) take their defaults."""
        known = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in known})

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        """Build from the JSON text `to_json()` writes."""
        try:
            values = json.loads(text)
        except json.JSONDecodeError as error:
            raise ConfigError({"json": f"Expected a JSON object of settings. {error}"}) from error
        if not isinstance(values, dict):
            raise ConfigError({"json": "Expected a JSON object of settings."})
        return cls.from_dict(values)

    def describe(self) -> str:
        """One line for people: '784-512-256-10, dropout 0.2, 10 epochs, augmented'."""
        layers = "-".join(str(units) for units in (784, *self.hidden_units, 10))
        text = f"{layers}, dropout {self.dropout_rate:g}, {self.epochs} epochs"
        if self.augment:
            text += ", augmented"
        if self.drawn_fraction:
            text += f", {self.drawn_fraction:.0%} drawn"
        if self.include_drawings:
            text += f", our drawings x{self.drawings_weight}"
        return text


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def config_problems(**values: Any) -> dict[str, str]:
    """Check settings without building a config: {field name: message} for each bad one.

    Takes the same keyword arguments as `TrainConfig`; missing ones count as their defaults.
    An empty dict means `TrainConfig(**values)` will succeed.
    """
    problems: dict[str, str] = {}
    names = {field.name for field in dataclasses.fields(TrainConfig)}
    for unknown in sorted(set(values) - names):
        problems[unknown] = f"Unknown setting {unknown!r}. Expected one of {sorted(names)}."

    units = values.get("hidden_units", TrainConfig.hidden_units)
    if not isinstance(units, (list, tuple)) or not all(_is_int(unit) for unit in units):
        problems["hidden_units"] = (
            f"Expected hidden layer sizes as whole numbers. Received: {units!r}"
        )
    elif not 1 <= len(units) <= MAX_HIDDEN_LAYERS:
        problems["hidden_units"] = (
            f"Expected 1 to {MAX_HIDDEN_LAYERS} hidden layers. Received: {len(units)}"
        )
    elif not all(1 <= unit <= MAX_UNITS for unit in units):
        problems["hidden_units"] = (
            f"Expected 1 to {MAX_UNITS} units per hidden layer. Received: {list(units)}"
        )

    def check(name: str, ok: bool, expected: str) -> None:
        value = values.get(name, getattr(TrainConfig, name))
        if not ok:
            problems[name] = f"Expected {name} {expected}. Received: {value!r}"

    dropout = values.get("dropout_rate", TrainConfig.dropout_rate)
    check("dropout_rate", _is_number(dropout) and 0 <= dropout < 0.9, "in [0, 0.9)")
    rate = values.get("learning_rate", TrainConfig.learning_rate)
    check("learning_rate", _is_number(rate) and 0 < rate <= 1, "in (0, 1]")
    batch = values.get("batch_size", TrainConfig.batch_size)
    check("batch_size", _is_int(batch) and 1 <= batch <= MAX_BATCH_SIZE,
          f"a whole number from 1 to {MAX_BATCH_SIZE}")
    epochs = values.get("epochs", TrainConfig.epochs)
    check("epochs", _is_int(epochs) and 1 <= epochs <= MAX_EPOCHS,
          f"a whole number from 1 to {MAX_EPOCHS}")
    split = values.get("validation_split", TrainConfig.validation_split)
    check("validation_split", _is_number(split) and 0.01 <= split <= 0.5, "in [0.01, 0.5]")
    augment = values.get("augment", TrainConfig.augment)
    check("augment", isinstance(augment, bool), "True or False")
    drawn = values.get("drawn_fraction", TrainConfig.drawn_fraction)
    check("drawn_fraction", _is_number(drawn) and 0 <= drawn <= 0.9, "in [0, 0.9]")
    seed = values.get("seed", TrainConfig.seed)
    check("seed", _is_int(seed) and 0 <= seed < 2**31, "a whole number from 0 to 2147483647")
    samples = values.get("max_train_samples", TrainConfig.max_train_samples)
    check("max_train_samples",
          samples is None or (_is_int(samples) and 100 <= samples <= MNIST_TRAIN_SIZE),
          f"empty (all) or a whole number from 100 to {MNIST_TRAIN_SIZE}")
    include = values.get("include_drawings", TrainConfig.include_drawings)
    check("include_drawings", isinstance(include, bool), "True or False")
    weight = values.get("drawings_weight", TrainConfig.drawings_weight)
    check("drawings_weight", _is_int(weight) and 1 <= weight <= MAX_DRAWINGS_WEIGHT,
          f"a whole number from 1 to {MAX_DRAWINGS_WEIGHT}")
    return problems


# Measured on the 2-core development machine; see README "Measured results".
# Quick: about 40 s, 98.5-98.6% on the test set; the default for retraining in the app.
QUICK = TrainConfig()  # the defaults
# Best: the shipped model's recipe: distortions plus re-drawn digits, so it reads mouse drawings.
BEST = TrainConfig(hidden_units=(1024, 512), dropout_rate=0.2, learning_rate=0.001,
                   batch_size=128, epochs=100, augment=True, drawn_fraction=0.6)
PRESETS: dict[str, TrainConfig] = {"Quick": QUICK, "Best": BEST}
