import cv2
import numpy as np
import pytest

from mnist_core.data.drawn import render_strokes, sketch
from mnist_core.errors import DrawingError, EmptyDrawingError, ModelLoadError, NotADigitError
from mnist_core.recognizer import Prediction, Recognizer
from mnist_core.runs.store import SHIPPED_ID, ModelStore


@pytest.fixture(scope="module")
def shipped():
    """The model the app ships with, as the app loads it."""
    return Recognizer.load(run_id=SHIPPED_ID)


def canvas(digit, brush=20, size=200, centre=(140, 140), ink=(0, 0, 0), slant=0.0, flag=False):
    """A 280x280 transparent RGBA canvas with a code-drawn 0, 1 or 7 (lines and arcs)."""
    return render_strokes(sketch(digit, flag=flag), brush_width=brush, scale=size,
                          centre=centre, ink=ink, slant=slant)


@pytest.mark.parametrize(
    ("digit", "brush", "size", "centre", "slant", "flag"),
    [
        (0, 20, 200, (140, 140), 0, False),
        (0, 10, 120, (80, 90), 10, False),
        (0, 34, 240, (140, 140), -8, False),
        (1, 20, 200, (140, 140), 0, False),
        (1, 12, 110, (200, 100), 12, True),
        (1, 30, 230, (140, 140), -5, True),
        (7, 20, 200, (140, 140), 0, False),
        (7, 14, 130, (90, 180), 10, False),
        (7, 30, 240, (140, 140), -10, False),
    ],
)
def test_the_shipped_model_reads_code_drawn_digits(shipped, digit, brush, size, centre, slant,
                                                   flag):
    result = shipped.predict(canvas(digit, brush, size, centre, slant=slant, flag=flag))
    assert result.digit == digit, f"read {result.digit} ({result.confidence:.0%})"
    assert result.confidence > 0.5


def test_a_prediction_holds_digit_probabilities_and_model_input(shipped):
    result = shipped.predict(canvas(7), return_steps=True)
    assert isinstance(result, Prediction)
    assert result.probabilities.shape == (10,)
    assert result.probabilities.sum() == pytest.approx(1, abs=1e-5)
    assert result.model_input.shape == (28, 28) and result.model_input.dtype == np.float32
    assert result.steps is not None and result.steps.centred is not None
    np.testing.assert_array_equal(result.steps.centred, result.model_input)
    assert result.runner_up != result.digit


def test_batch_prediction_matches_one_at_a_time(shipped):
    images = [canvas(0), canvas(1), canvas(7, ink=(255, 0, 0))]
    batch = shipped.predict_batch(images)
    single = [shipped.predict(image) for image in images]
    assert [r.digit for r in batch] == [r.digit for r in single] == [0, 1, 7]
    for a, b in zip(batch, single, strict=True):
        np.testing.assert_allclose(a.probabilities, b.probabilities, atol=1e-6)
    assert shipped.predict_batch([]) == []


def test_a_blank_canvas_is_an_empty_drawing_not_a_guess(shipped):
    with pytest.raises(EmptyDrawingError):
        shipped.predict(np.zeros((280, 280, 4), np.uint8))


def test_a_wrong_image_is_a_clear_error(shipped):
    with pytest.raises(DrawingError, match="Received: shape="):
        shipped.predict(np.zeros((280, 280, 2), np.uint8))


@pytest.mark.parametrize(("probabilities", "unsure"),
                         [([0.5, 0.45] + [0.05 / 8] * 8, True),
                          ([0.7, 0.25] + [0.05 / 8] * 8, True),  # 0.45 apart: a doubt
                          ([0.8, 0.15] + [0.05 / 8] * 8, False),
                          ([0.9, 0.05] + [0.05 / 8] * 8, False)])
def test_unsure_when_the_top_two_are_close(probabilities, unsure):
    result = Prediction(0, np.array(probabilities, np.float32), np.zeros((28, 28), np.float32))
    assert result.is_unsure is unsure and result.runner_up == 1


@pytest.mark.parametrize(("share", "thick"), [(0.12, False), (0.28, False), (0.3, True)])
def test_a_digit_drawn_small_for_its_pen_is_never_shown_sure(share, thick):
    probabilities = np.array([0.99] + [0.01 / 9] * 9, np.float32)
    result = Prediction(0, probabilities, np.zeros((28, 28), np.float32), stroke_share=share)
    assert result.is_thick is thick and result.is_unsure is thick


def test_a_small_digit_drawn_with_the_thickest_pen_is_read_but_flagged(shipped):
    """A 7 drawn 80 px tall with the 40 px pen: its stroke is a third of its ink's size."""
    small = shipped.predict(canvas_of_seven(80, 40))
    assert small.is_thick and small.is_unsure, small.stroke_share
    large = shipped.predict(canvas_of_seven(250, 22))  # the same 7, as people draw
    assert not large.is_thick and large.digit == 7, (large.stroke_share, large.digit)


