"""Shared fixtures: small synthetic digits, temporary model stores, the real MNIST if present."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from mnist_core.classroom.drawings import MIN_HELD_OUT, DrawingStore  # noqa: E402
from mnist_core.config import TrainConfig  # noqa: E402
from mnist_core.runs.store import ModelStore  # noqa: E402
from mnist_core.training.workflow import train_and_save  # noqa: E402

PROJECT = Path(__file__).resolve().parent.parent
TINY = TrainConfig(hidden_units=(16,), dropout_rate=0.0, learning_rate=0.01, batch_size=32,
                   epochs=2, validation_split=0.1, seed=1)


@pytest.fixture(scope="session", autouse=True)
def _no_project_drawings(tmp_path_factory):
    """No test reads or writes the project's own saved drawings (data/), not even the
    session-wide fixtures or the app servers the browser tests start; and none sees a
    teacher password set outside the tests."""
    previous = os.environ.get("MNIST_DRAWINGS_DIR")
    os.environ["MNIST_DRAWINGS_DIR"] = str(tmp_path_factory.mktemp("drawings"))
    # A teacher password in the developer's shell would lock every page and server; the lock's
    # own tests set one where they want it.
    password = os.environ.pop("MNIST_TEACHER_PASSWORD", None)
    yield
    if password is not None:
        os.environ["MNIST_TEACHER_PASSWORD"] = password
    if previous is None:
        del os.environ["MNIST_DRAWINGS_DIR"]
    else:
        os.environ["MNIST_DRAWINGS_DIR"] = previous


@pytest.fixture(autouse=True)
def _own_drawings(tmp_path, monkeypatch):
    """Each test starts with no saved drawings."""
    monkeypatch.setenv("MNIST_DRAWINGS_DIR", str(tmp_path / "saved-drawings"))


@pytest.fixture(autouse=True)
def _fresh_limits(monkeypatch):
    """Each test starts with no wrong passwords and no saves counted: those limits live as long
    as the server process (ui.lock.GUARD, ui.teach.SAVES), which AppTest tests share."""
    import sys

    from mnist_core.classroom.lock import PasswordGuard
    from mnist_core.classroom.ratelimit import ClientBuckets

    if "ui.lock" in sys.modules:
        monkeypatch.setattr("ui.lock.GUARD", PasswordGuard())
    if "ui.teach" in sys.modules:
        monkeypatch.setattr("ui.teach.SAVES", ClientBuckets())


@pytest.fixture(autouse=True)
def _no_warming(monkeypatch):
    """Pages opened in a test warm nothing: every page's sidebar starts warming the server
    (ui/warm.py), and that thread would load models beside the tests. The warming's own tests
    call it directly."""
    import ui.warm

    monkeypatch.setattr(ui.warm, "start", lambda: None)


def as_shown(markdown: str) -> str:
    """Markdown as a reader sees it: escaped marks (`ui.text.plain`) without their backslash."""
    import re

    return re.sub(r"\\(.)", r"\1", markdown)


def synthetic_digits(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Images a tiny MLP learns in seconds: digit k is a bright bar at row 4 + 2k, plus noise.

    Returns: (count, 28, 28) uint8 in [0, 255] and (count,) uint8 labels 0-9.
    """
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count).astype(np.uint8)
    images = rng.integers(0, 40, (count, 28, 28)).astype(np.uint8)
    images[np.arange(count), 4 + 2 * labels.astype(int), 4:24] = 255
    return images, labels


@pytest.fixture(scope="session")
def synthetic_split():
    """((x_train, y_train), (x_test, y_test)) of synthetic digits: 600 and 200 images."""
    return synthetic_digits(600, seed=0), synthetic_digits(200, seed=1)


@pytest.fixture(scope="session")
def tiny_shipped_dir(tmp_path_factory, synthetic_split) -> Path:
    """A shipped-model folder holding a tiny model trained on synthetic digits."""
    root = tmp_path_factory.mktemp("shipped-store")
    run, _ = train_and_save(TINY, store=ModelStore(root, root / "none"), data=synthetic_split)
    return run.path


@pytest.fixture
def store(tmp_path, tiny_shipped_dir) -> ModelStore:
    """An empty store in a temporary folder, whose shipped model is the tiny one."""
    return ModelStore(tmp_path / "models", tiny_shipped_dir)


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The real MNIST folder from $MNIST_DATA_DIR; skips the test when it is not set."""
    value = os.environ.get("MNIST_DATA_DIR")
    if not value or not (Path(value) / "t10k-labels-idx1-ubyte.gz").exists():
        pytest.skip("real MNIST not available: set MNIST_DATA_DIR=../shared/data/mnist")
    return Path(value)


@pytest.fixture(scope="session")
def pen_dir() -> Path:
    """The real pen digits folder from $PENDIGITS_DATA_DIR; skips the test when it is not set."""
    value = os.environ.get("PENDIGITS_DATA_DIR")
    if not value or not any((Path(value) / name).is_file()
                            for name in ("pendigits-orig.tra.gz", "pendigits-orig.tra")):
        pytest.skip("real pen digits not available: "
                    "set PENDIGITS_DATA_DIR=../shared/data/pendigits")
    return Path(value)


@pytest.fixture(scope="session")
def unipen_dir() -> Path:
    """UNIPEN's pen digits folder from $UNIPEN_DATA_DIR; skips the test when it is not set."""
    value = os.environ.get("UNIPEN_DATA_DIR")
    if not value or not (Path(value) / "unipen-1a-digits.jsonl.gz").is_file():
        pytest.skip("UNIPEN's pen digits not available: "
                    "set UNIPEN_DATA_DIR=../shared/data/unipen")
    return Path(value)


@pytest.fixture(scope="session")
def held_out(pen_dir):
    """The 8 held-out writers' pen digits (`mnist_core.data.pendigits.held_out_digits`); skips
    without the pen digits."""
    from mnist_core.data.pendigits import held_out_digits

    return held_out_digits()


def save_new_kind_of_nine(drawings: DrawingStore, count: int) -> None:
    """Saves `count` drawings of a shape the synthetic digits never show (a bright column
    instead of a row), labelled 9, each with its own noise."""
    rng = np.random.default_rng(7)
    for _ in range(count):
        image = rng.integers(0, 40, (28, 28)).astype(np.uint8)
        image[4:24, 14 + rng.integers(-2, 3)] = 255
        drawings.add(9, image, b"png", source="import")


@pytest.fixture
def new_nines(tmp_path) -> DrawingStore:
    """A drawings store of 80 saved 9s of a shape the synthetic digits never show; some held
    out."""
    store = DrawingStore(tmp_path / "data")
    save_new_kind_of_nine(store, 80)
    assert store.counts().held_out >= MIN_HELD_OUT
    return store
