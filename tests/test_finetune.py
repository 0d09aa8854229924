"""mnist_core/training/finetune.py: the fine-tune's settings, when it refuses, and a real fine-tune
of a tiny model on synthetic digits through `train_and_save`: before and after, what it saves."""

import json

import numpy as np
import pytest

from mnist_core.classroom.drawings import DrawingCounts
from mnist_core.config import TrainConfig
from mnist_core.errors import ConfigError, RunNotFoundError
from mnist_core.runs.store import SHIPPED_ID
from mnist_core.training.finetune import (
    FINE_TUNE,
    MIN_TEACH_DRAWINGS,
    before_and_after,
    fine_tune_config,
    teach_refusal,
)
from mnist_core.training.workflow import train_and_save


def test_the_settings_keep_the_models_layers_and_say_what_it_was_tuned_from(store):
    shipped = store.get_run(SHIPPED_ID)
    config = fine_tune_config(shipped, pen_digits=True)
    assert config.tuned_from == SHIPPED_ID
    assert config.hidden_units == shipped.config.hidden_units
    assert config.dropout_rate == shipped.config.dropout_rate
    assert config.include_drawings
    for name, value in FINE_TUNE.items():
        assert getattr(config, name) == value
    assert config.learning_rate < TrainConfig().learning_rate  # gentler than training
    assert config.max_train_samples < 60_000  # a replay of MNIST, not all of it


def test_without_the_real_writers_digits_the_replay_is_mnist_alone(store):
    assert fine_tune_config(store.get_run(SHIPPED_ID), pen_digits=False).pen_fraction == 0


def test_the_recipe_can_be_overridden_and_is_checked_like_any_settings(store):
    shipped = store.get_run(SHIPPED_ID)
    assert fine_tune_config(shipped, pen_digits=False, epochs=1).epochs == 1
    with pytest.raises(ConfigError, match="Epochs must be a whole number"):
        fine_tune_config(shipped, pen_digits=False, epochs=0)


@pytest.mark.parametrize(("for_training", "held_out", "expected"), [
    (0, 0, "The model can learn from no saved drawings so far: save at least 10 with "
           "'Right, it's a …' or 'Wrong? It was a …' on the home page first."),
    (1, 0, "The model can learn from 1 saved drawing so far: save at least 10"),
    (9, 3, "The model can learn from 9 saved drawings so far (3 more held out to check it): "
           "save at least 10"),
    (MIN_TEACH_DRAWINGS, 0, None),
    (250, 60, None),
])
def test_it_refuses_with_a_sentence_until_there_are_enough_drawings(for_training, held_out,
                                                                    expected):
    counts = DrawingCounts((for_training + held_out,) + (0,) * 9, held_out)
    refusal = teach_refusal(counts)
    if expected is None:
        assert refusal is None
    else:
        assert refusal.startswith(expected)


def tiny_fine_tune(store, **overrides) -> TrainConfig:
    """The recipe for the tiny shipped model of the tests, fast enough for them."""
    return fine_tune_config(store.get_run(SHIPPED_ID), pen_digits=False,
                            **{"learning_rate": 0.01, "epochs": 3, "max_train_samples": None,
                               "batch_size": 32, **overrides})


def test_a_fine_tune_learns_the_drawings_keeps_mnist_and_records_before_and_after(
        store, new_nines, synthetic_split):
    shipped_file = (store.get_run(SHIPPED_ID).model_path).read_bytes()
    run, result = train_and_save(tiny_fine_tune(store), store=store, data=synthetic_split,
                                 drawings=new_nines)
    assert result.status == "completed"
    scores = before_and_after(run)
    assert scores.tuned_from == SHIPPED_ID
    assert scores.drawings_before < 0.5 and scores.drawings_after >= 0.9
    assert scores.drawings_count == new_nines.counts().held_out
    assert scores.drawings_trained == new_nines.counts().for_training
    assert scores.test_before > 0.9 and scores.test_after > 0.9  # it did not forget
    saved = json.loads((run.path / "config.json").read_text())
    assert saved["tuned_from"] == SHIPPED_ID and saved["include_drawings"] is True
    assert store.get_run(SHIPPED_ID).model_path.read_bytes() == shipped_file  # untouched
    assert store.active_run_id() == SHIPPED_ID  # nothing is used until asked


