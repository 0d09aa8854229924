"""The app's one entry point for prediction: a drawing in, a digit and its probabilities out.

    recognizer = Recognizer.load()          # the active model; Recognizer.load(path) for another
    result = recognizer.predict(image)      # anything `preprocess` accepts
    result.digit, result.probabilities, result.model_input
    number = recognizer.predict_number(image)   # several digits side by side: "42"
    number.text, number.digits, number.confidence

A dot, a dash or a tiny scribble is refused with NotADigitError (mnist_core.shape), not given
a confident answer. Prediction runs the MLP as numpy matrix products (`MlpWeights.predict`):
preprocess + predict for a 280x280 canvas takes well under a millisecond (bench/predict_speed.py).
A Recognizer is immutable, so one instance can be shared by every session of a server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_core.errors import DrawingError, NotADigitError
from mnist_core.model import MlpWeights
from mnist_core.numbers import split_digits
from mnist_core.preprocessing import (
    Prepared,
    PreprocessSteps,
    find_ink,
    prepare,
    prepare_found,
)
from mnist_core.shape import check_ink, not_a_digit
from mnist_core.store import MODEL_FILE, ModelStore, RunInfo, load_model_file

__all__ = ["NumberPrediction", "Prediction", "Recognizer", "UNSURE_MARGIN"]

# When the top two probabilities are closer than this, the answer is shown as "4 or 9?".
UNSURE_MARGIN = 0.25


@dataclass(frozen=True, eq=False)
class Prediction:
    """What the model read.

    Attributes:
        digit: the most probable digit, 0-9.
        probabilities: (10,) float32 in [0, 1], summing to 1.
        model_input: (28, 28) float32 in [0, 1], white digit on black: what the network saw.
        steps: the preprocessing steps, when asked for; else None.
    """

    digit: int
    probabilities: np.ndarray
    model_input: np.ndarray
    steps: PreprocessSteps | None = None

    @property
    def confidence(self) -> float:
        """Probability of `digit`, in [0, 1]."""
        return float(self.probabilities[self.digit])

    @property
    def runner_up(self) -> int:
        """The second most probable digit."""
        return int(np.argsort(self.probabilities)[-2])

    @property
    def is_unsure(self) -> bool:
        """True when the top two digits are within `UNSURE_MARGIN` of each other."""
        second = float(self.probabilities[self.runner_up])
        return self.confidence - second < UNSURE_MARGIN


@dataclass(frozen=True, eq=False)
class NumberPrediction:
    """What the model read in a drawing of one or more digits side by side.

    Attributes:
        digits: one Prediction per digit, left to right; for a single digit, exactly what
            `Recognizer.predict` returns.
        boxes: each digit's ink bounding box (top, left, bottom, right), half-open, in px of
            the input image.
    """

    digits: tuple[Prediction, ...]
    boxes: tuple[tuple[int, int, int, int], ...]

    @property
    def text(self) -> str:
        """The number as read, e.g. "42"; a leading 0 is kept ("07")."""
        return "".join(str(prediction.digit) for prediction in self.digits)

    @property
    def confidence(self) -> float:
        """The product of the digits' confidences, in [0, 1]: the number is right only if
        every digit is, so two digits at 90% make 81%."""
        return float(np.prod([prediction.confidence for prediction in self.digits]))

    @property
    def is_single(self) -> bool:
        """True when the drawing holds one digit."""
        return len(self.digits) == 1


class Recognizer:
    """A loaded model ready to read drawings. Build it with `Recognizer.load()`."""

    def __init__(self, weights: MlpWeights, run: RunInfo | None = None,
                 fallback_reason: str | None = None, source: Path | None = None):
        self.weights = weights
        self.run = run
        self.fallback_reason = fallback_reason
        self.source = source or (run.model_path if run else None)

    @classmethod
    def load(cls, path: str | Path | None = None, *, run_id: str | None = None,
             store: ModelStore | None = None) -> Recognizer:
        """Load the active model, a run by id, or the `.keras` file (or run folder) at `path`.

        For the active model or a run id, a model that cannot be loaded (or an active run whose
        folder is gone) is replaced by the shipped one and `fallback_reason` says why.

        Raises:
            ModelLoadError: the model at `path` (or the shipped model) cannot be loaded.
        """
        if path is None:
            store = store or ModelStore()
            loaded = store.load_with_fallback(run_id) if run_id else store.load_active()
            return cls(loaded.weights, loaded.run, loaded.fallback_reason)
        path = Path(path)
        if path.is_dir():
            path = path / MODEL_FILE
        return cls(load_model_file(path), source=path)

    def predict(self, image: np.ndarray, *, return_steps: bool = False) -> Prediction:
        """Read one drawing.

        Args:
            image: what `preprocess` accepts: the canvas's RGBA uint8 image, an RGB image, or
                a grayscale image of either polarity.
            return_steps: also keep the preprocessing steps (for "what the network sees").
        Raises:
            EmptyDrawingError: nothing that looks like a digit was drawn.
            NotADigitError: the ink is a dot, a dash or a tiny scribble; the message says
                which, e.g. "That looks like a dot: draw a digit, larger."
            DrawingError: the image has the wrong shape or dtype.
        """
        return self._read_one(prepare(image), return_steps)

    def _read_one(self, prepared: Prepared, return_steps: bool) -> Prediction:
        """Check one prepared drawing is a digit and read it (predict's second half)."""
        check_ink(prepared.ink)
        probabilities = self.weights.predict(prepared.model_input[None])[0]
        return Prediction(int(probabilities.argmax()), probabilities, prepared.model_input,
                          prepared.steps() if return_steps else None)

    def predict_number(self, image: np.ndarray, *, return_steps: bool = False
                       ) -> NumberPrediction:
        """Read a drawing of one or more digits side by side, left to right.

        The ink is split into digits (mnist_core.numbers.split_digits); each is preprocessed
        on its own, MNIST-style, and all are read in one matrix product. When the split finds
        one digit, the result holds exactly `predict(image, return_steps=return_steps)`.

        Args:
            image: as `predict`.
            return_steps: keep each digit's preprocessing steps (of its own cut-out ink).
        Raises:
            EmptyDrawingError: nothing that looks like a digit was drawn.
            NotADigitError: the drawing, or one of its marks, is a dot, a dash or a tiny
                scribble; the message says which.
            DrawingError: the image has the wrong shape or dtype.
        """
        found = find_ink(image)
        pieces = split_digits(found.ink)
        if len(pieces) == 1:  # predict's own path, on the same preprocessing
            prepared = prepare_found(found)
            return NumberPrediction((self._read_one(prepared, return_steps),),
                                    (prepared.bounding_box,))
        # Several digits: the whole drawing is never made MNIST-like, only each digit.
        frame = found.ink.shape[0]  # digits in a row compare with the picture's height
        inputs, all_steps = [], []
        for place, piece in enumerate(pieces, start=1):
            shape = not_a_digit(piece.ink, frame_side=frame)
            if shape is not None:
                raise NotADigitError(
                    f"Mark {place} of {len(pieces)} from the left looks like a {shape.kind}: "
                    "draw digits only, each one larger.", shape)
            piece_prepared = prepare(piece.ink)
            inputs.append(piece_prepared.model_input)
            all_steps.append(piece_prepared.steps() if return_steps else None)
        probabilities = self.weights.predict(np.stack(inputs))
        scale = max(found.input_shape) / max(found.ink.shape)
        boxes = tuple(tuple(round(edge * scale) for edge in piece.box) for piece in pieces)
        return NumberPrediction(
            tuple(Prediction(int(p.argmax()), p, x, s) for p, x, s in
                  zip(probabilities, inputs, all_steps, strict=True)), boxes)

    def read_model_input(self, model_input: np.ndarray) -> Prediction:
        """Read a drawing that is already a model input (a saved drawing, say).

        Args:
            model_input: (28, 28) float32 in [0, 1], white digit on black, as `preprocess`
                returns it.
        """
        model_input = np.asarray(model_input, dtype=np.float32)
        if model_input.shape != (28, 28):
            raise DrawingError(
                f"Expected a (28, 28) model input. Received: shape={model_input.shape}")
        probabilities = self.weights.predict(model_input[None])[0]
        return Prediction(int(probabilities.argmax()), probabilities, model_input, None)

    def predict_batch(self, images: Sequence[np.ndarray]) -> list[Prediction]:
        """Read several drawings in one matrix product; same errors as `predict`."""
        inputs = np.stack([_read_digit(image)[0] for image in images]) if len(images) else \
            np.zeros((0, 28, 28), np.float32)
        probabilities = self.weights.predict(inputs)
        return [Prediction(int(p.argmax()), p, x) for p, x in
                zip(probabilities, inputs, strict=True)]


def _read_digit(image: np.ndarray) -> tuple[np.ndarray, Prepared]:
    """Preprocess one drawing and check its ink is a digit's (NotADigitError if not)."""
    prepared = prepare(image)
    check_ink(prepared.ink)
    return prepared.model_input, prepared
