"""Not a digit: a dot, a dash or a tiny scribble is named, a real digit never is."""

import math

import cv2
import numpy as np
import pytest

from mnist_core.errors import DrawingError, NotADigitError
from mnist_core.reading.preprocessing import preprocess
from mnist_core.reading.shape import check_digit, check_ink, measure_ink, not_a_digit

CANVAS = 336


def canvas(strokes, pen: int) -> np.ndarray:
    """A transparent 336x336 RGBA canvas with round-pen strokes ((x, y) points in px)."""
    alpha = np.zeros((CANVAS, CANVAS), np.uint8)
    for points in strokes:
        path = np.round(np.array(points, float) * 16).astype(np.int32)
        if len(path) == 1:
            cv2.circle(alpha, tuple(path[0]), pen * 8, 255, -1, cv2.LINE_AA, 4)
        else:
            cv2.polylines(alpha, [path], False, 255, pen, cv2.LINE_AA, 4)
    rgba = np.zeros((CANVAS, CANVAS, 4), np.uint8)
    rgba[..., :3] = np.where(alpha[..., None] > 0, 255, 0)
    rgba[..., 3] = alpha
    return rgba


def line(length: float, angle: float, centre=(168, 168)) -> list[tuple[float, float]]:
    """A straight stroke `length` px long, `angle` degrees from horizontal."""
    dx, dy = length / 2 * math.cos(math.radians(angle)), length / 2 * math.sin(math.radians(angle))
    return [(centre[0] - dx, centre[1] + dy), (centre[0] + dx, centre[1] - dy)]


def seen(image: np.ndarray):
    _, steps = preprocess(image, return_steps=True)
    return measure_ink(steps.ink)


SEVEN = [[(100, 80), (236, 80), (150, 260)]]
TWO = [[(110, 110), (140, 80), (200, 80), (225, 120), (200, 170), (110, 260), (235, 260)]]


MARKS = [  # (name, strokes, pen, what it is)
        ("a dab of the default pen", [[(168, 168)]], 22, "dot"),
        ("a dab of the thickest pen", [[(168, 168)]], 40, "dot"),
        ("a dab dragged a little", [[(160, 160), (166, 164)]], 30, "dot"),
        ("a short dash", [line(40, 0)], 22, "dash"),
        ("a dash 3 pens long, tilted", [line(66, 15)], 22, "dash"),
        ("a long flat line", [line(200, 5)], 14, "dash"),
        ("a thin dash", [line(60, 20)], 6, "dash"),
        ("a tiny scribble, thin pen", [[(160, 160), (185, 170), (162, 178), (188, 186)]], 6,
         "scribble"),
        ("a tiny scribble, default pen", [[(160, 160), (190, 175), (165, 185), (195, 195)]], 22,
         "scribble"),
        ("a tall 1", [line(200, 90)], 22, "digit"),
        ("a small 1 with a thick pen", [line(130, 90)], 40, "digit"),
        ("a small 1 with a thin pen", [line(90, 90)], 6, "digit"),
        ("a 1 leaning 35 degrees", [line(180, 55)], 22, "digit"),
        ("a 7", SEVEN, 22, "digit"),
        ("a small 2 with a thick pen", [[(x * 0.9 + 20, y * 0.9 + 20) for x, y in TWO[0]]], 36,
         "digit"),
]


@pytest.mark.parametrize(("name", "strokes", "pen", "kind"), MARKS)
def test_what_the_ink_looks_like(name, strokes, pen, kind):
    shape = seen(canvas(strokes, pen))
    assert shape.kind == kind, f"{name}: {shape}"


@pytest.mark.parametrize(("name", "strokes", "pen", "kind"), MARKS)
def test_the_quick_check_gives_the_full_measurements_answer(name, strokes, pen, kind):
    _, steps = preprocess(canvas(strokes, pen), return_steps=True)
    found = not_a_digit(steps.ink)
    assert (found is None) == (kind == "digit"), name
    if found is not None:
        assert found == measure_ink(steps.ink)
        with pytest.raises(NotADigitError) as raised:
            check_ink(steps.ink)
        assert raised.value.shape.kind == kind, name
    else:
        check_ink(steps.ink)  # no error


