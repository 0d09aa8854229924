"""The training set: from a TrainConfig and the data, the arrays a run fits, with every cache
they come from. Nothing else in the project puts a training set together.

    drawings = saved_drawings(config, DrawingStore())      # None unless include_drawings
    chosen = training_set(config, (x, y), drawings, on_progress, should_stop, started)
    chosen.x_fit, chosen.y_fit, chosen.x_val, chosen.y_val   # uint8 images, labels
    add_redrawn(chosen, config, x, on_progress, should_stop, started)   # chosen.x_drawn

A run fits, by its TrainConfig:
- MNIST's training images, shuffled by the seed, cut to `max_train_samples`, less a validation
  share (`split_training_data`; the validation split is MNIST only, like every run's);
- the class's saved drawings that are not held out, each `drawings_weight` times;
- `pen_fraction` as many real writers' pen digits, drawn on the canvas anew for each run; a
  fine-tune replays the same ones, drawn once and kept in the cache folder (`pen_cache_path`);
- and, for `drawn_fraction`, each image's re-drawings as mouse strokes (the cache of
  mnist_core.training.drawn_cache), one of which may stand in for it in a batch.

No TensorFlow here: the engine (mnist_core.training.engine) turns these arrays into batches,
and the job's estimate (mnist_core.training.jobs) asks what is cached without loading Keras.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_core.classroom.drawings import DrawingStore
from mnist_core.config import TrainConfig
from mnist_core.errors import DrawingStoreError
from mnist_core.training.drawn_cache import add_code, cache_dir, redrawn_images, save_cache
from mnist_core.training.progress import Progress

__all__ = ["TrainingSet", "add_redrawn", "pen_cache_path", "replayed_pen_digits",
           "saved_drawings", "split_training_data", "training_set"]

OnProgress = Callable[[Progress], None] | None
ShouldStop = Callable[[], bool] | None


@dataclass
class TrainingSet:
    """What a run fits and watches.

    Attributes:
        x_fit, y_fit: (N, 28, 28) uint8 images and (N,) labels: MNIST's share, then the saved
            drawings (repeated), then the pen digits.
        x_val, y_val: the validation split, MNIST images only.
        mnist_fit: which of the training images (`data`'s, by index) x_fit begins with, in
            its order; `mnist_count` of them.
        x_drawn: (N, copies, 28, 28) uint8 re-drawings of each of x_fit (a saved drawing's or a
            pen digit's are itself), or None: set by `add_redrawn`.
        pen_count, pen_seconds: real writers' digits fitted, and the seconds drawing (or
            reading them from the cache) took.
        redrawn_digits, redrawn_seconds: MNIST digits re-drawn for this run (none when cached)
            and the time they took. preparing_seconds: all of the preparing, for the estimate.
    """

    x_fit: np.ndarray
    y_fit: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    mnist_fit: np.ndarray
    x_drawn: np.ndarray | None = None
    pen_count: int = 0
    pen_seconds: float = 0.0
    redrawn_digits: int = 0
    redrawn_seconds: float = 0.0
    preparing_seconds: float = 0.0

    @property
    def mnist_count(self) -> int:
        """How many of x_fit are MNIST's (they come first)."""
        return len(self.mnist_fit)


def saved_drawings(config: TrainConfig, drawings: DrawingStore
                   ) -> tuple[np.ndarray, np.ndarray] | None:
    """The saved drawings a run with `config` trains on: (M, 28, 28) uint8 model inputs and
    (M,) labels, the held-out ones left out; None when `include_drawings` is off.

    Raises:
        DrawingStoreError: `include_drawings` is on and there are none to train on (or the
            drawings cannot be read).
    """
    if not config.include_drawings:
        return None
    images, labels = drawings.dataset(held_out=False)
    if not len(labels):
        raise DrawingStoreError(
            "There are no saved drawings to train on yet (held-out ones are only scored). "
            "Save some from the home page with 'Right, it's a …' or 'Wrong? It was a …', "
            "or turn off training on saved drawings.")
    return images, labels


def split_training_data(config: TrainConfig, x: np.ndarray, y: np.ndarray):
    """Shuffle by the seed, keep `max_train_samples`, and split off the validation share.

    Args:
        x: (N, 28, 28) uint8 images; y: (N,) labels.
    Returns:
        `(x_fit, y_fit), (x_val, y_val)`: uint8 images and labels; at least one of each.
    """
    fit, val = _split_indices(config, len(x))
    return (x[fit], y[fit]), (x[val], y[val])


def _split_indices(config: TrainConfig, count: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(config.seed).permutation(count)
    if config.max_train_samples is not None:
        order = order[: config.max_train_samples]
    validation_count = max(1, round(len(order) * config.validation_split))
    return order[validation_count:], order[:validation_count]


def training_set(config: TrainConfig, data: tuple[np.ndarray, np.ndarray],
                 drawings: tuple[np.ndarray, np.ndarray] | None = None,
                 on_progress: OnProgress = None, should_stop: ShouldStop = None,
                 started: float | None = None) -> TrainingSet:
    """MNIST's share, the saved drawings and the pen digits of a run (not yet re-drawn).

    Args:
        data: `(x, y)` the training images (MNIST's 60,000, or a test's own) and labels.
        drawings: `saved_drawings(...)`, or None.
        on_progress: told of the pen digits' drawing as the "preparing" stage, step "real
            writers"; `started` (time.perf_counter()) is the run's start, for its elapsed time.
        should_stop: when it says stop, the pen digits are not drawn.
    Raises:
        DataNotFoundError: the pen digits are asked for and missing: before any training.
    """
    started = time.perf_counter() if started is None else started
    x, y = data
    fit, val = _split_indices(config, len(x))
    chosen = TrainingSet(x[fit], y[fit], x[val], y[val], mnist_fit=fit)
    if drawings is not None and len(drawings[0]):
        chosen.x_fit = np.concatenate([chosen.x_fit,
                                       np.repeat(drawings[0], config.drawings_weight, axis=0)])
        chosen.y_fit = np.concatenate([chosen.y_fit,
                                       np.repeat(drawings[1], config.drawings_weight)])
    chosen.pen_count = config.pen_images(chosen.mnist_count)
    if chosen.pen_count and not (should_stop and should_stop()):
        x_pen, y_pen, chosen.pen_seconds = _pen_digits(config, chosen.pen_count, on_progress,
                                                       started)
        chosen.x_fit = np.concatenate([chosen.x_fit, x_pen])
        chosen.y_fit = np.concatenate([chosen.y_fit, y_pen])
    chosen.preparing_seconds = chosen.pen_seconds
    return chosen


def add_redrawn(chosen: TrainingSet, config: TrainConfig, x: np.ndarray,
                on_progress: OnProgress = None, should_stop: ShouldStop = None,
                started: float | None = None) -> None:
    """Set `chosen.x_drawn` for `drawn_fraction`: each fitted image's re-drawings, from the
    cache of re-drawn MNIST digits (made first if missing: the "preparing" stage, with its
    pace). Nothing when `drawn_fraction` is 0 or `should_stop` says stop (then x_drawn is
    None).

    Args:
        x: the training images `chosen` was made from (all of them: one cache for every seed,
            unless the run uses only a small part of them).
    """
    if config.drawn_fraction <= 0 or (should_stop and should_stop()):
        return
    report = _Preparing(on_progress, time.perf_counter() if started is None else started)
    fit = chosen.mnist_fit
    small = config.max_train_samples is not None and config.max_train_samples < len(x) // 3
    drawn = redrawn_images(x[fit] if small else x, report, should_stop)
    chosen.preparing_seconds += time.perf_counter() - report.began
    chosen.redrawn_digits, chosen.redrawn_seconds = report.digits, report.seconds
    if drawn is None:
        return
    x_drawn = drawn if small else drawn[fit]
    # A saved drawing or a pen digit is a drawing already: its "re-drawings" are itself.
    extra = chosen.x_fit[chosen.mnist_count:, None]
    chosen.x_drawn = np.concatenate([x_drawn, np.repeat(extra, x_drawn.shape[1], axis=1)])


class _Preparing:
    """Reports re-drawing progress with its pace (seconds per digit), and counts the digits."""

    def __init__(self, on_progress: OnProgress, started: float):
        self.on_progress, self.started = on_progress, started
        self.began = time.perf_counter()
        self.first: tuple[float, int] | None = None  # time and count of the first report
        self.digits, self.seconds = 0, 0.0  # rendered since the first report, and how long

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        self.first = self.first or (now, done)
        # From the first report on: the worker processes' start-up is behind it.
        self.digits, self.seconds = done - self.first[1], now - self.first[0]
        pace = self.seconds / self.digits if self.digits > 0 else None
        if self.on_progress is not None:
            self.on_progress(Progress(0, 0, done, total, now - self.started, {},
                                      stage="preparing", pace=pace))


def replayed_pen_digits(config: TrainConfig, available: int = 60_000) -> int:
    """How many real writers' pen digits `config` fits: `pen_fraction` of the MNIST images
    it fits (`max_train_samples` of `available`, less the validation share)."""
    samples = min(config.max_train_samples or available, available)
    return config.pen_images(samples - max(1, round(samples * config.validation_split)))


def pen_cache_path(config: TrainConfig, count: int) -> Path:
    """Where a fine-tune's `count` real writers' digits are kept once drawn (every fine-tune
    replays the same ones): in `drawn_cache.cache_dir()`, named by the count, the seed and
    the code that draws them, so a change to that code draws them anew."""
    digest = hashlib.sha1(f"{count}-{config.seed}-{'+'.join(config.pen_sources)}".encode())
    add_code(digest, ("data/pendigits.py", "data/unipen.py", "data/writers.py",
                      "data/drawn.py", "reading/preprocessing.py"))
    return cache_dir() / f"pen-finetune-{digest.hexdigest()[:16]}.npy"


def _pen_digits(config: TrainConfig, count: int, on_progress: OnProgress, started: float
                ) -> tuple[np.ndarray, np.ndarray, float]:
    """`count` pen digits of `config.pen_sources`' training writers, each drawn anew on the
    canvas: (count, 28, 28) uint8, (count,) uint8 labels, and the seconds it took. Reported
    as the "preparing" stage, step "real writers".

    A fine-tune (`config.tuned_from`) replays the same pen digits every time, so they are
    drawn once and kept in the cache folder (`pen_cache_path`): drawing them was most of a
    fine-tune's time on a busy machine (2,111 digits: 12 s at load 8, 63 s for a
    lowered-priority job at load 12). A run trained from scratch draws its own, as always.
    """
    from mnist_core.data.pendigits import pen_training_set
    from mnist_core.data.writers import training_pool

    began = time.perf_counter()

    def report(done: int) -> None:
        if on_progress is not None:
            elapsed = time.perf_counter() - began
            on_progress(Progress(0, 0, done, count, time.perf_counter() - started, {},
                                 stage="preparing", step="real writers",
                                 pace=elapsed / done if done else None))

    report(0)
    cache = pen_cache_path(config, count) if config.tuned_from is not None else None
    cached = _read_pen_cache(cache, count) if cache is not None else None
    if cached is not None:
        images, labels = cached
    else:
        images, labels = pen_training_set(count, np.random.default_rng([config.seed, 12]),
                                          pool=training_pool(config.pen_sources))
        if cache is not None:
            save_cache(cache, np.concatenate([images.reshape(count, -1), labels[:, None]],
                                             axis=1))
    report(count)
    return images, labels, time.perf_counter() - began


def _read_pen_cache(path: Path, count: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The cached images and labels, or None when absent or damaged (then they are drawn)."""
    try:
        rows = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if rows.shape != (count, 785) or rows.dtype != np.uint8 or rows[:, 784].max(initial=0) > 9:
        return None
    return rows[:, :784].reshape(count, 28, 28).copy(), rows[:, 784].copy()
