"""The MLP: a Keras factory, a check that a loaded model is one, and a numpy forward pass.

Keras' `model.predict` costs tens of milliseconds per call in overhead alone; the app predicts
after every stroke, so prediction and evaluation run the same network as plain numpy matrix
products (`MlpWeights.predict`), which is exact up to float rounding and takes microseconds.

Keras is imported only inside the functions that build or read a Keras model: the Streamlit
server never imports it (Streamlit clears the Keras session after every rerun when it is
loaded, which stalled each page update by up to half a second).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    import keras

from mnist_core.config import TrainConfig
from mnist_core.errors import ModelLoadError

__all__ = ["MlpWeights", "build_model", "count_macs"]

IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10


def build_model(config: TrainConfig) -> keras.Model:
    """A fresh, uncompiled MLP for `config`: Flatten, (Dense+ReLU, Dropout) per hidden layer,
    Dense+softmax over 10 digits.

    Input: (batch, 28, 28) float32 in [0, 1], white digit on black. Output: (batch, 10)
    probabilities summing to 1.
    """
    import keras

    inputs = keras.Input(shape=IMAGE_SHAPE, name="image")
    x = keras.layers.Flatten(name="flatten")(inputs)
    for number, units in enumerate(config.hidden_units, start=1):
        x = keras.layers.Dense(units, activation="relu", name=f"hidden_{number}")(x)
        if config.dropout_rate > 0:
            x = keras.layers.Dropout(config.dropout_rate, name=f"dropout_{number}")(x)
    outputs = keras.layers.Dense(NUM_CLASSES, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="mnist_mlp")


def count_macs(hidden_units: tuple[int, ...]) -> int:
    """Multiply-accumulates of one forward pass for one image (784 -> hidden... -> 10)."""
    sizes = (IMAGE_SHAPE[0] * IMAGE_SHAPE[1], *hidden_units, NUM_CLASSES)
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


class _Layer(NamedTuple):
    """One layer as read from a model: its class name, and for Dense its weights."""

    kind: str
    name: str
    activation: str | None = None
    use_bias: bool = True
    kernel: np.ndarray | None = None
    bias: np.ndarray | None = None


class MlpWeights(NamedTuple):
    """The Dense layers of an MLP as numpy arrays, ReLU between them and softmax at the end.

    kernels[i]: (inputs, units) float32; biases[i]: (units,) float32. kernels[0] has 784 rows,
    kernels[-1] has 10 columns.
    """

    kernels: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]

    @classmethod
    def from_model(cls, model: keras.Model) -> MlpWeights:
        """Take the weights of a Keras model, checking that it is an MLP from 28x28 to 10.

        Raises:
            ModelLoadError: the model has other layers, activations or shapes.
        """
        import keras

        layers = []
        for layer in model.layers:
            if isinstance(layer, keras.layers.Dense):
                activation = keras.activations.serialize(layer.activation)
                weights = layer.get_weights()
                layers.append(_Layer("Dense", layer.name, str(activation), layer.use_bias,
                                     *(weights if len(weights) == 2 else (weights[0], None))))
            else:
                layers.append(_Layer(type(layer).__name__, layer.name))
        input_shape = tuple(model.inputs[0].shape[1:]) if model.inputs else None
        return cls.from_layers(layers, input_shape)

    @classmethod
    def from_layers(cls, layers: Sequence[_Layer], input_shape: tuple | None) -> MlpWeights:
        """Check a layer list (from a Keras model or a .keras file) and keep its weights.

        Raises:
            ModelLoadError: other layers, activations or shapes than a 28x28 -> 10 MLP.
        """
        dense = []
        for layer in layers:
            if layer.kind == "Dense":
                dense.append(layer)
            elif layer.kind not in ("InputLayer", "Flatten", "Dropout"):
                raise ModelLoadError(
                    "Expected an MLP of Flatten, Dense and Dropout layers. "
                    f"Received a layer {layer.name!r} of type {layer.kind}."
                )
        if not dense:
            raise ModelLoadError("Expected an MLP with Dense layers. Received none.")
        if input_shape not in (IMAGE_SHAPE, (IMAGE_SHAPE[0] * IMAGE_SHAPE[1],)):
            raise ModelLoadError(
                f"Expected a model taking 28x28 images. Received input shape {input_shape}."
            )
        for index, layer in enumerate(dense):
            expected = "softmax" if index == len(dense) - 1 else "relu"
            if layer.activation != expected:
                raise ModelLoadError(
                    f"Expected {expected} on Dense layer {layer.name!r}. "
                    f"Received: {layer.activation}."
                )
            if not layer.use_bias or layer.bias is None:
                raise ModelLoadError(f"Expected Dense layer {layer.name!r} to have a bias.")
        kernels = [np.asarray(layer.kernel, dtype=np.float32) for layer in dense]
        biases = [np.asarray(layer.bias, dtype=np.float32) for layer in dense]
        if kernels[0].shape[0] != 784 or kernels[-1].shape[1] != NUM_CLASSES:
            raise ModelLoadError(
                "Expected Dense layers from 784 inputs to 10 outputs. Received "
                f"{kernels[0].shape[0]} inputs and {kernels[-1].shape[1]} outputs."
            )
        for kernel, bias in zip(kernels, biases, strict=True):
            if kernel.ndim != 2 or bias.shape != (kernel.shape[1],):
                raise ModelLoadError(
                    f"Dense weights do not fit: kernel {kernel.shape}, bias {bias.shape}."
                )
        for previous, kernel in zip(kernels[:-1], kernels[1:], strict=True):
            if previous.shape[1] != kernel.shape[0]:
                raise ModelLoadError(
                    f"Dense layers do not chain: {previous.shape} then {kernel.shape}."
                )
        return cls(tuple(kernels), tuple(biases))

    @property
    def hidden_units(self) -> tuple[int, ...]:
        """Sizes of the hidden layers, e.g. (512, 256)."""
        return tuple(kernel.shape[1] for kernel in self.kernels[:-1])

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Probabilities for a batch.

        Args:
            images: (N, 28, 28) or (N, 784), float32 in [0, 1], white digit on black.
        Returns:
            (N, 10) float32, each row summing to 1.
        """
        x = np.asarray(images, dtype=np.float32).reshape(len(images), 784)
        # A drawing or a few: numpy's own loops, not a multi-threaded BLAS, whose threads wait
        # on each other on a busy machine (a 1x784 @ 784x1024 product took 11 ms median at
        # load 4, 0.15 ms this way); batches, and everything in the web server (one BLAS
        # thread: use_one_blas_thread), go through BLAS, which is faster then.
        if len(x) <= _SMALL_BATCH and not _one_blas_thread:
            product = _small_product
        elif 1 < len(x) <= _SMALL_BATCH:
            # One BLAS thread: a matrix-vector product per row (the digits of a number). BLAS
            # multiplies a few rows as a matrix slower than one by one: 3 rows through the
            # whole model 0.78 ms as one product, 0.38 ms row by row (load 3).
            product = _rows_product
        else:
            product = np.matmul
        for kernel, bias in zip(self.kernels[:-1], self.biases[:-1], strict=True):
            x = product(x, kernel)
            x += bias
            np.maximum(x, 0, out=x)
        logits = product(x, self.kernels[-1]) + self.biases[-1]
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        return logits


_SMALL_BATCH = 4  # rows; above this BLAS wins even on a busy machine


def use_one_blas_thread() -> None:
    """Let numpy's BLAS use one thread in this process, for a server answering many people.

    A server's sessions are its parallelism: OpenBLAS's own threads only wait for cores the
    other sessions hold. On the 2-core machine at load 9-10 a 500-drawing batch (the Class
    page's summary) took 132 ms with OpenBLAS's 2 threads and 38 ms with one. Training runs in
    its own process and keeps its threads.
    """
    global _one_blas_thread
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")
    # With one thread BLAS has nobody to wait for: it beats einsum on one drawing too
    # (0.041 against 0.078 ms for the first layer's product, measured at load 2).
    _one_blas_thread = True


_one_blas_thread = False  # set by use_one_blas_thread

def _rows_product(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """x @ kernel one row at a time (BLAS's matrix-vector product): (N, I) @ (I, U) -> (N, U)."""
    return np.stack([row @ kernel for row in x])


def _small_product(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """x @ kernel for a few rows, without BLAS: (N, I) @ (I, U) -> (N, U) float32."""
    return np.einsum("ni,iu->nu", x, kernel)