def test_a_fine_tune_stopped_halfway_saves_nothing(store, new_nines, synthetic_split):
    batches = []

    def stop_after_three() -> bool:
        batches.append(1)
        return len(batches) >= 3

    run, result = train_and_save(tiny_fine_tune(store), store=store, data=synthetic_split,
                                 drawings=new_nines, should_stop=stop_after_three)
    assert run is None and result.status == "stopped"
    runs, broken = store.list_runs()
    assert [r.run_id for r in runs] == [SHIPPED_ID] and broken == []
    assert not any(store.runs_dir.glob(".tmp-*")) if store.runs_dir.exists() else True


def test_a_fine_tune_from_a_run_that_is_gone_says_so_before_any_work(store, new_nines,
                                                                     synthetic_split):
    config = TrainConfig(**{**tiny_fine_tune(store).to_dict(), "tuned_from": "2020-01-01_000000"})
    with pytest.raises(RunNotFoundError, match="No run named '2020-01-01_000000'"):
        train_and_save(config, store=store, data=synthetic_split, drawings=new_nines)


def test_a_run_trained_from_scratch_has_no_before_and_after(store, synthetic_split):
    from tests.conftest import TINY

    run, _ = train_and_save(TINY, store=store, data=synthetic_split)
    assert before_and_after(run) is None
    assert "tuned_from_test_accuracy" not in run.metrics


def test_an_older_run_without_the_field_still_loads(store, synthetic_split):
    from tests.conftest import TINY

    run, _ = train_and_save(TINY, store=store, data=synthetic_split)
    values = json.loads((run.path / "config.json").read_text())
    del values["tuned_from"]
    (run.path / "config.json").write_text(json.dumps(values))
    assert store.get_run(run.run_id).config.tuned_from is None
    assert np.isfinite(store.get_run(run.run_id).test_accuracy)


def test_class_change_counts_every_held_out_drawing_however_few(tmp_path):
    """Four held out (fewer than a score needs): right before and after, and which drawings
    it now reads right, counted on each side apart."""
    from mnist_core.classroom.drawings import DrawingStore
    from mnist_core.training.finetune import class_change

    store = DrawingStore(tmp_path)
    rng = np.random.default_rng(0)
    saved = []
    while len(saved) < 12:  # labels 0-9 by turns, whichever side the hash puts them
        label = len(saved) % 10
        drawing_id, _ = store.add(label, rng.random((28, 28)).astype(np.float32), b"png")
        saved.append(store.get(drawing_id))
    labels = {drawing.model_input.tobytes(): drawing.label for drawing in saved}

    def reads(right_ids):  # a "model" that reads the given drawings right, the rest as 9 - d
        def predict(images):
            out = np.zeros((len(images), 10), np.float32)
            for row, image in enumerate(images):
                pixels = np.rint(image * 255).astype(np.uint8).tobytes()
                label = labels[pixels]
                drawing = next(d for d in saved if d.model_input.tobytes() == pixels)
                out[row, label if drawing.id in right_ids else 9 - label] = 1
            return out
        return predict

    held = [d.id for d in saved if d.held_out]
    learnt = [d.id for d in saved if not d.held_out]
    before = reads({held[0], learnt[0]})
    after = reads({held[0], *held[1:2], *learnt})
    found = class_change(before, after, store)
    assert found["held_count"] == len(held) and found["held_right_before"] == 1
    assert found["held_right_after"] == min(2, len(held))
    assert (found["trained_right_before"], found["trained_right_after"]) == (1, len(learnt))
    assert found["now_right_ids"] == sorted({*held[1:2], *learnt[1:]}, reverse=True)
