import os
from pathlib import Path

import numpy as np
import pytest

from mnist_core.config import TrainConfig
from mnist_core.data.drawn import render_strokes, sketch
from mnist_core.reading.preprocessing import preprocess
from mnist_core.training import drawn_cache as drawn_training
from mnist_core.training.engine import train_model
from tests.conftest import TINY


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_CACHE_DIR", str(tmp_path / "cache"))
    # Render in this process. A process pool's "spawn" workers re-run __main__, and after an
    # AppTest run in the same pytest process __main__ is a Streamlit page. (The app never
    # renders in the server process: training runs in its own job process.)
    monkeypatch.setattr(drawn_training.os, "cpu_count", lambda: 1)
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def digits():
    """Eight MNIST-like digits: code-drawn 0, 1 and 7 preprocessed to 28x28 uint8."""
    canvases = [render_strokes(sketch(d), brush_width=w, scale=200, centre=(140, 140))
                for d in (0, 1, 7) for w in (10, 30)]
    images = np.stack([np.rint(preprocess(c) * 255).astype(np.uint8) for c in canvases])
    return np.concatenate([images, images[:2]]), np.array([0, 0, 1, 1, 7, 7, 0, 0])


def test_redrawn_digits_keep_shape_and_format_and_are_cached(digits, cache):
    images, _ = digits
    progress = []
    copies = drawn_training.COPIES
    redrawn = drawn_training.redrawn_images(images, lambda done, total: progress.append(done))
    assert redrawn.shape == (len(images), copies, 28, 28) and redrawn.dtype == np.uint8
    assert progress[-1] == copies * len(images)
    # The copies are different drawings of the same digit.
    assert np.abs(redrawn[:, 0].astype(int) - redrawn[:, 1]).mean() > 1
    # Each re-drawn digit is the same digit: it overlaps its original far more than others.
    a = redrawn[:, 0].reshape(len(images), -1).astype(float)
    b = images.reshape(len(images), -1).astype(float)
    similarity = (a / np.linalg.norm(a, axis=1, keepdims=True)) @ \
        (b / np.linalg.norm(b, axis=1, keepdims=True)).T
    assert similarity[2, 2] > similarity[2, 0] and similarity[0, 0] > similarity[0, 2]
    assert len(list(cache.glob("redrawn-*.npy"))) == 1
    again = drawn_training.redrawn_images(images, lambda *_: pytest.fail("not cached"))
    np.testing.assert_array_equal(again, redrawn)


def test_a_cache_older_than_the_drawing_code_does_not_count_for_the_estimate(digits, cache):
    """After an update to the code that draws or preprocesses, the next run renders again
    (a new cache key), so the Train page's estimate must include that rendering."""
    images, _ = digits
    assert not drawn_training.has_cache()
    drawn_training.redrawn_images(images)
    assert drawn_training.has_cache()
    [made] = cache.glob("redrawn-*.npy")
    code = (Path(drawn_training.__file__).parents[1] / "reading" / "preprocessing.py")\
        .stat().st_mtime
    os.utime(made, (code - 60, code - 60))  # made a minute before the code changed
    assert not drawn_training.has_cache()


def test_more_copies_reuse_the_cached_ones(digits, cache, monkeypatch):
    images, _ = digits
    monkeypatch.setattr(drawn_training, "COPIES", 1)
    one = drawn_training.redrawn_images(images)
    monkeypatch.setattr(drawn_training, "COPIES", 3)
    progress = []
    three = drawn_training.redrawn_images(images, lambda done, total: progress.append(done))
    assert three.shape == (len(images), 3, 28, 28)
    np.testing.assert_array_equal(three[:, :1], one)  # copy 0 is not drawn again
    assert progress == [2 * len(images), 3 * len(images)]  # only copies 1 and 2 were drawn
    monkeypatch.setattr(drawn_training, "COPIES", 2)  # fewer copies: taken from the cache
    np.testing.assert_array_equal(
        drawn_training.redrawn_images(images, lambda *_: pytest.fail("not cached")), three[:, :2])


def test_a_damaged_cache_is_rendered_again(digits, cache):
    images, _ = digits
    first = drawn_training.redrawn_images(images)
    next(cache.glob("redrawn-*.npy")).write_bytes(b"garbage")
    np.testing.assert_array_equal(drawn_training.redrawn_images(images), first)


def test_bad_images_are_refused():
    with pytest.raises(ValueError, match="Received: shape=\\(3, 28\\)"):
        drawn_training.redrawn_images(np.zeros((3, 28), np.uint8))


def test_training_with_drawn_digits_reports_preparation_then_trains(synthetic_split):
    config = TrainConfig(**{**TINY.to_dict(), "drawn_fraction": 0.5, "epochs": 1})
    events = []
    x, y = synthetic_split[0]
    result = train_model(config, on_progress=events.append, data=(x[:200], y[:200]))
    assert result.status == "completed"
    stages = [event.stage for event in events]
    assert stages[0] == "preparing" and stages[-1] == "training"
    assert stages.index("training") > stages.index("preparing")


def test_rendering_stops_between_chunks_when_asked(digits, monkeypatch):
    images, _ = digits
    monkeypatch.setattr(drawn_training, "_CHUNK", 2)
    progress = []
    result = drawn_training.redrawn_images(images, lambda done, total: progress.append(done),
                                           should_stop=lambda: len(progress) >= 1)
    assert result is None and progress == [2]
    assert not drawn_training.has_cache()  # nothing half-rendered is cached


def test_a_stop_while_preparing_ends_the_run_as_stopped(synthetic_split, monkeypatch):
    monkeypatch.setattr(drawn_training, "_CHUNK", 50)
    config = TrainConfig(**{**TINY.to_dict(), "drawn_fraction": 0.5})
    events = []
    x, y = synthetic_split[0]
    result = train_model(config, on_progress=events.append, data=(x[:300], y[:300]),
                         should_stop=lambda: len(events) >= 1)
    assert result.status == "stopped" and result.history == []
    assert [event.stage for event in events] == ["preparing"]
