"""The training engine: fit an MLP to MNIST, report progress through a callback, stop on request.

It knows nothing of pages or terminals. The caller passes `on_progress(progress)`, called after
every batch and every epoch, and `should_stop()`, asked after every batch:

    result = train_model(config, on_progress=updates.append, should_stop=stop_event.is_set)

Two engines fit the same network with the same recipe (Glorot start, Adam on a cosine-decayed
rate, inverted dropout, the seed's shuffle): plain numpy (mnist_core.learning), the default,
whose epoch costs less over the matrix products' own time (bench/train_speed.py: 1.57x the
numpy matrix-multiply limit against Keras' 1.91x on the two-core machine), and Keras, for the
runs that distort their images as they learn (`augment`: the distortions are TensorFlow ops).
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import keras
import numpy as np
import tensorflow as tf

from mnist_core.config import TrainConfig
from mnist_core.data.augment import augment_batch
from mnist_core.data.mnist import load_mnist
from mnist_core.errors import ConfigError
from mnist_core.model import MlpWeights, build_model
from mnist_core.runs.evaluate import evaluate_weights
from mnist_core.training.estimate import batch_pace
from mnist_core.training.progress import Progress
from mnist_core.training.training_set import add_redrawn, training_set

__all__ = ["Progress", "TrainingResult", "train_model"]

Status = Literal["completed", "stopped", "failed"]
Engine = Literal["numpy", "keras"]


@dataclass
class TrainingResult:
    """A finished run, however it ended.

    Attributes:
        config: the settings it ran with.
        model: the trained Keras model (None only when it failed before training began).
        history: one dict per epoch run: epoch, loss, accuracy, val_loss, val_accuracy,
            seconds (time since start at the epoch's end), complete (False for an epoch cut
            short by a stop).
        status: "completed", "stopped" (on request) or "failed" (an error; see `error`).
        seconds: wall time of the whole run.
        error: for a failed run, the error and its traceback; else None.
        train_samples, validation_samples: images used to fit and to watch.
        fit_started_seconds: when Keras' fit began, on the same clock as the history's
            `seconds` (after loading, building and re-drawing); None if it never began.
        preparing_seconds: spent getting the re-drawn training digits (reading the cache, or
            rendering them) and drawing the real writers' pen digits; 0 without either.
        redrawn_digits, redrawn_seconds: training digits rendered in this run after the first
            chunk (0 when read from the cache), and the seconds they took: the rendering pace.
        engine: "numpy" or "keras", whichever fitted it (`engine_for`).
        pen_digits, pen_seconds: real writers' pen digits trained on (`config.pen_fraction`),
            and the seconds getting them took. pen_drawn: drawings of them made for their
            cache in this run (mnist_core.training.pen_cache), 0 when it was read.
    """

    config: TrainConfig
    model: keras.Model | None
    history: list[dict[str, Any]]
    status: Status
    seconds: float
    error: str | None = None
    train_samples: int = 0
    validation_samples: int = 0
    fit_started_seconds: float | None = None
    preparing_seconds: float = 0.0
    redrawn_digits: int = 0
    redrawn_seconds: float = 0.0
    pen_digits: int = 0
    pen_seconds: float = 0.0
    pen_drawn: int = 0
    engine: Engine = "keras"


def engine_for(config: TrainConfig) -> Engine:
    """The engine that fits `config`: Keras when it distorts its images (`augment`), else numpy."""
    return "keras" if config.augment else "numpy"


def _to_float(images, labels):
    return tf.cast(images, tf.float32) / 255.0, labels


def _fit_dataset(config: TrainConfig, x: np.ndarray, y: np.ndarray,
                 x_drawn: np.ndarray | None) -> tf.data.Dataset:
    """Shuffled float batches; each image swapped for its drawn version with probability
    `drawn_fraction`, then distorted if `augment`."""
    columns = (x, y.astype(np.int32)) if x_drawn is None else (x, y.astype(np.int32), x_drawn)
    dataset = tf.data.Dataset.from_tensor_slices(columns)
    dataset = dataset.shuffle(len(x), seed=config.seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(config.batch_size)
    seeds = tf.data.Dataset.random(seed=config.seed, rerandomize_each_iteration=True).batch(2)

    def prepare(batch, seed):
        images = tf.cast(batch[0], tf.float32) / 255.0
        if x_drawn is not None:
            # batch[2]: (B, copies, 28, 28); take one re-drawing per image at random.
            count = tf.shape(images)[0]
            copy = tf.random.stateless_uniform((count,), seed + 2, 0, tf.shape(batch[2])[1],
                                               dtype=tf.int32)
            drawn = tf.cast(tf.gather(batch[2], copy, batch_dims=1), tf.float32) / 255.0
            pick = tf.random.stateless_uniform((count,), seed) < config.drawn_fraction
            images = tf.where(pick[:, None, None], drawn, images)
        if config.augment:
            images = augment_batch(images, seed + 1)
        return images, batch[1]

    dataset = tf.data.Dataset.zip((dataset, seeds))
    return dataset.map(prepare, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


class _Reporter(keras.callbacks.Callback):
    """Bridges Keras' callback hooks to `on_progress` and `should_stop`."""

    def __init__(self, epochs: int, batches: int, on_progress, should_stop, started: float):
        super().__init__()
        self.epochs, self.batches = epochs, batches
        self.on_progress, self.should_stop = on_progress, should_stop
        self.started = started
        self.epoch = 1
        self.batch = 0
        self.history: list[dict[str, Any]] = []
        self.stopped = False
        self.fit_started: float | None = None
        self.first_batch_end: float | None = None
        self.epoch_ends: list[float] = []  # complete epochs only

    def on_train_begin(self, logs=None):
        self.fit_started = time.perf_counter() - self.started

    def _pace(self, now: float) -> float | None:
        return batch_pace(now, self.first_batch_end, self.epoch_ends, self.epoch, self.batch,
                          self.batches)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.batch = epoch + 1, 0

    def on_train_batch_end(self, batch, logs=None):
        self.batch = batch + 1
        now = time.perf_counter() - self.started
        if self.first_batch_end is None:
            self.first_batch_end = now
        if self.on_progress is not None:
            metrics = {key: float(value) for key, value in (logs or {}).items()}
            self.on_progress(Progress(self.epoch, self.epochs, self.batch, self.batches,
                                      now, metrics, pace=self._pace(now)))
        if self.should_stop is not None and self.should_stop():
            self.stopped = True
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        metrics = {key: float(value) for key, value in (logs or {}).items()
                   if key in ("loss", "accuracy", "val_loss", "val_accuracy")}
        elapsed = time.perf_counter() - self.started
        complete = self.batch >= self.batches
        self.history.append({"epoch": self.epoch, **metrics, "seconds": round(elapsed, 3),
                             "complete": complete})
        if complete:
            self.epoch_ends.append(elapsed)
        if self.on_progress is not None:
            self.on_progress(Progress(self.epoch, self.epochs, self.batch, self.batches,
                                      elapsed, metrics, epoch_end=True,
                                      pace=self._pace(elapsed)))


