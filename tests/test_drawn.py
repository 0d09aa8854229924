"""Tests for mnist_core.data.drawn: stroke recovery, canvas rendering and the re-drawn benchmark."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from mnist_core.data.drawn import (
    CANVAS_SIZE,
    iter_redrawn,
    redraw_digit,
    redraw_digits,
    render_strokes,
    sketch,
    strokes_from_digit,
)

# ---------------------------------------------------------------- helpers


def _digit(*shapes: tuple) -> np.ndarray:
    """A (28, 28) uint8 synthetic digit: white anti-aliased 3 px strokes on black."""
    image = np.zeros((28, 28), np.uint8)
    for kind, *args in shapes:
        if kind == "line":
            cv2.line(image, args[0], args[1], 255, 3, cv2.LINE_AA)
        elif kind == "ellipse":
            cv2.ellipse(image, args[0], args[1], 0, 0, 360, 255, 3, cv2.LINE_AA)
        elif kind == "dot":
            image[args[0][1], args[0][0]] = 255
    return image


def _draw_28(strokes: list[np.ndarray], width: int) -> np.ndarray:
    """(28, 28) uint8 ink of strokes drawn in the MNIST frame with a round brush `width` px."""
    image = np.zeros((28, 28), np.uint8)
    for stroke in strokes:
        fixed = np.round(stroke * 16).astype(np.int32)  # 4 fractional bits
        cv2.polylines(image, [fixed], False, 255, width, cv2.LINE_AA, 4)
        for x, y in (fixed[0], fixed[-1]):
            cv2.circle(image, (int(x), int(y)), width * 8, 255, cv2.FILLED, cv2.LINE_AA, 4)
    return image


def _coverage(image: np.ndarray, strokes: list[np.ndarray], width: int) -> tuple[float, float]:
    """(share of the digit's ink under the strokes, share of stroke ink far from any ink)."""
    drawn = _draw_28(strokes, width)
    ink = image >= 128
    near_ink = cv2.dilate((image > 0).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    solid = drawn >= 128
    covered = float((drawn[ink] > 0).mean())
    outside = float((solid & ~near_ink).sum() / max(solid.sum(), 1))
    return covered, outside


def _ink_box(canvas: np.ndarray, level: int = 128) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) inclusive bounds of alpha >= level."""
    rows, cols = np.nonzero(canvas[..., 3] >= level)
    return int(cols.min()), int(rows.min()), int(cols.max()), int(rows.max())


def _fat_digit(circles: tuple[tuple[tuple[int, int], int], ...], thickness: int) -> np.ndarray:
    """A (28, 28) uint8 digit of thick, blurred rings: the holes are tiny or only grey dips."""
    image = np.zeros((28, 28), np.uint8)
    for centre, radius in circles:
        cv2.circle(image, centre, radius, 255, thickness, cv2.LINE_AA)
    return cv2.GaussianBlur(image, (3, 3), 0.8)


def _canvas_holes(canvas: np.ndarray) -> int:
    """Holes (of 20 px or more) in a canvas's ink, alpha >= 128."""
    ink = (canvas[..., 3] >= 128).astype(np.uint8)
    contours, hierarchy = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    if hierarchy is None:
        return 0
    return sum(
        1
        for contour, (_, _, _, parent) in zip(contours, hierarchy[0], strict=True)
        if parent >= 0 and cv2.contourArea(contour) >= 20
    )


def _loops(image: np.ndarray) -> int:
    """Loops of a (28, 28) uint8 digit: regions 64+ grey levels darker than the ink round them.

    Counts a fat pen's grey, filled-in loops too: greyscale hole filling (reconstruction by
    erosion from the border) gives each pixel the level of the ink enclosing it.
    """
    padded = np.pad(image, 1)
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    level = np.maximum(np.pad(np.full_like(image, 255), 1), padded)
    level[[0, -1], :] = level[:, [0, -1]] = 0
    while True:
        eroded = np.maximum(cv2.erode(level, cross), padded)
        if np.array_equal(eroded, level):
            break
        level = eroded
    dips = (level.astype(np.int16) - padded >= 64).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(dips, connectivity=4)
    return int((stats[1:, cv2.CC_STAT_AREA] >= 2).sum())  # a one-pixel dip is noise


def _back_to_28(canvas: np.ndarray) -> np.ndarray:
    """(28, 28) uint8 alpha of a canvas cropped to its ink, fitted to 20x20 like MNIST."""
    rows, cols = np.nonzero(canvas[..., 3])
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    side = max(bottom - top, right - left)
    square = np.zeros((side, side), np.uint8)
    y0, x0 = (side - (bottom - top)) // 2, (side - (right - left)) // 2
    square[y0 : y0 + bottom - top, x0 : x0 + right - left] = canvas[top:bottom, left:right, 3]
    return np.pad(cv2.resize(square, (20, 20), interpolation=cv2.INTER_AREA), 4)


LINE = np.array([[14.0, 4.0], [14.0, 24.0]], np.float32)  # a vertical "1", 20 px tall

# ---------------------------------------------------------------- strokes_from_digit

SYNTHETIC = {
    "line": ((("line", (9, 5), (18, 23)),), 1, False),
    "circle": ((("ellipse", (14, 14), (7, 9)),), 1, True),
    "x_crossing": ((("line", (6, 5), (22, 23)), ("line", (22, 5), (6, 23))), 2, False),
    "t_junction": ((("line", (5, 6), (23, 6)), ("line", (14, 6), (14, 23))), 2, False),
    "two_bars": ((("line", (6, 9), (22, 9)), ("line", (6, 19), (22, 19))), 2, False),
    "line_and_dot": ((("line", (8, 5), (8, 23)), ("dot", (20, 14))), 2, False),
}


@pytest.mark.parametrize(
    ("shapes", "stroke_count", "closed"), SYNTHETIC.values(), ids=list(SYNTHETIC)
)
def test_strokes_cover_synthetic_digits(shapes, stroke_count, closed):
    image = _digit(*shapes)
    strokes = strokes_from_digit(image)
    assert len(strokes) == stroke_count
    for stroke in strokes:
        assert stroke.dtype == np.float32 and stroke.ndim == 2 and stroke.shape[1] == 2
        assert (stroke >= -0.5).all() and (stroke <= 27.5).all()
    assert all(np.allclose(s[0], s[-1]) and len(s) > 2 for s in strokes) == closed
    covered, outside = _coverage(image, strokes, width=3)
    assert covered >= 0.9
    assert outside <= 0.08


def test_pieces_joined_by_faint_ink_are_one_stroke():
    # A stem that thins out for 3 px in the middle (a light touch): under half ink there, but
    # the pen did not lift.
    image = _digit(("line", (14, 4), (14, 23)))
    image[12:15] = np.minimum(image[12:15], 90)
    (stroke,) = strokes_from_digit(image)
    assert stroke[:, 1].min() < 6 and stroke[:, 1].max() > 21


@pytest.mark.parametrize(("gap", "strokes"), [(0, 1), (1, 2), (3, 2)])
def test_pieces_apart_stay_apart(gap, strokes):
    # gap: black pixels between the two strokes' edges (0: the edges meet at 120 of 255).
    image = _digit(("line", (14, 4), (14, 11)), ("line", (14, 16 + gap), (14, 23)))
    assert len(strokes_from_digit(image)) == strokes


def test_blank_digit_has_no_strokes():
    assert strokes_from_digit(np.zeros((28, 28), np.uint8)) == []


def test_circle_is_one_loop_around_the_hole():
    (loop,) = strokes_from_digit(_digit(("ellipse", (14, 14), (7, 9))))
    radii = np.linalg.norm(loop - [14, 14], axis=1)
    assert radii.min() > 5  # it goes round the hole, not through it


FAT = {
    # Two rings whose holes a 4 px pen leaves tiny (top) or grey (bottom), not black.
    "eight": ((((14, 9), 4), ((14, 19), 5)), 4, 2),
    # One ring whose hole a 7 px pen leaves as a grey dip.
    "zero": ((((14, 14), 6),), 7, 1),
    # A thick ring with no hole at all: no loop may be invented.
    "blob": ((((14, 14), 3),), 7, 0),
}


@pytest.mark.parametrize(("circles", "thickness", "holes"), FAT.values(), ids=list(FAT))
@pytest.mark.parametrize("brush_width", [8, 20, 30])
def test_fat_digits_keep_their_loops(circles, thickness, holes, brush_width):
    image = _fat_digit(circles, thickness)
    assert _loops(image) == holes  # the loops are there, if only as grey dips
    strokes = strokes_from_digit(image)
    canvas = render_strokes(strokes, brush_width=brush_width, scale=220, centre=(140, 140))
    assert _canvas_holes(canvas) == holes


def test_fat_eight_loses_no_ink():
    image = _fat_digit(FAT["eight"][0], FAT["eight"][1])
    covered, outside = _coverage(image, strokes_from_digit(image), width=4)
    assert covered >= 0.9
    assert outside <= 0.08


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((28, 27), np.uint8),
        np.zeros((28, 28), np.float32),
        np.zeros((1, 28, 28), np.uint8),
    ],
    ids=["shape", "dtype", "batch"],
)
def test_strokes_from_digit_rejects_bad_images(image):
    with pytest.raises(ValueError, match="Expected a \\(28, 28\\) uint8 image. Received"):
        strokes_from_digit(image)


