"""The Class page in a real browser: the address and its QR code on a 1280x720 projector, the
code read back from a screenshot at every projector size, and a drawing saved elsewhere
arriving on the projector view without a reload."""

import re
from urllib.parse import urlparse

import cv2
import numpy as np
import pytest

from mnist_core.classroom.drawings import DrawingStore
from mnist_core.reading.preprocessing import preprocess
from tests.browser.conftest import Server, screenshot
from tests.test_drawings import canvas_of

pytestmark = pytest.mark.browser

PUBLIC_NAME = "draw.class.test"  # browser.serverAddress: the name the class is told to open
SIZES = [(1280, 720), (1024, 768), (390, 844)]
JOIN_SIZES = [(1280, 720), (1024, 768), (1280, 900), (390, 844)]  # projectors, then a phone


@pytest.fixture(scope="module")
def class_server(tmp_path_factory, browser):
    """The app with its own (empty) drawings folder, told it is reached at PUBLIC_NAME."""
    root = tmp_path_factory.mktemp("class")
    (root / "models").mkdir()
    running = Server(root / "models", extra_env={
        "MNIST_DRAWINGS_DIR": str(root / "drawings"),
        "STREAMLIT_BROWSER_SERVER_ADDRESS": PUBLIC_NAME})
    running.drawings = DrawingStore(root / "drawings")
    yield running
    running.stop()


def open_class_page(browser, url: str, width: int, height: int, view: str = "join",
                    requests: list | None = None):
    """A new tab on the Class page, loaded; `requests` collects every URL it asks for."""
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    if requests is not None:
        tab.on("request", lambda request: requests.append(request.url))
    tab.goto(f"{url}/Class?view={view}")
    tab.get_by_text("Model in use", exact=True).wait_for(timeout=60_000)
    return context, tab


def on_screen(tab, locator) -> bool:
    """Whether the element is wholly inside the window (no scrolling needed to see it)."""
    box = locator.bounding_box()
    size = tab.viewport_size
    return box is not None and box["x"] >= 0 and box["y"] >= 0 \
        and box["x"] + box["width"] <= size["width"] + 1 \
        and box["y"] + box["height"] <= size["height"] + 1


