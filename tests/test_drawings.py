"""mnist_core/classroom/drawings.py: the class's saved drawings in SQLite, export and import."""

from __future__ import annotations

import csv
import io
import sqlite3
import subprocess
import sys
import threading
import zipfile

import numpy as np
import pytest

from mnist_core.classroom.drawings import MIN_HELD_OUT, DrawingStore, held_out_metrics
from mnist_core.data.drawn import render_strokes, sketch
from mnist_core.errors import DrawingError, DrawingStoreError
from mnist_core.reading.images import read_image_file
from mnist_core.reading.preprocessing import preprocess
from tests.conftest import PROJECT


def canvas_of(digit: int, centre=(140, 140), brush=18, scale=200, slant=0.0) -> np.ndarray:
    """(280, 280, 4) uint8 canvas image of a hand-made 0, 1 or 7. Preprocessing undoes the
    place and size; a different slant gives a different drawing."""
    return render_strokes(sketch(digit), brush_width=brush, scale=scale, centre=centre,
                          slant=slant)


def random_input(seed: int) -> np.ndarray:
    """A (28, 28) float model input no other seed gives."""
    return np.random.default_rng(seed).random((28, 28), dtype=np.float32)


@pytest.fixture
def drawings(tmp_path) -> DrawingStore:
    return DrawingStore(tmp_path / "data")


def test_a_saved_drawing_reads_back_with_its_label_picture_and_prediction(drawings):
    canvas = canvas_of(7)
    model_input = preprocess(canvas)
    drawing_id, what = drawings.add(7, model_input, canvas, predicted=1, confidence=0.62,
                                    model="20261121-080000")
    assert what == "added"
    saved = drawings.get(drawing_id)
    assert (saved.label, saved.predicted, saved.confidence, saved.model, saved.source) == \
        (7, 1, 0.62, "20261121-080000", "canvas")
    assert np.abs(saved.image - model_input).max() <= 1 / 255
    assert np.array_equal(read_image_file(drawings.image_png(drawing_id)), canvas)
    assert drawings.counts().by_label == (0, 0, 0, 0, 0, 0, 0, 1, 0, 0)
    assert drawings.path.exists() and drawings.path.name == "drawings.sqlite3"


def test_an_opaque_canvas_is_kept_with_the_same_pixels(drawings):
    canvas = canvas_of(7)
    opaque = canvas.copy()
    opaque[..., :3] = opaque[..., 3:]  # white strokes ...
    opaque[..., 3] = 255               # ... on the app's black ground, as the canvas returns it
    drawing_id, _ = drawings.add(7, preprocess(opaque), opaque)

    kept = read_image_file(drawings.image_png(drawing_id))

    assert np.array_equal(kept, opaque[..., :3])  # the alpha channel said nothing: all 255


def test_a_confidence_a_rounding_error_above_one_is_kept_as_one(drawings):
    drawing_id, _ = drawings.add(3, random_input(0), b"png", confidence=np.float32(1.0000001))
    assert drawings.get(drawing_id).confidence == 1.0


def test_saving_the_same_drawing_again_corrects_its_label_instead_of_adding_a_copy(drawings):
    canvas = canvas_of(1)
    first, _ = drawings.add(7, preprocess(canvas), canvas)
    assert drawings.add(7, preprocess(canvas), canvas) == (first, "unchanged")
    assert drawings.add(1, preprocess(canvas), canvas) == (first, "relabelled")
    assert drawings.counts().total == 1 and drawings.get(first).label == 1


def test_the_folder_moves_with_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DRAWINGS_DIR", str(tmp_path / "elsewhere"))
    DrawingStore().add(3, random_input(0), canvas_of(0))
    assert (tmp_path / "elsewhere" / "drawings.sqlite3").exists()


@pytest.mark.parametrize(("arguments", "message"), [
    ({"label": 10}, "label from 0 to 9"),
    ({"label": True}, "label from 0 to 9"),
    ({"predicted": -1}, "predicted digit"),
    ({"confidence": 1.5}, "confidence in \\[0, 1\\]"),
    ({"source": "fax"}, "source in"),
])
def test_out_of_range_values_are_refused_with_a_message(drawings, arguments, message):
    values = {"label": 3, **arguments}
    with pytest.raises(ValueError, match=message):
        drawings.add(values.pop("label"), random_input(0), canvas_of(0), **values)
    assert drawings.counts().total == 0