# ---------------------------------------------------------------- render_strokes


@pytest.mark.parametrize("ink", [(255, 255, 255), (0, 0, 0), (200, 30, 90)])
def test_render_matches_canvas_format(ink):
    canvas = render_strokes([LINE], brush_width=20, scale=200, centre=(140, 140), ink=ink)
    assert canvas.shape == (CANVAS_SIZE, CANVAS_SIZE, 4) and canvas.dtype == np.uint8
    alpha = canvas[..., 3]
    assert (canvas[alpha == 0] == 0).all()  # transparent background: all four channels 0
    assert alpha[140, 140] == 255  # the middle of the stroke is solid
    assert (canvas[alpha > 0, :3] == ink).all()
    assert ((alpha > 0) & (alpha < 255)).any()  # anti-aliased edges


def test_render_canvas_size():
    canvas = render_strokes([LINE], canvas_size=100, brush_width=5, scale=50, centre=(50, 50))
    assert canvas.shape == (100, 100, 4)


@pytest.mark.parametrize("brush_width", [8, 15, 24, 36])
def test_render_respects_brush_width(brush_width):
    canvas = render_strokes([LINE], brush_width=brush_width, scale=220, centre=(140, 140))
    across = canvas[140, :, 3].astype(float) / 255  # one row through the vertical line
    assert abs(across.sum() - brush_width) <= 0.7


