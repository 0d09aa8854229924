"""The home page in a real browser: draw digits with the mouse and read the answer."""

import math
import re
import shutil

import pytest

from mnist_core import SHIPPED_ID, ModelStore
from tests.browser.conftest import screenshot
from tests.test_app import png_of

pytestmark = pytest.mark.browser

# Strokes in a 280x280 frame, scaled to the canvas's real size.
STROKES = {
    "1": [[(140, 45), (138, 240)]],
    "7": [[(75, 60), (205, 60), (125, 235)]],
    "0": [[(140 + 62 * math.sin(a / 24 * 2 * math.pi), 145 - 92 * math.cos(a / 24 * 2 * math.pi))
           for a in range(25)]],
    "4": [[(170, 40), (70, 170), (215, 170)], [(170, 40), (170, 245)]],
}


def drawing_canvas(page):
    """Fabric's top canvas: the one that takes mouse events."""
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(timeout=30_000)
    return canvas


def draw(page, strokes):
    box = drawing_canvas(page).bounding_box()
    scale = box["width"] / 280
    for points in strokes:
        x, y = points[0]
        page.mouse.move(box["x"] + x * scale, box["y"] + y * scale)
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(box["x"] + x * scale, box["y"] + y * scale, steps=10)
        page.mouse.up()


def clear(page):
    """Click Clear and wait until the new, empty canvas has replaced the old one."""
    old = drawing_canvas(page).element_handle()
    page.get_by_role("button", name="Clear").click()
    page.wait_for_function("element => !element.isConnected", arg=old, timeout=20_000)
    page.get_by_text("Draw a digit in the black square").wait_for(timeout=20_000)
    drawing_canvas(page)
    # The new canvas needs a moment after mounting before it takes strokes; a person never
    # draws within this long of clicking Clear.
    page.wait_for_timeout(1000)


def answer(page, digit: str):
    return page.get_by_text(re.compile(rf"It reads {digit}, \d+% sure"))


@pytest.mark.parametrize("digit", ["1", "7", "0", "4"])
def test_a_digit_drawn_with_the_mouse_is_read(page, digit):
    draw(page, STROKES[digit])
    answer(page, digit).wait_for(timeout=20_000)
    assert page.locator(".big-digit").inner_text() == digit
    screenshot(page, f"home-drew-{digit}")


@pytest.mark.parametrize("width", [360, 390])  # phones held upright
def test_on_a_phone_the_answer_shows_under_the_canvas_and_nothing_is_cut_off(page, width):
    page.set_viewport_size({"width": width, "height": 844})
    page.wait_for_timeout(500)
    canvas = drawing_canvas(page).bounding_box()
    # All of it can be drawn on: the page's content area (inside its side margins, where
    # it is clipped) holds the whole square.
    content_right = page.evaluate("""() => {
        const main = document.querySelector('[data-testid=stMainBlockContainer]');
        return main.getBoundingClientRect().right - parseFloat(getComputedStyle(main).paddingRight);
    }""")
    assert canvas["x"] >= 0 and canvas["x"] + canvas["width"] <= content_right
    draw(page, STROKES["7"])
    short = page.locator(".short-answer")
    short.wait_for(timeout=20_000)
    assert re.search(r"Reads 7, \d+% sure", short.inner_text())
    # Right under the canvas, in sight while drawing; the full answer is below the fold.
    canvas = drawing_canvas(page).bounding_box()
    under = short.bounding_box()
    assert 0 <= under["y"] - (canvas["y"] + canvas["height"]) < 60
    big = page.locator(".big-digit")
    big.wait_for(timeout=20_000)
    assert under["y"] + under["height"] <= 844 <= big.bounding_box()["y"]
    # Every digit under "Wrong? It was a …" can be reached: none sticks out of the window.
    # The answer arrives in pieces: wait for the last of the ten before counting them.
    choices = page.get_by_role("radiogroup", name="Wrong? It was a …").get_by_role("radio")
    choices.nth(9).wait_for(timeout=20_000)
    assert choices.count() == 10
    for index in range(10):
        box = choices.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"pill {index} cut off: {box}"
    screenshot(page, f"home-phone-{width}")


