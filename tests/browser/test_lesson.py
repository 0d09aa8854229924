"""A lesson's flow in a real browser (issue #25): a phone is told on the line under the square
when its drawing is not a digit, and the Teach it now panel keeps itself current while the
class saves drawings, with no reload (a reload locks the teacher again)."""

import re

import pytest

from mnist_core.classroom.drawings import DrawingStore
from tests.browser.conftest import Server, screenshot
from tests.browser.test_home_page import draw, drawing_canvas, open_on_a_phone
from tests.test_drawings import random_input

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lesson_server(tmp_path_factory, browser):
    """The app with its own (empty) drawings folder."""
    root = tmp_path_factory.mktemp("lesson")
    (root / "models").mkdir()
    running = Server(root / "models", extra_env={"MNIST_DRAWINGS_DIR": str(root / "drawings")})
    running.drawings = DrawingStore(root / "drawings")
    yield running
    running.stop()


def test_on_a_phone_a_dot_is_named_on_the_line_under_the_square(browser, lesson_server):
    """The sentence was below the fold; the line under the square stayed blank."""
    context, tab = open_on_a_phone(browser, lesson_server.url)
    try:
        drawing_canvas(tab)
        draw(tab, [[(140, 140), (141, 141)]])
        line = tab.locator(".short-answer").get_by_text("That looks like a dot")
        line.wait_for(timeout=20_000)
        box = line.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 844  # in sight, no scrolling
        screenshot(tab, "phone-dot-390x844", full_page=False)
    finally:
        context.close()


def test_the_teach_it_now_panel_keeps_itself_current(browser, lesson_server):
    """Drawn once at load, it said "save at least 10 first" with 17 saved."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        tab = context.new_page()
        tab.goto(f"{lesson_server.url}/Class?view=join")
        tab.get_by_text(re.compile(r"save at least 10")).wait_for(timeout=60_000)
        tab.evaluate("window.stillTheSamePage = true")
        for seed in range(40):  # the class saves drawings from their phones meanwhile
            lesson_server.drawings.add(seed % 10, random_input(seed), b"png")
        learn = lesson_server.drawings.counts().for_training
        tab.get_by_text(re.compile(rf"It will learn from {learn} saved drawings")).wait_for(
            timeout=20_000)
        assert tab.evaluate("window.stillTheSamePage === true")
    finally:
        context.close()