@pytest.mark.parametrize(
    ("scale", "centre"), [(100, (140, 140)), (200, (120, 150)), (90, (60, 220))]
)
def test_render_honours_scale_and_centre(scale, centre):
    canvas = render_strokes(sketch(0), brush_width=12, scale=scale, centre=centre)
    left, top, right, bottom = _ink_box(canvas)
    assert abs((bottom - top + 1) - scale) <= 2
    assert abs((left + right) / 2 - centre[0]) <= 1.5
    assert abs((top + bottom) / 2 - centre[1]) <= 1.5


@pytest.mark.parametrize("slant", [-15.0, 0.0, 15.0])
def test_render_honours_slant(slant):
    canvas = render_strokes([LINE], brush_width=10, scale=210, centre=(140, 140), slant=slant)
    alpha = canvas[..., 3] >= 128
    left, top, right, bottom = _ink_box(canvas)
    top_x = np.nonzero(alpha[top + 20])[0].mean()
    bottom_x = np.nonzero(alpha[bottom - 20])[0].mean()
    # Positive slant leans right: the top is right of the bottom by tan(slant) * rise.
    expected = np.tan(np.radians(slant)) * (bottom - top - 40)
    assert abs((top_x - bottom_x) - expected) <= 2


def test_render_flat_stroke_and_dot():
    dash = render_strokes(
        [np.array([[5, 10], [20, 10]])], brush_width=10, scale=100, centre=(140, 140)
    )
    left, _, right, _ = _ink_box(dash)
    assert abs((right - left + 1) - 100) <= 2  # a flat stroke is fitted by its length
    dot = render_strokes([np.array([[3.0, 3.0]])], brush_width=20, scale=40, centre=(100, 100))
    left, top, right, bottom = _ink_box(dot)
    assert abs((right - left + 1) - 20) <= 2 and abs((left + right) / 2 - 100) <= 1


