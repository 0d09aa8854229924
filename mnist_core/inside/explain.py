"""Inside the network: why an MLP gives its answer for one drawing, as arithmetic to check.

Everything here is numpy on `MlpWeights` and one model input: (28, 28) float32 in [0, 1],
white digit on black, as `preprocess` returns it. Results are plain arrays and small frozen
value objects; nothing here knows of a page.

A ReLU MLP is linear around any input: each hidden unit either passes its weighted sum on or
outputs 0. So the explanations are exact, not approximations:

- `explain`: a digit's score (logit) = its bias + the sum over the last hidden layer's units
  of activation x weight (`LogitParts`), for the answer and the runner-up;
- `saliency`: the same score = the sum over pixels of gradient x input + what the biases add
  (`Saliency`); the gradient is the network's own local slope;
- `unit_pictures`: what a unit responds to in the input: a first-layer unit's 784 weights, or
  for a deeper unit the gradient of its weighted sum with respect to the input here;
- `change_of_mind`: a digit's supporters switched off one at a time, strongest first, until
  the network's answer changes: how many it took (or that none did);
- `switch_off`, `break_model`: copies of the weights with units switched off (their kernel
  column and bias zeroed, so they output 0), noise added, biases zeroed; the weights given
  are never changed;
- `what_if`, `shift_curve`: the input moved, turned, scaled, thickened, erased or made noisy,
  and the probabilities against a horizontal shift of -8 to +8 px.

Units are named `(layer, unit)`: layer 0 is the first hidden layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from mnist_core.model import MlpWeights

__all__ = [
    "ERASE_SIZE",
    "SHIFTS",
    "Breakage",
    "ChangeOfMind",
    "Explanation",
    "Forward",
    "LogitParts",
    "Saliency",
    "ShiftCurve",
    "Unit",
    "WhatIf",
    "accuracy",
    "add_up_rounded",
    "break_model",
    "change_of_mind",
    "explain",
    "first_layer_pictures",
    "forward",
    "saliency",
    "shift_curve",
    "switch_off",
    "tile_grid",
    "unit_pictures",
    "what_if",
]

Unit = tuple[int, int]  # (hidden layer, unit): layer 0 is the first hidden layer
SHIFTS = tuple(range(-8, 9))  # px: the horizontal shifts of `shift_curve`
ERASE_SIZE = 10  # px: the side of the square `WhatIf.erase` blanks (a quarter of the digit)
_SIDE = 28


# The products of one drawing (a row, or a few) with a kernel go through np.einsum's own
# single-threaded loop, not BLAS: OpenBLAS splits even one vector-matrix product over its
# threads, and on a busy machine they wait on each other. Measured on the 2-core machine at
# load 4: (1, 784) @ (784, 1024) 11 ms median, 31 ms p95 through matmul; 0.15 ms, 0.3 ms here.
def _rows_times(rows: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """(n, a) x (a, b) -> (n, b)."""
    return np.einsum("ni,ij->nj", rows, kernel)


def _kernel_times(kernel: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """(a, b) x (b, k) -> (a, k), reading the kernel row by row (1.3 ms for 784x1024 and
    k = 10, against 19 ms through matmul, same machine and load)."""
    return np.einsum("kj,ij->ki", np.ascontiguousarray(columns.T), kernel).T


def _check_input(model_input: np.ndarray) -> np.ndarray:
    array = np.asarray(model_input)
    if array.dtype != np.float64:  # float64 is kept, for exact finite differences in tests
        array = array.astype(np.float32)
    if array.shape != (_SIDE, _SIDE):
        raise ValueError(f"Expected a (28, 28) model input. Received: shape={array.shape}")
    return array


@dataclass(frozen=True, eq=False)
class Forward:
    """One input through the network.

    Attributes:
        model_input: (28, 28) float32 in [0, 1]: what went in.
        pre_activations: one (units,) float32 per hidden layer: each unit's weighted sum of
            the layer below plus its bias, before ReLU.
        activations: one (units,) float32 >= 0 per hidden layer: max(pre_activation, 0).
        logits: (10,) float64: each digit's score before softmax.
        probabilities: (10,) float64 in [0, 1], summing to 1.
    """

    model_input: np.ndarray
    pre_activations: tuple[np.ndarray, ...]
    activations: tuple[np.ndarray, ...]
    logits: np.ndarray
    probabilities: np.ndarray

    @property
    def digit(self) -> int:
        """The answer: the most probable digit."""
        return int(self.probabilities.argmax())

    @property
    def runner_up(self) -> int:
        """The second most probable digit."""
        return int(np.argsort(self.probabilities, kind="stable")[-2])

    @property
    def active_shares(self) -> tuple[float, ...]:
        """Per hidden layer, the share of units with an activation above 0, in [0, 1]."""
        return tuple(float((layer > 0).mean()) for layer in self.activations)


def forward(weights: MlpWeights, model_input: np.ndarray) -> Forward:
    """Run one (28, 28) input through the network, keeping every layer.

    The hidden layers are float32 matrix products as in `MlpWeights.predict`; the last layer
    is computed in float64, so that `explain`'s parts add up to these logits to ~1e-12.
    """
    x = _check_input(model_input)
    h = x.reshape(1, 784)
    pre, post = [], []
    for kernel, bias in zip(weights.kernels[:-1], weights.biases[:-1], strict=True):
        z = _rows_times(h, kernel)[0] + bias
        pre.append(z)
        h = np.maximum(z, 0)[None]
        post.append(h[0])
    logits = h[0].astype(np.float64) @ weights.kernels[-1].astype(np.float64) \
        + weights.biases[-1].astype(np.float64)
    return Forward(x, tuple(pre), tuple(post), logits, _softmax(logits))


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


@dataclass(frozen=True, eq=False)
class LogitParts:
    """A digit's score split into what each unit of the last hidden layer adds, plus the bias.

    Attributes:
        digit: 0-9.
        logit: the score, float.
        bias: the output unit's bias, float.
        activations: (n,) float64 >= 0: the last hidden layer's activations.
        weights: (n,) float64: each unit's weight to this digit.
        contributions: (n,) float64: activations x weights. logit == bias +
            contributions.sum(), to float rounding (~1e-12).
        supporters: unit indices with a positive contribution, largest first (at most `top`).
        opponents: unit indices with a negative contribution, most negative first (at most
            `top`).
    """

    digit: int
    logit: float
    bias: float
    activations: np.ndarray
    weights: np.ndarray
    contributions: np.ndarray
    supporters: tuple[int, ...]
    opponents: tuple[int, ...]

    @property
    def groups(self) -> tuple[float, float, float, float]:
        """(top supporters, top opponents, all other units, bias): four parts that add up
        to `logit`."""
        top = self.contributions[list(self.supporters)].sum()
        bottom = self.contributions[list(self.opponents)].sum()
        rest = self.contributions.sum() - top - bottom
        return float(top), float(bottom), float(rest), self.bias


def _logit_parts(weights: MlpWeights, last: np.ndarray, digit: int, top: int) -> LogitParts:
    activations = last.astype(np.float64)
    column = weights.kernels[-1][:, digit].astype(np.float64)
    bias = float(weights.biases[-1][digit])
    contributions = activations * column
    order = np.argsort(-contributions, kind="stable")
    supporters = tuple(int(u) for u in order[:top] if contributions[u] > 0)
    opponents = tuple(int(u) for u in order[::-1][:top] if contributions[u] < 0)
    return LogitParts(digit, float(bias + contributions.sum()), bias, activations, column,
                      contributions, supporters, opponents)


@dataclass(frozen=True, eq=False)
class Explanation:
    """Why the network gives its answer, and why not the runner-up.

    Attributes:
        forward: the input through the network.
        answer: the answer's score in parts.
        runner_up: the runner-up's score in parts.
        layer: the index of the last hidden layer, whose units the parts are.
    """

    forward: Forward
    answer: LogitParts
    runner_up: LogitParts
    layer: int


def explain(weights: MlpWeights, model_input: np.ndarray, top: int = 10) -> Explanation:
    """Split the answer's and the runner-up's scores into the last hidden layer's parts.

    Args:
        weights: the network (with units switched off, if any: see `switch_off`).
        model_input: (28, 28) float32 in [0, 1].
        top: how many supporters and opponents to name.
    """
    run = forward(weights, model_input)
    last = run.activations[-1]
    return Explanation(run, _logit_parts(weights, last, run.digit, top),
                       _logit_parts(weights, last, run.runner_up, top),
                       len(weights.kernels) - 2)


@dataclass(frozen=True, eq=False)
class ChangeOfMind:
    """A digit's supporters switched off one at a time, strongest first, until the network's
    answer changes.

    Attributes:
        digit: 0-9: whose supporters were switched off (the answer, or the runner-up).
        before: 0-9: the answer with none of them off.
        layer: the hidden layer the units are in (the last one).
        supporters: every unit with a positive part in `digit`'s score, largest part first.
        count: how many of `supporters` (the first ones) were switched off when the answer
            first changed, 1 to len(supporters); None when even all of them leave it.
        after: 0-9: the answer with the first `count` off (with all off, when count is None).
        probabilities: (len(supporters) + 1, 10) float64: row k is the probabilities with
            the first k supporters off; row 0 is the network as given.
    """

    digit: int
    before: int
    layer: int
    supporters: tuple[int, ...]
    count: int | None
    after: int
    probabilities: np.ndarray

    @property
    def changed(self) -> bool:
        """True when switching off some of the supporters changed the answer."""
        return self.count is not None

    @property
    def units(self) -> tuple[Unit, ...]:
        """The units to switch off to see the change: the first `count` supporters (all of
        them when nothing changed the answer), as `(layer, unit)`."""
        shown = self.supporters if self.count is None else self.supporters[:self.count]
        return tuple((self.layer, unit) for unit in shown)


def change_of_mind(weights: MlpWeights, model_input: np.ndarray,
                   digit: int | None = None) -> ChangeOfMind:
    """Switch off `digit`'s supporters in the last hidden layer one at a time, strongest first
    (largest activation x weight), until the network's answer is no longer what it was.

    Switching off a unit of the last hidden layer takes its activation x weight out of every
    digit's score and changes nothing else, so all the steps are one cumulative sum: the
    answer at step k is `forward(switch_off(weights, units[:k]), model_input).digit` (the
    sums in another order, so the same to float rounding, ~1e-12).

    Args:
        weights: the network (with units already switched off, if any).
        model_input: (28, 28) float32 in [0, 1].
        digit: 0-9, whose supporters to switch off; None: the answer's.
    Raises:
        ValueError: a digit outside 0-9.
    """
    run = forward(weights, model_input)
    digit = run.digit if digit is None else int(digit)
    if not 0 <= digit <= 9:
        raise ValueError(f"Expected a digit 0-9. Received: {digit}")
    activations = run.activations[-1].astype(np.float64)
    kernel = weights.kernels[-1].astype(np.float64)
    contributions = activations * kernel[:, digit]
    order = np.argsort(-contributions, kind="stable")
    supporters = order[contributions[order] > 0]
    # Row k: the logits with the first k supporters off, each step taking away one unit's
    # activation x weight from all ten scores.
    removed = activations[supporters, None] * kernel[supporters]
    logits = run.logits - np.concatenate([np.zeros((1, 10)), np.cumsum(removed, axis=0)])
    answers = logits.argmax(axis=1)
    changed = np.flatnonzero(answers != run.digit)
    count = int(changed[0]) if len(changed) else None
    return ChangeOfMind(digit, run.digit, len(weights.kernels) - 2,
                        tuple(int(unit) for unit in supporters), count,
                        int(answers[count if count is not None else -1]), _softmax(logits))


def _backward(weights: MlpWeights, run: Forward, layer: int, columns: np.ndarray) -> np.ndarray:
    """Gradients with respect to the input of k weighted sums into layer `layer` (a hidden
    layer, or len(hidden) for the logits), given as their (inputs of that layer, k) weight
    columns. Returns (784, k) float64."""
    gradient = columns.astype(np.float64)
    for below in range(layer - 1, -1, -1):
        gradient = gradient * (run.pre_activations[below] > 0)[:, None]
        gradient = _kernel_times(weights.kernels[below],
                                 gradient.astype(weights.kernels[below].dtype))
    return gradient.astype(np.float64)


def unit_pictures(weights: MlpWeights, model_input: np.ndarray, layer: int,
                  units: Sequence[int]) -> np.ndarray:
    """What each of some hidden units responds to in the input.

    For a first-layer unit, its 784 weights: the pattern of ink that raises its sum (positive)
    and that lowers it (negative), the same for every drawing. For a deeper unit, the gradient
    of its weighted sum (before ReLU, so a unit that is off here still has a picture) with
    respect to the input at this drawing: how each pixel's ink would change it, here.

    Returns:
        (len(units), 28, 28) float64, signed.
    """
    units = list(units)
    if layer == 0:
        return weights.kernels[0][:, units].T.reshape(-1, _SIDE, _SIDE).astype(np.float64)
    run = forward(weights, model_input)
    gradient = _backward(weights, run, layer, weights.kernels[layer][:, units])
    return gradient.T.reshape(-1, _SIDE, _SIDE)


def first_layer_pictures(weights: MlpWeights, model_input: np.ndarray, count: int
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first layer's "feature detectors", the most active ones for this drawing first.

    Returns:
        units (count,) int, activations (count,) float32 >= 0, and their weight pictures
        (count, 28, 28) float64, signed.
    """
    activations = forward(weights, model_input).activations[0]
    units = np.argsort(-activations, kind="stable")[:count]
    return units, activations[units], unit_pictures(weights, model_input, 0, units)


