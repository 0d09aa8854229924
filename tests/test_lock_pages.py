"""The teacher's lock on every page (AppTest): each guarded action is refused to a locked
session, even when every control is enabled as a forged client would have it, and done once
unlocked; students keep uploading and saving; with no password everything is open."""

from __future__ import annotations

import io
import time
import types
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import ui.actions  # bound to the real ui.lock.teacher_only before any test patches it
from mnist_core.classroom.drawings import DrawingStore, _png
from mnist_core.classroom.lock import PASSWORD_ENV, SECRET_NAME
from mnist_core.config import TrainConfig
from mnist_core.reading.preprocessing import preprocess
from mnist_core.runs.store import ModelStore
from mnist_core.training.jobs import TrainingJobs
from mnist_core.training.workflow import train_and_save
from tests.conftest import PROJECT, TINY
from tests.test_app import png_of
from tests.test_drawings import canvas_of
from tests.test_train_page import set_tiny

PASSWORD = "correct horse 7"
PAGES = ["app.py", "pages/1_Train.py", "pages/2_Curves.py", "pages/3_My_drawings.py",
         "pages/4_Inside.py", "pages/5_Class.py"]
UNLOCK = "FormSubmitter:teacher_unlock-Unlock"


@pytest.fixture(autouse=True)
def _no_password(monkeypatch):
    """No test here sees a password from the environment it was started in."""
    monkeypatch.delenv(PASSWORD_ENV, raising=False)


@pytest.fixture
def locked(monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)


@pytest.fixture
def models(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("MNIST_CACHE_DIR", str(tmp_path / "cache"))
    store = ModelStore()
    yield store
    jobs = TrainingJobs(store)  # no job outlives its test
    if (current := jobs.current()) is not None and current.active:
        jobs.stop(current.job_id)
        jobs.wait(current.job_id, timeout=60)


def open_page(path: str) -> AppTest:
    page = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=60).run()
    return page if path == "app.py" else page.switch_page(path).run()


def unlock(page: AppTest, password: str = PASSWORD) -> AppTest:
    page.text_input(key="teacher_password_field").set_value(password)
    return page.button(key=UNLOCK).click().run()


def button(page: AppTest, label: str):
    return next(b for b in page.button if b.label == label)


def said(page: AppTest) -> str:
    """Everything the page says in text, captions, warnings, errors and help."""
    return " ".join(str(element.value) for element in
                    [*page.markdown, *page.caption, *page.warning, *page.error, *page.info]) \
        + " ".join(b.help or "" for b in page.button)


# Worlds the guarded actions need, each made by the real code ------------------------------


@pytest.fixture
def synthetic_npz(tmp_path, synthetic_split):
    (x_train, y_train), (x_test, y_test) = synthetic_split
    path = tmp_path / "synthetic.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return str(path)


@pytest.fixture
def world(case, models, synthetic_split, synthetic_npz):
    """Builds what a case needs (`case.needs` names it): a dict the case reads."""
    def two_runs():
        first, _ = train_and_save(TINY, store=models, data=synthetic_split)
        return {"run": first}

    def broken_folder():
        broken = models.runs_dir / "2020-01-01_000000"
        broken.mkdir(parents=True)
        return {"broken": broken}

    def finished_job():
        jobs = TrainingJobs(models)
        finished = jobs.wait(jobs.start(TINY, data_path=synthetic_npz).job_id, timeout=300)
        assert finished.state == "completed", finished.error
        return {"run_id": finished.run_id}

    def running_job():
        long = TrainConfig(**{**TINY.to_dict(), "epochs": 500})
        job = TrainingJobs(models).start(long, data_path=synthetic_npz, started_by="teacher")
        return {"job_id": job.job_id}

    def saved_drawings():
        drawings = DrawingStore()
        for index, digit in enumerate([7, 1, 7, 1, 7]):
            canvas = canvas_of(digit, slant=8.0 * index)
            drawings.add(digit, preprocess(canvas), canvas, predicted=1, confidence=0.8)
        return {}

    made = {"none": dict, "two_runs": two_runs, "broken_folder": broken_folder,
            "finished_job": finished_job, "running_job": running_job,
            "saved_drawings": saved_drawings}[case.needs]()
    return {**made, "models": models}


def a_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("labels.csv", "file,label\nzero.png,0\n")
        archive.writestr("zero.png", _png(canvas_of(0)))
    return buffer.getvalue()


