import errno
import json
import shutil

import numpy as np
import pytest

from mnist_core.config import TrainConfig
from mnist_core.errors import ModelLoadError, RunNotFoundError, StoreError
from mnist_core.model import MlpWeights, build_model
from mnist_core.runs.store import SHIPPED_ID, ModelStore
from mnist_core.training.workflow import train_and_save
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
    from mnist_core.runs.store import load_model_file

    with pytest.raises(ModelLoadError, match="missing"):
        load_model_file(tmp_path / "nothing.keras")


def test_a_full_disk_leaves_nothing_half_written(store, monkeypatch):
    from mnist_core.runs import store as store_module
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

    monkeypatch.setattr("mnist_core.training.engine.build_model", broken)
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


@pytest.fixture
def copied(store, tiny_shipped_dir):
    """A store holding one readable run, a copy of the tiny shipped model; returns (store,
    its folder). Faster than training one, for the tables below."""
    path = store.runs_dir / "2026-01-01_000000"
    shutil.copytree(tiny_shipped_dir, path)
    return store, path


def rewrite(path, name, change):
    """Rewrites the JSON file `name` in `path` as `change(its contents)` returns it."""
    (path / name).write_text(json.dumps(change(json.loads((path / name).read_text()))))


def with_metric(key, value):
    return lambda metrics: {**metrics, key: value}


def with_epoch_field(key, value):
    return lambda history: [history[0], {**history[1], key: value}]


@pytest.mark.parametrize(
    ("name", "change", "reason"),
    [
        # The cases: each crashed the sidebar and the Curves page.
        ("metrics.json", with_metric("test_accuracy", "very good"),
         "metrics.json: test_accuracy is 'very good', expected a number from 0 to 1"),
        ("metrics.json", with_metric("drawn_accuracy", [0.9]),
         "metrics.json: drawn_accuracy is [0.9], expected a number from 0 to 1"),
        ("history.json", lambda history: [1, "x", None],
         "history.json: entry 1 is 1, expected an object with its epoch"),
        # Accuracies are shares, shown as percentages and compared between runs.
        ("metrics.json", with_metric("pen_accuracy", 1.5), "pen_accuracy is 1.5, expected"),
        ("metrics.json", with_metric("test_accuracy", -0.1), "test_accuracy is -0.1"),
        ("metrics.json", with_metric("test_accuracy", float("nan")), "test_accuracy is NaN"),
        ("metrics.json", with_metric("test_accuracy", True), "test_accuracy is true"),
        ("metrics.json", with_metric("drawings_accuracy", "90%"), "drawings_accuracy is '90%'"),
        ("metrics.json", with_metric("tuned_from_test_accuracy", {"a": 1}),
         'tuned_from_test_accuracy is {"a": 1}'),
        ("metrics.json", with_metric("tuned_from_drawings_accuracy", 2),
         "tuned_from_drawings_accuracy is 2"),
        ("metrics.json", with_metric("test_loss", -1), "test_loss is -1, expected a number 0"),
        ("metrics.json", with_metric("train_seconds", "long"),
         "train_seconds is 'long', expected a number of seconds"),
        ("metrics.json", with_metric("train_seconds", float("inf")),
         "train_seconds is Infinity"),
        ("metrics.json", with_metric("status", "great"),
         "status is 'great', expected one of completed, stopped, failed, interrupted"),
        ("metrics.json", with_metric("status", None), "status is null"),
        ("metrics.json", with_metric("finished_at", 20260101),
         "finished_at is 20260101, expected text"),
        ("metrics.json", with_metric("error", ["boom"]), "error is [\"boom\"], expected text"),
        ("metrics.json", with_metric("drawings_count", "many"),
         "drawings_count is 'many', expected a whole number"),
        ("metrics.json", with_metric("drawings_trained", 2.5), "drawings_trained is 2.5"),
        ("metrics.json", with_metric("test_count", -1), "test_count is -1"),
        ("metrics.json", with_metric("test_accuracy", "x" * 100),
         "test_accuracy is 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..., expected"),  # cut short
        ("metrics.json", lambda metrics: [metrics], "metrics.json is malformed"),
        ("metrics.json", lambda metrics: None, "metrics.json is malformed"),
        ("history.json", lambda history: None, "history.json is malformed"),
        ("history.json", lambda history: [{"loss": 0.1}], "entry 1 is {\"loss\": 0.1}"),
        ("history.json", lambda history: [history[0], {**history[1], "epoch": 0}],
         "entry 2 is"),
        ("history.json", with_epoch_field("epoch", "2"), "entry 2 is"),
        ("history.json", with_epoch_field("epoch", True), "entry 2 is"),
        ("history.json", with_epoch_field("loss", "low"),
         "history.json: epoch 2's loss is 'low', expected a number 0 or more"),
        ("history.json", with_epoch_field("val_loss", -0.5), "epoch 2's val_loss is -0.5"),
        ("history.json", with_epoch_field("accuracy", 2),
         "epoch 2's accuracy is 2, expected a number from 0 to 1"),
        ("history.json", with_epoch_field("val_accuracy", [1]), "epoch 2's val_accuracy is [1]"),
        ("history.json", with_epoch_field("seconds", -3), "epoch 2's seconds is -3"),
        ("history.json", with_epoch_field("seconds", float("nan")), "epoch 2's seconds is NaN"),
        ("history.json", with_epoch_field("complete", "yes"),
         "epoch 2's complete is 'yes', expected true or false"),
    ],
)
def test_a_run_with_malformed_figures_is_listed_as_broken_saying_why(copied, name, change,
                                                                    reason):
    store, path = copied
    rewrite(path, name, change)
    runs, broken = store.list_runs()
    assert [r.run_id for r in runs] == [SHIPPED_ID]
    assert [b.run_id for b in broken] == [path.name]
    assert broken[0].reason.startswith(f"Run {path.name!r} is broken: ")
    assert reason in broken[0].reason
    with pytest.raises(StoreError, match="is broken"):
        store.get_run(path.name)