def test_render_jitter_wobbles_deterministically():
    settings = dict(brush_width=12, scale=200, centre=(140, 140))
    plain = render_strokes(sketch(0), **settings)
    shaky = render_strokes(sketch(0), jitter=1.5, rng=np.random.default_rng(5), **settings)
    again = render_strokes(sketch(0), jitter=1.5, rng=np.random.default_rng(5), **settings)
    assert not np.array_equal(plain, shaky)
    assert np.array_equal(shaky, again)
    # A tremor moves the line by a px or two, it does not redraw it elsewhere.
    assert ((plain[..., 3] > 0) != (shaky[..., 3] > 0)).mean() < 0.02


GOOD = dict(brush_width=10, scale=100, centre=(140, 140))
BAD_RENDER = {
    "no_strokes": ([], {}),
    "array_not_list": (np.zeros((2, 2)), {}),
    "stroke_shape": ([np.zeros((3, 3))], {}),
    "stroke_empty": ([np.zeros((0, 2))], {}),
    "stroke_nan": ([np.array([[0.0, np.nan], [1.0, 1.0]])], {}),
    "canvas_size": ([LINE], {"canvas_size": 0}),
    "brush_zero": ([LINE], {"brush_width": 0}),
    "brush_fraction": ([LINE], {"brush_width": 2.5}),
    "scale_below_brush": ([LINE], {"scale": 10}),
    "centre": ([LINE], {"centre": (1.0,)}),
    "slant": ([LINE], {"slant": 80}),
    "ink_range": ([LINE], {"ink": (256, 0, 0)}),
    "ink_length": ([LINE], {"ink": (255, 255)}),
    "jitter": ([LINE], {"jitter": -1.0}),
}


@pytest.mark.parametrize(("strokes", "change"), BAD_RENDER.values(), ids=list(BAD_RENDER))
def test_render_rejects_bad_inputs(strokes, change):
    with pytest.raises(ValueError, match="Expected"):
        render_strokes(strokes, **{**GOOD, **change})


# ---------------------------------------------------------------- sketch


def test_sketched_one_is_tall_and_thin():
    for flag in (False, True):
        canvas = render_strokes(sketch(1, flag=flag), brush_width=12, scale=200, centre=(140, 140))
        left, top, right, bottom = _ink_box(canvas)
        assert (bottom - top) > 3 * (right - left)