def train_model(
    config: TrainConfig,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    data: tuple[np.ndarray, np.ndarray] | None = None,
    drawings: tuple[np.ndarray, np.ndarray] | None = None,
    start_weights: MlpWeights | None = None,
    engine: Engine | None = None,
) -> TrainingResult:
    """Train an MLP on the MNIST training images, watching a validation split: a fresh one,
    or, fine-tuning, one that starts from `start_weights`.

    Args:
        config: the settings.
        on_progress: called after every batch and every epoch with a `Progress`.
        should_stop: asked after every batch; when it returns True the run stops within that
            batch and is returned with status "stopped" and the history so far.
        data: `(x, y)` training images (N, 28, 28) uint8 and labels (N,) to use instead of
            MNIST's 60,000 (for tests); the validation split is taken from them.
        drawings: saved drawings to train on as well, (M, 28, 28) uint8 model inputs and (M,)
            labels; each is shown `config.drawings_weight` times per epoch. Never in the
            validation split: it watches MNIST, like the runs it is compared with.
        start_weights: the weights to start from instead of random ones (fine-tuning, with
            `config.tuned_from` naming their run), loaded into a fresh model of
            `config.hidden_units`; the optimizer starts afresh.
        engine: "numpy" or "keras"; None: `engine_for(config)`. Keras must fit a run that
            distorts its images.
    Returns:
        A `TrainingResult`. An error inside training gives status "failed" with the error;
        nothing is raised for it, so a caller can record the failed run.
    Raises:
        DataNotFoundError, DataCorruptError: MNIST cannot be loaded (before training starts).
        ConfigError: `start_weights` has other hidden layers than `config.hidden_units`.
    """
    if start_weights is not None and start_weights.hidden_units != config.hidden_units:
        raise ConfigError({"tuned_from": _layers_differ(config, start_weights)})
    started = time.perf_counter()
    x, y = data if data is not None else load_mnist()[0]
    # Before training, like loading MNIST: missing pen digits fail the run at once.
    chosen = training_set(config, (x, y), drawings, on_progress, should_stop, started)
    batches = math.ceil(len(chosen.y_fit) / config.batch_size)
    result = TrainingResult(config, None, [], "failed", 0.0,
                            train_samples=len(chosen.y_fit),
                            validation_samples=len(chosen.y_val),
                            preparing_seconds=chosen.pen_seconds, pen_digits=chosen.pen_count,
                            pen_seconds=chosen.pen_seconds, pen_drawn=chosen.pen_drawn)
    reporter = _Reporter(config.epochs, batches, on_progress, should_stop, started)
    result.engine = engine or engine_for(config)
    if result.engine == "numpy" and config.augment:
        raise ConfigError({"augment": "Distorting images as they learn needs the Keras engine."})
    try:
        keras.utils.set_random_seed(config.seed)
        model = build_model(config)
        if start_weights is not None:
            model.set_weights(_layers(start_weights))
        schedule = keras.optimizers.schedules.CosineDecay(
            config.learning_rate, decay_steps=batches * config.epochs)
        model.compile(optimizer=keras.optimizers.Adam(schedule),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        result.model = model
        add_redrawn(chosen, config, x, on_progress, should_stop, started)
        result.preparing_seconds = chosen.preparing_seconds
        result.redrawn_digits = chosen.redrawn_digits
        result.redrawn_seconds = chosen.redrawn_seconds
        if should_stop is not None and should_stop():
            result.status = "stopped"
        elif result.engine == "numpy":
            model.set_weights(_layers(_fit_numpy(config, chosen, start_weights, batches,
                                                 reporter)))
            result.status = "stopped" if reporter.stopped else "completed"
        else:
            validation = tf.data.Dataset.from_tensor_slices(
                (chosen.x_val, chosen.y_val.astype(np.int32))).batch(1024).map(_to_float)
            model.fit(_fit_dataset(config, chosen.x_fit, chosen.y_fit, chosen.x_drawn),
                      validation_data=validation,
                      epochs=config.epochs, callbacks=[reporter], verbose=0,
                      shuffle=False)  # the dataset shuffles itself, by the seed
            result.status = "stopped" if reporter.stopped else "completed"
    except Exception as error:  # noqa: BLE001 - a failed run is a result, recorded with its error
        result.status = "failed"
        result.error = f"{type(error).__name__}: {error}\n\n{traceback.format_exc()}"
    result.history = reporter.history
    result.fit_started_seconds = reporter.fit_started
    result.seconds = time.perf_counter() - started
    return result


def _layers(weights: MlpWeights) -> list[np.ndarray]:
    """The weights in Keras' order: each layer's kernel, then its bias."""
    return [array for layer in zip(weights.kernels, weights.biases, strict=True)
            for array in layer]


class _Halt:
    """What `_Reporter` tells to stop, in place of a Keras model, for the numpy engine."""

    stop_training = False


def _fit_numpy(config: TrainConfig, chosen, start_weights: MlpWeights | None, batches: int,
               reporter: _Reporter) -> MlpWeights:
    """Fit with plain numpy (mnist_core.learning), reporting through `reporter` exactly as
    Keras' fit does: the running loss and accuracy after every batch, validation after every
    epoch, and a stop within the batch. Returns the weights learnt."""
    from mnist_core.learning import MlpLearner

    rng = np.random.default_rng([config.seed, 7])
    if start_weights is not None:
        learner = MlpLearner.from_weights(start_weights, dropout=config.dropout_rate)
    else:
        learner = MlpLearner.fresh((784, *config.hidden_units, 10), rng,
                                   dropout=config.dropout_rate)
    halt = _Halt()
    reporter.set_model(halt)
    reporter.on_train_begin()
    scale = np.float32(1 / 255)
    count, size = len(chosen.y_fit), config.batch_size
    decay_steps = batches * config.epochs
    for epoch in range(config.epochs):
        reporter.on_epoch_begin(epoch)
        order = rng.permutation(count)
        seen, loss, right = 0, 0.0, 0.0
        for batch in range(batches):
            index = order[batch * size:(batch + 1) * size]
            images = chosen.x_fit[index]
            if chosen.x_drawn is not None:  # each image swapped for a re-drawing of it, maybe
                swap = rng.random(len(index)) < config.drawn_fraction
                copy = rng.integers(chosen.x_drawn.shape[1], size=len(index))
                images = np.where(swap[:, None, None], chosen.x_drawn[index, copy], images)
            # Keras' CosineDecay: the rate at this step, falling to 0 at the last.
            rate = config.learning_rate * 0.5 * (1 + math.cos(math.pi * learner.steps
                                                               / decay_steps))
            step = learner.step(images.reshape(len(index), -1) * scale, chosen.y_fit[index],
                                rate, rng)
            seen += len(index)
            loss += step.loss * len(index)
            right += step.accuracy * len(index)
            reporter.on_train_batch_end(batch, {"loss": loss / seen, "accuracy": right / seen})
            if halt.stop_training:
                break
        watched = evaluate_weights(learner.weights, chosen.x_val, chosen.y_val)
        reporter.on_epoch_end(epoch, {"loss": loss / max(seen, 1),
                                      "accuracy": right / max(seen, 1),
                                      "val_loss": watched.loss, "val_accuracy": watched.accuracy})
        if halt.stop_training:
            break
    return learner.weights


def _layers_differ(config: TrainConfig, weights: MlpWeights) -> str:
    def shown(units: tuple[int, ...]) -> str:
        return ", ".join(f"{unit:,}" for unit in units)

    return (f"The model {config.tuned_from or 'to start from'} has hidden layers "
            f"{shown(weights.hidden_units)}, but the settings say {shown(config.hidden_units)}: "
            "fine-tuning keeps the model's own layers.")
