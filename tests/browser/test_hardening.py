"""Issue #20 in a real browser, with a teacher password set: a locked student cannot export
every drawing nor relabel a drawing someone else saved; the projector and a student's gallery
show each drawing as the network sees it (its 28x28 input), never the picture as uploaded; and
no tab loads anything from outside the server."""

import csv
import io
import re
import zipfile
from urllib.parse import urlparse

import cv2
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from mnist_core.classroom.drawings import DrawingStore, SavedDrawing
from mnist_core.reading.preprocessing import preprocess
from mnist_core.reading.visualize import enlarge
from tests.browser.conftest import Server
from tests.test_app import png_of
from tests.test_drawings import canvas_of

pytestmark = pytest.mark.browser

PASSWORD = "chalk-dust-42"
PROJECTOR_PX = 88  # pages/5_Class.py THUMB_PX: a card on the projector
GALLERY_PX = 150  # pages/3_My_drawings.py CARD_WIDTH: a card in the gallery
# Mean difference (0-255) between a served picture and the enlarged model input it should be:
# Streamlit sends RGB arrays as JPEG (quality 90), about 0.5 off; another drawing's input is
# about 15 off, and the uploaded photo is another size altogether.
SAME_PICTURE = 3.0


def photo_with_words() -> np.ndarray:
    """(800, 1200, 3) uint8 RGB: a dark, slanted 7 on cream paper with red words written round
    it, the kind of upload a projector must never show as it is."""
    ink = cv2.resize(canvas_of(7, slant=12.0)[..., 3], (560, 560)).astype(np.float32) / 255
    photo = np.full((800, 1200, 3), (236, 228, 214), np.float32)
    middle = photo[120:680, 320:880]
    photo[120:680, 320:880] = (1 - ink[..., None]) * middle + ink[..., None] * (25, 25, 35)
    photo = photo.astype(np.uint8)
    for words, corner in [("NOT FOR", (40, 100)), ("THE CLASS", (40, 780)),
                          ("SECRET", (900, 100)), ("WORDS", (900, 780))]:
        cv2.putText(photo, words, corner, cv2.FONT_HERSHEY_SIMPLEX, 2.2, (200, 30, 30), 7)
    return photo


@pytest.fixture(scope="module")
def locked_server(tmp_path_factory, browser):
    """The app with a teacher password and its own drawings folder, holding one drawing: the
    photo above, whose model input is a slanted 7, saved as a 1 (a student's wrong digit, so
    the projector shows it among the hardest as well as the latest)."""
    root = tmp_path_factory.mktemp("hardening")
    (root / "models").mkdir()
    drawings = DrawingStore(root / "drawings")
    photo = photo_with_words()
    photo_id, _ = drawings.add(1, preprocess(canvas_of(7, slant=12.0)), photo, predicted=7,
                               confidence=0.9, source="upload")
    running = Server(root / "models", extra_env={"MNIST_DRAWINGS_DIR": str(root / "drawings"),
                                                 "MNIST_TEACHER_PASSWORD": PASSWORD})
    running.drawings = drawings
    running.photo_id = photo_id
    running.shots = root / "screenshots"
    running.shots.mkdir()
    yield running
    running.stop()


