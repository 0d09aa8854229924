"""The Class page: the address and QR code students join with, the projector view, and the
warming of a fresh server that every page starts (ui/warm.py)."""

import os
import subprocess
import sys
import threading

import pytest
from streamlit import config as streamlit_config
from streamlit.testing.v1 import AppTest

import mnist_core.classroom.summary
import ui.models
import ui.warm
from mnist_core import MnistCoreError, ModelStore
from mnist_core.classroom.drawings import DrawingStore
from mnist_core.reading.preprocessing import preprocess
from mnist_core.recognizer import Recognizer
from tests.conftest import PROJECT
from tests.test_drawings import canvas_of

PAGE = "pages/5_Class.py"


START_WARMING = ui.warm.start


@pytest.fixture(autouse=True)
def _classroom(monkeypatch, tmp_path):
    """This computer is on one Wi-Fi, at 192.168.1.20; the shipped model is in use; the
    server's address settings are put back after each test."""
    monkeypatch.setattr(mnist_core.classroom.summary, "lan_ipv4_addresses",
                        lambda: ["192.168.1.20"])
    monkeypatch.setenv("MNIST_MODELS_DIR", str(tmp_path / "models"))
    options = ["server.address", "browser.serverAddress"]
    saved = {name: (streamlit_config.get_option(name),
                    streamlit_config.get_where_defined(name)) for name in options}
    yield
    for name, (value, where) in saved.items():
        streamlit_config.set_option(name, value, where_defined=where)


def open_page(view: str | None = None) -> AppTest:
    page = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=60).run()\
        .switch_page(PAGE).run()
    if view is not None:
        page.segmented_control(key="class-view").set_value(view).run()
    assert not page.exception, page.exception
    return page


def texts(page) -> str:
    return "\n".join(element.value for element in page.main.markdown)


@pytest.fixture
def saved() -> DrawingStore:
    """Four drawings: two 7s the model read as 1 when they were saved, a 1 read right, and
    last a 7 a student saved as a 1 (read 7): the one the model in use finds hard."""
    drawings = DrawingStore()
    for index, (drawn, said, read) in enumerate([(7, 7, 1), (1, 1, 1), (7, 7, 1), (7, 1, 7)]):
        canvas = canvas_of(drawn, slant=8.0 * index)
        drawings.add(said, preprocess(canvas), canvas, predicted=read, confidence=0.8)
    return drawings


def cards(page) -> list[str]:
    return [m.value for m in page.main.markdown if m.value.startswith('<div class="card-line"')]


def test_the_join_view_shows_the_address_as_text_and_as_a_qr_code():
    page = open_page()
    assert "http://<wbr>192.168.1.20:8501" in texts(page)
    [code] = page.main.get("image")
    assert "Scan to open the app" in str(code.proto)
    assert not page.main.warning
    assert any(expander.label == "Phones can't connect?" for expander in page.expander)
    checklist = texts(page)
    for check in ("The same Wi-Fi", "Guest networks", "firewall", "port 8501", "typed exactly"):
        assert check in checklist


def test_a_server_on_localhost_only_says_phones_cannot_reach_it():
    streamlit_config.set_option("server.address", "127.0.0.1", where_defined="test")
    page = open_page()
    [warning] = page.main.warning
    assert "phones cannot reach it" in warning.value
    assert "`streamlit run app.py --server.address 0.0.0.0`" in warning.value
    assert not page.main.get("image")  # no code a phone could not open
    assert "192.168.1.20" not in texts(page)


def test_browser_server_address_set_on_purpose_is_the_address_shown():
    streamlit_config.set_option("browser.serverAddress", "draw.school.example",
                                where_defined="test")
    page = open_page()
    assert "http://<wbr>draw.school.example:8501" in texts(page)
    assert "192.168.1.20" not in texts(page)


def test_the_projector_with_nothing_saved_invites_the_class_to_draw():
    page = open_page("Projector")
    # (The Teach it now panel below may show its own note.)
    [invitation] = [info for info in page.main.info if info.value.startswith(
        "No drawings saved yet. Draw a digit on the home page")]
    assert "within 5 seconds" in invitation.value
    assert "192.168.1.20:8501" in texts(page)  # the join code stays on the projector
    assert not page.main.get("vega_lite_chart")  # no empty charts


def test_the_projector_shows_counts_latest_confusion_and_the_hardest(saved):
    page = open_page("Projector")
    shown = texts(page)
    assert '<span class="big-count">4</span> drawings saved' in shown
    assert "Read right when saved: <b>25%</b> (1 of 4)" in shown
    assert "Mixed up most: <b>7 as 1 (2x), 1 as 7 (1x)</b>" in shown
    assert "Hardest for the shipped model" in shown
    # Latest, newest first: the 7 saved as a 1 (read 7), a 7 read as 1, the 1 read right, ...
    latest = cards(page)[:4]
    assert latest[0].startswith('<div class="card-line"><b>1</b> · '
                                '<span class="wrong">read 7</span>')
    assert '<b>7</b> · <span class="wrong">read 1</span>' in latest[1]
    assert "read right" in latest[2]
    # ... then the hardest: only the mislabelled one, with the model's probability for "1".
    [hardest] = cards(page)[4:]
    assert '<b>1</b> · <span class="wrong">reads 7</span>' in hardest
    assert "1: &lt;1%" in hardest  # <1%, shown as such
    assert len(page.main.get("vega_lite_chart")) == 2  # counts and confusion
    # 4 latest + 1 hardest thumbnails, plus the join code (HTML, so not an image element).
    assert len(page.main.get("image")) == 5
    assert "QR code of http://192.168.1.20:8501" in shown


