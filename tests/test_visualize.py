"""Pictures for people: saved pictures must show on a light page as well as a dark one."""

import cv2
import numpy as np
import pytest

from mnist_core.reading import visualize
from mnist_core.reading.visualize import viewable_png


def png_of(image: np.ndarray) -> bytes:
    """PNG bytes of an RGB(A) array."""
    code = cv2.COLOR_RGBA2BGRA if image.shape[2] == 4 else cv2.COLOR_RGB2BGR
    return cv2.imencode(".png", cv2.cvtColor(image, code))[1].tobytes()


def decoded(png: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)


def bar_on_see_through(ink: int) -> np.ndarray:
    """A (60, 60) RGBA picture: a bar of grey level `ink`, the rest fully see-through."""
    image = np.zeros((60, 60, 4), np.uint8)
    image[10:50, 25:35] = (ink, ink, ink, 255)
    return image


@pytest.mark.parametrize(("ink", "ground"), [(255, 0), (0, 255)])
def test_see_through_pictures_get_a_ground_the_ink_stands_out_on(ink, ground):
    """The canvas's own format (white strokes, see-through ground) showed as an empty square on
    the light theme; dark ink on a see-through ground gets white behind it."""
    shown = decoded(viewable_png(png_of(bar_on_see_through(ink))))

    assert shown.shape == (60, 60, 3)  # opaque now
    assert (shown[30, 30] == ink).all() and (shown[5, 5] == ground).all()


def test_half_see_through_edges_are_blended_not_cut():
    image = bar_on_see_through(255)
    image[10:50, 24] = (255, 255, 255, 128)  # an anti-aliased edge: white, half see-through

    shown = decoded(viewable_png(png_of(image)))

    assert 120 <= shown[30, 24, 0] <= 136


def test_opaque_pictures_and_unreadable_bytes_come_back_unchanged():
    opaque = png_of(np.dstack([bar_on_see_through(255)[..., :3]]))
    assert viewable_png(opaque) == opaque
    assert viewable_png(b"not a png") == b"not a png"


@pytest.mark.parametrize(("shape", "expected"), [
    ((1, 100_000), (42, 672)), ((100_000, 1), (672, 42)), ((3, 70_000, 3), (42, 672, 3)),
    ((2000, 1000, 4), (672, 336, 4)), ((300, 200), (300, 200)), ((5, 200), (42, 200)),
])
def test_a_preview_fits_the_page_whatever_the_upload_shape(shape, expected):
    assert visualize.preview(np.full(shape, 200, np.uint8)).shape == expected
