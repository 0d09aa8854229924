"""The MLP learning with plain numpy: forward with dropout, backward, and an optimizer step.

The same network as `mnist_core.model` (Dense+ReLU per hidden layer, Dropout, Dense+softmax),
its arithmetic written out so that it runs where Keras must not (the Streamlit server, for a
network a class watches learn) and so that an epoch costs little more than its matrix products
(bench/train_speed.py compares it with Keras and with numpy's own matrix-multiply speed):

    learner = MlpLearner.fresh((784, 32, 10), np.random.default_rng(0))
    result = learner.step(images, labels, learning_rate=0.01)   # one mini-batch
    result.loss, result.accuracy, learner.weights                # an MlpWeights, to read with

Inputs are (B, 28, 28) or (B, 784) float32 in [0, 1]; labels (B,) ints 0-9. The loss is the
mean cross-entropy of the softmax. Optimizers: "sgd" (w -= rate * gradient) and "adam" (Keras'
Adam: beta_1 0.9, beta_2 0.999, epsilon 1e-7, bias-corrected). Dropout is inverted, as Keras
does it: kept units are scaled by 1 / (1 - rate) while learning, and nothing is dropped when
reading.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from mnist_core.model import MlpWeights

__all__ = ["DIVERGED_LOSS", "Gradients", "MlpLearner", "StepResult"]

Optimizer = Literal["sgd", "adam"]
_BETA_1, _BETA_2, _EPSILON = 0.9, 0.999, 1e-7  # Keras' Adam defaults
# A mean loss this high is far worse than guessing (ln 10 = 2.3 for ten digits): the weights
# have run away. The softmax is computed stably, so a runaway network's loss stays finite.
DIVERGED_LOSS = 25.0
# Adam's update is a dozen passes over every weight, each on one core in numpy; weights in
# arrays at least this big are updated in slices on every core (numpy lets go of the lock in
# its loops): for Quick's 1.3 M weights, 3.5 s of a 9 s epoch on one core of two.
_SPLIT_SIZE = 1 << 17
_pool: ThreadPoolExecutor | None = None


@dataclass(frozen=True)
class StepResult:
    """What one mini-batch did: its mean loss and the share it read right, both before the
    step (the forward pass the gradients came from); `finite` is False when the loss or a
    weight became infinite or NaN."""

    loss: float
    accuracy: float
    finite: bool

    @property
    def diverged(self) -> bool:
        """True when learning ran away (a learning rate too large): a weight is no longer a
        number, or the loss is over `DIVERGED_LOSS`."""
        return not self.finite or self.loss > DIVERGED_LOSS


@dataclass(frozen=True)
class Gradients:
    """The loss's gradients for each layer's kernel and bias, shaped like them."""

    kernels: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]


@dataclass
class MlpLearner:
    """An MLP and its optimizer's state, learning one mini-batch at a time.

    Attributes:
        kernels, biases: the weights (float32 unless made otherwise), updated in place.
        dropout: the share of each hidden layer's units dropped while learning, in [0, 1).
        optimizer: "sgd" or "adam".
        steps: mini-batches learnt so far.
    """

    kernels: list[np.ndarray]
    biases: list[np.ndarray]
    dropout: float = 0.0
    optimizer: Optimizer = "adam"
    steps: int = 0
    _moments: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list, repr=False)

    @classmethod
    def fresh(cls, sizes: Sequence[int], rng: np.random.Generator, *, dropout: float = 0.0,
              optimizer: Optimizer = "adam", zeros: bool = False) -> MlpLearner:
        """Random weights as Keras starts them (Glorot uniform kernels, zero biases), or all
        zeros (`zeros`: every unit then learns the same thing).

        Args:
            sizes: units per layer, inputs first: (784, hidden..., 10).
        Raises:
            ValueError: fewer than two sizes, a size under 1, or dropout outside [0, 1).
        """
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"Expected at least an input and an output size, each >= 1. "
                             f"Received: sizes={tuple(sizes)}")
        if not 0 <= dropout < 1:
            raise ValueError(f"Expected a dropout rate in [0, 1). Received: {dropout}")
        kernels = []
        for inputs, units in zip(sizes[:-1], sizes[1:], strict=True):
            limit = np.sqrt(6.0 / (inputs + units))
            kernels.append(np.zeros((inputs, units), np.float32) if zeros else
                           rng.uniform(-limit, limit, (inputs, units)).astype(np.float32))
        biases = [np.zeros(units, np.float32) for units in sizes[1:]]
        return cls(kernels, biases, dropout=dropout, optimizer=optimizer)

    @classmethod
    def from_weights(cls, weights: MlpWeights, *, dropout: float = 0.0,
                     optimizer: Optimizer = "adam") -> MlpLearner:
        """A learner starting from `weights` (copied), its optimizer fresh."""
        return cls([k.copy() for k in weights.kernels], [b.copy() for b in weights.biases],
                   dropout=dropout, optimizer=optimizer)

    @property
    def weights(self) -> MlpWeights:
        """The weights now, as the app reads with them (float32 copies)."""
        return MlpWeights(tuple(k.astype(np.float32) for k in self.kernels),
                          tuple(b.astype(np.float32) for b in self.biases))

    def gradients(self, images: np.ndarray, labels: np.ndarray,
                  rng: np.random.Generator | None = None
                  ) -> tuple[float, np.ndarray, Gradients]:
        """The mean cross-entropy of a batch, its (B, 10) probabilities, and the gradients.

        Args:
            rng: draws the dropout masks; None reads without dropout (as the app does).
        """
        x = images.reshape(len(images), -1).astype(self.kernels[0].dtype, copy=False)
        labels = np.asarray(labels)
        activations, masks = [x], []
        last = len(self.kernels) - 1
        for layer, (kernel, bias) in enumerate(zip(self.kernels, self.biases, strict=True)):
            z = activations[-1] @ kernel
            z += bias
            if layer == last:
                break
            np.maximum(z, 0, out=z)
            if rng is not None and self.dropout > 0:
                # One mask holding both the drop and the scale: the backward pass reuses it.
                keep = rng.random(z.shape, dtype=np.float32) >= self.dropout
                mask = keep.astype(z.dtype) * z.dtype.type(1 / (1 - self.dropout))
                z *= mask
                masks.append(mask)
            else:
                masks.append(None)
            activations.append(z)
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        probabilities = z
        count = len(x)
        rows = np.arange(count)
        loss = float(-np.mean(np.log(np.maximum(probabilities[rows, labels], 1e-30))))
        delta = probabilities.copy()
        delta[rows, labels] -= 1
        delta /= count
        kernel_grads, bias_grads = [None] * len(self.kernels), [None] * len(self.kernels)
        for layer in range(last, -1, -1):
            kernel_grads[layer] = activations[layer].T @ delta
            bias_grads[layer] = delta.sum(axis=0)
            if layer == 0:
                break
            delta = delta @ self.kernels[layer].T
            # ReLU's gradient: zero where the unit was off (its activation is 0), and the
            # dropout mask's drop and scale where it was on.
            delta *= activations[layer] > 0
            if masks[layer - 1] is not None:
                delta *= masks[layer - 1]
        return loss, probabilities, Gradients(tuple(kernel_grads), tuple(bias_grads))

    def step(self, images: np.ndarray, labels: np.ndarray, learning_rate: float,
             rng: np.random.Generator | None = None) -> StepResult:
        """Learn one mini-batch: one optimizer step along the gradients of its mean loss.

        Args:
            rng: draws the dropout masks (needed when `dropout` > 0).
        """
        if self.dropout > 0 and rng is None:
            raise ValueError("Expected a random generator for the dropout masks. Received: "
                             "rng=None")
        loss, probabilities, grads = self.gradients(images, labels, rng)
        accuracy = float(np.mean(probabilities.argmax(axis=1) == np.asarray(labels)))
        self.steps += 1
        params = [*self.kernels, *self.biases]
        updates = [*grads.kernels, *grads.biases]
        if self.optimizer == "sgd":
            for param, grad in zip(params, updates, strict=True):
                grad *= param.dtype.type(learning_rate)
                param -= grad
        else:
            if not self._moments:
                self._moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
            alpha = learning_rate * np.sqrt(1 - _BETA_2 ** self.steps) \
                / (1 - _BETA_1 ** self.steps)
            slices = [(part, grad_part, m_part, v_part)
                      for param, grad, (m, v) in zip(params, updates, self._moments, strict=True)
                      for part, grad_part, m_part, v_part in _slices(param, grad, m, v)]
            if len(slices) > len(params):
                list(_threads().map(lambda s: _adam(*s, alpha), slices))
            else:
                for each in slices:
                    _adam(*each, alpha)
        finite = np.isfinite(loss) and all(np.isfinite(k).all() for k in self.kernels)
        return StepResult(loss, accuracy, bool(finite))


def _adam(param: np.ndarray, grad: np.ndarray, m: np.ndarray, v: np.ndarray,
          alpha: float) -> None:
    """Keras' Adam update of one array, in place; `grad` is spent."""
    m += (grad - m) * (1 - _BETA_1)
    grad *= grad
    v += (grad - v) * (1 - _BETA_2)
    # grad is spent: reuse it for the step, (m * alpha) / (sqrt(v) + epsilon)
    np.sqrt(v, out=grad)
    grad += _EPSILON
    np.divide(m, grad, out=grad)
    grad *= param.dtype.type(alpha)
    param -= grad


def _slices(*arrays: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """The arrays (alike in shape) whole, or cut by rows into one slice a core when big."""
    cores = os.cpu_count() or 1
    if arrays[0].size < _SPLIT_SIZE or cores < 2 or arrays[0].ndim < 1 \
            or len(arrays[0]) < cores:
        return [arrays]
    bounds = np.linspace(0, len(arrays[0]), cores + 1).astype(int)
    return [tuple(array[low:high] for array in arrays)
            for low, high in zip(bounds[:-1], bounds[1:], strict=True)]


def _threads() -> ThreadPoolExecutor:
    global _pool  # noqa: PLW0603 - one pool for the process, made when first needed
    if _pool is None:
        _pool = ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="adam")
    return _pool