# The guarded actions: how a person (or a forged click) does each, and how to see it done --


@dataclass(frozen=True)
class Guarded:
    action: str  # as the reason names it: "Only the teacher can <action>: ..."
    page: str
    needs: str  # what the world fixture makes first
    labels: tuple[str, ...]  # the control's label (one of them: "Use it anyway" if worse)
    do: Callable[[AppTest, dict], object]  # clicks, past a disabled control if need be
    done: Callable[[dict], bool]
    confirm: bool = False  # enabled only after a confirmation tick, even for the teacher

    def __str__(self) -> str:
        return f"{self.page.removeprefix('pages/')}: {self.labels[0]}"

    def control(self, page: AppTest):
        """The case's control: its button (or, before a zip is chosen, the file field)."""
        return next(w for w in [*page.button, *page.file_uploader] if w.label in self.labels)


def start_training(page, world):
    set_tiny(page)
    button(page, "Start training").click().run()


def stop_training(page, world):
    if page.checkbox:  # someone else's training: the tick first
        page.checkbox[0].check().run()
    button(page, "Stop training").click().run()


def curves_pick(page, world):
    page.selectbox[0].select(world["run"].run_id).run()


USE = ("Use this model", "Use it anyway")


def use(page, world):
    next(b for b in page.button if b.label in USE).click().run()


def use_on_curves(page, world):
    curves_pick(page, world)
    use(page, world)


def delete_on_curves(page, world):
    curves_pick(page, world)
    page.checkbox[0].check().run()
    button(page, "Delete run").click().run()


def import_zip(page, world):
    button(page, "Import").click().run()  # the zip chosen by prepare()


GUARDED = [
    Guarded("start training", "pages/1_Train.py", "none", ("Start training",),
            start_training, lambda w: TrainingJobs(w["models"]).current() is not None),
    Guarded("stop training", "pages/1_Train.py", "running_job", ("Stop training",),
            stop_training,
            lambda w: TrainingJobs(w["models"]).get(w["job_id"]).state in ("stopping",
                                                                           "stopped"),
            confirm=True),
    Guarded("choose the model in use", "pages/1_Train.py", "finished_job", USE, use,
            lambda w: w["models"].active_run_id() == w["run_id"]),
    Guarded("choose the model in use", "pages/2_Curves.py", "two_runs", USE, use_on_curves,
            lambda w: w["models"].active_run_id() == w["run"].run_id),
    Guarded("delete runs", "pages/2_Curves.py", "two_runs", ("Delete run",),
            delete_on_curves, lambda w: not w["run"].path.exists(), confirm=True),
    Guarded("delete runs", "pages/2_Curves.py", "broken_folder", ("Delete this folder",),
            lambda page, w: page.button(key="delete-broken-2020-01-01_000000").click().run(),
            lambda w: not w["broken"].exists()),
    Guarded("delete drawings", "pages/3_My_drawings.py", "saved_drawings", ("Delete it",),
            lambda page, w: page.button(key="delete-5").click().run(),
            lambda w: DrawingStore().counts().total == 4),
    Guarded("import drawings", "pages/3_My_drawings.py", "none",
            ("Import", "Import a zip of drawings"), import_zip,
            lambda w: DrawingStore().counts().total == 1),
]


@contextmanager
def every_control_enabled(monkeypatch) -> Iterator[None]:
    """The pages as a forged client would have them: each control enabled, whatever the lock
    (Streamlit itself drops a click on a disabled widget: this takes that away). Only the one
    path every action goes through, ui.actions.apply, still asks the real lock."""
    def plain_button(action, label, *, beside=True, **options):
        return st.button(label, **options)

    assert ui.actions.teacher_only.__module__ == "ui.lock"
    with monkeypatch.context() as patch:
        patch.setattr("ui.lock.teacher_only", lambda action: None)
        patch.setattr("ui.actions.button", plain_button)
        yield


def reason(action: str) -> str:
    return f"Only the teacher can {action}: unlock in the sidebar."


def prepare(page: AppTest, case: Guarded, world: dict) -> None:
    """Brings the page to where the case's control shows (the run picked, the zip chosen)."""
    if case.page == "pages/2_Curves.py" and "run" in world:
        curves_pick(page, world)
    if "Import" in case.labels and not page.file_uploader[0].disabled:
        page.file_uploader[0].upload("class.zip", a_zip(), "application/zip").run()