def new_tab(browser, width: int, height: int, requests: list[str]):
    """A new browser (its own session: another student) and a tab in it; `requests` collects
    every URL any of its tabs asks for, downloads included."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.on("request", lambda request: requests.append(request.url))
    return context, context.new_page()


def from_outside(requests: list[str]) -> list[str]:
    return [url for url in requests if urlparse(url).hostname != "127.0.0.1"
            and not url.startswith(("data:", "blob:"))]


def snap(tab, folder, name: str) -> None:
    """What the window shows, once images have arrived, as folder/name.png to look at."""
    tab.wait_for_load_state("networkidle")
    tab.wait_for_timeout(800)
    tab.screenshot(path=str(folder / f"{name}.png"))


def served_picture(context, image) -> np.ndarray:
    """The picture an <img> shows, as the server sent it: (H, W, 3) uint8 RGB."""
    url = image.evaluate("img => img.currentSrc || img.src")
    reply = context.request.get(url)
    assert reply.ok, url
    return np.asarray(Image.open(io.BytesIO(reply.body())).convert("RGB"))


def model_input_shown(picture: np.ndarray, drawings: list[SavedDrawing], size: int
                      ) -> SavedDrawing | None:
    """The drawing whose model input, enlarged to `size` px, `picture` is; None if none."""
    for drawing in drawings:
        expected = enlarge(drawing.image, size)
        if picture.shape == expected.shape and \
                np.abs(picture.astype(np.float32) - expected).mean() < SAME_PICTURE:
            return drawing
    return None


def test_the_projector_shows_model_inputs_and_only_the_teacher_can_hide_one(browser,
                                                                            locked_server):
    requests = []
    context, tab = new_tab(browser, 1280, 720, requests)
    try:
        tab.goto(f"{locked_server.url}/Class?view=projector")
        cards = tab.locator(".st-key-cards-latest img, .st-key-cards-hardest img")
        tab.locator(".st-key-cards-hardest img").first.wait_for(timeout=60_000)
        drawings = locked_server.drawings.list()
        shown = [model_input_shown(served_picture(context, card), drawings, PROJECTOR_PX)
                 for card in cards.all()]
        assert None not in shown, "a card is not a drawing's model input (the photo as is?)"
        photo_id = locked_server.photo_id
        assert [drawing.id for drawing in shown].count(photo_id) == 2  # latest and hardest
        snap(tab, locked_server.shots, "projector-locked-1280x720")
        assert tab.get_by_role("button", name="Hide").count() == 0  # a student cannot

        # The teacher unlocks this tab and hides the photo: it leaves both rows.
        tab.get_by_text("Teacher: unlock").click()
        tab.get_by_label("Teacher password").fill(PASSWORD)
        tab.get_by_role("button", name="Unlock").click()
        # (Streamlit draws a button with help twice; only one is visible, to its role.)
        hide = tab.locator(f".st-key-hide-latest-{photo_id}").get_by_role("button")
        hide.wait_for(timeout=20_000)
        snap(tab, locked_server.shots, "projector-teacher-1280x720")
        hide.click()
        gone = tab.locator(f".st-key-hide-latest-{photo_id}, .st-key-hide-hardest-{photo_id}")
        expect(gone).to_have_count(0, timeout=20_000)
        assert locked_server.drawings.get(photo_id).hidden
        assert not from_outside(requests), from_outside(requests)
    finally:
        context.close()
        locked_server.drawings.hide(locked_server.photo_id, hidden=False)


def upload(tab, path) -> None:
    tab.get_by_role("tab", name=re.compile("Upload a picture")).click()
    tab.locator("input[type=file]").set_input_files(str(path))
    tab.get_by_text(re.compile(r"It reads 7, \d+% sure")).wait_for(timeout=60_000)


def test_a_locked_student_cannot_relabel_anothers_drawing_nor_export_them_all(
        browser, locked_server, tmp_path):
    path = tmp_path / "seven.png"
    path.write_bytes(png_of(7))
    requests = []
    first, saver = new_tab(browser, 1280, 900, requests)
    second, other = new_tab(browser, 1280, 900, requests)
    try:
        # One student saves an uploaded 7 as a 7.
        saver.goto(locked_server.url)
        upload(saver, path)
        saver.get_by_role("button", name="Right, it's a 7").click()
        saver.get_by_text("Saved as a 7.").wait_for(timeout=20_000)
        [seven] = [drawing for drawing in locked_server.drawings.list()
                   if drawing.id != locked_server.photo_id]
        assert seven.label == 7

        # Another uploads the same picture and says it is a 1: it stays a 7.
        other.goto(locked_server.url)
        upload(other, path)
        one = other.get_by_role("radiogroup", name="Wrong? It was a …").get_by_role(
            "radio", name="1")
        one.click()
        other.get_by_text("Already saved as a 7 by someone else: only the teacher can change "
                          "it.").wait_for(timeout=20_000)
        expect(one).not_to_be_checked()  # no digit shows as picked, none was saved
        snap(other, locked_server.shots, "home-kept")
        assert locked_server.drawings.get(seven.id).label == 7
        assert len(locked_server.drawings.list()) == 2

        # On My drawings (the same session, by the sidebar's link) the first student may take
        # only their own drawing, and sees every drawing as the network sees it.
        saver.locator("[data-testid=stSidebar]").get_by_role("link", name="My drawings").click()
        mine = saver.get_by_role("button", name="Download mine (1)")
        mine.wait_for(timeout=30_000)
        expect(saver.get_by_role("button", name="Download all as a zip")).to_be_disabled()
        with saver.expect_download() as download:
            mine.click()
        with zipfile.ZipFile(download.value.path()) as archive:
            rows = list(csv.DictReader(io.StringIO(archive.read("labels.csv").decode())))
        assert [(row["label"], row["source"]) for row in rows] == [("7", "upload")]

        pictures = saver.locator("[data-testid=stMain] [data-testid=stImage] img")
        expect(pictures).to_have_count(2, timeout=20_000)
        drawings = locked_server.drawings.list()
        shown = [model_input_shown(served_picture(first, picture), drawings, GALLERY_PX)
                 for picture in pictures.all()]
        assert None not in shown, "a gallery picture is not a model input (the photo as is?)"
        assert sorted(drawing.id for drawing in shown) == sorted([seven.id, locked_server.photo_id])
        saver.get_by_text("Gallery").scroll_into_view_if_needed()
        snap(saver, locked_server.shots, "my-drawings-locked")
        assert not from_outside(requests), from_outside(requests)
    finally:
        first.close()
        second.close()
