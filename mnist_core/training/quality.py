"""How well a model reads people's drawings: MNIST test digits re-drawn as mouse strokes, and
real people's pen digits (`pen_metrics`).

Each run's metrics record `drawn_accuracy` on the first `DRAWN_COUNT` test digits, re-drawn by
`mnist_core.data.drawn` on a 280x280 canvas and read back through `preprocess`, exactly the path a
drawing on the home page takes. `bench/drawn_digits.py` runs all 10,000.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from mnist_core.data.drawn import iter_redrawn
from mnist_core.data.mnist import load_mnist
from mnist_core.errors import EmptyDrawingError
from mnist_core.model import MlpWeights
from mnist_core.reading.preprocessing import preprocess
from mnist_core.training.drawn_cache import add_code, cache_dir, cache_key, save_cache

__all__ = ["DRAWN_COUNT", "DRAWN_SEED", "drawn_accuracy_metrics", "drawn_test_inputs",
           "pen_metrics"]

DRAWN_COUNT = 2000  # re-drawn digits scored per run: 5-20 s of rendering once, then cached
DRAWN_SEED = 0
REPORT_EVERY = 100  # digits between progress reports

_cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
_cache_lock = threading.Lock()


def drawn_test_inputs(count: int = DRAWN_COUNT, seed: int = DRAWN_SEED,
                      on_progress: Callable[[int, int], None] | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """The first `count` MNIST test digits re-drawn as mouse strokes, then preprocessed.

    Rendered once and kept on disk (beside the re-drawn training digits, `MNIST_CACHE_DIR`)
    and in the process (the last two `(count, seed)` asked for).

    Args:
        count, seed: which digits, and the seed of the strokes' random settings.
        on_progress: called as `(done, count)` every `REPORT_EVERY` digits and at the end
            while rendering; once with `(count, count)` when they were kept from before.
    Returns:
        inputs: (count, 28, 28) float32 in [0, 1], the model inputs; all zeros for a drawing
            that preprocessing found empty (it then counts as a mistake).
        labels: (count,) uint8, the true digits.
    Raises:
        DataNotFoundError, DataCorruptError: MNIST cannot be loaded.
    """
    with _cache_lock:
        kept = _cache.get((count, seed))
    if kept is not None:
        if on_progress is not None:
            on_progress(count, count)
        return kept
    _, (x_test, y_test) = load_mnist()
    if not 1 <= count <= len(x_test):
        raise ValueError(f"Expected a count from 1 to {len(x_test)}. Received: {count}")
    path = _disk_cache_path(x_test[:count], seed)
    inputs = _read_disk_cache(path, count)
    if inputs is not None:
        if on_progress is not None:
            on_progress(count, count)
    else:
        inputs = np.zeros((count, 28, 28), np.float32)
        for index, canvas in enumerate(iter_redrawn(x_test[:count], seed=seed)):
            try:
                inputs[index] = preprocess(canvas)
            except EmptyDrawingError:
                pass  # stays blank: the model's answer on it is scored as it is
            done = index + 1
            if on_progress is not None and (done % REPORT_EVERY == 0 or done == count):
                on_progress(done, count)
        save_cache(path, inputs)
    inputs.flags.writeable = False
    kept = (inputs, y_test[:count])
    with _cache_lock:
        while len(_cache) >= 2:
            _cache.pop(next(iter(_cache)))
        _cache[(count, seed)] = kept
    return kept


def _disk_cache_path(images: np.ndarray, seed: int) -> Path:
    # Every training job is a new process: without a file, each re-drew the same 2,000 digits
    # (10-24 s of its scoring on two cores). Keyed like the re-drawn training digits.
    return cache_dir() / f"drawn-test-{cache_key(images, seed)}-{len(images)}.npy"


def _read_disk_cache(path: Path, count: int) -> np.ndarray | None:
    try:
        inputs = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None  # none yet, or a damaged file: render again
    if inputs.shape != (count, 28, 28) or inputs.dtype != np.float32:
        return None
    return inputs


def drawn_accuracy_metrics(weights: MlpWeights,
                           on_progress: Callable[[int, int], None] | None = None
                           ) -> dict[str, Any]:
    """`{"drawn_accuracy": share right in [0, 1], "drawn_count": digits scored}`.

    `on_progress(done, total)` follows the re-drawing (see `drawn_test_inputs`).
    """
    inputs, labels = drawn_test_inputs(on_progress=on_progress)
    predictions = weights.predict(inputs).argmax(axis=1)
    return {"drawn_accuracy": float(np.mean(predictions == labels)), "drawn_count": len(labels)}


def pen_metrics(weights: MlpWeights) -> dict[str, Any]:
    """How well the model reads real people who never trained it, for a run's metrics:

    - `report_accuracy`, `report_count`, `report_writers`: the report split of both real
      writers' files (`mnist_core.data.writers`: 69 writers, at most 60 digits each, 2,350
      digits), the figure the app shows; only when UNIPEN's file is here too;
    - `pen_accuracy`, `pen_count`: pendigits' 8 held-out writers (1,999 digits), the figure
      every run before UNIPEN recorded, so old and new runs compare on the same people.

    Each digit drawn once with a fixed seed (`pendigits.scored_inputs`), kept on disk beside
    the re-drawn digits: 10-20 s of drawing the first time, then a file read. `{}` when the
    pen digits are not on this machine, `{"pen_error": why}` when they cannot be read: a
    finished training is saved either way.
    """
    from mnist_core.data import unipen
    from mnist_core.data.pendigits import held_out_digits
    from mnist_core.data.writers import real_writers
    from mnist_core.errors import DataNotFoundError, MnistCoreError

    metrics: dict[str, Any] = {}
    try:
        digits = held_out_digits()
        right = _right_answers(weights, "held-out", digits)
        metrics.update(pen_accuracy=float(right.mean()), pen_count=len(digits))
        if unipen.unavailable() is None:
            digits = real_writers("report")
            right = _right_answers(weights, "report", digits)
            metrics.update(report_accuracy=float(right.mean()), report_count=len(digits),
                           report_writers=len({digit.writer_key for digit in digits}))
    except DataNotFoundError:
        pass
    except MnistCoreError as error:
        metrics["pen_error"] = str(error)
    return metrics


def _right_answers(weights: MlpWeights, name: str, digits) -> np.ndarray:
    """Which of `digits` the model reads right, (N,) bool; their inputs cached on disk."""
    from mnist_core.data.pendigits import scored_inputs

    digest = hashlib.sha1(name.encode())
    for digit in digits:
        digest.update(f"{digit.writer_key}/{digit.index}/{digit.label};".encode())
    add_code(digest, ("data/pendigits.py", "data/drawn.py", "reading/preprocessing.py"))
    path = cache_dir() / f"writers-{name}-{digest.hexdigest()[:16]}.npy"
    labels = np.array([digit.label for digit in digits], np.uint8)
    inputs = _read_disk_cache(path, len(digits))
    if inputs is None:
        inputs, _ = scored_inputs(digits)
        save_cache(path, inputs)
    return weights.predict(inputs).argmax(axis=1) == labels
