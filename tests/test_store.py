import errno
import json
import shutil

import numpy as np
import pytest

from mnist_core.config import TrainConfig
from mnist_core.errors import ModelLoadError, RunNotFoundError, StoreError
from mnist_core.model import MlpWeights, build_model
from mnist_core.store import SHIPPED_ID, ModelStore
from mnist_core.workflow import train_and_save
from tests.conftest import TINY


@pytest.fixture
def saved(store, synthetic_split):
    """A store holding one completed tiny run; returns (store, run, training result)."""
    run, result = train_and_save(TINY, store=store, data=synthetic_split)
    return store, run, result


def test_a_fresh_store_has_only_the_shipped_model_active(store):
    runs, broken = store.list_runs()
    assert [run.run_id for run in runs] == [SHIPPED_ID] and broken == []
    assert store.active_run_id() == SHIPPED_ID
    loaded = store.load_active()
    assert loaded.run.is_shipped and loaded.fallback_reason is None


def test_a_saved_run_holds_model_config_history_and_metrics(saved):
    store, run, _ = saved
    assert sorted(p.name for p in run.path.iterdir()) == [
        "config.json", "evaluation.json", "history.json", "metrics.json", "model.keras"]
    assert run.config == TINY
    assert [h["epoch"] for h in run.history] == [1, 2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "seconds"} <= set(run.history[0])
    for key in ("test_accuracy", "test_loss", "test_count", "status", "finished_at",
                "train_seconds", "versions", "train_samples"):
        assert key in run.metrics
    assert run.status == "completed" and run.metrics["test_count"] == 200
    assert run.evaluation()["confusion"] and "misclassified" in run.evaluation()
    assert [r.run_id for r in store.list_runs()[0]] == [run.run_id, SHIPPED_ID]


def test_a_run_finished_in_the_same_second_as_the_shipped_model_is_listed_first(saved):
    store, run, _ = saved
    shipped = store.get_run(SHIPPED_ID)
    metrics = json.loads((run.path / "metrics.json").read_text())
    metrics["finished_at"] = shipped.finished_at
    (run.path / "metrics.json").write_text(json.dumps(metrics))
    assert [r.run_id for r in store.list_runs()[0]] == [run.run_id, SHIPPED_ID]


def test_save_and_reload_give_identical_predictions(saved):
    store, run, result = saved
    images = np.random.default_rng(0).random((32, 28, 28), dtype=np.float32)
    loaded = store.load_weights(run.run_id)
    original = MlpWeights.from_model(result.model)
    for saved_array, original_array in zip(loaded.kernels + loaded.biases,
                                           original.kernels + original.biases, strict=True):
        np.testing.assert_array_equal(saved_array, original_array)
    np.testing.assert_array_equal(loaded.predict(images), original.predict(images))
    keras_digits = result.model(images, training=False).numpy().argmax(axis=1)
    np.testing.assert_array_equal(loaded.predict(images).argmax(axis=1), keras_digits)


def test_model_file_has_no_optimizer_state(saved):
    _, run, result = saved
    weights_bytes = sum(w.nbytes for w in result.model.get_weights())
    assert run.model_path.stat().st_size < 2 * weights_bytes + 50_000


def test_activate_switches_the_model_and_delete_refuses_the_active(saved):
    store, run, _ = saved
    store.activate(run.run_id)
    assert store.active_run_id() == run.run_id
    assert store.load_active().run.run_id == run.run_id
    with pytest.raises(StoreError, match="active model"):
        store.delete(run.run_id)
    store.activate(SHIPPED_ID)
    store.delete(run.run_id)
    assert [r.run_id for r in store.list_runs()[0]] == [SHIPPED_ID]


def test_the_shipped_model_cannot_be_deleted(store):
    with pytest.raises(StoreError, match="shipped"):
        store.delete(SHIPPED_ID)


@pytest.mark.parametrize("run_id", ["nope", "../escape", ".tmp-x", ""])
def test_unknown_runs_are_not_found(store, run_id):
    with pytest.raises(RunNotFoundError):
        store.get_run(run_id)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda path: (path / "metrics.json").unlink(), "metrics.json is missing"),
        (lambda path: (path / "config.json").write_text("{not json"), "config.json"),
        (lambda path: (path / "config.json").write_text('{"epochs": 0}'), "config.json"),
        (lambda path: (path / "model.keras").unlink(), "model.keras is missing"),
        (lambda path: (path / "history.json").write_text('{"a": 1}'), "malformed"),
    ],
)
def test_a_broken_run_is_listed_as_broken_and_nothing_crashes(saved, damage, reason):
    store, run, _ = saved
    damage(run.path)
    runs, broken = store.list_runs()
    assert [r.run_id for r in runs] == [SHIPPED_ID]
    assert [b.run_id for b in broken] == [run.run_id] and reason in broken[0].reason
    store.delete(run.run_id)  # a broken run can still be cleared away
    assert store.list_runs() == (runs, [])