def open_on_a_phone(browser, url: str):
    """A 390x844 touch phone's tab on the home page, loaded and idle: (context, tab)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True,
                                  is_mobile=True, device_scale_factor=2)
    tab = context.new_page()
    tab.goto(url)
    tab.get_by_text("Draw a digit in the black square").wait_for(timeout=60_000)
    tab.wait_for_timeout(1000)
    return context, tab


def draw_with_a_finger(context, tab, strokes) -> None:
    """Strokes in the 280x280 frame, drawn by touch on a phone's canvas. Playwright's
    touchscreen only taps; a drag goes through the DevTools protocol."""
    box = drawing_canvas(tab).bounding_box()
    scale = box["width"] / 280

    def finger(x, y):
        return [{"x": box["x"] + x * scale, "y": box["y"] + y * scale}]

    touch = context.new_cdp_session(tab)
    for points in strokes:
        touch.send("Input.dispatchTouchEvent",
                   {"type": "touchStart", "touchPoints": finger(*points[0])})
        for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
            for step in range(1, 16):
                t = step / 15
                touch.send("Input.dispatchTouchEvent", {
                    "type": "touchMove", "touchPoints": finger(x0 + (x1 - x0) * t,
                                                               y0 + (y1 - y0) * t)})
        touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def test_a_digit_drawn_with_a_finger_is_read_and_the_page_does_not_scroll(browser, server):
    context, tab = open_on_a_phone(browser, server.url)
    try:
        draw_with_a_finger(context, tab, STROKES["7"])
        tab.locator(".short-answer").get_by_text(re.compile(r"Reads 7, \d+% sure")).wait_for(
            timeout=20_000)
        assert tab.evaluate("document.querySelector('[data-testid=stMain]').scrollTop") == 0
        # A finger cannot point: the undo arrows show anyway, and the hint does not say to.
        undo = tab.get_by_role("button", name="Undo", exact=True)
        tab.mouse.move(5, 5)
        assert undo.evaluate("b => getComputedStyle(b.closest('.dc-toolbar')).opacity") == "1"
        hint = tab.get_by_text("Undo or redo a stroke").inner_text()
        assert hint == "Undo or redo a stroke with the arrows above the square."
    finally:
        context.close()


# Where a stroke lands, the element that takes it: Playwright's hit test does not enter the
# canvas component's shadow root, so this one does.
ELEMENT_AT = """([x, y]) => {
    let element = document.elementFromPoint(x, y);
    while (element?.shadowRoot) {
        const inner = element.shadowRoot.elementFromPoint(x, y);
        if (!inner || inner === element) break;
        element = inner;
    }
    return element ? `${element.tagName.toLowerCase()}.${element.className}` : null;
}"""

# A 7 begun at the square's top-right corner, 13 px in from the top and right edges at any
# canvas size: its bar drawn leftwards, then its stem from the same corner.
CORNER_SEVEN = [[(267, 13), (75, 13)], [(267, 13), (140, 265)]]


def test_a_stroke_begun_at_the_top_right_corner_as_the_pointer_arrives_is_read(page):
    """The library's toolbar rested invisible over that corner and slid above the square only
    0.1-0.2 s after the pointer arrived: such a stroke pressed its buttons and drew nothing,
    and a quick click there pressed "Reset canvas & history" and wiped the drawing."""
    box = drawing_canvas(page).bounding_box()
    page.mouse.move(box["x"] - 40, box["y"] + box["height"] / 2)  # off the canvas, at rest
    page.wait_for_timeout(500)
    left, top_, right = box["x"], box["y"], box["x"] + box["width"]
    for x, y in [(right - 1, top_ + 1), (right - 13, top_ + 13), (right - 30, top_ + 4),
                 (right - 4, top_ + 30), ((left + right) / 2, top_ + 1), (left + 1, top_ + 1)]:
        assert page.evaluate(ELEMENT_AT, [x, y]) == "canvas.dc-canvas upper-canvas", (x, y)
    # No wait between the pointer's arrival and the pen going down.
    draw(page, CORNER_SEVEN)
    answer(page, "7").wait_for(timeout=20_000)
    # A quick click at that corner of the finished drawing adds a dot inside the 7's bar.
    page.mouse.move(box["x"] - 40, box["y"] + box["height"] / 2)
    page.wait_for_timeout(500)
    page.mouse.click(right - 12, top_ + 12)
    page.wait_for_timeout(1_500)  # a reset would have emptied the canvas and the answer by now
    assert answer(page, "7").is_visible()
    assert page.locator(".big-digit").inner_text() == "7"
    # Its toolbar is in sight, between the pen-width slider and the square.
    toolbar = page.locator(".dc-toolbar-card").first.bounding_box()
    slider = page.locator("[data-testid=stSlider]").first.bounding_box()
    assert slider["y"] + slider["height"] <= toolbar["y"]
    assert toolbar["y"] + toolbar["height"] <= box["y"]
    assert page.locator(".dc-toolbar").first.evaluate("e => getComputedStyle(e).opacity") == "1"


def test_on_a_wide_window_the_answer_is_beside_the_canvas_said_once(page):
    draw(page, STROKES["7"])
    answer(page, "7").wait_for(timeout=20_000)
    assert page.locator(".big-digit").bounding_box()["y"] < (
        drawing_canvas(page).bounding_box()["y"] + 100)
    assert not page.locator(".short-answer").is_visible()


def test_clear_empties_the_canvas_and_the_answer(page):
    draw(page, STROKES["7"])
    answer(page, "7").wait_for(timeout=20_000)
    clear(page)
    assert page.locator(".big-digit").count() == 0
    # The new canvas works: draw again.
    draw(page, STROKES["1"])
    answer(page, "1").wait_for(timeout=20_000)


def test_an_uploaded_picture_is_read(page, tmp_path):
    path = tmp_path / "seven.png"
    path.write_bytes(png_of(7))
    page.get_by_role("tab", name=re.compile("Upload a picture")).click()
    page.locator("input[type=file]").set_input_files(str(path))
    answer(page, "7").wait_for(timeout=20_000)
    screenshot(page, "home-upload")


def test_a_file_that_is_not_an_image_is_explained(page, tmp_path):
    path = tmp_path / "notes.png"
    path.write_bytes(b"not a picture at all")
    page.get_by_role("tab", name=re.compile("Upload a picture")).click()
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_text("This file is not an image").wait_for(timeout=20_000)


def test_a_drawing_corrected_with_wrong_is_saved_and_shown_on_my_drawings(page, server):
    draw(page, STROKES["4"])
    answer(page, "4").wait_for(timeout=20_000)
    page.get_by_role("radiogroup", name="Wrong? It was a …").get_by_role("radio",
                                                                         name="9").click()
    page.get_by_text("Saved as a 9.").wait_for(timeout=20_000)
    screenshot(page, "home-saved")
    page.get_by_role("tab", name=re.compile("Before and after")).click()
    # The same model before and after: both columns say so (the second may draw a moment
    # after the first).
    page.get_by_text("Wrong: it is a 9").nth(1).wait_for(timeout=20_000)
    assert page.get_by_text("Wrong: it is a 9").count() == 2
    screenshot(page, "home-before-after")
    page.goto(f"{server.url}/My_drawings")
    page.get_by_text(re.compile(r"No\. \d+: a 9, read as 4")).first.wait_for(timeout=30_000)
    screenshot(page, "my-drawings")
    picture = page.locator("[data-testid=stImage] img").first
    picture.wait_for(timeout=20_000)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=picture.element_handle(), timeout=20_000)
    screenshot(page, "my-drawings")


def probability_chart(page):
    return page.locator("[class*=st-key-probabilities] [data-testid=stVegaLiteChart]").first


def test_after_hovering_the_chart_a_click_on_8_saves_an_8(page):
    """The chart's toolbar (full screen, show data) used to sit over the 8 and 9 buttons: the
    click turned the chart into a table and saved nothing."""
    draw(page, STROKES["0"])
    answer(page, "0").wait_for(timeout=20_000)
    probability_chart(page).hover()
    page.wait_for_timeout(500)
    wrong = page.get_by_role("radiogroup", name="Wrong? It was a …")
    wrong.get_by_role("radio", name="8").click(timeout=5_000)
    page.get_by_text("Saved as an 8.").wait_for(timeout=20_000)
    assert page.locator("[data-testid=stDataFrame]").count() == 0
    assert probability_chart(page).is_visible()
    screenshot(page, "home-saved-an-8")
    # Picking the 8 again takes it back.
    wrong.get_by_role("radio", name="8").click()
    page.get_by_text("Taken back: this drawing is not saved.").wait_for(timeout=20_000)


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1024, 768)])  # projectors
def test_on_a_projector_the_canvas_and_the_answer_show_together(page, width, height):
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_timeout(500)
    draw(page, STROKES["7"])
    answer(page, "7").wait_for(timeout=20_000)
    page.wait_for_timeout(500)
    screenshot(page, f"home-projector-{width}x{height}", full_page=False)
    canvas = drawing_canvas(page).bounding_box()
    assert canvas["y"] >= 0 and canvas["y"] + canvas["height"] <= height, canvas
    for element in (page.locator(".big-digit"), answer(page, "7")):
        box = element.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= height, box
        assert box["x"] > canvas["x"] + canvas["width"], "the answer wrapped below the canvas"
        assert box["x"] + box["width"] <= width


def top(locator) -> float:
    return locator.bounding_box()["y"]


def test_nothing_jumps_when_an_answer_appears_or_right_is_pressed(page):
    clear_button = page.get_by_role("button", name="Clear")
    drawing_canvas(page)
    page.wait_for_timeout(1000)
    before = top(clear_button)
    draw(page, STROKES["1"])
    answer(page, "1").wait_for(timeout=20_000)
    assert abs(top(clear_button) - before) <= 1
    chart = probability_chart(page)
    chart.wait_for(timeout=20_000)
    page.wait_for_timeout(500)
    chart_before = top(chart)
    page.get_by_role("button", name="Right, it's a 1").click()
    page.get_by_text("Saved as a 1.").wait_for(timeout=20_000)
    page.wait_for_timeout(500)
    screenshot(page, "home-right-saved")
    assert abs(top(chart) - chart_before) <= 1
    page.get_by_role("button", name="Take back").click()
    page.get_by_text("Taken back: this drawing is not saved.").wait_for(timeout=20_000)
    page.wait_for_timeout(500)
    screenshot(page, "home-taken-back")
    assert abs(top(chart) - chart_before) <= 1


def shrunk(strokes, factor: float, dx: float, dy: float = 0.0):
    """Strokes scaled by `factor` about the 280x280 frame's origin and moved by (dx, dy)."""
    return [[(x * factor + dx, y * factor + dy) for x, y in points] for points in strokes]


