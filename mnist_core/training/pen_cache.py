"""Real writers' digits drawn once and kept: the drawings a run's pen digits are sampled from.

Drawing a Quick run's 36,000 real writers' digits on the canvas took one to four minutes
before its first epoch, every run. Here each digit of the run's pool
(mnist_core.data.writers.training_pool) is drawn `COPIES` times, varied as another writer
might draw it (mnist_core.data.pendigits.pen_drawings), once per machine; each run then takes
its own sample of those drawings:

    pool = training_pool(sources)
    drawings, _ = pen_copies(sources, pool, on_progress, should_stop)  # (len(pool), COPIES, ..)
    images, labels = sample_pen(drawings, pool, count, rng)  # this run's, by its seed

The file is named by everything that changes the drawings: the files the pool comes from,
the copies, the seed, and the source of the code that chooses the pool's writers and digits,
draws and preprocesses them (the data files themselves are fixed: each is checked against its
published MD5 before a digit is read). So a changed recipe or a changed drawing never reads a
stale cache. It is written to a temporary
file and renamed into place: a build stopped halfway leaves nothing that can be read, and two
processes building at once each write a whole file (the last rename wins; both are the same).
A damaged file is drawn again, and the progress says so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from mnist_core.data.pendigits import PenDigit, pen_drawings
from mnist_core.training.drawn_cache import add_code, cache_dir, load_copies, save_cache

__all__ = ["COPIES", "DAMAGED", "cache_path", "is_cached", "pen_copies", "read_replay",
           "replay_path", "sample_pen", "save_replay", "uses_cache"]

# Drawings per digit: a Quick or Best run takes 36,000 of the 36,111 (3 a digit), as many as it
# drew for itself before; more would vary runs from each other, at a longer first build.
COPIES = 3
PEN_SEED = 20261207  # fixed: one cache serves every run's seed
DAMAGED = "damaged"  # what `pen_copies` reports while drawing a damaged file's drawings anew
_CODE_FILES = ("data/pendigits.py", "data/unipen.py", "data/writers.py", "data/drawn.py",
               "reading/preprocessing.py")


def uses_cache(count: int, pool_size: int, cached: bool) -> bool:
    """Whether a run fitting `count` of a pool's digits takes them from the pool's drawings:
    always when they are `cached`; else only when it needs at least a third as many as the
    pool has (Quick and Best: 3 a digit). A small run (a fine-tune replaying 2,000, a test)
    draws its own few rather than wait for the whole pool; a fine-tune keeps its few in its
    own small file (`replay_path`), since every fine-tune replays the same ones."""
    return cached or 3 * count >= pool_size


def replay_path(sources: Sequence[str], seed: int, count: int) -> Path:
    """Where a fine-tune's own `count` real writers' digits are kept once drawn, when the
    pool's drawings are not here: named by the count, the seed, the files and the code."""
    digest = hashlib.sha1(f"{count}-{seed}-{'+'.join(sources)}".encode())
    add_code(digest, _CODE_FILES)
    return cache_dir() / f"pen-finetune-{digest.hexdigest()[:16]}.npy"


def read_replay(path: Path, count: int) -> tuple[np.ndarray, np.ndarray] | None:
    """A fine-tune's kept images and labels, or None when absent or damaged (then drawn)."""
    try:
        rows = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if rows.shape != (count, 785) or rows.dtype != np.uint8 or rows[:, 784].max(initial=0) > 9:
        return None
    return rows[:, :784].reshape(count, 28, 28).copy(), rows[:, 784].copy()


def save_replay(path: Path, images: np.ndarray, labels: np.ndarray) -> None:
    """Keep a fine-tune's drawn images and labels (atomically, as every cache here)."""
    save_cache(path, np.concatenate([images.reshape(len(images), -1), labels[:, None]],
                                    axis=1))


def cache_path(sources: Sequence[str]) -> Path:
    """Where the drawings of the training pool of `sources` are kept: named by the sources,
    the copies, the seed and the code that chooses and draws them."""
    digest = hashlib.sha1(f"{COPIES}-{PEN_SEED}-{'+'.join(sources)}".encode())
    add_code(digest, _CODE_FILES)
    return cache_dir() / f"pen-{digest.hexdigest()[:16]}-x{COPIES}.npy"


def is_cached(sources: Sequence[str]) -> bool:
    """True when the drawings for `sources` are on disk (a cheap look for the estimate,
    without reading them: a damaged file is found, and drawn again, by `pen_copies`)."""
    return cache_path(sources).is_file()


def pen_copies(sources: Sequence[str], pool: Sequence[PenDigit],
               on_progress: Callable[[str, int, int], None] | None = None,
               should_stop: Callable[[], bool] | None = None
               ) -> tuple[np.ndarray | None, int]:
    """`COPIES` drawings of each digit of `pool`, from the cache or drawn and cached now.

    Args:
        sources: the files `pool` comes from; pool: `training_pool(sources)`.
        on_progress: told `("drawing", done, total)` while drawing, from `done` 0 (not when
            read from the cache); `(DAMAGED, done, total)` instead when a cache file was
            there but unreadable.
        should_stop: asked every 500 drawings; when it says stop, nothing is cached and None
            is returned.
    Returns:
        (len(pool), COPIES, 28, 28) uint8, white digit on black (None when stopped), and how
        many drawings were made now (0 when read from the cache).
    """
    path = cache_path(sources)
    cached = load_copies(path, len(pool))
    if cached is not None and cached.shape[1] == COPIES:
        return cached, 0
    total = len(pool) * COPIES
    what = DAMAGED if path.exists() else "drawing"
    if on_progress is not None:
        on_progress(what, 0, total)
    drawn = pen_drawings(pool, COPIES, PEN_SEED,
                         on_progress=None if on_progress is None else
                         lambda done, _: on_progress(what, done, total),
                         should_stop=should_stop)
    if drawn is not None:
        save_cache(path, drawn)
    return drawn, total


def sample_pen(drawings: np.ndarray, pool: Sequence[PenDigit], count: int,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A run's `count` real writers' digits: the pool in shuffled rounds (every digit once
    before any twice, as `pen_training_set` takes them), each time one of its drawings not
    yet taken in this run (a digit's drawings are taken in a random order of its own).

    Args:
        drawings: `pen_copies(pool)`: (len(pool), copies, 28, 28) uint8.
    Returns:
        (count, 28, 28) uint8 images and (count,) uint8 labels.
    Raises:
        ValueError: count is negative or the pool is empty.
    """
    if int(count) != count or count < 0:
        raise ValueError(f"Expected a whole number of images >= 0. Received: count={count}")
    if count and not len(pool):
        raise ValueError("Expected digits to draw from. Received: an empty pool")
    if not count:
        return np.empty((0, 28, 28), np.uint8), np.empty(0, np.uint8)
    size, copies = drawings.shape[:2]
    rounds = -(-int(count) // size)
    order = np.concatenate([rng.permutation(size) for _ in range(rounds)])[:count]
    rounds_so_far = np.repeat(np.arange(rounds), size)[:count]  # the round of each pick
    first = rng.integers(copies, size=size)  # where each digit's drawings start
    copy = (first[order] + rounds_so_far) % copies
    labels = np.array([digit.label for digit in pool], np.uint8)
    return drawings[order, copy], labels[order]
