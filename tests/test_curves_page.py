"""The Curves page with a temporary models folder: runs made by the real training code."""

import json
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from mnist_core.config import TrainConfig
from mnist_core.runs.store import ModelStore
from mnist_core.training.workflow import train_and_save
from tests.conftest import PROJECT, TINY, as_shown

PAGE = "pages/2_Curves.py"


@pytest.fixture
def models(tmp_path, monkeypatch):
    """An empty models folder for the page (the shipped model is still listed)."""
    monkeypatch.setenv("MNIST_MODELS_DIR", str(tmp_path / "models"))
    return ModelStore()


@pytest.fixture
def two_runs(models, synthetic_split):
    first, _ = train_and_save(TINY, store=models, data=synthetic_split)
    longer = TrainConfig(**{**TINY.to_dict(), "epochs": 4, "seed": 2})
    second, _ = train_and_save(longer, store=models, data=synthetic_split)
    return first, second


def run_page() -> AppTest:
    return AppTest.from_file(str(PROJECT / "app.py"), default_timeout=60).run()\
        .switch_page(PAGE).run()


def test_with_only_the_shipped_model(models):
    page = run_page()
    assert not page.exception
    table = page.dataframe[0].value
    assert list(table["run"]) == ["shipped"] and bool(table["active"][0])
    assert page.subheader[0].value == "1 run"
    # The shipped model's evaluation is stored: no MNIST needed for the confusion matrix.
    assert any("Click a cell to see the images" in caption.value for caption in page.caption)


def test_our_drawings_column_appears_once_enough_drawings_are_held_out(models):
    from mnist_core.classroom.drawings import MIN_HELD_OUT, DrawingStore
    from tests.test_workflow import save_new_kind_of_nine

    page = run_page()
    assert "drawings_accuracy" not in page.dataframe[0].proto.column_order  # not a column of None
    assert any(f"appears once {MIN_HELD_OUT} are held out from training: 0 so far" in c.value
               for c in page.caption)
    save_new_kind_of_nine(DrawingStore(), 80)
    page = run_page()
    assert "drawings_accuracy" in page.dataframe[0].proto.column_order
    assert page.dataframe[0].value["drawings_accuracy"].tolist() == [0.0]  # no digit it knows
    assert not any("are held out from training" in c.value for c in page.caption)


def test_runs_are_listed_with_their_figures_and_a_broken_one_is_reported(models, two_runs):
    first, second = two_runs
    broken = models.runs_dir / "2020-01-01_000000"
    broken.mkdir()
    (broken / "config.json").write_text("{ not json")
    page = run_page()
    assert not page.exception
    table = page.dataframe[0].value
    assert set(table["run"]) == {"shipped", first.run_id, second.run_id}
    row = table[table["run"] == second.run_id].iloc[0]
    assert row["epochs"] == "4" and row["status"] == "completed"
    assert row["test_accuracy"] == pytest.approx(second.test_accuracy)
    assert any("Broken run folder 2020-01-01_000000" in as_shown(w.value)
               for w in page.warning)


def test_a_broken_folder_can_be_deleted(models, two_runs):
    broken = models.runs_dir / "2020-01-01_000000"
    broken.mkdir()
    page = run_page()
    page.button(key="delete-broken-2020-01-01_000000").click().run()
    assert not page.exception and not broken.exists()


def test_a_run_is_made_active_from_the_page(models, two_runs):
    first, _ = two_runs
    page = run_page()
    page.selectbox[0].select(first.run_id).run()
    # All of the synthetic test digits read right, above the shipped model's 99.33%.
    assert any("It reads better than the model in use" in c.value for c in page.caption)
    use = next(b for b in page.button if b.label == "Use this model")
    assert use.proto.type == "primary"
    use.click().run()
    assert not page.exception
    assert models.active_run_id() == first.run_id