@pytest.mark.parametrize("model_input", [np.zeros((28, 27)), np.full((28, 28), 2.0),
                                         np.zeros((28, 28), np.int64)])
def test_a_model_input_of_the_wrong_shape_or_range_is_refused(drawings, model_input):
    with pytest.raises(DrawingError, match="Expected a \\(28, 28\\) model input"):
        drawings.add(3, model_input, canvas_of(0))


def test_one_drawing_in_five_is_held_out_and_never_changes_side(drawings):
    for seed in range(300):
        drawings.add(seed % 10, random_input(seed), b"png")
    counts = drawings.counts()
    assert 40 <= counts.held_out <= 80  # 60 expected
    x_train, y_train = drawings.dataset(held_out=False)
    x_test, y_test = drawings.dataset(held_out=True)
    assert (len(x_train), len(x_test)) == (counts.for_training, counts.held_out)
    assert x_train.dtype == np.uint8 and x_train.shape[1:] == (28, 28)
    held = {saved.id for saved in drawings.list(limit=1000) if saved.held_out}
    drawings.delete(min(held))
    assert {saved.id for saved in drawings.list(limit=1000) if saved.held_out} == held - {min(held)}


def test_the_gallery_lists_newest_first_by_digit_and_deletes(drawings):
    ids = [drawings.add(seed % 3, random_input(seed), b"png")[0] for seed in range(9)]
    assert [saved.id for saved in drawings.list(2)] == [ids[8], ids[5], ids[2]]
    assert [saved.id for saved in drawings.list(limit=2, offset=1)] == [ids[7], ids[6]]
    before = drawings.version()
    drawings.delete(ids[8])
    assert drawings.version() != before
    assert [saved.id for saved in drawings.list(2)] == [ids[5], ids[2]]
    with pytest.raises(DrawingStoreError, match="not saved"):
        drawings.delete(ids[8])


def errors_of_sessions_at_once(work, sessions: int = 8) -> list[Exception]:
    """Run `work(session)` for each session in its own thread, all at once; what they raised."""
    errors = []

    def session(number: int) -> None:
        try:
            work(number)
        except Exception as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    threads = [threading.Thread(target=session, args=(number,)) for number in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_sessions_writing_at_once_lose_nothing(drawings):
    def write(worker: int) -> None:
        store = DrawingStore(drawings.folder)  # each session has its own store object
        for index in range(25):
            store.add(index % 10, random_input(1000 * worker + index), b"png")

    assert errors_of_sessions_at_once(write) == []
    assert drawings.counts().total == 200
    assert len({saved.id for saved in drawings.list(limit=500)}) == 200


def test_sessions_saving_the_first_drawings_into_a_new_file_at_once_all_succeed(tmp_path):
    """Making the file (WAL switch, tables) raced: about 1 time in 80, one of 8 sessions got
    "database is locked" at once instead of waiting. 30 new files, 8 sessions each."""
    for round_ in range(30):
        folder = tmp_path / f"new-{round_}"

        def first_save(worker: int, folder=folder) -> None:
            DrawingStore(folder).add(worker, random_input(worker), b"png")

        assert errors_of_sessions_at_once(first_save) == [], f"round {round_}"
        assert DrawingStore(folder).counts().total == 8


def test_a_crash_in_the_middle_of_a_write_leaves_every_earlier_drawing_and_no_half_one(drawings):
    drawings.add(4, random_input(1), b"first")
    crash = (
        "import os, signal, numpy as np\n"
        "from mnist_core.classroom.drawings import DrawingStore\n"
        f"store = DrawingStore({str(drawings.folder)!r})\n"
        "store.add(5, np.ones((28, 28), np.float32), b'second')\n"
        "with store._writing() as connection:\n"
        "    connection.execute(\"INSERT INTO drawings (label, created_at, source, held_out,"
        " digest, model_input, image_png) VALUES (6, 'now', 'canvas', 0, 'x', zeroblob(784),"
        " x'00')\")\n"
        "    os.kill(os.getpid(), signal.SIGKILL)  # the server dies before the commit\n"
    )
    result = subprocess.run([sys.executable, "-c", crash], cwd=PROJECT, capture_output=True,
                            timeout=60)
    assert result.returncode == -9, result.stderr
    connection = sqlite3.connect(drawings.path)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    connection.close()
    assert drawings.counts().by_label == (0, 0, 0, 0, 1, 1, 0, 0, 0, 0)
    drawings.add(6, random_input(2), b"after")  # and the database still takes writes
    assert drawings.counts().total == 3


def test_a_damaged_database_file_gets_a_message_saying_what_to_do(drawings):
    drawings.folder.mkdir(parents=True)
    drawings.path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DrawingStoreError, match="move it away"):
        drawings.counts()