def test_json_nested_too_deep_is_a_broken_run_not_a_crash(copied):
    store, path = copied
    (path / "history.json").write_text("[" * 100_000 + "]" * 100_000)
    runs, broken = store.list_runs()
    assert [b.run_id for b in broken] == [path.name]
    assert "history.json cannot be read" in broken[0].reason


@pytest.mark.parametrize(
    ("name", "change"),
    [
        # Older formats and unmeasured figures are read as they are.
        ("metrics.json", lambda metrics: {}),
        ("metrics.json", lambda metrics: {**metrics, "test_accuracy": None,
                                          "drawn_accuracy": None, "train_seconds": None}),
        ("metrics.json", with_metric("something_new", ["any", {"value": 1}])),
        ("metrics.json", with_metric("versions", "not checked: nothing shows it")),
        ("metrics.json", with_metric("startup_seconds", "the estimate skips a bad one")),
        ("metrics.json", with_metric("status", "interrupted")),
        ("metrics.json", with_metric("test_accuracy", 1)),
        # A run whose training diverged: its losses are NaN or infinity (json writes both).
        ("metrics.json", with_metric("test_loss", float("nan"))),
        ("history.json", with_epoch_field("loss", float("inf"))),
        ("history.json", lambda history: []),
        ("history.json", lambda history: [{"epoch": 1}, {"epoch": 2, "loss": 0.5}]),
        ("history.json", lambda history: [{**record, "val_loss": None, "val_accuracy": None,
                                           "seconds": None, "note": "kept"}
                                          for record in history]),
    ],
)
def test_older_or_unmeasured_figures_are_still_read(copied, name, change):
    store, path = copied
    rewrite(path, name, change)
    runs, broken = store.list_runs()
    assert broken == [] and {r.run_id for r in runs} == {SHIPPED_ID, path.name}


def test_the_shipped_model_passes_the_checks():
    run = ModelStore().get_run(SHIPPED_ID)
    assert len(run.history) == 60 and run.test_accuracy > 0.99


def test_an_active_run_with_malformed_figures_falls_back_saying_why(copied):
    store, path = copied
    store.activate(path.name)
    rewrite(path, "metrics.json", with_metric("test_accuracy", "very good"))
    loaded = store.load_active()
    assert loaded.run.is_shipped
    assert "test_accuracy is 'very good'" in loaded.fallback_reason
    assert "using the shipped model instead" in loaded.fallback_reason