@dataclass(frozen=True, eq=False)
class Saliency:
    """Which pixels push a score up or down: gradient x input, exact for a ReLU MLP.

    Around this input the network is linear, so for each digit d:
    logit[d] == maps[i].sum() + bias_parts[i] (to float rounding), where bias_parts[i] is what
    the biases add along the units that are active here.

    Attributes:
        digits: the digits explained, e.g. (answer, runner-up).
        gradients: (k, 28, 28) float64: d logit / d pixel.
        maps: (k, 28, 28) float64: gradients x input; 0 wherever there is no ink.
        bias_parts: (k,) float64.
        logits: (k,) float64: the scores.
    """

    digits: tuple[int, ...]
    gradients: np.ndarray
    maps: np.ndarray
    bias_parts: np.ndarray
    logits: np.ndarray

    def difference(self, first: int = 0, second: int = 1) -> np.ndarray:
        """(28, 28) float64: maps[first] - maps[second]: positive where a pixel's ink favours
        digits[first] over digits[second]."""
        return self.maps[first] - self.maps[second]


def saliency(weights: MlpWeights, model_input: np.ndarray, digits: Sequence[int]) -> Saliency:
    """Gradient x input of some digits' scores (see `Saliency`)."""
    run = forward(weights, model_input)
    digits = tuple(int(d) for d in digits)
    hidden = len(weights.kernels) - 1
    gradient = _backward(weights, run, hidden, weights.kernels[-1][:, list(digits)])
    gradients = gradient.T.reshape(-1, _SIDE, _SIDE)
    maps = gradients * run.model_input.astype(np.float64)
    # The same path with no input: each bias carried through the units active here.
    carried = np.zeros(0)
    for index in range(hidden):
        sums = weights.biases[index].astype(np.float64)
        if index:
            sums = sums + _rows_times(carried[None].astype(weights.kernels[index].dtype),
                                      weights.kernels[index])[0]
        carried = sums * (run.pre_activations[index] > 0)
    last = weights.kernels[-1][:, list(digits)].astype(np.float64)
    bias_parts = carried @ last + weights.biases[-1][list(digits)].astype(np.float64)
    return Saliency(digits, gradients, maps, bias_parts, run.logits[list(digits)])


