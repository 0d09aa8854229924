"""The My drawings page: counts, gallery by digit, delete, export and import."""

import io
import zipfile

import pytest
from streamlit.testing.v1 import AppTest

from mnist_core.classroom.drawings import DrawingStore, _png
from mnist_core.reading.preprocessing import preprocess
from tests.conftest import PROJECT
from tests.test_drawings import canvas_of

PAGE = "pages/3_My_drawings.py"


def open_page() -> AppTest:
    return AppTest.from_file(str(PROJECT / "app.py"), default_timeout=60).run()\
        .switch_page(PAGE).run()


@pytest.fixture
def saved() -> DrawingStore:
    """Five saved drawings: three 7s and two 1s (each slanted differently, so all distinct)."""
    drawings = DrawingStore()
    for index, digit in enumerate([7, 1, 7, 1, 7]):
        canvas = canvas_of(digit, slant=8.0 * index)
        drawings.add(digit, preprocess(canvas), canvas, predicted=1, confidence=0.8)
    return drawings


def metric(page, label):
    return next(m.value for m in page.metric if m.label == label)


def test_with_nothing_saved_it_says_how_to_save_drawings(tmp_path):
    page = open_page()
    assert not page.exception
    assert metric(page, "Saved drawings") == "0"
    assert any("No drawings saved yet" in info.value for info in page.info)


def test_counts_and_a_gallery_that_filters_by_digit(saved):
    page = open_page()
    assert not page.exception
    assert metric(page, "Saved drawings") == "5"
    counts = saved.counts()
    assert metric(page, "Held out to score models") == str(counts.held_out)
    assert len(page.get("image")) == 5
    captions = [caption.value for caption in page.caption if caption.value.startswith("No. ")]
    assert captions[0].startswith("No. 5: a **7**, read as 1")
    assert "No. 2: a **1**, read right" in "".join(captions)
    page.segmented_control(key="gallery-digit").set_value(1).run()
    assert len(page.get("image")) == 2


def test_delete_removes_one_drawing(saved):
    page = open_page()
    next(b for b in page.button if b.key == "delete-5").click().run()
    assert not page.exception
    assert metric(page, "Saved drawings") == "4"
    assert [drawing.id for drawing in saved.list()] == [4, 3, 2, 1]


def test_import_adds_the_good_pictures_and_lists_the_skipped_ones(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("labels.csv", "file,label\nzero.png,0\nbroken.png,5\n")
        archive.writestr("zero.png", _png(canvas_of(0)))
        archive.writestr("broken.png", b"not an image")
    page = open_page()
    page.file_uploader[0].upload("class.zip", buffer.getvalue(), "application/zip").run()
    next(b for b in page.button if b.label == "Import").click().run()
    assert not page.exception
    assert any("class.zip: 1 drawing added." in s.value for s in page.success)
    assert any("row 3 (broken.png)" in t.value for t in page.text)
    assert DrawingStore().counts().by_label[0] == 1


def test_a_file_that_is_not_a_zip_changes_nothing_and_says_so(saved):
    page = open_page()
    page.file_uploader[0].upload("photo.zip", b"not a zip at all", "application/zip").run()
    next(b for b in page.button if b.label == "Import").click().run()
    assert not page.exception
    assert any("photo.zip: That file is not a zip" in e.value and "Nothing was imported" in
               e.value for e in page.error)
    assert saved.counts().total == 5


def test_a_damaged_drawings_file_is_explained_on_every_page_that_reads_it(tmp_path):
    drawings = DrawingStore()
    drawings.folder.mkdir(parents=True)
    drawings.path.write_bytes(b"not a database" * 100)
    page = open_page()
    assert not page.exception
    assert any("move it away" in error.value for error in page.error)
    for other in ("pages/1_Train.py", "pages/2_Curves.py"):
        page.switch_page(other).run()
        assert not page.exception, other
    page.switch_page("app.py").run()
    page.session_state["home-tab"] = ":material/compare: Before and after"
    page.run()
    assert not page.exception
    assert any("move it away" in error.value for error in page.error)


def test_an_8_is_an_8_in_the_gallery():
    canvas = canvas_of(0)
    DrawingStore().add(8, preprocess(canvas), canvas, predicted=0, confidence=0.7)
    page = open_page()
    assert not page.exception
    assert any(c.value.startswith("No. 1: an **8**, read as 0") for c in page.caption)
    assert any(m.value == "Delete drawing No. 1 (an 8)?" for m in page.markdown)