def test_a_straight_stroke_measures_its_pen_and_length():
    shape = seen(canvas([line(180, 0)], 20))
    assert shape.pen_width == pytest.approx(20, rel=0.1)
    assert shape.length == pytest.approx(200 / 20, rel=0.1)  # 180 px plus the round caps
    assert shape.thinness == pytest.approx(0.29, abs=0.04)
    assert shape.angle < 2 and shape.extent == pytest.approx(200 / CANVAS, rel=0.05)
    assert seen(canvas([line(180, 90)], 20)).angle > 88


def test_a_frame_side_makes_extent_relative_to_the_whole_picture():
    ink = np.zeros((50, 50), np.float32)
    ink[20:30, 20:30] = 1
    assert measure_ink(ink).extent == pytest.approx(0.2)
    assert measure_ink(ink, frame_side=200).extent == pytest.approx(0.05)


@pytest.mark.parametrize(("kind", "strokes", "pen", "words"), [
    ("dot", [[(168, 168)]], 22, "That looks like a dot: draw a digit, larger."),
    ("dash", [line(40, 0)], 22, "That looks like a dash: draw a digit, larger."),
    ("scribble", [[(160, 160), (185, 170), (162, 178), (188, 186)]], 6,
     "That looks like a tiny scribble: draw a digit, larger."),
    # A blob a few pen widths across may be a digit drawn too small for its pen: said so.
    ("scribble", [[(160, 160), (190, 175), (165, 185), (195, 195)]], 22,
     "That is too small to read with this pen: its strokes run together. Draw the digit "
     "larger, or with a thinner pen."),
])
def test_not_a_digit_is_a_named_drawing_error_with_a_sentence(kind, strokes, pen, words):
    shape = seen(canvas(strokes, pen))
    with pytest.raises(NotADigitError) as raised:
        check_digit(shape)
    assert str(raised.value) == words
    assert raised.value.shape is shape and isinstance(raised.value, DrawingError)


def test_a_digit_passes_the_check():
    shape = seen(canvas(SEVEN, 22))
    assert check_digit(shape) is shape


@pytest.mark.parametrize("ink", [np.zeros((10, 10)), np.zeros(5), np.zeros((0, 0))])
def test_ink_without_ink_is_a_value_error(ink):
    with pytest.raises(ValueError, match="Expected ink"):
        measure_ink(ink)


def test_no_mnist_test_digit_is_refused(mnist_dir, monkeypatch):
    from mnist_core.data.mnist import load_mnist

    monkeypatch.setenv("MNIST_DATA_DIR", str(mnist_dir))
    _, (x_test, _) = load_mnist()
    for image in x_test[:2000]:
        upload = 255 - cv2.resize(image, (CANVAS, CANVAS), interpolation=cv2.INTER_LINEAR)
        for picture in (image, upload):
            shape = seen(picture)
            assert shape.is_digit, shape


@pytest.mark.parametrize(("pen", "height"), [(6, 80), (22, 120), (40, 160), (40, 300)])
def test_no_held_out_pen_digit_is_refused_thin_or_thick_small_or_large(held_out, pen, height):
    from mnist_core.data.pendigits import FORMATS, draw_pen_digit

    for index, digit in enumerate(held_out[::4]):
        image = draw_pen_digit(digit, pen_width=pen, height=height,
                               format=FORMATS[index % len(FORMATS)])
        _, steps = preprocess(image, return_steps=True)
        shape = measure_ink(steps.ink)
        assert shape.is_digit, f"a {digit.label} by writer {digit.writer}: {shape}"
        assert not_a_digit(steps.ink) is None


@pytest.mark.parametrize("pen", [6, 22, 40])
def test_the_quick_check_agrees_on_straight_strokes_at_every_angle_and_length(pen):
    # Where a dash and a 1 part: the quick check reads the axes off the ink as drawn.
    for length in (60, 150, 280):
        for angle in range(0, 91, 5):
            _, steps = preprocess(canvas([line(length, angle)], pen), return_steps=True)
            quick = not_a_digit(steps.ink)
            assert (quick is None) == measure_ink(steps.ink).is_digit, (length, angle)
