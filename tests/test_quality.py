"""The re-drawn test digits every run is scored on: rendered once, then read from disk."""

import numpy as np

from mnist_core.training import quality
from tests.conftest import synthetic_digits


def test_the_redrawn_test_digits_are_rendered_once_and_then_read_from_disk(tmp_path,
                                                                            monkeypatch):
    digits = synthetic_digits(30, seed=3)
    monkeypatch.setattr(quality, "load_mnist", lambda: (digits, digits))
    monkeypatch.setenv("MNIST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(quality, "_cache", {})
    first, labels = quality.drawn_test_inputs(count=20, seed=5)
    assert list((tmp_path / "cache").glob("drawn-test-*-20.npy"))

    def no_drawing(*args, **kwargs):
        raise AssertionError("re-drew digits that were on disk")

    monkeypatch.setattr(quality, "_cache", {})  # a new process, e.g. the next training job
    monkeypatch.setattr(quality, "iter_redrawn", no_drawing)
    seen = []
    again, _ = quality.drawn_test_inputs(count=20, seed=5, on_progress=lambda *a: seen.append(a))
    assert np.array_equal(again, first) and np.array_equal(labels, digits[1][:20])
    assert seen == [(20, 20)]


def test_a_damaged_cache_file_is_drawn_again(tmp_path, monkeypatch):
    digits = synthetic_digits(12, seed=4)
    monkeypatch.setattr(quality, "load_mnist", lambda: (digits, digits))
    monkeypatch.setenv("MNIST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(quality, "_cache", {})
    first, _ = quality.drawn_test_inputs(count=10, seed=1)
    [path] = (tmp_path / "cache").glob("drawn-test-*.npy")
    path.write_bytes(b"not an array")
    monkeypatch.setattr(quality, "_cache", {})
    again, _ = quality.drawn_test_inputs(count=10, seed=1)
    assert np.array_equal(again, first)
