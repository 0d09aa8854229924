"""The real writers' drawings kept on disk (mnist_core.training.pen_cache): drawn once, named by
what changes them, never read half-written or damaged, and sampled afresh by each run."""

import threading

import numpy as np
import pytest

from mnist_core.data.pendigits import PenDigit
from mnist_core.training import pen_cache
from mnist_core.training.pen_cache import COPIES, DAMAGED, cache_path, pen_copies, sample_pen

POOL = tuple(PenDigit(label, 1, number, number, (np.zeros((1, 2), np.float32),))
             for number, label in enumerate(list(range(10)) * 4))  # 40 digits, 4 of each


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def drawn(monkeypatch):
    """Drawing made instant: each drawing is a picture of its digit's number and copy; the
    calls are counted."""
    calls = []

    def pen_drawings(digits, copies, seed, on_progress=None, should_stop=None):
        calls.append(len(digits))
        out = np.zeros((len(digits), copies, 28, 28), np.uint8)
        for start in range(0, len(digits), 10):  # in chunks, like the real one
            for index in range(start, min(start + 10, len(digits))):
                for copy in range(copies):
                    out[index, copy] = digits[index].number * 3 + copy
            if on_progress is not None:
                on_progress(min(start + 10, len(digits)) * copies, len(digits) * copies)
            if should_stop is not None and should_stop():
                return None
        return out

    monkeypatch.setattr(pen_cache, "pen_drawings", pen_drawings)
    return calls


def test_the_drawings_are_made_once_then_read(drawn):
    events = []
    first, made = pen_copies(("pendigits",), POOL, lambda *event: events.append(event))
    again, made_again = pen_copies(("pendigits",), POOL)
    assert drawn == [40] and made == 40 * COPIES and made_again == 0
    assert first.shape == (40, COPIES, 28, 28) and np.array_equal(first, again)
    assert events[0] == ("drawing", 0, 40 * COPIES)
    assert events[-1] == ("drawing", 40 * COPIES, 40 * COPIES)


def test_the_name_changes_with_the_files_and_the_copies(monkeypatch):
    both = cache_path(("pendigits", "unipen"))
    assert cache_path(("pendigits",)) != both != cache_path(("unipen",))
    assert cache_path(("pendigits", "unipen")) == both  # the same recipe: the same file
    monkeypatch.setattr(pen_cache, "COPIES", COPIES + 1)
    assert cache_path(("pendigits", "unipen")) != both


def test_the_name_changes_with_the_code_that_draws(monkeypatch):
    before = cache_path(("pendigits",))
    real = pen_cache.add_code

    def changed_code(digest, modules):
        real(digest, modules)
        digest.update(b"# one more line in data/drawn.py")

    monkeypatch.setattr(pen_cache, "add_code", changed_code)
    assert cache_path(("pendigits",)) != before


def test_a_build_stopped_halfway_leaves_nothing_to_read(drawn, cache):
    stopped, made = pen_copies(("pendigits",), POOL, should_stop=lambda: True)
    assert stopped is None
    assert not cache_path(("pendigits",)).exists() and not list(cache.glob("*.npy"))
    complete, made = pen_copies(("pendigits",), POOL)  # the next run draws them whole
    assert complete.shape == (40, COPIES, 28, 28) and made == 40 * COPIES


@pytest.mark.parametrize("damage", ["truncated", "garbage", "wrong shape"])
def test_a_damaged_file_is_drawn_again_and_the_progress_says_so(drawn, damage):
    good, _ = pen_copies(("pendigits",), POOL)
    path = cache_path(("pendigits",))
    if damage == "truncated":  # a writer killed mid-file (not one of ours: ours rename)
        path.write_bytes(path.read_bytes()[:5000])
    elif damage == "garbage":
        path.write_bytes(b"not a numpy file")
    else:
        np.save(path, good[:10])
    events = []
    again, made = pen_copies(("pendigits",), POOL, lambda *event: events.append(event))
    assert events[0] == (DAMAGED, 0, 40 * COPIES) and made == 40 * COPIES
    assert events[-1] == (DAMAGED, 40 * COPIES, 40 * COPIES)
    assert np.array_equal(again, good) and drawn == [40, 40]
    assert np.array_equal(np.load(path), good)  # and kept whole for the next run


