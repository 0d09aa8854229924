"""Training digits that look like mouse drawings.

MNIST was written with pens: strokes vary in width and pressure. People in the app draw with a
mouse: uniform round-brush strokes, then `preprocess` normalises them. A model that never saw
such strokes misreads them. This module re-draws every MNIST training digit `COPIES` times as
mouse strokes (`mnist_core.data.drawn`) and reads them back through `preprocess`, exactly the app's
path, so training can mix these in (`TrainConfig.drawn_fraction`).

Rendering 60,000 digits takes about two minutes on two cores, so the result is cached on disk,
keyed by the images and by the source of the code that draws and preprocesses: a change to
either makes a new cache file.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["CACHE_DIR_ENV", "COPIES", "add_code", "cache_dir", "cache_key", "has_cache",
           "load_copies", "redrawn_images", "save_cache"]

CACHE_DIR_ENV = "MNIST_CACHE_DIR"
RENDER_SEED = 20261121  # fixed, so one cache serves every training seed
COPIES = 2  # re-drawings per digit, each with its own size, slant, brush and colour
_CHUNK = 1000  # digits per worker task: big enough to amortise, small enough for progress
# The code a cache depends on, in mnist_core/.
_CODE_FILES = ("data/drawn.py", "reading/preprocessing.py")


def cache_dir() -> Path:
    """Where re-drawn digits are cached: $MNIST_CACHE_DIR, else ~/.cache/mnist-draw."""
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mnist-draw"


def has_cache() -> bool:
    """True when a re-drawn training set is cached that is newer than the code that draws and
    preprocesses, so a run need not render one first (the Train page's time estimate).

    A cheap check by file times, with no hashing of MNIST: a cache of other images counts too,
    and one made before the code was last changed or checked out does not.
    """
    package = Path(__file__).resolve().parents[1]
    code_changed = max((package / name).stat().st_mtime for name in _CODE_FILES)
    return any(path.stat().st_mtime >= code_changed
               for path in cache_dir().glob(f"redrawn-*-x{COPIES}.npy"))


def cache_key(images: np.ndarray, seed: int) -> str:
    """16 hex digits naming a cache of `images` drawn with `seed`: it changes with the images,
    the seed and the source of the code that draws and preprocesses them."""
    digest = hashlib.sha1(np.ascontiguousarray(images).data)
    add_code(digest, _CODE_FILES)
    digest.update(str(seed).encode())
    return digest.hexdigest()[:16]


def add_code(digest: Any, modules: Iterable[str]) -> None:
    """Feed the source of `modules` (paths in the package, "data/drawn.py") into `digest` (a
    hashlib object), so a cache named by it is drawn anew when that code changes."""
    package = Path(__file__).resolve().parents[1]
    for name in modules:
        digest.update((package / name).read_bytes())


def save_cache(path: Path, array: np.ndarray) -> None:
    """Write `array` to `path` (.npy) atomically; an unwritable cache is skipped silently (it
    only costs time next run)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npy", delete=False) as temp:
            np.save(temp, array)
        os.replace(temp.name, path)
    except OSError:
        pass


def load_copies(path: Path, count: int) -> np.ndarray | None:
    """A cached (count, k, 28, 28) uint8 array from path, or None if absent or damaged (the
    re-drawn MNIST digits', and the real writers' drawings of mnist_core.training.pen_cache)."""
    try:
        cached = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None  # no cache yet, or a damaged one: render again
    if cached.ndim != 4 or cached.shape[0] != count or cached.shape[2:] != (28, 28) \
            or cached.dtype != np.uint8:
        return None
    return cached


def _other_copies(key: str, count: int) -> np.ndarray | None:
    """The cache of these digits with the most copies, whatever COPIES was then, or None."""
    best = None
    for other in sorted(cache_dir().glob(f"redrawn-{key}-x*.npy")):
        cached = load_copies(other, count)
        if cached is not None and (best is None or cached.shape[1] > best.shape[1]):
            best = cached
    return best


def _render_chunk(args: tuple[np.ndarray, int]) -> np.ndarray:
    """Worker: re-draw and preprocess a chunk. Returns (n, 28, 28) uint8 in [0, 255]."""
    from mnist_core.data.drawn import redraw_digit
    from mnist_core.errors import EmptyDrawingError
    from mnist_core.reading.preprocessing import preprocess

    images, seed = args
    rng = np.random.default_rng(seed)
    out = np.empty(images.shape, np.uint8)
    for index, image in enumerate(images):
        try:
            out[index] = np.rint(preprocess(redraw_digit(image, rng)) * 255)
        except EmptyDrawingError:
            out[index] = image  # a digit too faint to re-draw: keep the original
    return out


def redrawn_images(images: np.ndarray,
                   on_progress: Callable[[int, int], None] | None = None,
                   should_stop: Callable[[], bool] | None = None) -> np.ndarray | None:
    """Every digit re-drawn `COPIES` times as mouse strokes and preprocessed back to 28x28,
    cached on disk.

    Args:
        images: (N, 28, 28) uint8, white digit on black (MNIST's format).
        on_progress: called as `(done, total)` while rendering (not when read from the cache);
            copies taken from a cache with fewer copies count as done.
        should_stop: asked after every chunk of 1,000 digits (about a second); when it returns
            True, rendering is abandoned and None returned (nothing is cached).
    Returns:
        (N, COPIES, 28, 28) uint8 in [0, 255]: [i, k] is the k-th re-drawing of digit i; None
        when stopped.
    """
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise ValueError(f"Expected (N, 28, 28) uint8 images. Received: shape={images.shape}, "
                         f"dtype={images.dtype}")
    key = cache_key(images, RENDER_SEED)
    path = cache_dir() / f"redrawn-{key}-x{COPIES}.npy"
    cached = load_copies(path, len(images))
    if cached is not None and cached.shape[1] == COPIES:
        return cached
    # Copy k of chunk c is drawn with its own seed, so adding copies keeps the earlier ones:
    # a cache of the same digits with another number of copies gives the first ones.
    reused = _other_copies(key, len(images))
    first = 0 if reused is None else reused.shape[1]
    if first >= COPIES:
        return np.ascontiguousarray(reused[:, :COPIES])

    out = np.empty((COPIES, *images.shape), np.uint8)
    if first:
        out[:first] = reused.transpose(1, 0, 2, 3)
    chunks = [(images[start:start + _CHUNK], RENDER_SEED + copy * 1_000_003 + start)
              for copy in range(first, COPIES) for start in range(0, len(images), _CHUNK)]
    flat = out.reshape(COPIES * len(images), *images.shape[1:])[first * len(images):]
    workers = min(os.cpu_count() or 1, len(chunks))
    if workers == 1:  # a few digits: not worth starting processes
        results = map(_render_chunk, chunks)
    else:
        # "spawn": TensorFlow's threads make forking a loaded process unsafe. Like any
        # multiprocessing, a script calling this needs an `if __name__ == "__main__":` guard.
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        results = pool.map(_render_chunk, chunks)
    try:
        done = 0
        for (chunk, _), rendered in zip(chunks, results, strict=True):
            flat[done:done + len(chunk)] = rendered
            done += len(chunk)
            if on_progress is not None:
                on_progress(first * len(images) + done, COPIES * len(images))
            if should_stop is not None and should_stop():
                return None
    finally:
        if workers > 1:
            # On a stop, do not wait for the chunks under way: they end on their own.
            pool.shutdown(wait=False, cancel_futures=True)
    out = np.ascontiguousarray(out.transpose(1, 0, 2, 3))
    save_cache(path, out)
    return out