def canvas_of_seven(height: int, pen: int) -> np.ndarray:
    """A 7 (a bar and a diagonal) `height` px tall on a transparent 336 px canvas."""
    alpha = np.zeros((336, 336), np.uint8)
    top, left = 168 - height // 2, 168 - height // 3
    points = np.array([(left, top), (left + 2 * height // 3, top),
                       (left + height // 4, top + height)], np.int32)
    cv2.polylines(alpha, [points], False, 255, pen, cv2.LINE_AA)
    rgba = np.zeros((336, 336, 4), np.uint8)
    rgba[..., :3], rgba[..., 3] = 255, alpha
    return rgba


def test_load_by_path_and_by_run_folder(store):
    run = store.get_run(SHIPPED_ID)
    for path in (run.model_path, run.path):
        assert Recognizer.load(path).weights.hidden_units == run.config.hidden_units


def test_a_missing_model_path_is_a_clear_error(tmp_path):
    with pytest.raises(ModelLoadError, match="missing"):
        Recognizer.load(tmp_path / "absent.keras")


def test_a_broken_active_model_falls_back_to_the_shipped_one(store, synthetic_split):
    from mnist_core.training.workflow import train_and_save
    from tests.conftest import TINY

    run, _ = train_and_save(TINY, store=store, data=synthetic_split)
    store.activate(run.run_id)
    run.model_path.write_bytes(b"not a model")
    recognizer = Recognizer.load(store=store)
    assert recognizer.run.is_shipped and run.run_id in recognizer.fallback_reason


def test_the_default_store_is_the_projects(monkeypatch):
    monkeypatch.delenv("MNIST_MODELS_DIR", raising=False)
    assert ModelStore().get_run(SHIPPED_ID).model_path.is_file()


def mark(strokes, brush=22):
    """A 280x280 transparent canvas with round-pen strokes ((x, y) points in px)."""
    alpha = np.zeros((280, 280), np.uint8)
    for points in strokes:
        path = np.array(points, np.int32)
        if len(path) == 1:
            cv2.circle(alpha, tuple(int(v) for v in path[0]), brush // 2, 255, -1, cv2.LINE_AA)
        else:
            cv2.polylines(alpha, [path], False, 255, brush, cv2.LINE_AA)
    canvas = np.zeros((280, 280, 4), np.uint8)
    canvas[..., :3], canvas[..., 3] = 255, alpha
    return canvas


@pytest.mark.parametrize(("strokes", "words"), [
    ([[(140, 140)]], "That looks like a dot"),          # read "0, 90% sure" before
    ([[(110, 140), (170, 140)]], "That looks like a dash"),  # read "7, 97% sure" before
    ([[(130, 130), (150, 135), (132, 142), (152, 148)]], "That looks like"),
])
def test_a_mark_that_is_not_a_digit_gets_no_answer(shipped, strokes, words):
    with pytest.raises(NotADigitError, match=words):
        shipped.predict(mark(strokes))
    with pytest.raises(NotADigitError, match=words):
        shipped.predict_batch([canvas(7), mark(strokes)])
    with pytest.raises(NotADigitError, match=words):
        shipped.predict_number(mark(strokes))


def test_a_short_upright_stroke_is_still_a_1(shipped):
    result = shipped.predict(mark([[(140, 110), (140, 180)]]))
    assert result.digit == 1



def reading_of(*digits_and_confidences):
    """A NumberPrediction of (digit, confidence) pairs, the rest of each digit's probability
    on the next digit."""
    from mnist_core.recognizer import NumberPrediction

    predictions = []
    for digit, confidence in digits_and_confidences:
        probabilities = np.zeros(10, np.float32)
        probabilities[digit] = confidence
        probabilities[(digit + 1) % 10] = 1 - confidence
        predictions.append(Prediction(digit, probabilities, np.zeros((28, 28), np.float32)))
    boxes = tuple((0, 10 * i, 10, 10 * i + 8) for i in range(len(predictions)))
    return NumberPrediction(tuple(predictions), boxes)


def test_a_number_with_another_reading_is_ambiguous_and_never_single():
    from mnist_core.recognizer import NumberPrediction

    four, forty_two = reading_of((4, 0.9)), reading_of((4, 0.8), (2, 0.9))
    assert four.is_single and not four.is_ambiguous and four.alternative_text is None
    either = NumberPrediction(four.digits, four.boxes, forty_two)
    assert either.is_ambiguous and not either.is_single  # no "Right, it's a 4" to offer
    assert (either.text, either.alternative_text) == ("4", "42")
    assert either.confidence == pytest.approx(0.9)
    assert forty_two.confidence == pytest.approx(0.72) and not forty_two.is_single