def test_delete_needs_a_confirmation_and_never_touches_the_active_run(models, two_runs):
    first, second = two_runs
    models.activate(second.run_id)
    page = run_page()
    page.selectbox[0].select(first.run_id).run()
    delete = next(b for b in page.button if b.label == "Delete run")
    assert delete.disabled
    page.checkbox[0].check().run()
    next(b for b in page.button if b.label == "Delete run").click().run()
    assert not page.exception
    assert not first.path.exists() and second.path.exists()
    page.selectbox[0].select(second.run_id).run()
    assert not [b for b in page.button if b.label == "Delete run"]


def test_the_mistakes_behind_a_confusion_cell_are_listed(models, two_runs, monkeypatch,
                                                           synthetic_split):
    monkeypatch.setattr("mnist_core.load_mnist", lambda: synthetic_split)
    _, second = two_runs
    evaluation = second.evaluation()
    wrong = evaluation["misclassified"]
    page = run_page()
    page.selectbox[0].select(second.run_id).run()
    if not wrong:
        assert any("No mistakes" in s.value for s in page.success)
        return
    target = wrong[0]
    page.selectbox[1].select(target["true"]).run()
    page.selectbox[2].select(target["predicted"]).run()
    assert not page.exception
    expected = [e for e in wrong if e["true"] == target["true"]
                and e["predicted"] == target["predicted"]]
    assert any(f"{len(expected)} mistake(s)" in c.value for c in page.caption)


def test_a_diagonal_cell_shows_the_digits_read_right(models, two_runs, monkeypatch,
                                                      synthetic_split):
    """'No mistakes here.' said nothing about the images behind a diagonal cell."""
    monkeypatch.setattr("mnist_core.load_mnist", lambda: synthetic_split)
    _, second = two_runs
    _, (_, y_test) = synthetic_split
    right = second.evaluation()["confusion"][3][3]
    page = run_page()
    page.selectbox[0].select(second.run_id).run()
    page.selectbox[1].select(3).run()
    page.selectbox[2].select(3).run()
    assert not page.exception
    assert any(c.value.startswith(f"{right:,} test images of a 3 read right; the "
                                  f"{min(right, 40)} it was least sure of shown") for c in
               page.caption)
    assert len(page.get("image")) == min(right, 40)
    assert not page.success


def copy_of_shipped(models, run_id="2026-01-01_000000"):
    """A run folder holding a copy of the shipped model's files; returns its path."""
    path = models.runs_dir / run_id
    shutil.copytree(PROJECT / "models" / "shipped", path)
    return path


def rewrite(path, name, change):
    (path / name).write_text(json.dumps(change(json.loads((path / name).read_text()))))


# The three files, each a traceback on this page and in every sidebar before:
# (file, what is done to it, the reason the run is broken).
MALFORMED_RUN_FILES = [
    ("metrics.json", lambda metrics: {**metrics, "test_accuracy": "very good"},
     "metrics.json: test_accuracy is 'very good', expected a number from 0 to 1"),
    ("metrics.json", lambda metrics: {**metrics, "drawn_accuracy": [0.9]},
     "metrics.json: drawn_accuracy is [0.9], expected a number from 0 to 1"),
    ("history.json", lambda history: [1, "x", None],
     "history.json: entry 1 is 1, expected an object"),
]


@pytest.mark.parametrize("active", [True, False])
@pytest.mark.parametrize(("name", "change", "reason"), MALFORMED_RUN_FILES)
def test_a_run_with_malformed_figures_is_listed_as_broken_and_the_page_works(
        models, name, change, reason, active):
    path = copy_of_shipped(models)
    if active:
        models.activate(path.name)
    rewrite(path, name, change)
    page = run_page()
    assert not page.exception, page.exception[0].value if page.exception else ""
    assert any(f"Broken run folder {path.name}:" in as_shown(w.value)
               and reason in as_shown(w.value) for w in page.warning)
    table = page.dataframe[0].value
    # The model the app reads with is the shipped one: it is shown in use, and chosen.
    assert list(table["run"]) == ["shipped"] and bool(table["active"][0])
    assert page.subheader[2].value == "Shipped model (in use)"
    if active:  # the sidebar says why the shipped model is in use; it can be chosen again
        assert any(reason in as_shown(w.value) and "using the shipped model" in w.value
                   for w in page.sidebar.warning)
        assert [b for b in page.button if b.label == "Use this model"]


