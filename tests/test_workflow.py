"""mnist_core/training/workflow.py with saved drawings: trained on when asked, always scored on."""

import dataclasses
import json
import time

import pytest

from mnist_core.classroom.drawings import DrawingStore
from mnist_core.config import TrainConfig
from mnist_core.errors import DrawingStoreError
from mnist_core.model import MlpWeights
from mnist_core.runs.evaluate import evaluate_weights
from mnist_core.runs.store import SHIPPED_ID
from mnist_core.training.engine import train_model
from mnist_core.training.workflow import train_and_save
from tests.conftest import TINY, save_new_kind_of_nine


def test_training_on_saved_drawings_teaches_what_they_show(store, new_nines, synthetic_split):
    without, _ = train_and_save(TINY, store=store, data=synthetic_split, drawings=new_nines)
    config = TrainConfig(**{**TINY.to_dict(), "include_drawings": True, "drawings_weight": 20})
    with_them, result = train_and_save(config, store=store, data=synthetic_split,
                                       drawings=new_nines)
    before = json.loads((without.path / "metrics.json").read_text())
    after = json.loads((with_them.path / "metrics.json").read_text())
    held_out = new_nines.counts().held_out
    assert before["drawings_count"] == after["drawings_count"] == held_out
    assert before["drawings_accuracy"] < 0.5 <= 0.9 <= after["drawings_accuracy"]
    assert after["drawings_trained"] == new_nines.counts().for_training
    assert "drawings_trained" not in before
    assert result.train_samples == 540 + 20 * new_nines.counts().for_training
    # MNIST-like digits are still read, typically: here two thirds of the images fitted are
    # the one odd 9, and a 16-unit network at this rate sometimes forgets the rest (measured
    # over 18 seeds: 4 below 90% with the numpy engine, 1 with Keras; the one this run uses,
    # 67%). The median of three seeds, then.
    scores = [after["test_accuracy"]] + [
        evaluate_weights(MlpWeights.from_model(train_model(
            dataclasses.replace(config, seed=seed), data=synthetic_split[0],
            drawings=new_nines.dataset(held_out=False)).model), *synthetic_split[1]).accuracy
        for seed in (TINY.seed + 1, TINY.seed + 2)]
    assert sorted(scores)[1] > 0.9, scores


def test_too_few_held_out_drawings_give_no_figure(store, tmp_path, synthetic_split):
    few = DrawingStore(tmp_path / "few")
    save_new_kind_of_nine(few, 5)
    run, _ = train_and_save(TINY, store=store, data=synthetic_split, drawings=few)
    assert "drawings_accuracy" not in json.loads((run.path / "metrics.json").read_text())


def test_asking_for_drawings_when_none_are_saved_says_how_to_save_some(store, tmp_path,
                                                                         synthetic_split):
    config = TrainConfig(**{**TINY.to_dict(), "include_drawings": True})
    with pytest.raises(DrawingStoreError, match="'Right, it's a …'"):
        train_and_save(config, store=store, data=synthetic_split,
                       drawings=DrawingStore(tmp_path / "empty"))
    runs, broken = store.list_runs()
    assert [run.run_id for run in runs] == [SHIPPED_ID] and broken == []  # nothing saved


def test_a_damaged_drawings_file_does_not_lose_the_run(store, tmp_path, synthetic_split):
    broken = DrawingStore(tmp_path / "broken")
    broken.folder.mkdir()
    broken.path.write_bytes(b"not a database" * 100)
    run, _ = train_and_save(TINY, store=store, data=synthetic_split, drawings=broken)
    metrics = json.loads((run.path / "metrics.json").read_text())
    assert metrics["test_accuracy"] > 0.9 and "move it away" in metrics["drawings_error"]


def test_saved_drawings_mix_with_re_drawn_training_digits(store, new_nines, synthetic_split,
                                                          tmp_path, monkeypatch):
    from mnist_core.training import drawn_cache as drawn_training
    monkeypatch.setenv("MNIST_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(drawn_training.os, "cpu_count", lambda: 1)  # see test_drawn_training
    (x, y), test = synthetic_split
    config = TrainConfig(**{**TINY.to_dict(), "include_drawings": True, "drawn_fraction": 0.5,
                            "drawings_weight": 3})
    run, result = train_and_save(config, store=store, data=((x[:200], y[:200]), test),
                                 drawings=new_nines)
    assert result.status == "completed", result.error
    assert result.train_samples == 180 + 3 * new_nines.counts().for_training


def test_scoring_is_reported_step_by_step_and_every_phase_is_timed(store, synthetic_split):
    """After the last epoch the caller hears of each scoring step (the re-drawn digits with a
    count), and the run records how long each phase took, for the next estimate."""
    events = []

    def drawn(weights, report):
        for done in (50, 100):
            report(done, 100)
        return {"drawn_accuracy": 0.5, "drawn_count": 100}

    run, _ = train_and_save(TINY, store=store, data=synthetic_split, on_progress=events.append,
                            extra_metrics=drawn, started_at=time.time() - 5.0)
    last_epoch = max(i for i, e in enumerate(events) if e.stage == "training")
    scoring = events[last_epoch + 1:]
    assert all(e.stage == "scoring" for e in scoring)
    assert [(e.step, e.batch, e.batches) for e in scoring] == [
        ("test set", 0, 1), ("re-drawn digits", 0, 1), ("re-drawn digits", 50, 100),
        ("re-drawn digits", 100, 100), ("held-out drawings", 0, 1), ("saving", 0, 1)]
    assert scoring[2].pace is not None and scoring[2].pace > 0
    metrics = json.loads((run.path / "metrics.json").read_text())
    assert 5.0 < metrics["startup_seconds"] < 5.0 + metrics["train_seconds"]
    assert 0 < metrics["first_epoch_seconds"] < metrics["train_seconds"]
    assert 0 <= metrics["finishing_seconds"] < metrics["train_seconds"]
    assert list(metrics["scoring_steps"]) == ["test set", "re-drawn digits",
                                              "held-out drawings"]
    assert metrics["scoring_seconds"] >= sum(metrics["scoring_steps"].values())


def test_every_run_is_scored_on_the_real_writers_as_its_own_step(store, synthetic_split):
    events = []
    run, _ = train_and_save(TINY, store=store, data=synthetic_split, on_progress=events.append,
                            pen_metrics=lambda weights: {"pen_accuracy": 0.25, "pen_count": 8})
    assert "real writers" in [e.step for e in events if e.stage == "scoring"]
    assert run.pen_accuracy == 0.25 and run.metrics["pen_count"] == 8
    assert "real writers" in run.metrics["scoring_steps"]
