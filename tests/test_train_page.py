"""The Train page: form, presets, validation, estimate; real background jobs, tiny ones."""

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnist_core.config import BEST, QUICK
from mnist_core.runs.store import ModelStore
from mnist_core.training.jobs import TrainingJobs
from tests.conftest import PROJECT, TINY

PAGE = "pages/1_Train.py"


@pytest.fixture
def models(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("MNIST_CACHE_DIR", str(tmp_path / "cache"))
    return ModelStore()


def open_page() -> AppTest:
    return AppTest.from_file(str(PROJECT / "app.py"), default_timeout=60).run()\
        .switch_page(PAGE).run()


def text_input(page, label):
    return next(w for w in page.text_input if w.label.startswith(label))


def number_input(page, label):
    return next(w for w in page.number_input if w.label.startswith(label))


def start_button(page):
    return [b for b in page.button if b.label == "Start training"]


def set_tiny(page, epochs=1):
    """Settings for a job that trains in seconds on 200 real MNIST images."""
    text_input(page, "Hidden layers").set_value("16").run()
    number_input(page, "Epochs").set_value(epochs).run()
    number_input(page, "Training images").set_value(200).run()
    page.slider[0].set_value(0.0).run()  # no drawn digits: nothing to render
    page.slider[1].set_value(0.0).run()  # no real writers' digits either
    page.toggle[0].set_value(False).run()


def test_the_form_starts_on_the_quick_preset_with_an_estimate(models):
    page = open_page()
    assert not page.exception
    assert text_input(page, "Hidden layers").value == "1024, 512"
    assert number_input(page, "Epochs").value == QUICK.epochs
    assert any("Estimated time on this machine: about" in info.value for info in page.info)
    assert start_button(page)


def settings_caption(page) -> str:
    return next(c.value for c in page.caption if c.value.startswith("Settings:"))


def test_choosing_best_loads_its_recipe_and_editing_makes_it_custom(models):
    page = open_page()
    assert settings_caption(page).startswith("Settings: the Quick preset")
    next(b for b in page.button if b.label == "Best preset").click().run()
    assert number_input(page, "Epochs").value == BEST.epochs
    assert page.toggle[0].value is True  # distortions on
    assert page.slider[0].value == pytest.approx(BEST.drawn_fraction)
    assert settings_caption(page).startswith("Settings: the Best preset")
    number_input(page, "Epochs").set_value(3).run()
    text_input(page, "Hidden layers").set_value("64").run()
    assert settings_caption(page).startswith("Settings: your own")
    assert number_input(page, "Epochs").value == 3  # an edit is never undone by another
    assert text_input(page, "Hidden layers").value == "64"


@pytest.mark.parametrize(
    ("layers", "message"),
    [("abc", "whole numbers separated by commas"),
     ("0", "Hidden layers: each must have from 1 to 4,096 units. Received: 0"),
     ("10000", "each must have from 1 to 4,096 units. Received: 10,000"),
     ("", "Hidden layers: there must be from 1 to 6 layers. Received: no layers"),
     ("8, 8, 8, 8, 8, 8, 8", "from 1 to 6 layers. Received: 7 layers")],
)
def test_a_bad_setting_is_explained_beside_its_field_and_nothing_can_start(models, layers,
                                                                         message):
    page = open_page()
    text_input(page, "Hidden layers").set_value(layers).run()
    assert not page.exception
    assert any(message in error.value for error in page.error)
    assert [button.disabled for button in start_button(page)] == [True]
    assert any("Fix the settings" in warning.value for warning in page.warning)


@pytest.mark.parametrize(
    ("label", "value", "words"),
    [("Epochs", 0, "Epochs must be a whole number from 1 to 500"),
     ("Learning rate", -1.0, "Learning rate must be above 0"),
     ("Batch size", 0, "Batch size must be a whole number from 1"),
     ("Validation share", 0.9, "Validation share must be from 0.01 to 0.5"),
     ("Dropout", 0.95, "Dropout must be from 0 to 0.89"),
     ("Seed", -3, "Seed must be"),
     ("Training images", 50, "Training images")],
)
def test_an_out_of_range_number_is_explained_beside_its_field(models, label, value, words):
    """The browser used to refuse these without a word (the field's own min/max), leaving
    the summary on the old values and Start enabled."""
    page = open_page()
    number_input(page, label).set_value(value).run()
    assert not page.exception
    assert any(words in error.value for error in page.error), [e.value for e in page.error]
    assert not any("Estimated time" in info.value for info in page.info)  # no stale summary
    assert [button.disabled for button in start_button(page)] == [True]


def test_a_tiny_job_runs_in_the_background_and_can_be_used(models, mnist_dir):
    page = open_page()
    set_tiny(page)
    start_button(page)[0].click().run()
    assert not page.exception
    jobs = TrainingJobs(models)
    status = jobs.current()
    assert status is not None and status.started_by is not None
    finished = jobs.wait(status.job_id, timeout=300)
    assert finished.state == "completed", finished.error
    page.run()
    assert any("Last training (completed" in s.value for s in page.subheader)
    use = [b for b in page.button if b.label in ("Use this model", "Use it anyway")]
    use[0].click().run()
    assert models.active_run_id() == finished.run_id


def test_a_second_browser_sees_the_job_and_must_confirm_to_stop_it(models, mnist_dir):
    mine = open_page()
    set_tiny(mine, epochs=400)
    start_button(mine)[0].click().run()
    jobs = TrainingJobs(models)
    job = jobs.current()
    try:
        other = open_page()
        assert any("started in another browser" in s.value for s in other.subheader)
        stop = [b for b in other.button if b.label == "Stop training"]
        assert stop and stop[0].disabled
        assert not start_button(other)  # one job at a time
        other.checkbox[0].check().run()
        next(b for b in other.button if b.label == "Stop training").click().run()
        finished = jobs.wait(job.job_id, timeout=60)
        assert finished.state == "stopped"
    finally:
        jobs.stop(job.job_id)
        jobs.wait(job.job_id, timeout=60)
    assert ModelStore().active_run_id() == "shipped"  # a stopped run is never made active


def test_missing_mnist_fails_the_job_with_the_fix_and_changes_nothing(models, tmp_path,
                                                                    monkeypatch):
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path / "no-mnist"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr("mnist_core.data.mnist._cache", {})  # as in a server that never had MNIST
    page = open_page()
    assert any("MNIST is not on this machine" in w.value for w in page.warning)
    set_tiny(page)
    start_button(page)[0].click().run()
    status = TrainingJobs(models).current()
    finished = TrainingJobs(models).wait(status.job_id, timeout=300)
    assert finished.state == "failed", finished
    page.run()
    assert any("MNIST was not found" in e.value and "MNIST_DATA_DIR" in e.value
               for e in page.error)
    assert models.active_run_id() == "shipped"


def toggle(page, label):
    return next(w for w in page.toggle if w.label.startswith(label))


def test_training_on_saved_drawings_needs_some_saved_first(models):
    page = open_page()
    assert any(c.value == "0 saved drawings to train on; 0 more held out to score every run."
               for c in page.caption)
    toggle(page, "Also train on our").set_value(True).run()
    assert not page.exception
    assert any("No saved drawings to train on yet" in error.value for error in page.error)
    assert [button.disabled for button in start_button(page)] == [True]


def test_a_job_trains_on_the_saved_drawings_and_scores_the_held_out_ones(models, mnist_dir):
    from mnist_core.classroom.drawings import MIN_HELD_OUT, DrawingStore
    from tests.test_workflow import save_new_kind_of_nine

    drawings = DrawingStore()
    save_new_kind_of_nine(drawings, 80)
    counts = drawings.counts()
    assert counts.held_out >= MIN_HELD_OUT
    page = open_page()
    set_tiny(page)
    toggle(page, "Also train on our").set_value(True).run()
    number_input(page, "Each drawing counts as").set_value(30).run()
    assert any("our drawings x30" in info.value for info in page.info)
    start_button(page)[0].click().run()
    jobs = TrainingJobs(models)
    finished = jobs.wait(jobs.current().job_id, timeout=300)
    assert finished.state == "completed", finished.error
    run = models.get_run(finished.run_id)
    assert run.config.include_drawings and run.config.drawings_weight == 30
    assert run.metrics["drawings_trained"] == counts.for_training
    assert run.metrics["drawings_count"] == counts.held_out
    page.run()
    table = page.dataframe[0].value
    assert table["Our drawings"][0] == pytest.approx(run.metrics["drawings_accuracy"])
    # The form below the result comes back with the settings just trained, not the preset:
    # change one thing and train again.
    assert text_input(page, "Hidden layers").value == "16"
    assert toggle(page, "Also train on our").value is True
    assert number_input(page, "Each drawing counts as").value == 30


@pytest.fixture
def finished_job(models, tmp_path, synthetic_split):
    """A tiny job trained to the end on synthetic digits, scored on test images with shuffled
    labels, so it reads about 10% "right": a much worse model than the shipped one.
    Returns (jobs, status)."""
    (x_train, y_train), (x_test, y_test) = synthetic_split
    y_test = np.random.default_rng(0).permutation(y_test)
    data = tmp_path / "synthetic.npz"
    np.savez(data, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    jobs = TrainingJobs(models)
    started = jobs.start(TINY, data_path=str(data))
    finished = jobs.wait(started.job_id, timeout=300)
    assert finished.state == "completed", finished.error
    return jobs, finished


def test_the_form_shows_after_the_last_trainings_run_was_deleted(models, finished_job):
    _, finished = finished_job
    models.delete(finished.run_id)  # as the Curves page's "Delete run" does
    page = open_page()
    assert not page.exception
    assert any(f"Its run, {finished.run_id}, has since been deleted" in c.value
               for c in page.caption)
    assert start_button(page) and not start_button(page)[0].disabled


def test_a_worse_run_is_not_the_primary_choice_and_says_how_it_compares(models, finished_job):
    _, finished = finished_job
    page = open_page()
    assert not page.exception
    assert any("It reads worse than the model in use" in w.value for w in page.warning)
    use = [b for b in page.button if b.label in ("Use this model", "Use it anyway")]
    assert [b.label for b in use] == ["Use it anyway"]
    assert use[0].proto.type != "primary"
    # No saved drawings are held out, so there is no "Our drawings" score to show.
    assert "Our drawings" not in page.dataframe[0].proto.column_order
    use[0].click().run()
    assert models.active_run_id() == finished.run_id



def test_without_the_pen_digits_a_preset_trains_without_them_and_says_so(models, monkeypatch):
    monkeypatch.setenv("PENDIGITS_DATA_DIR", "/nowhere")
    monkeypatch.setenv("UNIPEN_DATA_DIR", "/nowhere")
    monkeypatch.setattr("mnist_core.data.pendigits._cache", {}, raising=False)
    monkeypatch.setattr("mnist_core.data.unipen._cache", {}, raising=False)
    page = open_page()
    assert not page.exception
    assert settings_caption(page).startswith(
        "Settings: the Quick preset without the real writers' digits, which are not on this "
        "machine: the pendigits writers' digits: ")
    assert page.slider[1].value == 0.0
    assert [button.disabled for button in start_button(page)] == [False]
    page.slider[1].set_value(0.3).run()  # asked for anyway: refused beside the field
    assert any("PENDIGITS_DATA_DIR" in error.value for error in page.error)
    assert [button.disabled for button in start_button(page)] == [True]


def test_without_unipen_the_quick_preset_learns_from_the_pendigits_writers_and_says_so(
        models, pen_dir, monkeypatch):
    monkeypatch.setenv("UNIPEN_DATA_DIR", "/nowhere")
    monkeypatch.setattr("mnist_core.data.unipen._cache", {}, raising=False)
    page = open_page()
    assert settings_caption(page).startswith(
        "Settings: the Quick preset without the real writers' digits of UNIPEN, which are not "
        "on this machine: the UNIPEN writers' digits: ")
    assert page.slider[1].value == pytest.approx(QUICK.pen_fraction)
    assert any("40% real writers (pendigits)**" in info.value for info in page.info)
    assert [button.disabled for button in start_button(page)] == [False]
    sources = page.get("button_group")[0]
    sources.set_value(["pendigits", "unipen"]).run()  # asked for anyway: refused, named
    assert any("UNIPEN_DATA_DIR" in error.value for error in page.error)
    assert [button.disabled for button in start_button(page)] == [True]


def test_with_the_pen_digits_the_quick_preset_learns_from_real_writers(models, pen_dir,
                                                                       unipen_dir):
    page = open_page()
    assert settings_caption(page) == "Settings: the Quick preset"
    assert page.slider[1].value == pytest.approx(QUICK.pen_fraction)
    assert any("40% real writers (pendigits + UNIPEN)" in info.value for info in page.info)
    sources = page.get("button_group")[0]
    sources.set_value(["unipen"]).run()
    assert settings_caption(page).startswith("Settings: your own")
    assert any("40% real writers (UNIPEN)" in info.value for info in page.info)


def test_a_fine_tune_stopped_halfway_says_nothing_was_saved(models):
    import dataclasses
    import json
    import time

    # As the job folder of a "Teach it now" stopped by the teacher: stopped, and no run.
    job_dir = models.root / ".training" / "2026-12-02_050000-ab12"
    job_dir.mkdir(parents=True)
    config = dataclasses.replace(TINY, tuned_from="shipped").to_dict()
    started = time.time() - 30
    (job_dir / "job.json").write_text(json.dumps(
        {"job_id": job_dir.name, "config": config, "started_at": started, "pid": None}))
    (job_dir / "status.json").write_text(json.dumps(
        {"state": "stopped", "finished_at": started + 20, "heartbeat": started + 20}))
    page = open_page()
    assert not page.exception
    assert any("Last training (stopped" in header.value for header in page.subheader)
    assert any("Stopped by request before the fine-tuning had anything worth keeping: no run "
               "was saved, and the model in use is unchanged." in info.value
               for info in page.info)
    assert models.active_run_id() == "shipped"
