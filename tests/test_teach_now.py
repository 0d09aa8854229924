"""ui/teach_now.py through AppTest (tests/teach_now_app.py shows the panel on its own): what it
says it will learn from, the refusals, the teacher's lock, and a real fine-tune job of a tiny
model on real MNIST, its before and after, and "Use it"."""

import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnist_core.classroom.drawings import MIN_HELD_OUT, DrawingStore
from mnist_core.runs.store import ModelStore
from mnist_core.training import jobs as jobs_module
from mnist_core.training.jobs import TrainingJobs
from mnist_core.training.workflow import train_and_save
from tests.conftest import PROJECT, TINY, synthetic_digits

SCRIPT = str(PROJECT / "tests" / "teach_now_app.py")
WAIT = 120  # seconds: a job imports TensorFlow and loads MNIST on a busy 2-core machine


@pytest.fixture
def models(tmp_path, monkeypatch):
    """An empty models folder in use, whose model in use is a tiny run (16 hidden units);
    no teacher password; no real writers' digits (a fine-tune needs none). Kills any job
    left running."""
    monkeypatch.setenv("MNIST_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.delenv("MNIST_TEACHER_PASSWORD", raising=False)
    monkeypatch.setenv("PENDIGITS_DATA_DIR", str(tmp_path / "no-pen-digits"))
    store = ModelStore()
    run, _ = train_and_save(TINY, store=store, data=(synthetic_digits(600), synthetic_digits(200,
                                                                                            1)))
    store.activate(run.run_id)
    yield store
    for child in list(jobs_module._CHILDREN.values()):
        if child.poll() is None:
            child.kill()
            child.wait()


def save_drawings(count: int) -> DrawingStore:
    """`count` saved drawings of 1s written as a bright column (synthetic, distinct)."""
    drawings = DrawingStore()
    rng = np.random.default_rng(3)
    for _ in range(count):
        image = rng.integers(0, 40, (28, 28)).astype(np.uint8)
        image[4:24, 14 + rng.integers(-2, 3)] = 255
        drawings.add(1, image, b"png", source="import")
    return drawings


def open_panel() -> AppTest:
    return AppTest.from_file(SCRIPT, default_timeout=60).run()


def teach_button(page):
    return next(b for b in page.button if b.label == "Teach it now")


def texts(page) -> str:
    return " ".join(element.value for kind in ("markdown", "caption", "info", "warning",
                                               "error", "success")
                    for element in getattr(page, kind))


def test_with_too_few_drawings_it_says_how_many_and_what_to_do(models):
    save_drawings(3)
    page = open_panel()
    assert not page.exception
    assert teach_button(page).disabled
    counts = DrawingStore().counts()
    assert f"learn from {counts.for_training} saved drawing" in texts(page) \
        or "learn from no saved drawings" in texts(page)
    assert "save at least 10" in texts(page)


def test_with_enough_drawings_it_says_how_many_it_will_learn_from(models):
    counts = save_drawings(40).counts()
    page = open_panel()
    assert not page.exception
    assert not teach_button(page).disabled
    assert f"It will learn from **{counts.for_training} saved drawings**" in texts(page)
    assert f"{counts.held_out} more held out to check it" in texts(page)


def test_a_locked_session_cannot_teach_and_says_why(models, monkeypatch):
    monkeypatch.setenv("MNIST_TEACHER_PASSWORD", "s3cret")
    save_drawings(40)
    page = open_panel()
    assert teach_button(page).disabled
    assert "Only the teacher can teach the model: unlock in the sidebar." in texts(page)
    assert TrainingJobs().current() is None
    page.text_input(key="teacher_password_field").set_value("s3cret")
    next(b for b in page.button if b.label == "Unlock").click().run()
    assert not teach_button(page).disabled


def wait_for_end(page: AppTest, timeout: float = WAIT) -> AppTest:
    jobs = TrainingJobs()
    deadline = time.monotonic() + timeout
    while (status := jobs.current()) is not None and status.active \
            and time.monotonic() < deadline:
        time.sleep(0.5)
    return page.run()


@pytest.mark.slow
def test_teaching_runs_a_fine_tune_job_then_shows_before_and_after_and_uses_it(models,
                                                                                 mnist_dir):
    assert save_drawings(80).counts().held_out >= MIN_HELD_OUT
    page = open_panel()
    teach_button(page).click().run()
    assert not page.exception
    status = TrainingJobs().current()
    assert status is not None and status.config.tuned_from == models.active_run_id()
    assert status.active and page.get("progress")  # progress shows while it runs
    page = wait_for_end(page)
    status = TrainingJobs().current()
    assert status.state == "completed", status.error
    metrics = {metric.label: metric for metric in page.metric}
    held = next(value for label, value in metrics.items()
                if label.startswith("Class drawings it never learnt"))
    assert held.value.endswith(" right")
    assert ", was " in held.delta or held.delta.startswith("unchanged: ")
    assert "could be anywhere from" in " ".join(c.value for c in page.caption)
    learnt = next(value for label, value in metrics.items()
                  if label.startswith("Drawings it learnt from"))
    assert learnt.value.endswith("read right")
    assert "MNIST test digits (10,000)" in metrics
    # One obvious next step: "Use it" is the red button; teaching again is not.
    again = next(b for b in page.button if b.label == "Teach it again")
    assert again.proto.type != "primary"
    before = models.active_run_id()
    next(b for b in page.button if b.label == "Use it").click().run()
    assert models.active_run_id() == status.run_id != before
    assert "The taught model is the one in use." in texts(page)


@pytest.mark.slow
def test_stopping_a_fine_tune_saves_nothing_and_says_so(models, mnist_dir):
    save_drawings(40)
    page = open_panel()
    runs_before = len(models.list_runs()[0])
    teach_button(page).click().run()
    jobs = TrainingJobs()
    status = jobs.current()
    jobs.stop(status.job_id)
    page = wait_for_end(page)
    assert jobs.current().state == "stopped"
    assert "Stopped: nothing was saved, and the model in use is unchanged." in texts(page)
    assert len(models.list_runs()[0]) == runs_before


def test_the_panel_never_loads_keras_or_tensorflow():
    """The Streamlit server must not (see mnist_core.model): teaching runs in its own process."""
    import subprocess
    import sys

    code = ("import sys\n"
            "import ui.teach_now\n"
            "from mnist_core.training.finetune import fine_tune_config\n"
            "from mnist_core.runs.store import ModelStore\n"
            "fine_tune_config(ModelStore().get_run('shipped'))\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'keras', 'tensorflow'}))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True,
                            text=True, timeout=120)
    assert result.stdout.strip() == "[]", result.stderr[-2000:]


@pytest.mark.parametrize(("after", "before", "decimals", "said", "colour"), [
    (0.95, 0.91, 0, "+4 points, from 91%", "normal"),
    (0.9932, 0.9933, 2, "-0.01 points, from 99.33%", "normal"),
    (0.9091, 0.9091, 0, "unchanged from 91%", "off"),  # not a green "+0 points"
    (0.99331, 0.99329, 2, "unchanged from 99.33%", "off"),
])
def test_a_change_in_points_says_unchanged_when_it_rounds_to_nothing(after, before, decimals,
                                                                     said, colour):
    from ui.teach_now import _change

    assert _change(after, before, decimals) == (said, colour)
