"""What every run is scored on beside MNIST: re-drawn test digits and real writers' pen digits,
rendered once, then read from disk."""

import numpy as np
import pytest

from mnist_core.runs.store import ModelStore
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


@pytest.fixture(scope="module")
def shipped():
    return ModelStore().load_weights("shipped")


def test_real_writers_are_scored_on_both_files_report_writers_and_drawn_once(
        tmp_path, monkeypatch, pen_dir, unipen_dir, shipped):
    from mnist_core.data import pendigits, writers

    monkeypatch.setenv("MNIST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("UNIPEN_DATA_DIR", str(unipen_dir))
    few = {"held-out": pendigits.held_out_digits()[::50],
           "report": writers.real_writers("report")[::25]}
    monkeypatch.setattr(pendigits, "held_out_digits", lambda: few["held-out"])
    monkeypatch.setattr(writers, "real_writers", lambda split: few[split])
    metrics = quality.pen_metrics(shipped)
    assert metrics["pen_count"] == len(few["held-out"])
    assert metrics["report_count"] == len(few["report"])
    assert metrics["report_writers"] == len({d.writer_key for d in few["report"]}) > 30
    assert metrics["report_accuracy"] > 0.9 and metrics["pen_accuracy"] > 0.9
    assert len(list((tmp_path / "cache").glob("writers-*.npy"))) == 2

    def no_drawing(*args, **kwargs):
        raise AssertionError("drew digits that were on disk")

    monkeypatch.setattr(pendigits, "scored_inputs", no_drawing)  # the next training job
    assert quality.pen_metrics(shipped) == metrics


def test_without_unipen_only_the_pendigits_writers_are_scored(tmp_path, monkeypatch, pen_dir,
                                                              shipped):
    from mnist_core.data import pendigits, unipen

    monkeypatch.setenv("MNIST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("UNIPEN_DATA_DIR", str(tmp_path / "nowhere"))
    monkeypatch.setattr(unipen, "_cache", {})
    few = pendigits.held_out_digits()[::100]
    monkeypatch.setattr(pendigits, "held_out_digits", lambda: few)
    assert set(quality.pen_metrics(shipped)) == {"pen_accuracy", "pen_count"}