def test_an_unwritable_folder_gets_a_message_naming_the_variable(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(DrawingStoreError, match="MNIST_DRAWINGS_DIR"):
        DrawingStore(blocker / "data").add(1, random_input(0), b"png")


def test_export_and_import_round_trip_every_drawing_and_label(drawings, tmp_path):
    for digit, centre in [(0, (100, 120)), (1, (140, 140)), (7, (180, 150))]:
        canvas = canvas_of(digit, centre=centre)
        drawings.add(digit, preprocess(canvas), canvas, predicted=digit, confidence=0.9)
    data = drawings.export_zip()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("labels.csv").decode())))
        assert [row["label"] for row in rows] == ["0", "1", "7"]
        assert read_image_file(archive.read(rows[0]["input_file"])).shape == (28, 28)
    other = DrawingStore(tmp_path / "other")
    report = other.import_zip(data)
    assert (report.added, report.duplicates, report.problems) == (3, 0, ())
    originals = drawings.list()
    copies = other.list()
    assert [(saved.label, saved.predicted, saved.created_at) for saved in copies] == \
        [(saved.label, saved.predicted, saved.created_at) for saved in originals]
    for original, copy in zip(originals, copies, strict=True):
        assert np.array_equal(original.model_input, copy.model_input)
        assert copy.source == "import"
    again = drawings.import_zip(data)
    assert (again.added, again.duplicates) == (0, 3)


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def png_of(image: np.ndarray) -> bytes:
    from mnist_core.classroom.drawings import _png

    return _png(image)


def test_import_skips_and_reports_bad_rows_and_adds_the_good_ones(drawings):
    good = png_of(canvas_of(7))
    data = zip_of({
        "class/labels.csv": b"file,label\nseven.png,7\nnoise.png,3\nmissing.png,2\n"
                            b"blank.png,4\nseven-again.png,x\n",
        "class/seven.png": good,
        "class/noise.png": b"not a picture",
        "class/blank.png": png_of(np.zeros((50, 50), np.uint8)),
        "class/seven-again.png": good,
    })
    report = drawings.import_zip(data)
    assert (report.added, report.duplicates) == (1, 0)
    assert report.problems == (
        "labels.csv row 3 (class/noise.png): this file is not an image that can be read; "
        "skipped.",
        "labels.csv row 4 (class/missing.png): listed in labels.csv but not in the zip; "
        "skipped.",
        "labels.csv row 5 (class/blank.png): no digit found: the picture is blank or its "
        "marks are too small; skipped.",
        "labels.csv row 6 (class/seven-again.png): the label 'x' is not a digit from 0 to 9; "
        "skipped.",
    )
    assert drawings.counts().by_label[7] == 1


