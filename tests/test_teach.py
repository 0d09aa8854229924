"""Saving drawings (ui/teach.py) has a pace limit per device: the home page through AppTest,
with pictures uploaded (AppTest cannot draw) and a fake clock."""

import io

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from mnist_core.data.drawn import render_strokes, sketch
from tests.conftest import PROJECT

SLANTS = np.linspace(-15, 15, 12)  # twelve different 7s: different network inputs


class FakeClock:
    """Seconds that pass only when a test says so."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr("ui.teach._clock", fake)
    return fake


@pytest.fixture
def app(tmp_path, monkeypatch, clock):
    monkeypatch.setenv("MNIST_MODELS_DIR", str(tmp_path / "models"))
    return AppTest.from_file(str(PROJECT / "app.py"), default_timeout=60).run()


def seven(slant: float) -> bytes:
    canvas = render_strokes(sketch(7), brush_width=18, scale=200, centre=(140, 140),
                            slant=float(slant))
    gray = 255 - canvas[..., 3]  # dark ink on white paper
    buffer = io.BytesIO()
    Image.fromarray(gray).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(app: AppTest, number: int) -> None:
    app.file_uploader[0].upload(f"seven-{number}.png", seven(SLANTS[number]), "image/png").run()
    assert not app.exception


def press_right(app: AppTest) -> None:
    next(b for b in app.button if b.label == "Right, it's a 7").click().run()
    assert not app.exception


def captions(app: AppTest) -> str:
    return " ".join(caption.value for caption in app.caption)


def saved_count() -> int:
    from mnist_core.classroom.drawings import DrawingStore

    return DrawingStore().counts().total


def test_the_eleventh_rapid_save_is_refused_with_the_wait_and_the_store_holds_ten(app):
    for number in range(10):
        upload(app, number)
        press_right(app)
        assert f"{number + 1} drawing" in captions(app)
    upload(app, 10)
    press_right(app)
    assert "Saving too fast: wait 3 s and try again." in captions(app)
    assert not app.error  # a message in the saving line, not an error
    assert saved_count() == 10
    # The drawing is still there: read, with its Right button, ready to try again.
    assert "It reads <b>7</b>" in " ".join(m.value for m in app.markdown)
    assert [b for b in app.button if b.label == "Right, it's a 7"]


def use_up_the_burst(clock) -> None:
    """Ten saves from this device a moment ago (the eleventh-save test above makes them
    through the page; here they only need to have happened)."""
    import ui.teach

    for _ in range(10):
        ui.teach.SAVES.take("this computer", clock.now)


def test_after_the_wait_the_same_tap_saves(app, clock):
    use_up_the_burst(clock)
    upload(app, 0)
    press_right(app)
    assert saved_count() == 0
    clock.now += 3.0
    press_right(app)
    assert "Saved as a 7. 1 drawing saved." in captions(app)
    assert saved_count() == 1


def test_a_refused_pick_leaves_no_digit_picked_and_taking_back_is_never_refused(app, clock):
    upload(app, 0)
    app.pills[0].set_value(1).run()
    assert saved_count() == 1
    use_up_the_burst(clock)
    next(b for b in app.button if b.label == "Take back").click().run()  # over the limit
    assert "Taken back: this drawing is not saved." in captions(app)
    assert saved_count() == 0
    upload(app, 1)
    app.pills[0].set_value(4).run()
    assert "Saving too fast: wait 3 s and try again." in captions(app)
    assert app.pills[0].value is None
    assert saved_count() == 0


def test_the_pace_is_the_devices_so_a_new_tab_does_not_start_afresh(app, clock):
    """Four sessions in turn saved 40 drawings in 15 s where one got 13: now every tab of a
    device shares its pace (tests/test_ratelimit.py has the arithmetic)."""
    use_up_the_burst(clock)  # ten saves from this device's other tabs, a moment ago
    upload(app, 0)  # a new tab
    press_right(app)
    assert "Saving too fast: wait 3 s and try again." in captions(app)
    assert saved_count() == 0