def switch_off(weights: MlpWeights, units: Iterable[Unit]) -> MlpWeights:
    """A copy of the network with some hidden units switched off: their kernel column and
    bias are zero, so they always output 0. Layers with nothing off are shared, not copied.

    Raises:
        ValueError: a unit that is not in the network.
    """
    by_layer: dict[int, list[int]] = {}
    hidden = weights.hidden_units
    for layer, unit in units:
        if not (0 <= layer < len(hidden) and 0 <= unit < hidden[layer]):
            raise ValueError(f"Expected a unit (layer, unit) of hidden layers {hidden}. "
                             f"Received: ({layer}, {unit})")
        by_layer.setdefault(layer, []).append(unit)
    if not by_layer:
        return weights
    kernels, biases = list(weights.kernels), list(weights.biases)
    for layer, off in by_layer.items():
        kernels[layer] = kernels[layer].copy()
        biases[layer] = biases[layer].copy()
        kernels[layer][:, off] = 0
        biases[layer][off] = 0
    return MlpWeights(tuple(kernels), tuple(biases))


def tile_grid(values: np.ndarray) -> np.ndarray:
    """A layer's units laid out as a grid of tiles, row by row.

    1024 units make 32x32, 512 make 16x32, 128 make 8x16 (a power of two: as square as
    possible, wider than tall); other counts fill ceil(sqrt(n)) columns.

    Args:
        values: (n,) numbers, one per unit.
    Returns:
        (rows, columns) float64; the places after the last unit are NaN.
    """
    values = np.asarray(values, np.float64).ravel()
    count = len(values)
    if count and count & (count - 1) == 0:
        power = count.bit_length() - 1
        rows, columns = 2 ** (power // 2), 2 ** (power - power // 2)
    else:
        columns = max(1, int(np.ceil(np.sqrt(count))))
        rows = max(1, int(np.ceil(count / columns)))
    grid = np.full(rows * columns, np.nan)
    grid[:count] = values
    return grid.reshape(rows, columns)


@dataclass(frozen=True)
class WhatIf:
    """Changes to the model input, applied in this order: thickness, erase, rotate and scale
    (about the middle), shift, noise.

    Attributes:
        shift_x: px right (negative: left), -8 to 8.
        shift_y: px down (negative: up), -8 to 8.
        rotate: degrees anticlockwise (negative: clockwise), -45 to 45.
        scale: size factor, 0.5 to 1.5.
        thickness: strokes grown (positive) or thinned (negative) by this many pixels, -2 to 2.
        erase: (row, column) of the middle of an ERASE_SIZE x ERASE_SIZE square set to black,
            or None.
        noise: standard deviation of Gaussian noise added to every pixel, 0 to 1 (then the
            input is clipped to [0, 1]).
        seed: the noise's seed: the same settings always give the same input.
    """

    shift_x: int = 0
    shift_y: int = 0
    rotate: float = 0.0
    scale: float = 1.0
    thickness: int = 0
    erase: tuple[int, int] | None = None
    noise: float = 0.0
    seed: int = 0


def what_if(model_input: np.ndarray, changes: WhatIf) -> np.ndarray:
    """The model input with `changes` applied. Returns (28, 28) float32 in [0, 1]."""
    image = _before_shift(_check_input(model_input), changes)
    return _after_shift(_shift(image, changes.shift_x, changes.shift_y), changes)


def _before_shift(image: np.ndarray, changes: WhatIf) -> np.ndarray:
    image = image.copy()
    for _ in range(abs(changes.thickness)):
        image = _morph(image, grow=changes.thickness > 0)
    if changes.erase is not None:
        row, column = changes.erase
        top, left = row - ERASE_SIZE // 2, column - ERASE_SIZE // 2
        image[max(top, 0):max(top + ERASE_SIZE, 0), max(left, 0):max(left + ERASE_SIZE, 0)] = 0
    if changes.rotate or changes.scale != 1:
        image = _rotate_scale(image, changes.rotate, changes.scale)
    return image


def _after_shift(image: np.ndarray, changes: WhatIf) -> np.ndarray:
    if changes.noise > 0:
        noise = np.random.default_rng(changes.seed).standard_normal(image.shape[-2:])
        image = np.clip(image + np.float32(changes.noise) * noise.astype(np.float32), 0, 1)
    return image.astype(np.float32)


def _morph(image: np.ndarray, grow: bool) -> np.ndarray:
    """Grey dilation (grow) or erosion by a 3x3 plus: strokes one pixel thicker or thinner."""
    padded = np.pad(image, 1)
    around = [padded[1:-1, 1:-1], padded[:-2, 1:-1], padded[2:, 1:-1], padded[1:-1, :-2],
              padded[1:-1, 2:]]
    return np.max(around, axis=0) if grow else np.min(around, axis=0)


def _shift(image: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """Move by whole pixels, filling with black; what leaves the frame is lost."""
    out = np.zeros_like(image)
    h, w = image.shape
    if abs(dx) >= w or abs(dy) >= h:
        return out
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        image[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def _rotate_scale(image: np.ndarray, degrees: float, scale: float) -> np.ndarray:
    """Turn anticlockwise and scale about the image's middle, bilinear, black outside."""
    centre = (_SIDE - 1) / 2
    rows, columns = np.mgrid[0:_SIDE, 0:_SIDE].astype(np.float64) - centre
    angle = np.deg2rad(degrees)
    # Each output pixel samples the input where the inverse turn and scale take it; on
    # screen y points down, so anticlockwise is a negative angle in row/column terms.
    cos, sin = np.cos(angle), np.sin(angle)
    source_c = (cos * columns - sin * rows) / scale + centre
    source_r = (sin * columns + cos * rows) / scale + centre
    r0, c0 = np.floor(source_r).astype(int), np.floor(source_c).astype(int)
    fr, fc = source_r - r0, source_c - c0
    padded = np.pad(image.astype(np.float64), 1)  # reads just outside the frame are black

    def at(r, c):
        inside = (r >= -1) & (r <= _SIDE) & (c >= -1) & (c <= _SIDE)
        return np.where(inside, padded[np.clip(r + 1, 0, _SIDE + 1), np.clip(c + 1, 0, _SIDE + 1)],
                        0.0)

    out = (at(r0, c0) * (1 - fr) * (1 - fc) + at(r0, c0 + 1) * (1 - fr) * fc
           + at(r0 + 1, c0) * fr * (1 - fc) + at(r0 + 1, c0 + 1) * fr * fc)
    return out.astype(np.float32)


@dataclass(frozen=True, eq=False)
class ShiftCurve:
    """Each digit's probability as the input moves sideways.

    Attributes:
        shifts: (17,) int: px right, -8 to 8.
        probabilities: (17, 10) float32: row i for shifts[i], each summing to 1.
    """

    shifts: np.ndarray
    probabilities: np.ndarray

    def at(self, shift: int) -> np.ndarray:
        """(10,) float32: the probabilities at one shift."""
        return self.probabilities[list(self.shifts).index(shift)]


def shift_curve(weights: MlpWeights, model_input: np.ndarray, changes: WhatIf = WhatIf(),
                shifts: Sequence[int] = SHIFTS) -> ShiftCurve:
    """The probabilities of the input with `changes`, but shifted sideways by each of
    `shifts` instead of `changes.shift_x`: at shift_x itself,
    weights.predict(what_if(model_input, changes)) (to float32 rounding). One batch of 17."""
    base = _before_shift(_check_input(model_input), changes)
    batch = np.stack([_after_shift(_shift(base, shift, changes.shift_y), changes)
                      for shift in shifts])
    h = batch.reshape(len(batch), 784)
    for kernel, bias in zip(weights.kernels[:-1], weights.biases[:-1], strict=True):
        h = np.maximum(_rows_times(h, kernel) + bias, 0)
    logits = _rows_times(h, weights.kernels[-1]) + weights.biases[-1]
    return ShiftCurve(np.asarray(shifts, int), _softmax(logits).astype(np.float32))


@dataclass(frozen=True)
class Breakage:
    """Damage to a network, to see how much it takes.

    Attributes:
        units_off: share of each hidden layer's units switched off at random, 0 to 0.9.
            With the same seed a larger share switches off the same units and more.
        weight_noise: Gaussian noise added to every weight and bias, its standard deviation
            this multiple of that layer's own weights' standard deviation, 0 to 1.
        zero_biases: set every bias to 0.
        seed: the same settings always break the network the same way.
    """

    units_off: float = 0.0
    weight_noise: float = 0.0
    zero_biases: bool = False
    seed: int = 0

    @property
    def is_intact(self) -> bool:
        """True when nothing is damaged."""
        return self.units_off == 0 and self.weight_noise == 0 and not self.zero_biases


def break_model(weights: MlpWeights, breakage: Breakage) -> MlpWeights:
    """A damaged copy of the network (the weights given are never changed)."""
    if breakage.is_intact:
        return weights
    rng = np.random.default_rng(breakage.seed)
    kernels, biases = [], []
    for kernel, bias in zip(weights.kernels, weights.biases, strict=True):
        # Drawn whatever the level, so a layer's noise pattern is the same at every level.
        kernel_noise = rng.standard_normal(kernel.shape, dtype=np.float32)
        bias_noise = rng.standard_normal(bias.shape, dtype=np.float32)
        spread = np.float32(breakage.weight_noise * float(kernel.std()))
        kernels.append(kernel + spread * kernel_noise if spread else kernel)
        biases.append(np.zeros_like(bias) if breakage.zero_biases else
                      bias + spread * bias_noise if spread else bias)
    broken = MlpWeights(tuple(kernels), tuple(biases))
    off = []
    for layer, count in enumerate(weights.hidden_units):
        order = np.random.default_rng([breakage.seed, layer]).permutation(count)
        off += [(layer, int(unit)) for unit in order[:round(breakage.units_off * count)]]
    return switch_off(broken, off)


def accuracy(weights: MlpWeights, images: np.ndarray, labels: np.ndarray) -> float:
    """Share of images read right, in [0, 1].

    Args:
        images: (N, 28, 28) uint8 in [0, 255] or float in [0, 1], white digit on black.
        labels: (N,) ints 0-9.
    """
    images = np.asarray(images)
    inputs = images.astype(np.float32) / 255 if images.dtype == np.uint8 else images
    if not len(inputs):
        raise ValueError("Expected at least one image. Received: none")
    return float((weights.predict(inputs).argmax(axis=1) == np.asarray(labels)).mean())


def add_up_rounded(parts: Sequence[float], decimals: int = 2) -> tuple[float, ...]:
    """Parts rounded so that the rounded parts add up to the rounded total exactly (largest
    remainders get the spare hundredths): what a page shows as "12.34 = 8.20 + ..."."""
    scale = 10 ** decimals
    scaled = np.asarray(parts, np.float64) * scale
    target = round(float(scaled.sum()))
    floors = np.floor(scaled)
    spare = int(target - floors.sum())
    order = np.argsort(-(scaled - floors), kind="stable")
    floors[order[:spare]] += 1
    return tuple(float(value) / scale for value in floors)