@pytest.mark.parametrize(("first", "row", "line"), [
    (7, "big.png,3", "labels.csv row 3 (big.png): the image is too large: 30,000 x 30,000 "
     "pixels (900 megapixels); the limit is 40 megapixels; skipped."),
    (7, ",3", "labels.csv row 3: no file named in its 'file' column; skipped."),
    (7, "again.png,", "labels.csv row 3 (again.png): no label: the 'label' column must be a "
     "digit from 0 to 9; skipped."),
    (7, "again.png,7", "labels.csv row 3 (again.png): the same picture as row 2 (first.png); "
     "skipped."),
    (7, "again.png,1", "labels.csv row 3 (again.png): the same picture as row 2 (first.png), "
     "which says it is a 7; skipped."),
    (8, "again.png,1", "labels.csv row 3 (again.png): the same picture as row 2 (first.png), "
     "which says it is an 8; skipped."),
])
def test_each_skipped_file_is_one_sentence_saying_why(drawings, first, row, line):
    from tests.test_images import png_claiming

    seven = png_of(canvas_of(7))
    data = zip_of({
        "labels.csv": f"file,label\nfirst.png,{first}\n{row}\n".encode(),
        "first.png": seven, "again.png": seven, "big.png": png_claiming(30000, 30000),
    })
    report = drawings.import_zip(data)
    assert report.added == 1 and report.problems == (line,)


# Named ids: a zip holds the time it was made, so ids made of its bytes could differ between
# the two test processes collecting them a second apart (pytest-xdist refuses to run then).
@pytest.mark.parametrize(("data", "message"), [
    pytest.param(b"PK\x03\x04 truncated", "not a zip", id="truncated"),
    pytest.param(b"hello", "not a zip", id="text"),
    pytest.param(zip_of({"seven.png": b"x"}), "no labels.csv", id="no-labels"),
    pytest.param(zip_of({"labels.csv": b"name,digit\na.png,1\n"}),
                 "'file' and a 'label' column", id="wrong-columns"),
    pytest.param(zip_of({"labels.csv": b"\xff\xfe\x00bad"}), "UTF-8", id="not-utf8"),
])
def test_a_bad_zip_is_refused_with_a_message_and_changes_nothing(drawings, data, message):
    with pytest.raises(DrawingStoreError, match=message):
        drawings.import_zip(data)
    assert drawings.counts().total == 0


def test_an_import_that_fails_while_writing_adds_nothing(drawings, monkeypatch):
    canvases = [canvas_of(digit, slant=8.0 * index)
                for index, digit in enumerate([0, 1, 7, 0])]
    files = {f"{index}.png": png_of(canvas) for index, canvas in enumerate(canvases)}
    labels = "file,label\n" + "".join(f"{index}.png,{[0, 1, 7, 0][index]}\n" for index in range(4))
    data = zip_of({"labels.csv": labels.encode(), **files})
    calls = []

    def held_out_then_fail(digest: str) -> bool:
        calls.append(digest)
        if len(calls) == 3:
            raise sqlite3.OperationalError("disk I/O error")
        return False

    monkeypatch.setattr("mnist_core.classroom.drawings._is_held_out", held_out_then_fail)
    with pytest.raises(DrawingStoreError, match="disk I/O error"):
        drawings.import_zip(data)
    assert drawings.counts().total == 0


def test_held_out_accuracy_needs_enough_drawings_and_scores_them(drawings):
    def always_three(images: np.ndarray) -> np.ndarray:
        probabilities = np.zeros((len(images), 10), np.float32)
        probabilities[:, 3] = 1
        return probabilities

    seed = 0
    while drawings.counts().held_out < MIN_HELD_OUT:
        drawings.add(3 if seed % 2 else 5, random_input(seed), b"png")
        if drawings.counts().held_out == MIN_HELD_OUT - 1:
            assert held_out_metrics(always_three, drawings) == {}
        seed += 1
    _, labels = drawings.dataset(held_out=True)
    metrics = held_out_metrics(always_three, drawings)
    assert metrics == {"drawings_accuracy": float(np.mean(labels == 3)),
                       "drawings_count": MIN_HELD_OUT}


def test_a_correction_can_be_taken_back_by_relabelling_to_the_digit_it_had(drawings):
    model_input = random_input(11)
    assert drawings.find(model_input) is None
    drawing_id, _ = drawings.add(8, model_input, b"png")
    assert drawings.find(model_input).id == drawing_id
    version = drawings.version()
    drawings.relabel(drawing_id, 3)
    assert drawings.get(drawing_id).label == 3 and drawings.version() > version
    with pytest.raises(ValueError, match="label from 0 to 9"):
        drawings.relabel(drawing_id, 10)
    drawings.delete(drawing_id)
    with pytest.raises(DrawingStoreError, match="not saved"):
        drawings.relabel(drawing_id, 3)