@pytest.mark.parametrize("case", GUARDED, ids=str)
def test_a_locked_session_is_refused_every_guarded_action_and_the_teacher_is_not(
        locked, case, world, monkeypatch):
    page = open_page(case.page)
    assert not page.exception
    prepare(page, case, world)
    assert case.control(page).disabled
    assert reason(case.action) in said(page) or reason("use, download or delete runs") in \
        said(page), said(page)

    with every_control_enabled(monkeypatch):
        page.run()
        prepare(page, case, world)
        assert case.confirm or not case.control(page).disabled
        case.do(page, world)  # the click reaches the page...
        assert not page.exception
        assert not case.done(world), "a locked session did it"  # ...and is refused
        assert any(reason(case.action) in warning.value for warning in page.warning)

    unlock(page)
    assert not page.exception
    prepare(page, case, world)
    assert case.confirm or not case.control(page).disabled
    assert "Only the teacher" not in said(page)
    case.do(page, world)
    assert not page.exception
    assert case.done(world), "the unlocked teacher could not do it"


@pytest.mark.parametrize("case", GUARDED, ids=str)
def test_with_no_password_every_action_is_open_as_before(case, world):
    page = open_page(case.page)
    prepare(page, case, world)
    assert "Only the teacher" not in said(page)
    assert case.confirm or not case.control(page).disabled
    case.do(page, world)
    assert not page.exception
    assert case.done(world)


@pytest.mark.parametrize("case", [GUARDED[3]], ids=str)
def test_runs_cannot_be_downloaded_while_locked(locked, case, world):
    page = open_page("pages/2_Curves.py")
    curves_pick(page, world)
    downloads = page.get("download_button")
    assert len(downloads) == 2  # the model and its history
    assert all(d.proto.disabled and d.proto.help == reason("download runs") for d in downloads)
    assert reason("use, download or delete runs") in said(page)
    unlock(page)
    curves_pick(page, world)
    assert not any(d.proto.disabled for d in page.get("download_button"))


def test_exporting_every_drawing_is_the_teachers_and_a_student_downloads_their_own(locked,
                                                                                    models):
    """With every drawing exported, a student could upload another's picture again and find
    it saved; a student now takes only what their own tab saved."""
    canvas = canvas_of(7)
    DrawingStore().add(7, preprocess(canvas), canvas)  # another student's
    page = open_page("app.py")
    page.file_uploader[0].upload("digit-1.png", png_of(1), "image/png").run()
    next(b for b in page.button if (b.key or "").startswith("right-upload")).click().run()
    page.switch_page("pages/3_My_drawings.py").run()
    assert not page.exception
    every, mine = page.get("download_button")
    assert every.proto.label == "Download all as a zip" and every.proto.disabled
    assert every.proto.help == reason("download all drawings")
    assert mine.proto.label == "Download mine (1)" and not mine.proto.disabled
    [own] = DrawingStore().list(label=1)
    assert [row.split(",")[1] for row in zipped_labels(DrawingStore().export_zip([own.id]))] \
        == ["1"]
    unlock(page)
    every, _ = page.get("download_button")
    assert not every.proto.disabled


