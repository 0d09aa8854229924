import csv
import io

import pytest

from mnist_core import runs
from mnist_core.evaluate import evaluate_predictions
from mnist_core.store import SHIPPED_ID
from mnist_core.workflow import evaluation_record, train_and_save
from tests.conftest import TINY
from tests.test_evaluate import one_hot


def history(val_losses):
    return [{"epoch": n, "loss": 1.0 / n, "accuracy": 0.9, "val_loss": v, "val_accuracy": 0.9,
             "seconds": 2.0 * n, "complete": True} for n, v in enumerate(val_losses, start=1)]


@pytest.mark.parametrize(
    ("val_losses", "expected"),
    [
        ([0.5, 0.4, 0.3, 0.25], None),  # still improving
        ([0.5, 0.3, 0.35, 0.4], 2),  # turned up after epoch 2
        ([0.5, 0.3, 0.35], None),  # one worse epoch is noise, not a trend
        ([0.5, 0.3, 0.35, 0.29], None),  # recovered
        ([0.5, 0.3, 0.303, 0.304], None),  # a 1% wiggle at the end is noise
        ([], None),
    ],
)
def test_overfitting_is_where_validation_loss_turns_up(val_losses, expected):
    assert runs.overfitting_epoch(history(val_losses)) == expected


def test_history_csv_has_a_header_and_one_row_per_epoch(store, synthetic_split):
    run, _ = train_and_save(TINY, store=store, data=synthetic_split)
    rows = list(csv.DictReader(io.StringIO(runs.history_csv(run))))
    assert [int(row["epoch"]) for row in rows] == [1, 2]
    assert float(rows[0]["val_accuracy"]) == pytest.approx(run.history[0]["val_accuracy"])


def test_misclassified_cells_pick_the_images_behind_a_confusion_cell():
    labels = [3, 3, 5, 8, 8]
    evaluation = evaluation_record(
        evaluate_predictions(one_hot([5, 3, 3, 3, 8]), __import__("numpy").array(labels)),
        labels)
    assert [e["index"] for e in runs.misclassified_in_cell(evaluation, true=3, predicted=5)] \
        == [0]
    assert {e["index"] for e in runs.misclassified_in_cell(evaluation, predicted=3)} == {2, 3}
    assert runs.misclassified_in_cell(evaluation, true=1) == []
    cells = runs.confusion_cells(evaluation)
    assert len(cells) == 100 and sum(cell["count"] for cell in cells) == 5
    assert {"true": 8, "predicted": 3, "count": 1} in cells


def test_summary_row_describes_the_run(store, synthetic_split):
    run, _ = train_and_save(TINY, store=store, data=synthetic_split)
    row = runs.run_summary(run, active_id=run.run_id)
    assert row["active"] and row["status"] == "completed" and row["epochs"] == "2"
    assert row["architecture"] == "784-16-10"
    assert row["test_accuracy"] == run.test_accuracy


def test_evaluation_is_computed_once_and_stored(store, synthetic_split, monkeypatch):
    run, _ = train_and_save(TINY, store=store, data=synthetic_split)
    (run.path / "evaluation.json").unlink()
    monkeypatch.setattr(runs, "load_mnist", lambda: synthetic_split)
    computed = runs.ensure_evaluation(store, store.get_run(run.run_id))
    assert computed["count"] == 200 and (run.path / "evaluation.json").exists()
    monkeypatch.setattr(runs, "load_mnist", lambda: pytest.fail("computed twice"))
    assert runs.ensure_evaluation(store, store.get_run(run.run_id)) == computed


def test_the_shipped_model_has_its_evaluation():
    from mnist_core.store import ModelStore

    evaluation = ModelStore().get_run(SHIPPED_ID).evaluation()
    assert evaluation["count"] == 10000 and len(evaluation["confusion"]) == 10