def test_when_the_model_reads_every_drawing_surely_none_is_called_hard():
    drawings = DrawingStore()
    canvas = canvas_of(7)
    drawings.add(7, preprocess(canvas), canvas, predicted=7, confidence=0.99)
    page = open_page("Projector")
    assert "None: it gives every drawing's digit at least 90%." in texts(page)
    assert len(cards(page)) == 1


def test_the_projector_opens_from_its_address_and_can_be_paused():
    page = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=60).run()\
        .switch_page(PAGE)
    page.query_params["view"] = "projector"
    page.run()
    assert not page.exception
    assert page.segmented_control(key="class-view").value == "Projector"
    page.toggle(key="class-live").set_value(False).run()
    assert not page.exception
    assert page.main.info  # still shown, just not refreshed


def test_an_unreadable_store_is_one_sentence():
    drawings = DrawingStore()
    drawings.folder.mkdir(parents=True, exist_ok=True)
    drawings.path.write_bytes(b"this is not a database" * 100)
    page = open_page("Projector")
    [error] = page.main.error
    assert error.value.startswith("The class's drawings cannot be shown: The file of saved "
                                  "drawings")
    assert "192.168.1.20:8501" in texts(page)


def test_the_projector_never_shows_an_uploaded_picture_as_it_is(saved, monkeypatch):
    """A picture with words round a 7 went on the projector legibly: the cards now show what
    the network sees, so the originals are never even read."""
    def no_originals(self, drawing_id):
        raise AssertionError("the projector read an original picture")

    monkeypatch.setattr(DrawingStore, "image_png", no_originals)
    page = open_page("Projector")
    assert len(page.main.get("image")) == 5  # 4 latest + 1 hardest, from their 28x28 inputs


def test_the_unlocked_teacher_hides_a_drawing_from_the_projector_in_one_click(saved,
                                                                             monkeypatch):
    from tests.test_lock_pages import PASSWORD, unlock

    monkeypatch.setenv("MNIST_TEACHER_PASSWORD", PASSWORD)
    page = open_page("Projector")
    assert not [b for b in page.button if b.label == "Hide"]  # not for a locked student
    unlock(page)
    newest = saved.list()[0]
    next(b for b in page.button if b.key == f"hide-latest-{newest.id}").click().run()
    assert not page.exception
    assert saved.get(newest.id).hidden
    assert len(cards(page)) == 3  # three latest left, and it was the hardest: none now
    assert saved.counts().total == 4  # still saved, still counted


def test_the_hardest_line_names_a_typed_model_name_as_typed(saved, tmp_path):
    """The line is HTML, where a Markdown escape shows as a backslash ("08\\:08")."""
    from tests.test_app import copy_of_shipped_as_active

    run = copy_of_shipped_as_active(tmp_path)
    ModelStore(tmp_path / "models").rename(run.name, "Class 3: <b>bold</b> *8s*")
    shown = texts(open_page("Projector"))
    assert ("Hardest for “Class 3: &lt;b&gt;bold&lt;/b&gt; *8s*”</div>") in shown


# -- warming a fresh server (ui/warm.py, started by every page's sidebar) ----------------------


@pytest.mark.parametrize("page", ["app.py", PAGE])
def test_whichever_page_a_fresh_server_shows_first_starts_warming_it(monkeypatch, page):
    """Students who arrive before the teacher opens the Class page warm it too: bench/
    class_load.py's first 30 students on a fresh server, p95 1,196 ms without, 256-376 ms
    with (a warm server's second 30: 370-433 ms, same run)."""
    started = []
    monkeypatch.setattr(ui.warm, "start", lambda: started.append(True))
    app = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=60).run()
    if page != "app.py":
        started.clear()
        app.switch_page(page).run()
    assert not app.exception, app.exception
    assert started


def test_warming_loads_the_model_into_the_shared_cache_and_reads_a_drawing(monkeypatch):
    ui.models._recognizer_for.clear()
    loads = []
    real_load = Recognizer.load
    monkeypatch.setattr(Recognizer, "load", lambda **kw: loads.append(kw) or real_load(**kw))
    report = ui.warm.warm()
    assert report.errors == {}
    assert list(report.seconds) == ["imports", "model", "reading", "chart data", "pictures"]
    assert len(loads) == 1
    ui.models.active_recognizer()  # what a student's first page does: already cached
    assert len(loads) == 1


@pytest.mark.parametrize("failing, step", [("_imports", "imports"), ("_model", "model"),
                                           ("_reading", "reading"),
                                           ("_chart_data", "chart data"),
                                           ("_pictures", "pictures")])
def test_a_failing_warming_step_is_logged_and_skipped_never_raised(monkeypatch, caplog,
                                                                   failing, step):
    def broken(*args):
        raise MnistCoreError("no model here")

    monkeypatch.setattr(ui.warm, failing, broken)
    report = ui.warm.warm()
    assert list(report.errors) == [step]
    assert "no model here" in report.errors[step] and "no model here" in caplog.text
    if step == "model":  # nothing to read with: the reading is left out
        assert "reading" not in report.seconds


def test_warming_runs_once_per_process_in_the_background(monkeypatch):
    ran = threading.Event()
    monkeypatch.setattr(ui.warm, "start", START_WARMING)
    monkeypatch.setattr(ui.warm, "_started", None)
    monkeypatch.setattr(ui.warm, "warm", ran.set)
    thread = ui.warm.start()
    assert thread is not None and thread.daemon
    thread.join(10)
    assert ran.is_set()
    assert ui.warm.start() is None


def test_warming_imports_neither_keras_nor_tensorflow(tmp_path):
    code = ("import sys, ui.warm; report = ui.warm.warm(); assert not report.errors, report; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'tensorflow', 'keras'}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True,
                            text=True, timeout=120,
                            env={**os.environ, "MNIST_MODELS_DIR": str(tmp_path / "models")})
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stderr