def zipped_labels(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("labels.csv").decode().splitlines()[1:]


def test_a_new_tab_does_not_start_the_wait_after_wrong_passwords_afresh(locked, models,
                                                                        fake_clock):
    """Eight connections made 47 wrong guesses and then the right one in 20 s when the
    wait was kept per session; another tab of the same device now waits as the first does."""
    first = open_page("pages/1_Train.py")
    unlock(first, "guess 1")
    unlock(first, "guess 2")
    second = open_page("pages/1_Train.py")  # a new session, as a new tab or connection
    unlock(second)
    assert second.sidebar.error[0].value.startswith("Too many wrong passwords: try again in")
    assert button(second, "Start training").disabled


def test_students_still_upload_read_and_save_right_and_wrong(locked, models):
    page = open_page("app.py")
    page.file_uploader[0].upload("digit-7.png", png_of(7), "image/png").run()
    right = next(b for b in page.button if (b.key or "").startswith("right-upload"))
    assert not right.disabled
    right.click().run()
    assert not page.exception
    assert [(d.label, d.source) for d in DrawingStore().list()] == [(7, "upload")]
    assert "Only the teacher" not in said(page)


# The sidebar's lock --------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_the_unlock_field_in_its_sidebar(locked, models, path):
    page = open_page(path)
    assert not page.exception
    assert [e.label for e in page.sidebar.expander] == ["Teacher: unlock"]
    field = page.sidebar.text_input(key="teacher_password_field")
    assert field.proto.type == field.proto.PASSWORD  # dots, never the letters
    unlock(page)
    assert not page.exception
    assert any(c.value.endswith("Teacher: unlocked") for c in page.sidebar.caption)
    assert not page.sidebar.expander


@pytest.mark.parametrize("path", PAGES)
def test_with_no_password_the_sidebar_says_so_once_quietly(models, path):
    page = open_page(path)
    assert not page.exception
    about = [c.value for c in page.sidebar.caption if PASSWORD_ENV in c.value]
    assert about == [f"A teacher password ({PASSWORD_ENV}) locks training and deleting."]
    assert not page.sidebar.expander and not page.sidebar.warning
    assert "Only the teacher" not in said(page)


def test_a_wrong_password_waits_a_second_says_so_and_stays_locked(locked, models):
    page = open_page("pages/1_Train.py")
    started = time.monotonic()
    unlock(page, "correct horse")
    assert time.monotonic() - started >= 1.0
    assert [e.value for e in page.sidebar.error] == \
        ["Wrong password (answered after a second's wait)."]
    assert button(page, "Start training").disabled
    assert page.text_input(key="teacher_password_field").value == ""  # not kept for a retry


@pytest.fixture
def fake_clock(monkeypatch):
    """ui.lock's clock and sleep, faked: sleeping moves the clock on, at once."""
    clock = types.SimpleNamespace(now=5000.0)

    def sleep(seconds: float) -> None:
        clock.now += seconds

    monkeypatch.setattr("ui.lock.time", types.SimpleNamespace(
        monotonic=lambda: clock.now, sleep=sleep))
    return clock


def test_repeated_wrong_passwords_are_slowed_further(locked, models, fake_clock):
    page = open_page("pages/1_Train.py")
    unlock(page, "guess 1")
    assert page.sidebar.error[0].value == "Wrong password (answered after a second's wait)."
    unlock(page, "guess 2")
    assert page.sidebar.error[0].value == ("Wrong password (answered after a second's wait). "
                                           "2 wrong in a row: try again in 1 s.")
    # Inside the wait even the right password is not checked.
    unlock(page)
    assert page.sidebar.error[0].value == "Too many wrong passwords: try again in 1 s."
    assert button(page, "Start training").disabled
    fake_clock.now += 1
    unlock(page, "guess 3")
    assert page.sidebar.error[0].value.endswith("3 wrong in a row: try again in 3 s.")
    fake_clock.now += 3
    for guess in range(4, 10):
        unlock(page, f"guess {guess}")
        fake_clock.now += 60
    assert page.sidebar.error[0].value.endswith("9 wrong in a row: try again in 59 s.")
    unlock(page)  # 60 s on: the right one works, and the count starts again
    assert not page.sidebar.error and not button(page, "Start training").disabled


def test_the_password_is_never_kept_in_the_session(locked, models):
    page = open_page("pages/2_Curves.py")
    unlock(page, PASSWORD + "x")
    unlock(page)
    assert button(page, "Lock")  # unlocked
    kept = repr(dict(page.session_state.to_dict())) + repr(
        page.session_state._state.get_widget_states())
    assert PASSWORD not in kept and PASSWORD.encode() not in kept.encode()


def test_lock_locks_this_session_again(locked, models):
    page = unlock(open_page("pages/1_Train.py"))
    assert not button(page, "Start training").disabled
    button(page, "Lock").click().run()
    assert button(page, "Start training").disabled
    assert [e.label for e in page.sidebar.expander] == ["Teacher: unlock"]


def test_unlocking_one_session_leaves_the_others_locked(locked, models):
    teacher = unlock(open_page("pages/1_Train.py"))
    student = open_page("pages/1_Train.py")
    assert not button(teacher, "Start training").disabled
    assert button(student, "Start training").disabled


def test_the_password_can_come_from_streamlits_secrets_file(models):
    page = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=60)
    page.secrets[SECRET_NAME] = PASSWORD
    page.run().switch_page("pages/1_Train.py").run()
    assert button(page, "Start training").disabled
    unlock(page)
    assert not button(page, "Start training").disabled


def test_the_environment_wins_over_the_secrets_file(locked, models):
    page = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=60)
    page.secrets[SECRET_NAME] = "the old one"
    page.run().switch_page("pages/1_Train.py").run()
    unlock(page, "the old one")
    assert button(page, "Start training").disabled
