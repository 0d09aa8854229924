import dataclasses

import numpy as np
import pytest

from mnist_core.config import TrainConfig
from mnist_core.errors import ConfigError
from mnist_core.model import MlpWeights
from mnist_core.runs.evaluate import evaluate_weights
from mnist_core.training.engine import train_model
from mnist_core.training.training_set import split_training_data
from tests.conftest import TINY


@pytest.fixture(scope="module")
def data(synthetic_split):
    return synthetic_split[0]


ENGINES = pytest.mark.parametrize("engine", ["numpy", "keras"])


@ENGINES
def test_a_tiny_model_learns_and_reports_every_batch_and_epoch(data, synthetic_split, engine):
    events = []
    result = train_model(TINY, on_progress=events.append, data=data, engine=engine)
    assert result.status == "completed" and result.error is None and result.engine == engine
    batches = -(-540 // TINY.batch_size)  # 600 images, 10% held out
    batch_events = [e for e in events if not e.epoch_end]
    epoch_events = [e for e in events if e.epoch_end]
    assert len(batch_events) == TINY.epochs * batches
    assert [e.epoch for e in epoch_events] == [1, 2]
    assert {"val_loss", "val_accuracy"} <= set(epoch_events[-1].metrics)
    assert events[-1].fraction == pytest.approx(1.0)
    # Elapsed time never runs backwards.
    times = [event.elapsed_seconds for event in events]
    assert times == sorted(times)
    assert [h["epoch"] for h in result.history] == [1, 2]
    assert all(h["complete"] for h in result.history)
    x_test, y_test = synthetic_split[1]
    assert evaluate_weights(MlpWeights.from_model(result.model), x_test, y_test).accuracy > 0.9


@ENGINES
def test_stop_is_honoured_within_one_batch(data, engine):
    events = []
    result = train_model(TrainConfig(**{**TINY.to_dict(), "epochs": 5}),
                         on_progress=events.append, should_stop=lambda: len(events) >= 3,
                         data=data, engine=engine)
    assert result.status == "stopped"
    batch_events = [e for e in events if not e.epoch_end]
    assert len(batch_events) == 3  # asked after batch 3: no fourth batch ran
    assert len(result.history) == 1 and result.history[0]["complete"] is False
    assert result.model is not None


def test_stop_before_start_trains_nothing(data):
    events = []
    result = train_model(TINY, on_progress=events.append, should_stop=lambda: True, data=data)
    assert result.status == "stopped" and events == [] and result.history == []


def test_a_crash_inside_training_is_a_failed_run(data, monkeypatch):
    def broken(config):
        raise RuntimeError("out of memory, say")

    monkeypatch.setattr("mnist_core.training.engine.build_model", broken)
    result = train_model(TINY, data=data)
    assert result.status == "failed"
    assert "RuntimeError: out of memory, say" in result.error


@ENGINES
def test_same_seed_gives_the_same_result(data, synthetic_split, engine):
    x_test, y_test = synthetic_split[1]
    scores = [evaluate_weights(MlpWeights.from_model(train_model(TINY, data=data,
                                                                 engine=engine).model),
                               x_test, y_test).accuracy for _ in range(2)]
    assert abs(scores[0] - scores[1]) <= 0.02


def test_the_numpy_engine_is_exactly_repeatable_and_a_new_seed_learns_otherwise(data):
    first, again = (MlpWeights.from_model(train_model(TINY, data=data).model) for _ in "ab")
    other = MlpWeights.from_model(train_model(dataclasses.replace(TINY, seed=TINY.seed + 1),
                                              data=data).model)
    assert all(np.array_equal(a, b) for a, b in zip(first.kernels, again.kernels, strict=True))
    assert not np.array_equal(first.kernels[0], other.kernels[0])


def test_augmented_training_runs_with_keras_and_numpy_refuses_it(data):
    config = TrainConfig(**{**TINY.to_dict(), "augment": True, "epochs": 1})
    result = train_model(config, data=data)
    assert result.status == "completed" and result.engine == "keras"
    with pytest.raises(ConfigError, match="Keras"):
        train_model(config, data=data, engine="numpy")
    assert train_model(TINY, data=data).engine == "numpy"  # the default without distortions


@pytest.mark.parametrize(("samples", "split", "fit", "held_out"),
                         [(None, 0.1, 540, 60), (200, 0.25, 150, 50)])
def test_split_is_disjoint_and_sized(data, samples, split, fit, held_out):
    config = TrainConfig(max_train_samples=samples, validation_split=split)
    (x_fit, _), (x_val, _) = split_training_data(config, *data)
    assert (len(x_fit), len(x_val)) == (fit, held_out)


def test_split_depends_on_the_seed(data):
    first = split_training_data(TrainConfig(seed=1), *data)[1][0]
    second = split_training_data(TrainConfig(seed=2), *data)[1][0]
    assert not np.array_equal(first, second)


def test_reports_carry_the_runs_own_pace_once_two_batches_have_run(data):
    events = []
    result = train_model(TINY, on_progress=events.append, data=data)
    assert events[0].pace is None  # the first batch also traces the graph: no pace yet
    paces = [event.pace for event in events[1:]]
    assert all(pace is not None and pace > 0 for pace in paces)
    # At the last epoch's end: that epoch's seconds per batch, its validation included.
    batches = events[-1].batches
    last_epoch = result.history[1]["seconds"] - result.history[0]["seconds"]
    assert paces[-1] * batches == pytest.approx(last_epoch, abs=0.01)
    assert 0 < result.fit_started_seconds < result.history[0]["seconds"]


def test_real_writers_digits_join_the_fitted_images_and_never_the_validation(data, pen_dir):
    events = []
    config = TrainConfig(**{**TINY.to_dict(), "epochs": 1, "pen_fraction": 0.5})
    result = train_model(config, on_progress=events.append, data=data)
    assert result.status == "completed", result.error
    assert result.pen_digits == 540 and result.train_samples == 540 + 540
    assert result.validation_samples == 60  # MNIST only: the runs it is compared with watch it
    preparing = [(e.batch, e.batches) for e in events
                 if e.stage == "preparing" and e.step == "real writers"]
    assert preparing == [(0, 540), (540, 540)]
    assert result.pen_seconds > 0 and result.preparing_seconds >= result.pen_seconds


def test_fine_tuning_starts_from_the_weights_given_not_from_random_ones(data, synthetic_split):
    base = MlpWeights.from_model(train_model(TINY, data=data).model)
    x_test, y_test = synthetic_split[1]
    # One pass at a rate too small to move far: what it reads is what the start read.
    config = TrainConfig(**{**TINY.to_dict(), "epochs": 1, "learning_rate": 1e-7,
                            "tuned_from": "shipped"})
    tuned = MlpWeights.from_model(train_model(config, data=data, start_weights=base).model)
    assert evaluate_weights(tuned, x_test, y_test).accuracy > 0.9
    assert np.allclose(tuned.kernels[0], base.kernels[0], atol=1e-4)
    fresh = MlpWeights.from_model(train_model(config, data=data).model)  # random start
    assert evaluate_weights(fresh, x_test, y_test).accuracy < 0.5


def test_fine_tuning_keeps_the_models_own_layers(data):
    base = MlpWeights.from_model(train_model(TINY, data=data).model)
    config = TrainConfig(**{**TINY.to_dict(), "hidden_units": (32,), "tuned_from": "shipped"})
    with pytest.raises(ConfigError, match="The model shipped has hidden layers 16, but the "
                                          "settings say 32"):
        train_model(config, data=data, start_weights=base)


def test_real_writers_drawings_are_made_once_and_each_run_samples_them(data, tmp_path,
                                                                         monkeypatch):
    """A run needing as many real writers' digits as a third of the pool (Quick takes 3 a
    digit) and every fine-tune sample the pool's drawings kept on disk, drawn by the first
    run only (mnist_core.training.pen_cache); a small run draws its own few anew."""
    from mnist_core.data.pendigits import PenDigit

    monkeypatch.setenv("MNIST_CACHE_DIR", str(tmp_path / "cache"))
    pool = tuple(PenDigit(label, 1, number, number, (np.zeros((1, 2), np.float32),))
                 for number, label in enumerate(list(range(10)) * 6))  # 60 digits
    monkeypatch.setattr("mnist_core.data.writers.training_pool", lambda sources: pool)
    calls = []

    def pen_drawings(digits, copies, seed, on_progress=None, should_stop=None):
        calls.append(len(digits) * copies)
        labels = np.array([digit.label for digit in digits], np.uint8)
        return np.broadcast_to(labels[:, None, None, None] * 20,  # a picture of its label
                               (len(digits), copies, 28, 28)).astype(np.uint8)

    monkeypatch.setattr("mnist_core.training.pen_cache.pen_drawings", pen_drawings)
    scratch = TrainConfig(**{**TINY.to_dict(), "epochs": 1, "pen_fraction": 0.1})
    first = train_model(scratch, data=data)
    second = train_model(dataclasses.replace(scratch, seed=1), data=data)
    tuned = train_model(dataclasses.replace(scratch, tuned_from="shipped"), data=data)
    assert calls == [180]  # the pool's 60 digits, 3 drawings each, once
    assert first.pen_digits == second.pen_digits == tuned.pen_digits == 60  # a ninth of 540
    assert first.pen_drawn == 180 and second.pen_drawn == tuned.pen_drawn == 0
    assert first.status == second.status == tuned.status == "completed"


def test_a_fine_tune_without_the_pools_drawings_draws_its_few_once_and_then_reads_them(
        data, tmp_path, monkeypatch):
    """A fine-tune needs 60 here, a tenth of the pool: it does not wait for the whole pool to
    be drawn; it draws its own and keeps them, as every fine-tune replays the same ones."""
    from mnist_core.data.pendigits import PenDigit

    monkeypatch.setenv("MNIST_CACHE_DIR", str(tmp_path / "cache"))
    pool = tuple(PenDigit(number % 10, 1, number, number, (np.zeros((1, 2), np.float32),))
                 for number in range(600))
    monkeypatch.setattr("mnist_core.data.writers.training_pool", lambda sources: pool)
    calls = []

    def pen_training_set(count, rng, pool=None):
        calls.append(count)
        images, labels = data
        return images[:count].copy(), labels[:count].copy()

    monkeypatch.setattr("mnist_core.data.pendigits.pen_training_set", pen_training_set)
    tuned = TrainConfig(**{**TINY.to_dict(), "epochs": 1, "pen_fraction": 0.1,
                           "tuned_from": "shipped"})
    first = train_model(tuned, data=data)
    second = train_model(tuned, data=data)
    assert calls == [60] and first.pen_drawn == 60 and second.pen_drawn == 0
    assert second.pen_digits == 60 and second.status == "completed"
    train_model(dataclasses.replace(tuned, tuned_from=None), data=data)
    assert calls == [60, 60]  # a small run from scratch draws its own, as always