# A 2 in the 280x280 frame: a curved top, a diagonal and a flat base.
TWO = [[(80, 80), (105, 50), (160, 45), (195, 80), (180, 130), (80, 235), (210, 235)]]


def test_two_digits_side_by_side_read_as_a_number(page):
    draw(page, shrunk(STROKES["4"], 0.55, -5, 55) + shrunk(TWO, 0.55, 130, 55))
    page.get_by_text(re.compile(r"It reads 42: 4 \(\d+%\), 2 \(\d+%\)")).wait_for(timeout=20_000)
    assert page.locator(".big-digit").inner_text() == "42"
    assert page.get_by_role("radiogroup", name="Wrong? It was a …").count() == 0
    screenshot(page, "home-drew-42")


@pytest.mark.parametrize(("two_at", "said"), [(100, "Reads 42."),
                                              (93, "4 or 42? One digit or two: not sure.")])
def test_42_written_with_a_finger_reads_42_or_says_it_is_not_sure(browser, server, two_at, said):
    """A finger's "42" read "4, 67% sure". The 4 ends at x = 123 in the 280 px frame; the 2
    starts 21 px after it (the pen's ink a few px apart: a tight gap people leave), or 14 px
    (their ink touches: one piece, "4 or 42?", never a sure 4)."""
    context, tab = open_on_a_phone(browser, server.url)
    try:
        drawing_canvas(tab)
        draw_with_a_finger(context, tab, shrunk(STROKES["4"], 0.55, 5, 55)
                           + shrunk(TWO, 0.55, two_at, 55))
        tab.locator(".short-answer").get_by_text(said).wait_for(timeout=20_000)
        screenshot(tab, f"phone-42-at-{two_at}-390x844", full_page=False)
    finally:
        context.close()


