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
- `pen_fraction` as many real writers' pen digits, a sample by the run's seed of their
  drawings on the canvas, drawn once per machine (mnist_core.training.pen_cache);
- and, for `drawn_fraction`, each image's re-drawings as mouse strokes (the cache of
  mnist_core.training.drawn_cache), one of which may stand in for it in a batch.

No TensorFlow here: the engine (mnist_core.training.engine) turns these arrays into batches,
and the job's estimate (mnist_core.training.jobs) asks what is cached without loading Keras.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mnist_core.classroom.drawings import DrawingStore
from mnist_core.config import TrainConfig
from mnist_core.errors import DrawingStoreError
from mnist_core.training.drawn_cache import redrawn_images
from mnist_core.training.progress import DRAWING_WRITERS, DRAWING_WRITERS_AGAIN, Progress

__all__ = ["TrainingSet", "add_redrawn", "replayed_pen_digits", "saved_drawings",
           "split_training_data", "training_set"]

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
        pen_count, pen_seconds: real writers' digits fitted, and the seconds getting them
            took (drawing the cache first, when `pen_drawn`, else reading it).
        pen_drawn: real writers' drawings made for the cache in this run; 0 when read.
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
    pen_drawn: int = 0
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
        pen = _pen_digits(config, chosen.pen_count, on_progress, started, should_stop)
        if pen is not None:  # else stopped while drawing: the run ends before its first epoch
            x_pen, y_pen, chosen.pen_seconds, chosen.pen_drawn = pen
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


def _pen_digits(config: TrainConfig, count: int, on_progress: OnProgress, started: float,
                should_stop: ShouldStop = None
                ) -> tuple[np.ndarray, np.ndarray, float, int] | None:
    """`count` pen digits of `config.pen_sources`' training writers: a sample, by the run's
    seed, of their drawings kept on disk (mnist_core.training.pen_cache; drawn first when
    missing, as the "preparing" stage, step "real writers"): (count, 28, 28) uint8,
    (count,) uint8 labels, the seconds it took and the drawings made for the cache (0 when
    it was read); None when stopped while drawing.

    Drawing Quick's 36,000 anew took one to four minutes of every run; now the cache is drawn
    once per machine (36,111 drawings: 3 of each of the pool's digits; 137 s on two cores)
    and read in 2-3 s. A fine-tune replays the same sample every time (the same seed, the
    same drawings). A run
    needing few while the pool's drawings are not here (`pen_cache.uses_cache`) draws its own
    anew, as before, and a fine-tune keeps its own (`pen_cache.replay_path`).
    """
    from mnist_core.data.pendigits import pen_training_set
    from mnist_core.data.writers import training_pool
    from mnist_core.training.pen_cache import (
        DAMAGED,
        is_cached,
        pen_copies,
        read_replay,
        replay_path,
        sample_pen,
        save_replay,
        uses_cache,
    )

    began = time.perf_counter()

    def report(what: str, done: int, total: int) -> None:
        if on_progress is not None:
            elapsed = time.perf_counter() - began
            step = {"drawing": DRAWING_WRITERS, DAMAGED: DRAWING_WRITERS_AGAIN}.get(
                what, "real writers")
            on_progress(Progress(0, 0, done, total, time.perf_counter() - started, {},
                                 stage="preparing", step=step,
                                 pace=elapsed / done if done else None))

    report("reading", 0, count)
    pool = training_pool(config.pen_sources)
    rng = np.random.default_rng([config.seed, 12])
    if not uses_cache(count, len(pool), is_cached(config.pen_sources)):
        replay = replay_path(config.pen_sources, config.seed, count) \
            if config.tuned_from is not None else None
        kept = read_replay(replay, count) if replay is not None else None
        drawn = 0 if kept is not None else count
        if kept is not None:
            images, labels = kept
        else:  # a few: drawn anew (and a fine-tune's kept)
            images, labels = pen_training_set(count, rng, pool=pool)
            if replay is not None:
                save_replay(replay, images, labels)
    else:
        drawings, drawn = pen_copies(config.pen_sources, pool, report, should_stop)
        if drawings is None:
            return None
        images, labels = sample_pen(drawings, pool, count, rng)
    report("reading", count, count)
    return images, labels, time.perf_counter() - began, drawn