# -- what one student must not be able to do to the class's drawings ------------------------


def test_a_drawing_someone_else_saved_keeps_its_label_when_relabelling_is_not_allowed(drawings):
    canvas = canvas_of(7)
    first, _ = drawings.add(7, preprocess(canvas), canvas)
    assert drawings.add(3, preprocess(canvas), canvas, relabel=False) == (first, "kept")
    assert drawings.get(first).label == 7
    assert drawings.add(7, preprocess(canvas), canvas, relabel=False) == (first, "unchanged")


def test_a_hidden_drawing_is_marked_and_can_be_shown_again(drawings):
    drawing_id, _ = drawings.add(7, random_input(0), b"png")
    drawings.hide(drawing_id)
    assert drawings.get(drawing_id).hidden and drawings.list()[0].hidden
    drawings.hide(drawing_id, hidden=False)
    assert not drawings.get(drawing_id).hidden
    with pytest.raises(DrawingStoreError, match="not saved"):
        drawings.hide(drawing_id + 1)


def test_a_database_from_before_hiding_is_brought_up_to_date_with_every_drawing(drawings):
    drawings.folder.mkdir(parents=True)
    old = sqlite3.connect(drawings.path)
    old.executescript(  # version 1's tables, as an earlier release made them
        "PRAGMA journal_mode=WAL; CREATE TABLE drawings (id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " label INTEGER NOT NULL, predicted INTEGER, confidence REAL, model TEXT, created_at"
        " TEXT NOT NULL, source TEXT NOT NULL, held_out INTEGER NOT NULL, digest TEXT NOT NULL"
        " UNIQUE, model_input BLOB NOT NULL, image_png BLOB NOT NULL);"
        " CREATE TABLE changes (id INTEGER PRIMARY KEY CHECK (id = 1), count INTEGER);"
        " INSERT INTO changes VALUES (1, 5); PRAGMA user_version = 1;")
    old.execute("INSERT INTO drawings (label, created_at, source, held_out, digest, model_input,"
                " image_png) VALUES (4, '2026-11-30T10:00:00+00:00', 'canvas', 0, 'abc', ?,"
                " x'00')", (bytes(784),))
    old.commit()
    old.close()
    [drawing] = drawings.list()
    assert (drawing.label, drawing.hidden, drawings.version()) == (4, False, 5)
    drawings.hide(drawing.id)
    assert drawings.get(drawing.id).hidden