def test_a_dot_is_named_not_read(page):
    draw(page, [[(140, 140), (141, 141)]])
    page.get_by_test_id("stAlertContentWarning").get_by_text(
        "That looks like a dot: draw a digit, larger.").wait_for(timeout=20_000)
    assert page.locator(".big-digit").count() == 0


def test_a_page_left_open_reads_with_the_model_the_teacher_just_used(page, server):
    # A second run: the shipped model's files under a run id of their own.
    store = ModelStore(server.models_dir)
    run_id = "2026-12-02_120000"
    shutil.copytree(store.shipped_dir, store.runs_dir / run_id)
    try:
        draw(page, STROKES["7"])
        answer(page, "7").wait_for(timeout=20_000)
        page.get_by_text("Read by the shipped model, the model in use.").wait_for()
        store.activate(run_id)  # as the teacher's "Use this model" does, from another browser
        clear(page)
        draw(page, STROKES["1"])
        answer(page, "1").wait_for(timeout=20_000)
        name = store.get_run(run_id).name  # a copy of the shipped files: "Best preset, …"
        page.get_by_text(f"Read by “{name}”, the model in use.").wait_for(timeout=20_000)
        # Said once where students look: above the answer, and on a phone under the square.
        page.get_by_test_id("stAlertContentInfo").get_by_text(
            "The teacher changed the model").wait_for(timeout=20_000)
        # The phone's line is HTML: the name as it is, no Markdown escapes ("12\\:00").
        assert (f"answers now come from “{name}”, so they may differ"
                in page.locator(".short-answer").text_content())
        # The sidebar, drawn outside the canvas's part of the page, names it too: no reload.
        page.locator("[data-testid='stSidebar']").get_by_text(f"run {run_id}").wait_for(
            timeout=20_000)
    finally:
        store.activate(SHIPPED_ID)
        shutil.rmtree(store.runs_dir / run_id)
