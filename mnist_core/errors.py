"""The errors mnist_core raises.

Pages catch `MnistCoreError` and show its message as a sentence; anything else is a bug and is
left to surface.

    MnistCoreError
    ├── DataNotFoundError     no MNIST source was found and the download failed
    ├── DataCorruptError      an MNIST file is truncated, malformed or fails its checksum
    ├── ConfigError           a training setting is out of range (also a ValueError)
    ├── ModelLoadError        a model file is missing, corrupt, or not a 28x28 -> 10 MLP
    ├── StoreError            the models folder cannot be read or written, or an action is refused
    │   └── RunNotFoundError  no run with that id
    ├── TrainingBusyError     another training job is already running
    ├── DrawingStoreError     the saved drawings cannot be read or written, or an import is refused
    └── DrawingError          an image cannot be turned into a digit (also a ValueError)
        ├── EmptyDrawingError the drawing is blank or too small to be a digit
        └── NotADigitError    the ink is a dot, a dash or a tiny scribble, not a digit
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DataCorruptError",
    "DataNotFoundError",
    "DrawingError",
    "DrawingStoreError",
    "EmptyDrawingError",
    "MnistCoreError",
    "ModelLoadError",
    "NotADigitError",
    "RunNotFoundError",
    "StoreError",
    "TrainingBusyError",
]


class MnistCoreError(Exception):
    """Base of every error mnist_core raises on purpose; its message is meant for people."""


class DataNotFoundError(MnistCoreError):
    """No MNIST source was found: the message lists each place tried and how to fix it."""


class DataCorruptError(MnistCoreError):
    """An MNIST file is truncated, malformed or fails its checksum; the message names the file."""


class ConfigError(MnistCoreError, ValueError):
    """A training setting is out of range; `problems` maps each bad field to its message."""

    def __init__(self, problems: dict[str, str]):
        self.problems = dict(problems)
        super().__init__("Invalid training settings: " + "; ".join(self.problems.values()))


class ModelLoadError(MnistCoreError):
    """A model file is missing, corrupt, or not an MLP from 28x28 images to 10 classes."""


class StoreError(MnistCoreError):
    """The models folder cannot be read or written, or an action is refused (delete active)."""


class RunNotFoundError(StoreError):
    """No run with that id in the models folder."""


class TrainingBusyError(MnistCoreError):
    """Another training job is already running; only one runs at a time."""


class DrawingStoreError(MnistCoreError):
    """The saved drawings cannot be read or written, or an import file is refused."""


class DrawingError(MnistCoreError, ValueError):
    """An image cannot be turned into a digit: wrong shape, dtype or value range."""


class EmptyDrawingError(DrawingError):
    """The drawing is blank, or its ink is too small to be a digit."""


class NotADigitError(DrawingError):
    """The ink is a dot, a dash or a tiny scribble; `shape` is what was seen (an InkShape)."""

    def __init__(self, message: str, shape: object = None):
        super().__init__(message)
        self.shape = shape