def test_two_builders_at_once_both_get_whole_drawings_and_leave_a_whole_file(drawn):
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        pen_copies(("pendigits",), POOL)[0])) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and all(result.shape == (40, COPIES, 28, 28) for result in results)
    assert np.array_equal(np.load(cache_path(("pendigits",))), results[0])


def test_a_run_takes_every_digit_once_before_any_twice_each_time_a_new_drawing():
    drawings = np.zeros((40, COPIES, 28, 28), np.uint8)
    drawings[:, :, 0, 0] = np.arange(40)[:, None]  # which digit
    drawings[:, :, 0, 1] = np.arange(COPIES)[None, :]  # which of its drawings
    images, labels = sample_pen(drawings, POOL, 100, np.random.default_rng(0))
    digit, copy = images[:, 0, 0].astype(int), images[:, 0, 1].astype(int)
    assert sorted(digit[:40]) == list(range(40)) and sorted(digit[40:80]) == list(range(40))
    assert np.array_equal(labels, [POOL[i].label for i in digit])
    for index in range(40):  # 2 or 3 times in 100: each time another drawing of it
        taken = copy[digit == index]
        assert len(set(taken)) == len(taken)
    again, _ = sample_pen(drawings, POOL, 100, np.random.default_rng(0))
    other, _ = sample_pen(drawings, POOL, 100, np.random.default_rng(1))
    assert np.array_equal(images, again) and not np.array_equal(images, other)


def test_a_sample_of_nothing_or_of_no_pool_is_clear():
    drawings = np.zeros((40, COPIES, 28, 28), np.uint8)
    images, labels = sample_pen(drawings, POOL, 0, np.random.default_rng(0))
    assert images.shape == (0, 28, 28) and labels.shape == (0,)
    with pytest.raises(ValueError, match="whole number"):
        sample_pen(drawings, POOL, -1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="an empty pool"):
        sample_pen(drawings[:0], (), 3, np.random.default_rng(0))


def test_real_writers_digits_are_drawn_each_copy_its_own_way(pen_dir, monkeypatch):
    """The real drawing (not the stand-in above): the same for the same seed, and the
    copies of one digit differ (shape, pen, size and slant are varied)."""
    monkeypatch.setenv("PENDIGITS_DATA_DIR", str(pen_dir))
    from mnist_core.data.pendigits import pen_drawings
    from mnist_core.data.writers import training_pool

    pool = training_pool(("pendigits",))[:6]
    drawings = pen_drawings(pool, 2, seed=5)
    assert drawings.shape == (6, 2, 28, 28) and drawings.dtype == np.uint8
    assert np.array_equal(drawings, pen_drawings(pool, 2, seed=5))
    assert all(not np.array_equal(drawings[i, 0], drawings[i, 1]) for i in range(6))
    assert all(drawings[i].max() > 200 for i in range(6))  # ink, white on black


@pytest.mark.parametrize(("step", "text"), [
    ("drawing real writers", "Drawing real writers' digits on the canvas, once for this "
                             "machine: 3,000 of 36,111"),
    ("drawing real writers again", "The real writers' drawings kept here were damaged; "
                                   "drawing them again: 3,000 of 36,111"),
    ("real writers", "Taking this run's real writers' digits: 3,000 of 36,111"),
    ("", "Re-drawing training digits as mouse strokes, once: 3,000 of 36,111"),
])
def test_the_page_and_the_command_line_say_what_is_being_prepared(step, text):
    from mnist_core.training.progress import Progress

    progress = Progress(0, 0, 3000, 36111, 12.0, {}, stage="preparing", step=step)
    assert progress.preparing_text == text
