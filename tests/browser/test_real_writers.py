"""Real people's handwriting in the browser: a held-out writer's own trajectory, drawn with the
mouse on the home page's canvas, is read right."""

import re

import numpy as np
import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_home_page import answer, draw, drawing_canvas

pytestmark = pytest.mark.browser


def mouse_strokes(digit, height: float = 190.0) -> list[list[tuple[float, float]]]:
    """The pen digit's strokes in the browser tests' 280x280 frame: upright (the tablet's y
    grows upwards), `height` tall, centred."""
    strokes = [np.asarray(stroke, np.float64) * (1.0, -1.0) for stroke in digit.strokes]
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    scale = height / max(high - low)
    centre = (low + high) / 2
    return [[tuple(140 + (point - centre) * scale) for point in stroke] for stroke in strokes]


@pytest.mark.parametrize(("writer", "number"), [(22, 215), (18, 121)])
def test_a_held_out_writers_nine_with_a_curved_tail_is_read_as_9(page, pen_dir, monkeypatch,
                                                               writer, number):
    """Models shipped before 2026-12-02 read such 9s as 3; MNIST has few 9s drawn this way."""
    monkeypatch.setenv("PENDIGITS_DATA_DIR", str(pen_dir))
    from mnist_core.data.pendigits import held_out_digits

    [nine] = [d for d in held_out_digits() if (d.writer, d.number) == (writer, number)]
    assert nine.label == 9
    draw(page, mouse_strokes(nine))
    answer(page, "9").wait_for(timeout=20_000)
    assert page.locator(".big-digit").inner_text() == "9"
    screenshot(page, f"home-real-writer-{writer}-{number}")
    assert re.search(r"It reads 9", page.inner_text("body"))


def test_a_report_writers_slashed_zero_drawn_with_the_mouse_is_read_as_0(page, pen_dir,
                                                                        unipen_dir,
                                                                        monkeypatch):
    """A UNIPEN writer of the report split (never trained on, never chosen on) slashes zeros:
    the model shipped before read this one as 4; MNIST has few zeros drawn this way."""
    monkeypatch.setenv("UNIPEN_DATA_DIR", str(unipen_dir))
    monkeypatch.setenv("PENDIGITS_DATA_DIR", str(pen_dir))
    from mnist_core.data.writers import real_writers, split_of

    [zero] = [digit for digit in real_writers("report", per_writer=None)
              if (digit.writer_key, digit.index) == ("unipen/ibm-012", 7956)]
    assert zero.label == 0 and len(zero.strokes) == 2 and split_of(zero) == "report"
    draw(page, mouse_strokes(zero))
    answer(page, "0").wait_for(timeout=20_000)
    assert page.locator(".big-digit").inner_text() == "0"
    screenshot(page, "home-report-writer-slashed-zero")


def test_a_report_writers_small_eight_with_the_thickest_pen_is_read_with_the_reason_to_doubt(
        page, pen_dir, unipen_dir, monkeypatch):
    """The same writer's 8 drawn a third of the square tall with the 40 px pen: its loops
    nearly fill in. The page reads it, says "8?" rather than a sure 8, and says why."""
    monkeypatch.setenv("UNIPEN_DATA_DIR", str(unipen_dir))
    monkeypatch.setenv("PENDIGITS_DATA_DIR", str(pen_dir))
    from mnist_core.data.writers import real_writers

    [eight] = [digit for digit in real_writers("report", per_writer=None)
               if (digit.writer_key, digit.index) == ("unipen/apa-002", 478)]
    assert eight.label == 8
    drawing_canvas(page)
    thumb = page.get_by_role("slider", name="Pen width")
    thumb.focus()
    for _ in range(40 - 22):  # from the default 22 px to the thickest pen, 40 px
        page.keyboard.press("ArrowRight")
    page.wait_for_function("thumb => thumb.value === '40'", arg=thumb.element_handle(),
                           timeout=10_000)
    page.wait_for_timeout(1500)  # the page reruns and the canvas takes the new pen
    draw(page, mouse_strokes(eight, height=90))
    # Each stroke is read as it lands: wait for the whole digit's answer.
    page.locator(".big-digit", has_text=re.compile(r"^8\?$")).wait_for(timeout=20_000)
    assert "drawn small for this pen" in page.locator(".verdict").inner_text()
    screenshot(page, "home-report-writer-small-thick-eight")
