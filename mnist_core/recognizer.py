"""The app's one entry point for prediction: a drawing in, a digit and its probabilities out.

    recognizer = Recognizer.load()          # the active model; Recognizer.load(path) for another
    result = recognizer.predict(image)      # anything `preprocess` accepts
    result.digit, result.probabilities, result.model_input
    number = recognizer.predict_number(image)   # several digits side by side: "42"
    number.text, number.digits, number.confidence
    number.is_ambiguous, number.alternative_text   # "4 or 42?": one digit or two

A dot, a dash or a tiny scribble is refused with NotADigitError (mnist_core.reading.shape), not
given a confident answer. Prediction runs the MLP as numpy matrix products (`MlpWeights.predict`):
preprocess + predict for a 280x280 canvas takes well under a millisecond (bench/predict_speed.py).
A Recognizer is immutable, so one instance can be shared by every session of a server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

from mnist_core.errors import DrawingError, NotADigitError
from mnist_core.model import MlpWeights
from mnist_core.reading.numbers import GAP, DigitPiece, cut_touching, digit_gaps, split_digits
from mnist_core.reading.preprocessing import (
    FoundInk,
    Prepared,
    PreprocessSteps,
    find_ink,
    prepare,
    prepare_found,
)
from mnist_core.reading.shape import check_ink, not_a_digit
from mnist_core.runs.store import MODEL_FILE, ModelStore, RunInfo, load_model_file

__all__ = ["NEAR_GAP", "NumberPrediction", "Prediction", "Recognizer", "THICK_SHARE",
           "TOUCHING_SURE", "UNSURE_MARGIN"]

# When the top two probabilities are closer than this, the answer is shown as "4 or 9?".
# Set on the validation split of real writers (mnist_core.data.writers; `python
# bench/pen_digits.py --split validation [--small]`), as misses flagged / right answers shown
# unsure: 0.25 flagged 33% / 0.53% as people draw (44% / 0.66% drawn small); 0.5 flags
# 50% / 0.82% (61% / 1.26%); 0.8 costs twice as many right answers (1.77%, 2.88%) for 75%.
# Half of the misses said honestly, for under 1% of right answers said with a doubt.
UNSURE_MARGIN = 0.5
# A digit drawn small with a thick pen (its stroke wider than this share of its longer side,
# `Prepared.stroke_share`) may have filled in its loops: it is read, but never shown sure, and
# the page says why (`Prediction.is_thick`). Set on the validation writers drawn at 20-80% of
# the canvas with pens of 6-40 px (a one-off sweep beside `python bench/size_and_pen.py`,
# 14,550 readings): read right 97.7-99.1% in every band of share up to 0.28, then 93.5% at
# 0.28-0.30, 88% at 0.33-0.36, 61% above 0.5. At 0.28 it flags 193 of the 232 misses that
# showed sure (83%), and 2 of 5,436 right answers at typical sizes (45% of the square and up,
# pens up to 30 px); the answers it flags are right 60-93% of the time, so "8?" is honest.
THICK_SHARE = 0.28
# Of the tallest piece's height: tall pieces at least this far apart but closer than
# mnist_core.reading.numbers.GAP (0.15) may be one digit or two. Both readings are made; the split
# one leads when the model is at least as sure of it (the number's confidence, a product), and
# otherwise the drawing is "4 or 42?" (NumberPrediction.alternative), never a sure "4".
# Chosen on one half of UNIPEN's writers, by writer (bench/number_gaps.py: 200 pairs per gap,
# 180-300 px tall, pens 14-30 px): pairs whose ink is 0.03-0.15 of the height apart went from
# 0-14% read right (the rest a sure single digit) to 86-94% (none a sure single digit, 2-12%
# "4 or 42?"); of 2,999 single digits (pens 6-30 px) 1 became "4 or 61?"-like, none newly
# split. The other writers' figures: bench/number_gaps.py. The cost, in uploads: of 10,000
# MNIST test digits 4 are split (was 3) and 3 more are "1 or 11?" (broken 1s).
# 0: any empty column between tall pieces; touching digits: see TOUCHING_SURE.
NEAR_GAP = 0.0
# Ink in one piece but wide (mnist_core.reading.numbers.cut_touching) is also read cut in two at its
# thinnest column; when the model is at least this sure of both halves (the product), and at
# least as sure as of the one digit, the drawing is "4 or 42?". The one-digit reading always
# leads: a wide single digit cuts as readily. Chosen on one half of UNIPEN's writers (a
# one-off sweep on bench/number_gaps.py's drawings: 300 touching pairs, 2,999 single digits):
# touching pairs shown as one sure digit 52% -> 9% (the right reading one of the two shown
# 88%); single digits shown sure and right 97.20% -> 97.00% (10 became "7 or 17?"-like).
# WIDE 1.1 and 0.5 here were as good; with no "as sure as the one digit", 151 singles.
TOUCHING_SURE = 0.7
# A split at a gap under GAP is sure only when each two neighbours share rows for at least this
# share of the taller one's height (digits in a row stand on one line, about as tall); else it
# leads a "61 or 4?". Set by the one held-out writer's open 4 (6 px pen) read "61", its pieces
# sharing 0.65 (bench/read_numbers.py's single digits). Not measured on pairs: those of
# bench/number_gaps.py are drawn equally tall and share all their rows.
_SHARED_ROWS = 0.75


@dataclass(frozen=True, eq=False)
class Prediction:
    """What the model read.

    Attributes:
        digit: the most probable digit, 0-9.
        probabilities: (10,) float32 in [0, 1], summing to 1.
        model_input: (28, 28) float32 in [0, 1], white digit on black: what the network saw.
        steps: the preprocessing steps, when asked for; else None.
        stroke_share: the drawn stroke's width over the ink's longer side
            (`Prepared.stroke_share`); 0.0 when the drawing was already a model input.
    """

    digit: int
    probabilities: np.ndarray
    model_input: np.ndarray
    steps: PreprocessSteps | None = None
    stroke_share: float = 0.0

    @property
    def confidence(self) -> float:
        """Probability of `digit`, in [0, 1]."""
        return float(self.probabilities[self.digit])

    @property
    def runner_up(self) -> int:
        """The second most probable digit."""
        return int(np.argsort(self.probabilities)[-2])

    @property
    def is_thick(self) -> bool:
        """True when the digit was drawn small for its pen (`THICK_SHARE`): its loops may
        have filled in, so the answer is a guess however sure the model is."""
        return self.stroke_share > THICK_SHARE

    @property
    def is_unsure(self) -> bool:
        """True when the top two digits are within `UNSURE_MARGIN` of each other, or the
        digit is drawn too small for its pen to be sure (`is_thick`)."""
        second = float(self.probabilities[self.runner_up])
        return self.confidence - second < UNSURE_MARGIN or self.is_thick


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
    alternative: NumberPrediction | None = None

    @property
    def is_ambiguous(self) -> bool:
        """True when the drawing may as well be read with another count of digits."""
        return self.alternative is not None

    @property
    def alternative_text(self) -> str | None:
        """The other reading's text ("42" for a "4 or 42?"), or None."""
        return None if self.alternative is None else self.alternative.text

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
        """True when the drawing holds one digit, not possibly several (not `is_ambiguous`):
        the page's single-digit answer, with Right / Wrong saving."""
        return len(self.digits) == 1 and self.alternative is None


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
                          prepared.steps() if return_steps else None, prepared.stroke_share)

    def predict_number(self, image: np.ndarray, *, return_steps: bool = False
                       ) -> NumberPrediction:
        """Read a drawing of one or more digits side by side, left to right.

        The ink is split into digits (mnist_core.reading.numbers.split_digits); each is preprocessed
        on its own, MNIST-style, and all are read in one matrix product. When the split finds
        one digit, the result holds exactly `predict(image, return_steps=return_steps)`.
        Tall pieces closer than the split's gap but not touching (`NEAR_GAP`) are also read
        as digits of their own: that reading is returned when the model is at least as sure
        of it, and otherwise given as the `alternative` ("4 or 42?").

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
        gaps = digit_gaps(found.ink)
        wide = 1 + sum(gap >= GAP for gap in gaps)  # digits at the sure gap
        if wide == 1:  # predict's own path, on the same preprocessing
            prepared = prepare_found(found)
            reading = NumberPrediction((self._read_one(prepared, return_steps),),
                                       (prepared.bounding_box,))
        else:
            reading = self._read_pieces(found, split_digits(found.ink), return_steps)
        if 1 + sum(gap >= NEAR_GAP for gap in gaps) == wide:
            return self._touching(found, reading, return_steps) if wide == 1 else reading
        # Tall pieces closer than GAP: one digit with a gap inside (a 4 whose strokes do not
        # meet), or digits written close, as people do on a phone. Read both ways.
        try:
            closer = self._read_pieces(found, split_digits(found.ink, gap=NEAR_GAP),
                                       return_steps)
        except NotADigitError:  # a piece of it is a dot or a dash: not a digit of its own
            return reading
        if closer.confidence < reading.confidence:
            return NumberPrediction(reading.digits, reading.boxes, closer)
        if not _in_a_row(closer.boxes):
            # A piece short or high beside its neighbour is as likely part of one digit (an
            # open 4's bar beside its stem, read "61"): say both.
            return NumberPrediction(closer.digits, closer.boxes, reading)
        return closer

    def _touching(self, found: FoundInk, reading: NumberPrediction, return_steps: bool
                  ) -> NumberPrediction:
        """One digit's `reading`, with "or 42?" when its ink may be two digits touching."""
        pieces = cut_touching(found.ink)
        if pieces is None:
            return reading
        try:
            cut = self._read_pieces(found, pieces, return_steps)
        except NotADigitError:  # half of it is a dot or a dash: one digit
            return reading
        if cut.confidence < max(TOUCHING_SURE, reading.confidence):
            return reading
        return NumberPrediction(reading.digits, reading.boxes, cut)

    def _read_pieces(self, found: FoundInk, pieces: list[DigitPiece], return_steps: bool
                     ) -> NumberPrediction:
        """Read each of several digits cut from `found` on its own (NotADigitError if one of
        them is a dot, a dash or a scribble)."""
        # Several digits: the whole drawing is never made MNIST-like, only each digit.
        frame = found.ink.shape[0]  # digits in a row compare with the picture's height
        inputs, all_steps, shares = [], [], []
        for place, piece in enumerate(pieces, start=1):
            shape = not_a_digit(piece.ink, frame_side=frame)
            if shape is not None:
                raise NotADigitError(
                    f"Mark {place} of {len(pieces)} from the left looks like a {shape.kind}: "
                    "draw digits only, each one larger.", shape)
            piece_prepared = prepare(piece.ink)
            inputs.append(piece_prepared.model_input)
            all_steps.append(piece_prepared.steps() if return_steps else None)
            shares.append(piece_prepared.stroke_share)
        probabilities = self.weights.predict(np.stack(inputs))
        scale = max(found.input_shape) / max(found.ink.shape)
        boxes = tuple(tuple(round(edge * scale) for edge in piece.box) for piece in pieces)
        return NumberPrediction(
            tuple(Prediction(int(p.argmax()), p, x, s, share) for p, x, s, share in
                  zip(probabilities, inputs, all_steps, shares, strict=True)), boxes)

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
        prepared = [_read_digit(image) for image in images]
        inputs = np.stack([each.model_input for each in prepared]) if prepared else \
            np.zeros((0, 28, 28), np.float32)
        probabilities = self.weights.predict(inputs)
        return [Prediction(int(p.argmax()), p, x, None, each.stroke_share) for p, x, each in
                zip(probabilities, inputs, prepared, strict=True)]


def _in_a_row(boxes: Sequence[tuple[int, int, int, int]]) -> bool:
    """True when each two neighbouring boxes (top, left, bottom, right) share at least
    `_SHARED_ROWS` of the taller one's rows."""
    return all(
        min(first[2], second[2]) - max(first[0], second[0])
        >= _SHARED_ROWS * max(first[2] - first[0], second[2] - second[0])
        for first, second in pairwise(boxes))


def _read_digit(image: np.ndarray) -> Prepared:
    """Preprocess one drawing and check its ink is a digit's (NotADigitError if not)."""
    prepared = prepare(image)
    check_ink(prepared.ink)
    return prepared