def test_the_address_and_its_qr_code_show_large_on_a_projector(browser, class_server):
    requests = []
    context, tab = open_class_page(browser, class_server.url, 1280, 720, requests=requests)
    try:
        address = tab.locator(".join-url")
        address.wait_for(timeout=30_000)
        assert address.inner_text().replace("\n", "") == \
            f"http://{PUBLIC_NAME}:{class_server.port}"
        assert float(address.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 36
        code = tab.locator("[data-testid='stImage'] img").first
        tab.wait_for_function("img => img.complete && img.naturalWidth > 0",
                              arg=code.element_handle(), timeout=20_000)
        assert code.bounding_box()["width"] >= 300
        assert on_screen(tab, address) and on_screen(tab, code)
        tab.get_by_text("Phones can't connect?").click()
        tab.get_by_text("Guest networks").wait_for()
        screenshot(tab, "class-join-1280x720", full_page=False)
        # The QR code is made on the server: nothing comes from outside (no QR service).
        outside = [url for url in requests if urlparse(url).hostname != "127.0.0.1"
                   and not url.startswith(("data:", "blob:"))]
        assert not outside, outside
    finally:
        context.close()


def decoded_qr(png: bytes) -> str:
    """The text of the QR code in a screenshot, as a phone's camera would read it ("" when
    none reads: a code cut off by the window's edge loses a finder pattern and its quiet
    zone)."""
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(image)
    return text


@pytest.mark.parametrize("width, height", JOIN_SIZES)
def test_the_join_qr_code_decodes_from_the_window_at_each_size(browser, class_server, width,
                                                               height):
    context, tab = open_class_page(browser, class_server.url, width, height)
    try:
        code = tab.locator("[data-testid='stImage'] img").first
        code.wait_for(timeout=30_000)
        tab.wait_for_function("img => img.complete && img.naturalWidth > 0",
                              arg=code.element_handle(), timeout=20_000)
        url = f"http://{PUBLIC_NAME}:{class_server.port}"
        projector = width >= 1024
        if projector:  # the sidebar open, as a teacher's laptop shows it
            sidebar = tab.locator("[data-testid='stSidebar']").bounding_box()
            assert sidebar["x"] >= 0 and sidebar["width"] >= 200, sidebar
        else:  # a phone shows the code under the address: scrolled to, as a person would
            code.scroll_into_view_if_needed()
        # The whole window, not the element: a code running past its edge must fail to read.
        # A phone's camera gets a few looks too: on a loaded machine one screenshot can catch
        # the page mid-rerun (Streamlit fades stale elements), which no person would aim at.
        readings = []
        for _ in range(3):
            path = screenshot(tab, f"class-join-qr-{width}x{height}", full_page=False)
            readings.append(decoded_qr(path.read_bytes()))
            if readings[-1] == url:
                break
        assert readings[-1] == url, readings
        box = code.bounding_box()
        assert on_screen(tab, code), (box, tab.viewport_size)
        if projector:
            assert box["width"] >= 240  # >= 6.5 px per module (37 with the quiet zone)
        assert tab.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()


def test_a_saved_drawing_arrives_on_the_projector_without_a_reload(browser, class_server):
    context, tab = open_class_page(browser, class_server.url, 1280, 720, view="projector")
    try:
        tab.get_by_text("No drawings saved yet").wait_for(timeout=30_000)
        assert tab.locator(".join-url").inner_text().replace("\n", "").endswith(
            f"{PUBLIC_NAME}:{class_server.port}")
        tab.evaluate("window.stillTheSamePage = true")
        canvas = canvas_of(7)
        class_server.drawings.add(7, preprocess(canvas), canvas, predicted=1, confidence=0.7)
        # The projector refreshes every 5 s: the count, the card and the mix-up appear.
        tab.get_by_text(re.compile(r"^1 drawing saved")).wait_for(timeout=20_000)
        card = tab.locator(".card-line").first
        assert card.inner_text() == "7 · read 1"
        tab.get_by_text("Mixed up most: 7 as 1 (1x)").wait_for()
        assert tab.evaluate("window.stillTheSamePage === true")  # no reload happened
        thumbnail = tab.locator(".st-key-cards-latest img").first
        tab.wait_for_function("img => img.complete && img.naturalWidth > 0",
                              arg=thumbnail.element_handle(), timeout=20_000)
        assert on_screen(tab, thumbnail)
    finally:
        context.close()


@pytest.mark.parametrize("width, height", SIZES)
def test_the_projector_view_fits_and_nothing_is_cut_off(browser, class_server, width, height):
    # Five read right, and five a student saved with the wrong digit: the hard ones.
    for index, digit in enumerate([1, 0, 7, 1, 0] * 2):
        canvas = canvas_of(digit, slant=5.0 * index)
        said = digit if index < 5 else (digit + 3) % 10
        class_server.drawings.add(said, preprocess(canvas), canvas, predicted=digit,
                                  confidence=0.9)
    context, tab = open_class_page(browser, class_server.url, width, height, view="projector")
    try:
        tab.locator(".st-key-cards-hardest img").first.wait_for(timeout=30_000)
        tab.wait_for_function(
            "() => [...document.querySelectorAll(\"[data-testid='stVegaLiteChart'] canvas, "
            "[data-testid='stVegaLiteChart'] svg\")].filter(e => e.getBoundingClientRect()"
            ".height > 100).length >= 2", timeout=30_000)
        # No card is cut in half: each shown card lies wholly inside its row.
        for row in ("latest", "hardest"):
            cut = tab.evaluate(
                """key => {
                    const cards = '.st-key-cards-' + key;
                    const row = document.querySelector(cards).getBoundingClientRect();
                    return [...document.querySelectorAll(cards + ' img')]
                        .map(img => img.getBoundingClientRect())
                        .filter(box => box.top < row.bottom && box.left < row.right)
                        .filter(box => box.right > row.right + 1 || box.bottom > row.bottom + 1)
                        .length;
                }""", row)
            assert cut == 0, row
        # Nothing wider than the window (a phone would scroll sideways).
        assert tab.evaluate("document.documentElement.scrollWidth") <= width
        if width >= 1024:  # a projector: the counts, latest and join code without scrolling
            assert on_screen(tab, tab.locator(".big-count"))
            assert on_screen(tab, tab.locator(".st-key-cards-latest img").first)
            assert on_screen(tab, tab.locator(".join-strip img"))
        screenshot(tab, f"class-projector-{width}x{height}", full_page=False)
    finally:
        context.close()


def test_a_server_on_localhost_only_says_phones_cannot_reach_it(browser, server):
    context, tab = open_class_page(browser, server.url, 1280, 720)
    try:
        warning = tab.get_by_text(re.compile("phones cannot reach it"))
        warning.wait_for(timeout=30_000)
        assert "streamlit run app.py --server.address 0.0.0.0" in warning.inner_text()
        assert tab.locator("[data-testid='stImage']").count() == 0
    finally:
        context.close()