def test_a_run_without_validation_figures_shows_its_curves(models):
    path = copy_of_shipped(models)
    rewrite(path, "history.json", lambda history: [
        {"epoch": record["epoch"], "loss": record["loss"], "accuracy": record["accuracy"]}
        for record in history[:3]])
    models.activate(path.name)
    page = run_page()
    assert not page.exception, page.exception[0].value if page.exception else ""
    assert not page.warning
    titles = [json.loads(chart.proto.spec).get("title", {}).get("text")
              for chart in page.get("vega_lite_chart")]
    assert "Loss per epoch" in titles and "Accuracy per epoch" in titles
    assert page.subheader[2].value.endswith("(in use)")
    assert f"Run {path.name}: " in " ".join(c.value for c in page.caption)


def test_a_failed_run_without_its_error_says_so(models):
    path = copy_of_shipped(models)
    rewrite(path, "metrics.json", lambda metrics: {**metrics, "status": "failed"})
    page = run_page()
    page.selectbox[0].select(path.name).run()
    assert not page.exception, page.exception[0].value if page.exception else ""
    assert any(e.value == "This run failed: no reason was recorded." for e in page.error)


def test_figures_a_run_did_not_measure_show_as_a_dash_not_none(models, synthetic_split):
    """A run trained without the drawn-digit and real-writer scoring (as a fine-tune is): the
    sidebar's card and the runs table show a dash that fits, the card's help says why."""
    run, _ = train_and_save(TINY, store=models, data=synthetic_split)
    assert run.drawn_accuracy is None and run.pen_accuracy is None
    models.activate(run.run_id)
    page = run_page()
    assert not page.exception
    card = {metric.label: metric for metric in page.sidebar.metric}
    assert card["Drawn digits"].value == "—"
    assert "Not measured for this run" in card["Drawn digits"].proto.help
    # Short enough for the card's half-width column (it cut "100.00%" to "100.…").
    assert card["MNIST test"].value == ("100%" if f"{run.test_accuracy:.2%}" == "100.00%"
                                        else f"{run.test_accuracy:.2%}")
    assert "Not measured" not in card["MNIST test"].proto.help
    runs_table, epochs_table = page.dataframe[:2]
    assert runs_table.value["drawn_accuracy"].isna().any()  # missing, and so shown as:
    assert runs_table.proto.placeholder == "—"
    assert epochs_table.proto.placeholder == "—"


def test_runs_show_names_people_read_and_the_teacher_renames_one(models, monkeypatch):
    from tests.test_lock_pages import PASSWORD, unlock

    path = copy_of_shipped(models)
    monkeypatch.setenv("MNIST_TEACHER_PASSWORD", PASSWORD)
    page = run_page()
    table = page.dataframe[0].value
    assert list(table["name"]) == [models.get_run(path.name).name, "Shipped model"]

    def rename(to: str) -> None:
        page.selectbox[0].set_value(path.name).run()
        next(t for t in page.text_input if t.label == "Name").set_value(to)
        next(b for b in page.button if b.label == "Save the name").click().run()
        assert not page.exception

    rename("Our first model")  # a student's forged click: refused, and says why
    assert models.get_run(path.name).name != "Our first model"
    assert any("Only the teacher can rename runs" in w.value for w in page.warning)
    unlock(page)
    rename("Our first model")
    assert models.get_run(path.name).name == "Our first model"
    assert page.subheader[2].value.startswith("Our first model")