def test_an_active_run_that_is_gone_is_named_and_the_shipped_model_used(copied):
    store, path = copied
    assert store.active_problem() is None  # nothing chosen: the shipped model, as intended
    store.activate(path.name)
    assert store.active_problem() is None and store.load_active().fallback_reason is None
    shutil.rmtree(path)
    assert store.active_run_id() == SHIPPED_ID  # as before, for every other caller
    expected = (f"The model in use, run {path.name}, is no longer in the models folder "
                "(deleted or moved): using the shipped model.")
    assert store.active_problem() == expected
    loaded = store.load_active()
    assert loaded.run.is_shipped and loaded.fallback_reason == expected


@pytest.mark.parametrize("content", ["{not json", '{"run": "x"}', '{"run_id": 5}', "[1]"])
def test_an_unreadable_active_pointer_is_named_and_the_shipped_model_used(store, content):
    store.root.mkdir(parents=True)
    (store.root / "active.json").write_text(content)
    assert store.active_run_id() == SHIPPED_ID
    assert "active.json) cannot be read: using the shipped model" in store.active_problem()
    assert store.load_active().fallback_reason == store.active_problem()


@pytest.mark.parametrize("evaluation", [
    {}, [], "very good", {"accuracy": 0.9, "per_class_accuracy": [0.9] * 9,
                          "confusion": [[1] * 10] * 10},
    {"accuracy": 0.9, "per_class_accuracy": [0.9] * 10, "confusion": [[1] * 10] * 9},
    {"accuracy": 0.9, "per_class_accuracy": [0.9] * 10, "confusion": [["x"] * 10] * 10},
    {"accuracy": 0.9, "per_class_accuracy": [0.9] * 10, "confusion": [[1] * 10] * 10,
     "misclassified": [{"index": 3, "true": 12, "predicted": 1, "confidence": 0.5}]},
])
def test_a_malformed_evaluation_is_not_shown_but_computed_again(copied, evaluation):
    store, path = copied
    (path / "evaluation.json").write_text(json.dumps(evaluation))
    assert store.get_run(path.name).evaluation() is None


def test_a_well_formed_evaluation_is_read(copied):
    store, path = copied
    good = {"accuracy": 0.9, "per_class_accuracy": [0.9] * 9 + [None],
            "confusion": [[1] * 10] * 10,
            "misclassified": [{"index": 3, "true": 2, "predicted": 1, "confidence": 0.5}]}
    (path / "evaluation.json").write_text(json.dumps(good))
    assert store.get_run(path.name).evaluation() == good


def test_a_run_gets_a_name_people_read_and_the_teacher_can_rename_it(store, synthetic_split):
    run, _ = train_and_save(TINY, store=store, data=synthetic_split)
    assert run.name.startswith("Trained ") and run.metrics["name"] == run.name  # kept
    # One line, spaces evened out: a name is a sidebar line and a table cell.
    assert store.rename(run.run_id, "  Our  class's\n first model ") == "Our class's first model"
    store.rename(run.run_id, "Our class's first model")
    assert store.get_run(run.run_id).name == "Our class's first model"
    for bad in ("", "   ", "x" * 61):
        with pytest.raises(StoreError, match="1 to 60 characters"):
            store.rename(run.run_id, bad)
    with pytest.raises(StoreError, match="shipped model keeps its name"):
        store.rename(SHIPPED_ID, "Mine")
    assert store.get_run(run.run_id).name == "Our class's first model"


def test_a_run_without_a_name_is_named_from_how_and_when_it_was_trained():
    from mnist_core.config import QUICK, TrainConfig
    from mnist_core.runs.store import run_name

    when = "2026-12-07T08:08:00+00:00"
    assert run_name(QUICK, when).startswith("Quick preset, ")
    assert run_name(TrainConfig(tuned_from="x", include_drawings=True), when).startswith(
        "Taught on the class's drawings, ")
    assert run_name(TrainConfig(epochs=3), when).startswith("Trained ")
    assert run_name(TrainConfig(epochs=3), "not a time") == "Trained"