def test_sketched_zero_has_a_hole():
    canvas = render_strokes(sketch(0), brush_width=20, scale=200, centre=(140, 140))
    left, top, right, bottom = _ink_box(canvas)
    assert canvas[(top + bottom) // 2, (left + right) // 2, 3] == 0
    assert canvas[(top + bottom) // 2, left + 10, 3] == 255  # the rim on the left


def test_sketched_seven_has_a_top_bar_and_a_narrow_foot():
    canvas = render_strokes(sketch(7), brush_width=16, scale=200, centre=(140, 140))
    alpha = canvas[..., 3] >= 128
    left, top, right, bottom = _ink_box(canvas)
    width = right - left + 1
    assert alpha[top + 8].sum() > 0.8 * width  # the bar spans the top
    assert alpha[bottom - 8].sum() < 0.3 * width  # the diagonal ends in one narrow foot


def test_sketch_rejects_other_digits():
    with pytest.raises(ValueError, match="Expected digit 0, 1 or 7"):
        sketch(5)


# ---------------------------------------------------------------- redraw_digit(s)


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    """(6, 28, 28) uint8 synthetic digits: a line, a circle, an X, a T, two bars, a 7."""
    images = [_digit(*shapes) for shapes, _, _ in SYNTHETIC.values()]
    images[-1] = _digit(("line", (7, 6), (21, 6)), ("line", (21, 6), (12, 23)))
    return np.stack(images)


def test_redraw_digit_looks_like_a_canvas(digits):
    rng = np.random.default_rng(0)
    for image in digits:
        canvas = redraw_digit(image, rng)
        assert canvas.shape == (CANVAS_SIZE, CANVAS_SIZE, 4) and canvas.dtype == np.uint8
        alpha = canvas[..., 3]
        assert (canvas[alpha == 0] == 0).all()
        ink = canvas[alpha > 0, :3]
        assert (ink == ink[0]).all()  # one ink colour
        left, top, right, bottom = _ink_box(canvas, level=1)
        assert left > 0 and top > 0 and right < CANVAS_SIZE - 1 and bottom < CANVAS_SIZE - 1
        assert 85 <= bottom - top + 1 <= 256  # digit height 90..250 px, plus edges and tremor


def test_redraw_digits_is_deterministic_per_seed(digits):
    first = redraw_digits(digits, seed=7)
    assert first.shape == (len(digits), CANVAS_SIZE, CANVAS_SIZE, 4) and first.dtype == np.uint8
    assert np.array_equal(first, redraw_digits(digits, seed=7))
    assert not np.array_equal(first, redraw_digits(digits, seed=8))


def test_iter_redrawn_matches_redraw_digits(digits):
    together = redraw_digits(digits, seed=3)
    one_by_one = list(iter_redrawn(digits, seed=3))
    assert len(one_by_one) == len(digits)
    assert all(np.array_equal(a, b) for a, b in zip(together, one_by_one, strict=True))


def test_blank_digit_gives_blank_canvas_without_shifting_the_rest(digits):
    blank = np.zeros((28, 28), np.uint8)
    with_blank = redraw_digits(np.stack([digits[0], blank, digits[2]]), seed=1)
    with_ink = redraw_digits(np.stack([digits[0], digits[1], digits[2]]), seed=1)
    assert not with_blank[1].any()
    assert np.array_equal(with_blank[2], with_ink[2])


def test_redraw_digits_of_nothing():
    assert redraw_digits(np.zeros((0, 28, 28), np.uint8)).shape == (0, CANVAS_SIZE, CANVAS_SIZE, 4)


@pytest.mark.parametrize(
    "images",
    [
        np.zeros((28, 28), np.uint8),
        np.zeros((2, 28, 28), np.float32),
        np.zeros((2, 28, 20), np.uint8),
    ],
    ids=["one_image", "dtype", "shape"],
)
def test_redraw_digits_rejects_bad_batches(images):
    with pytest.raises(ValueError, match="Expected \\(N, 28, 28\\) uint8 images. Received"):
        redraw_digits(images)
    with pytest.raises(ValueError, match="Expected \\(N, 28, 28\\) uint8 images"):
        next(iter_redrawn(images))


# ---------------------------------------------------------------- real MNIST (optional)

@pytest.fixture(scope="module")
def real_test_images() -> np.ndarray:
    """MNIST's 10,000 test images, (10000, 28, 28) uint8; skips when $MNIST_DATA_DIR has none."""
    folder = os.environ.get("MNIST_DATA_DIR", "")
    path = Path(folder) / "t10k-images-idx3-ubyte.gz"
    if not (folder and path.is_file()):
        pytest.skip("set MNIST_DATA_DIR to a folder with t10k-images-idx3-ubyte.gz to test real "
                    "digits")
    with gzip.open(path, "rb") as file:
        return np.frombuffer(file.read(), np.uint8, offset=16).reshape(-1, 28, 28)


def test_strokes_cover_real_mnist_digits(real_test_images):
    images = real_test_images[:50]
    covered_shares = []
    for image in images:
        strokes = strokes_from_digit(image)
        assert strokes, "every digit has ink, so it has strokes"
        # Brush about as wide as the digit's strokes: ink area over stroke length.
        length = sum(float(np.linalg.norm(np.diff(s, axis=0), axis=1).sum()) for s in strokes)
        width = int(np.clip(np.floor((image >= 128).sum() / max(length, 1.0)), 1, 6))
        covered, outside = _coverage(image, strokes, width)
        covered_shares.append(covered)
        assert outside <= 0.2
    assert np.mean(covered_shares) >= 0.97
    assert np.min(covered_shares) >= 0.8


# Test digits whose strokes used to lose part of the digit (farthest ink from any stroke, px):
# the stem of a 4 above its closed top (712: 2.98), the end of a 7's bar past the stem (4238:
# 2.62), both dropped as spurs; the loop of a 9 closed only through a faint pixel, filled in as
# a speck so the stroke ran through it (5784: 7.34).
_TIPS_AND_LOOPS = {712: 4, 4238: 7, 5784: 9}


@pytest.mark.parametrize("index", list(_TIPS_AND_LOOPS))
def test_strokes_keep_tips_and_faintly_closed_loops(index, real_test_images):
    image = real_test_images[index]
    points = np.concatenate(strokes_from_digit(image))
    ink_y, ink_x = np.nonzero(image >= 128)
    ink = np.stack([ink_x, ink_y], axis=1).astype(np.float32)
    farthest = np.linalg.norm(ink[:, None] - points[None], axis=2).min(axis=1).max()
    assert farthest <= 2.5  # measured 2.03, 0.93, 2.21


def test_redrawn_real_digits_keep_their_loops(real_test_images):
    images = real_test_images[:500]
    agree = [
        _loops(image) == _loops(_back_to_28(canvas))
        for image, canvas in zip(images, iter_redrawn(images, seed=0), strict=True)
    ]
    # Measured 0.960 (0.932 before faint pieces were joined, faintly closed loops kept and tips
    # kept; 0.908 before loops were kept); most misses are loops that a brush much fatter than
    # the digit's pen fills in, or a 5 whose foot nearly closes.
    assert np.mean(agree) >= 0.95


# ---------------------------------------------------------------- brush respects small loops


def _holes_28(image: np.ndarray, level: int = 128, min_area: int = 2) -> int:
    """Holes of a (28, 28) uint8 image's ink >= level: inner contours of min_area+ px."""
    ink = (image >= level).astype(np.uint8)
    contours, hierarchy = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    if hierarchy is None:
        return 0
    count = 0
    for contour, (_, _, _, parent) in zip(contours, hierarchy[0], strict=True):
        if parent >= 0:
            inside = np.zeros_like(ink)
            cv2.drawContours(inside, [contour], -1, 1, cv2.FILLED)
            count += int((inside & (1 - ink)).sum()) >= min_area
    return count


def _preprocessed(canvas: np.ndarray) -> np.ndarray:
    """(28, 28) uint8 of the app's own preprocess of a canvas."""
    from mnist_core.reading.preprocessing import preprocess

    return np.round(preprocess(canvas) * 255).astype(np.uint8)


def _small_looped_eight() -> np.ndarray:
    """A (28, 28) uint8 8: a big upper loop and a lower loop 6 px across, 1 px pen."""
    image = np.zeros((28, 28), np.uint8)
    cv2.ellipse(image, (224, 168), (83, 104), 0, 0, 360, 255, 1, cv2.LINE_AA, 4)  # 1/16 px
    cv2.circle(image, (224, 320), 48, 255, 1, cv2.LINE_AA, 4)
    return image


# Seeds whose first draw is a brush of 30 px or more (the brush a loop this small cannot take).
_FAT_BRUSH_SEEDS = [s for s in range(100) if np.random.default_rng(s).integers(8, 37) >= 30]


@pytest.mark.parametrize("seed", _FAT_BRUSH_SEEDS[:6])
def test_fat_brush_keeps_small_loops_open(seed):
    image = _small_looped_eight()
    assert _holes_28(image) == 2
    canvas = redraw_digit(image, np.random.default_rng(seed))
    assert _holes_28(_back_to_28(canvas)) == 2  # the canvas itself shows both holes
    assert _holes_28(_preprocessed(canvas)) == 2  # and so does what the model sees


def test_redrawn_real_digits_keep_their_holes_after_preprocess(real_test_images):
    images = real_test_images[:500]
    agree = [
        _holes_28(image) == _holes_28(_preprocessed(canvas))
        for image, canvas in zip(images, iter_redrawn(images, seed=0), strict=True)
    ]
    # Measured 0.916 (0.914 before the brush respected the loops). Most misses are loops the
    # strokes keep but the digit's own ink only shows as grey, or loops and gaps narrower than
    # an MNIST pen, which the preprocess's stroke-width correction closes whatever the brush.
    assert np.mean(agree) >= 0.90