def labels_of(data: bytes) -> list[dict[str, str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return list(csv.DictReader(io.StringIO(archive.read("labels.csv").decode())))


def test_a_students_export_holds_only_the_drawings_asked_for(drawings):
    ids = [drawings.add(seed % 10, random_input(seed), png_of(canvas_of(1)))[0]
           for seed in range(4)]
    assert [row["label"] for row in labels_of(drawings.export_zip(ids[1:3]))] == ["1", "2"]
    assert labels_of(drawings.export_zip([])) == []


@pytest.mark.parametrize("model", ["=HYPERLINK(\"http://x\",\"click\")", "+1+1", "-2", "@SUM(A1)",
                                   "\tcmd"])
def test_an_export_never_holds_a_cell_a_spreadsheet_would_run(drawings, model):
    canvas = canvas_of(7)
    drawings.add(7, preprocess(canvas), canvas, model=model)
    [row] = labels_of(drawings.export_zip())
    assert row["model"] == "'" + model


def test_hidden_drawings_stay_hidden_through_an_export_and_import(drawings, tmp_path):
    for digit in (1, 7):
        canvas = canvas_of(digit)
        drawing_id, _ = drawings.add(digit, preprocess(canvas), canvas)
    drawings.hide(drawing_id)
    other = DrawingStore(tmp_path / "other")
    other.import_zip(drawings.export_zip())
    assert [(drawing.label, drawing.hidden) for drawing in other.list()] == [(7, True),
                                                                          (1, False)]


def test_a_picture_named_in_many_rows_is_read_once(drawings, monkeypatch):
    reads = []
    real = read_image_file
    monkeypatch.setattr("mnist_core.reading.images.read_image_file",
                        lambda data: (reads.append(1), real(data))[1])
    rows = "".join(["seven.png,7\n"] * 5000 + ["noise.png,1\n"] * 5000)
    report = drawings.import_zip(zip_of({"labels.csv": f"file,label\n{rows}".encode(),
                                         "seven.png": png_of(canvas_of(7)),
                                         "noise.png": b"not a picture"}))
    assert len(reads) == 2
    assert (report.added, len(report.problems)) == (1, 9999)
    assert report.problems[-1] == ("labels.csv row 10001 (noise.png): this file is not an "
                                   "image that can be read; skipped.")


def test_a_labels_file_with_too_many_rows_is_refused_before_any_picture_is_read(drawings):
    from mnist_core.classroom.drawings import MAX_IMPORT_ROWS

    rows = "seven.png,7\n" * (MAX_IMPORT_ROWS + 1)
    with pytest.raises(DrawingStoreError, match=f"more than {MAX_IMPORT_ROWS:,} rows"):
        drawings.import_zip(zip_of({"labels.csv": f"file,label\n{rows}".encode(),
                                    "seven.png": png_of(canvas_of(7))}))
    assert drawings.counts().total == 0


def test_an_import_that_reads_too_long_stops_and_adds_nothing(drawings):
    from mnist_core.classroom.drawings import MAX_IMPORT_SECONDS

    ticks = iter(range(0, 10_000, 50))  # each look at the clock: 50 s later
    files = {f"{index}.png": png_of(canvas_of(7, slant=8.0 * index)) for index in range(5)}
    labels = "file,label\n" + "".join(f"{index}.png,7\n" for index in range(5))
    with pytest.raises(DrawingStoreError, match=f"took over {MAX_IMPORT_SECONDS:.0f} s"):
        drawings.import_zip(zip_of({"labels.csv": labels.encode(), **files}),
                            clock=lambda: next(ticks))
    assert drawings.counts().total == 0


def test_a_labels_file_with_a_huge_field_is_refused_with_a_message(drawings):
    data = zip_of({"labels.csv": b"file,label\n\"" + b"x" * 200_000 + b"\",7\n"})
    with pytest.raises(DrawingStoreError, match="cannot be read as CSV"):
        drawings.import_zip(data)


# -- a full disk -----------------------------------------------------------------------------


def test_a_full_disk_is_called_full_and_no_one_is_told_to_move_the_drawings_away(
        drawings, monkeypatch):
    drawings.add(1, random_input(0), b"png")

    class Full:
        free = 4096

    monkeypatch.setattr("mnist_core.classroom.drawings.shutil.disk_usage", lambda path: Full)
    monkeypatch.setattr("mnist_core.classroom.drawings._is_held_out", lambda digest: (_ for _ in
    ()).throw(
        sqlite3.OperationalError("disk I/O error")))
    with pytest.raises(DrawingStoreError) as caught:
        drawings.add(2, random_input(1), b"png")
    message = str(caught.value)
    assert "is full" in message and "safe" in message and "move it away" not in message


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MB file system of its own (tmpfs), or a skip where mounting is not allowed."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.decode()[:200]}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def test_drawings_on_a_disk_that_fills_up_are_all_there_once_space_is_freed(small_disk):
    drawings = DrawingStore(small_disk)
    for seed in range(5):
        drawings.add(seed, random_input(seed), b"png")
    filler = open(small_disk / "filler", "wb")  # noqa: SIM115 - written until the disk is full
    try:
        while True:
            filler.write(bytes(4096))
            filler.flush()
    except OSError:
        pass
    with pytest.raises(DrawingStoreError) as caught:
        drawings.add(9, random_input(9), b"png")
    assert "is full" in str(caught.value) and "move it away" not in str(caught.value)
    try:
        filler.close()
    except OSError:
        pass
    (small_disk / "filler").unlink()
    connection = sqlite3.connect(drawings.path)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    connection.close()
    assert drawings.counts().by_label == (1, 1, 1, 1, 1, 0, 0, 0, 0, 0)
    drawings.add(9, random_input(9), b"png")