def test_corrupt_model_file_is_a_clear_error_and_the_app_falls_back(saved):
    store, run, _ = saved
    store.activate(run.run_id)
    run.model_path.write_bytes(b"PK\x03\x04 this is not a keras file")
    with pytest.raises(ModelLoadError, match="corrupt"):
        store.load_weights(run.run_id)
    loaded = store.load_active()
    assert loaded.run.is_shipped
    assert run.run_id in loaded.fallback_reason and "shipped" in loaded.fallback_reason


def test_missing_active_run_means_the_shipped_model(saved):
    store, run, _ = saved
    store.activate(run.run_id)
    shutil.rmtree(run.path)
    assert store.active_run_id() == SHIPPED_ID


def test_a_model_that_is_not_an_mlp_cannot_be_loaded(saved, tmp_path):
    import keras

    store, run, _ = saved
    inputs = keras.Input((28, 28))
    x = keras.layers.Reshape((28, 28, 1))(inputs)
    x = keras.layers.Flatten()(keras.layers.Conv2D(2, 3)(x))
    keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x)).save(run.model_path)
    with pytest.raises(ModelLoadError, match="Reshape"):
        store.load_weights(run.run_id)
    with pytest.raises(ModelLoadError):
        store.activate(run.run_id)


def test_a_missing_model_file_is_a_clear_error(store, tmp_path):
    from mnist_core.store import load_model_file

    with pytest.raises(ModelLoadError, match="missing"):
        load_model_file(tmp_path / "nothing.keras")


def test_a_full_disk_leaves_nothing_half_written(store, monkeypatch):
    from mnist_core import store as store_module

    real_write = store_module._write_json

    def write_until_full(path, value):
        if path.name == "history.json":
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(path, value)

    monkeypatch.setattr(store_module, "_write_json", write_until_full)
    with pytest.raises(StoreError, match="No space left on device"):
        store.save_run(TINY, build_model(TINY), [], {"status": "completed"})
    assert list(store.runs_dir.iterdir()) == []


def test_an_unwritable_models_folder_is_a_clear_error(tmp_path, tiny_shipped_dir):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    store = ModelStore(blocker, tiny_shipped_dir)
    with pytest.raises(StoreError, match="MNIST_MODELS_DIR"):
        store.save_run(TINY, build_model(TINY), [], {"status": "completed"})


def test_a_stopped_run_is_kept_as_stopped_and_leaves_the_store_intact(saved, synthetic_split):
    store, first, _ = saved
    store.activate(first.run_id)
    calls = []

    def stop_after_three_batches():
        calls.append(1)
        return len(calls) >= 3

    config = TrainConfig(**{**TINY.to_dict(), "epochs": 20})
    run, _ = train_and_save(config, store=store, should_stop=stop_after_three_batches,
                            data=synthetic_split)
    assert run.status == "stopped" and len(run.history) == 1
    assert run.test_accuracy is not None
    assert store.active_run_id() == first.run_id  # never made active by itself
    runs, broken = store.list_runs()
    assert {r.run_id for r in runs} == {SHIPPED_ID, first.run_id, run.run_id} and not broken
    assert not [p for p in store.runs_dir.iterdir() if p.name.startswith(".")]


def test_a_failed_run_is_saved_with_its_error_and_cannot_be_activated(store, synthetic_split,
                                                                     monkeypatch):
    def broken(config):
        raise RuntimeError("boom")

    monkeypatch.setattr("mnist_core.training.build_model", broken)
    run, _ = train_and_save(TINY, store=store, data=synthetic_split)
    assert run.status == "failed" and "boom" in run.metrics["error"]
    with pytest.raises(StoreError, match="failed"):
        store.activate(run.run_id)
    assert store.active_run_id() == SHIPPED_ID


def test_the_environment_variable_moves_the_store(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_MODELS_DIR", str(tmp_path / "elsewhere"))
    assert ModelStore().root == tmp_path / "elsewhere"


def test_run_ids_do_not_collide(saved, synthetic_split):
    store, first, _ = saved
    model = build_model(TINY)
    ids = {store.save_run(TINY, model, [], {"status": "completed"}).run_id for _ in range(3)}
    assert len(ids) == 3 and first.run_id not in ids


def test_active_pointer_is_plain_json(saved):
    store, run, _ = saved
    store.activate(run.run_id)
    assert json.loads((store.root / "active.json").read_text()) == {"run_id": run.run_id}


def test_the_keras_free_reader_agrees_with_keras_safe_mode(saved):
    import keras

    store, run, _ = saved
    ours = store.load_weights(run.run_id)
    theirs = MlpWeights.from_model(
        keras.saving.load_model(run.model_path, compile=False, safe_mode=True))
    for mine, reference in zip(ours.kernels + ours.biases, theirs.kernels + theirs.biases,
                               strict=True):
        np.testing.assert_array_equal(mine, reference)
