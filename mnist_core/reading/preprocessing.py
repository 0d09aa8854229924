"""Turn a drawing (canvas, photo or array) into the 28x28 input an MNIST model expects.

The pipeline reproduces how MNIST itself was normalised (LeCun, Cortes, Burges): find the ink,
crop it to its bounding box, scale it anti-aliased so its longer side is 20 px with the aspect
ratio kept, and place it in a 28x28 frame so that its centre of mass is at the frame centre.
Before scaling, the stroke is thickened or thinned so that it is as wide, relative to the digit,
as a typical MNIST stroke.

Everything inside works on uint8 arrays (255 = full ink), like MNIST's own bytes, because OpenCV
is fastest on them: a 280x280 canvas takes well under a millisecond (see bench/preprocess_speed.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

from mnist_core.errors import DrawingError, EmptyDrawingError

__all__ = ["FoundInk", "Prepared", "PreprocessSteps", "find_ink", "prepare", "prepare_found",
           "preprocess"]

# Measured on the 60,000 MNIST training images (tests/test_preprocess.py re-checks the first two):
# mean centre of mass (row, col) = (13.996, 14.007) px, std 0.29 px on each axis, in pixel-index
# coordinates (pixel (0, 0) has its centre at 0.0). So MNIST puts the centre of mass at (14, 14),
# as LeCun describes, not at the geometric centre (13.5, 13.5) many reimplementations use; and the
# std of 0.29 = 1/sqrt(12) shows it translated by whole pixels (offset uniform in [-0.5, 0.5]).
# We do the same: a whole-pixel shift that puts the centre of mass within 0.5 px of (14, 14),
# which keeps MNIST's sharpness (a sub-pixel shift would blur by bilinear interpolation).
_FRAME = 28
_BOX = 20  # px; 59,987 of 60,000 MNIST digits have a nonzero bounding box whose longer side is 20
_CENTRE = 14.0  # px, (row, col) target for the centre of mass, see above

# Stroke width over the longer side of the bounding box, as measured by `_stroke_width` on the
# first 5,000 MNIST training digits upscaled 10x (bilinear), so that their 20 px box is 200 px like
# a canvas crop: median 2.49 px at the 20 px scale (mean 2.59, 10th-90th percentile 1.81-3.48).
# Drawings are thickened or thinned to this median.
_MNIST_WIDTH_RATIO = 2.49 / _BOX

# Thinning erodes by at most this share of the mean stroke width, per side (see
# _correct_stroke_width): the stroke keeps at least 1/3, or 3/5 when the ink has a loop.
_ERODE_SHARE = 1 / 3
_LOOP_ERODE_SHARE = 1 / 5

_MAX_SIDE = 512  # px; larger inputs (photos) are downscaled first, which keeps the cost bounded
_MIN_CROP_SIDE = 100  # px; smaller crops are upscaled so the stroke correction has resolution
_MIN_CONTRAST = 24  # uint8 levels; a colour image whose ink differs less than this is blank
_CLEAN_FLOOR = 5  # uint8 levels (2 %); ink below this is dropped even on a clean canvas
_SPECK_AREA = 0.05  # a component under 5 % of the largest's area...
_SPECK_SIDE = 0.25  # ...and under 25 % of its longer side is a speck, not a stroke
_MIN_DIGIT_FRACTION = 0.03  # a digit's bounding box is at least 3 % of the image's longer side
_MIN_DIGIT_SIDE = 8  # px, and at least this

_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
_SQUARE = np.ones((3, 3), np.uint8)

_EXPECTED = (
    "Expected an image of shape (H, W), (H, W, 3) or (H, W, 4) with dtype uint8 or float in [0, 1]."
)


@dataclass(frozen=True, eq=False)
class PreprocessSteps:
    """The intermediate images of one `preprocess` call, for a "what the network sees" view.

    Attributes:
        ink: (H, W) float32 in [0, 1], the ink found in the image (1 = full ink), after noise
            and speck removal. Same size as the input unless its longer side exceeded 512 px,
            in which case it is at the downscaled working size.
        bounding_box: (top, left, bottom, right) ints, the ink's bounding box in the input
            image's pixel coordinates, half-open: `image[top:bottom, left:right]`.
        cropped: (h, w) float32 in [0, 1], the ink cropped to its bounding box after
            stroke-width correction, at working resolution (longer side at least 100 px).
        scaled: (h, w) float32 in [0, 1] with max(h, w) == 20, the crop scaled anti-aliased.
        centred: (28, 28) float32 in [0, 1], the model input (the array `preprocess` returns).
        centre_of_mass: (row, col) floats, the centre of mass of `centred` in pixel-index
            coordinates; within 0.5 px of (14, 14) unless the digit was clipped by the frame.
        input_shape: (height, width) of the input image, px.
    """

    ink: np.ndarray
    bounding_box: tuple[int, int, int, int]
    cropped: np.ndarray
    scaled: np.ndarray
    centred: np.ndarray
    centre_of_mass: tuple[float, float]
    input_shape: tuple[int, int] = (0, 0)


def preprocess(
    image: np.ndarray, *, return_steps: bool = False
) -> np.ndarray | tuple[np.ndarray, PreprocessSteps]:
    """Turn a drawing into the (28, 28) image an MNIST model expects.

    Args:
        image: a numpy array, one of
            - RGBA (H, W, 4) as streamlit-drawable-canvas returns it: if the alpha channel
              varies, the ink is the alpha channel (alpha 0 is background whatever its RGB);
              if it is uniform (opaque), the ink is found from the colours as below;
            - RGB (H, W, 3), e.g. a photo or scan, any ink and background colours;
            - grayscale (H, W), either polarity.
            dtype uint8 (or any integer dtype with values in [0, 255]), bool, or float in
            [0, 1]; H and W at least 8. The background colour is the median of the border
            pixels and the ink is each pixel's colour distance from it.
        return_steps: also return the intermediate images (costs a few copies).

    Returns:
        (28, 28) float32 in [0, 1], white digit on black (1 = full ink), stroke width made
        MNIST-like, fitted to 20x20 with its aspect ratio kept and centred by centre of mass
        at (14, 14). With `return_steps=True`, a tuple `(model_input, PreprocessSteps)`.

    Raises:
        DrawingError: `image` is not a numpy array of a supported shape, dtype or range.
        EmptyDrawingError: there is no ink, or only specks too small to be a digit.
    """
    prepared = prepare(image)
    if not return_steps:
        return prepared.model_input
    return prepared.model_input, prepared.steps()


class Prepared(NamedTuple):
    """One drawing made ready for the model, as `prepare` returns it: what `preprocess` returns
    and the uint8 images its steps are made from (no float copies until `steps()` asks).

    Attributes:
        model_input: (28, 28) float32 in [0, 1], white digit on black: `preprocess`'s result.
        ink: (H, W) uint8 in [0, 255], 255 = full ink: `PreprocessSteps.ink` x 255.
        bounding_box: as `PreprocessSteps.bounding_box`.
        cropped: (h, w) uint8, `PreprocessSteps.cropped` x 255.
        scaled: (h, w) uint8, `PreprocessSteps.scaled` x 255.
        centred: (28, 28) uint8, the model input x 255 before it became float.
        input_shape: (height, width) of the input image, px.
        stroke_share: the drawn stroke's mean width over the ink's longer side, before it was
            made MNIST-like (MNIST's own: 0.12 median, 0.17 at the 90th percentile). High
            means a thick pen on a small digit, whose loops may have filled in.
    """

    model_input: np.ndarray
    ink: np.ndarray
    bounding_box: tuple[int, int, int, int]
    cropped: np.ndarray
    scaled: np.ndarray
    centred: np.ndarray
    input_shape: tuple[int, int]
    stroke_share: float = 0.0

    def steps(self) -> PreprocessSteps:
        """The steps as `preprocess(..., return_steps=True)` returns them (float copies)."""
        moments = cv2.moments(self.centred)
        centre_of_mass = (moments["m01"] / moments["m00"], moments["m10"] / moments["m00"])
        return PreprocessSteps(
            ink=self.ink.astype(np.float32) / 255,
            bounding_box=self.bounding_box,
            cropped=self.cropped.astype(np.float32) / 255,
            scaled=self.scaled.astype(np.float32) / 255,
            centred=self.model_input,
            centre_of_mass=centre_of_mass,
            input_shape=self.input_shape,
        )


class FoundInk(NamedTuple):
    """The ink found in a drawing, before it is made MNIST-like (`find_ink`'s result).

    Attributes:
        ink: (H, W) uint8 in [0, 255], 255 = full ink, noise and specks removed, at working
            size (the input's, or downscaled so its longer side is 512 px): `Prepared.ink`.
        box: (top, left, bottom, right), half-open, the ink's bounding box in `ink`'s px.
        working_scale: `ink`'s size over the input's, 1.0 unless the input was downscaled.
        input_shape: (height, width) of the input image, px.
    """

    ink: np.ndarray
    box: tuple[int, int, int, int]
    working_scale: float
    input_shape: tuple[int, int]


def prepare(image: np.ndarray) -> Prepared:
    """`preprocess` without the float copies of its steps: for code that measures the ink
    (the recognizer's not-a-digit check and number split read the uint8 ink directly).

    Args and errors: as `preprocess`.
    """
    return prepare_found(find_ink(image))


def find_ink(image: np.ndarray) -> FoundInk:
    """`prepare`'s first half: find the ink and its box. A number is split into digits here,
    before any work is spent making the whole drawing MNIST-like.

    Args and errors: as `preprocess`.
    """
    pixels = _to_uint8(image)
    full_height, full_width = pixels.shape[:2]
    longer = max(full_height, full_width)
    working_scale = 1.0
    if longer > _MAX_SIDE:
        working_scale = _MAX_SIDE / longer
        size = (
            max(1, round(full_width * working_scale)),
            max(1, round(full_height * working_scale)),
        )
        pixels = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)

    ink = _find_ink(pixels)
    ink, box = _drop_specks(ink)
    return FoundInk(ink, box, working_scale, (full_height, full_width))


def prepare_found(found: FoundInk) -> Prepared:
    """`prepare`'s second half: the found ink cropped, its stroke made MNIST-like, scaled to
    20 px and centred by mass; `prepare_found(find_ink(image))` is `prepare(image)`."""
    top, left, bottom, right = found.box
    cropped, stroke_share = _correct_stroke_width(found.ink[top:bottom, left:right])
    height, width = cropped.shape
    side = max(height, width)
    size = (max(1, round(width * _BOX / side)), max(1, round(height * _BOX / side)))
    scaled = cv2.resize(cropped, size, interpolation=cv2.INTER_AREA)
    centred = _centre_by_mass(scaled)
    bounding_box = tuple(round(edge / found.working_scale) for edge in found.box)
    return Prepared(centred.astype(np.float32) * np.float32(1 / 255), found.ink, bounding_box,
                    cropped, scaled, centred, found.input_shape, stroke_share)


def _to_uint8(image: object) -> np.ndarray:
    """Check the input and return it as a uint8 array of the same shape (0..255)."""
    if not isinstance(image, np.ndarray):
        raise DrawingError(f"{_EXPECTED} Received: a {type(image).__name__}, not a numpy array")
    received = f"Received: shape={image.shape}, dtype={image.dtype}"
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise DrawingError(f"{_EXPECTED} {received}")
    if min(image.shape[:2]) < _MIN_DIGIT_SIDE:
        raise DrawingError(f"Expected an image at least 8x8 pixels. {received}")
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.bool_:
        return image.astype(np.uint8) * np.uint8(255)
    if np.issubdtype(image.dtype, np.integer):
        low, high = int(image.min()), int(image.max())
        if low < 0 or high > 255:
            raise DrawingError(f"{_EXPECTED} {received} with values in [{low}, {high}]")
        return image.astype(np.uint8)
    if np.issubdtype(image.dtype, np.floating):
        low, high = float(image.min()), float(image.max())
        if not (low >= 0.0 and high <= 1.0):  # also rejects NaN
            raise DrawingError(f"{_EXPECTED} {received} with values in [{low:g}, {high:g}]")
        return (image.astype(np.float32) * 255 + 0.5).astype(np.uint8)
    raise DrawingError(f"{_EXPECTED} {received}")


def _find_ink(pixels: np.ndarray) -> np.ndarray:
    """Return the ink as (H, W) uint8, 255 = full ink, noise below a floor set to 0."""
    if pixels.ndim == 3 and pixels.shape[2] == 4:
        alpha = np.ascontiguousarray(pixels[:, :, 3])
        low, high = cv2.minMaxLoc(alpha)[:2]
        if high == 0:
            raise EmptyDrawingError("Draw a digit: the canvas is empty.")
        if low != high:
            # A transparent canvas: the strokes are where alpha is, whatever the RGB says.
            return _suppress_noise(alpha, clean=_border_is_uniform(alpha))
        pixels = pixels[:, :, :3]

    channels = [pixels] if pixels.ndim == 2 else [pixels[:, :, c] for c in range(pixels.shape[2])]
    border = _border(pixels)
    background = np.median(border, axis=0) if pixels.ndim == 3 else [np.median(border)]
    # Chebyshev (max over channels) distance from the background colour: like any norm it is
    # linear along a blend of ink and background, so anti-aliased edges keep their coverage.
    distance = None
    for channel, level in zip(channels, background, strict=True):
        diff = cv2.absdiff(np.ascontiguousarray(channel), float(level))
        distance = diff if distance is None else cv2.max(distance, diff)
    distance = distance.reshape(pixels.shape[:2])
    clean = _border_is_uniform(distance)
    if not clean:
        # A photo: the paper's light varies (a shadow at one edge, a lamp's gradient), so each
        # pixel is compared with the paper's colour there, not with one colour for all.
        strong = cv2.compare(distance, cv2.minMaxLoc(distance)[1] / 2, cv2.CMP_GE)
        dark_ink = sum(cv2.mean(np.ascontiguousarray(channel), strong)[0] - level
                       for channel, level in zip(channels, background, strict=True)) < 0
        distance = _distance_from_lit_paper(channels, background, dark_ink=dark_ink)
        distance = cv2.GaussianBlur(distance, (3, 3), 0)  # photo noise
    high = cv2.minMaxLoc(distance)[1]
    if high < _MIN_CONTRAST:
        raise EmptyDrawingError("Draw a digit: the canvas is empty.")
    ink = cv2.convertScaleAbs(distance, alpha=255.0 / high)  # the strongest ink becomes 255
    return _suppress_noise(ink, clean=clean)


def _distance_from_lit_paper(
    channels: list[np.ndarray], background, *, dark_ink: bool
) -> np.ndarray:
    """Each pixel's distance from the paper's colour at that pixel.

    Args:
        channels: the image's channels, each (H, W) uint8.
        background: one level per channel (floats, 0..255), the median border colour.
        dark_ink: the ink is darker than the paper (else lighter).

    Returns:
        (H, W) uint8, the Chebyshev distance in levels from the paper as lit at each pixel.

    The paper's colour across the image is estimated twice. From its border (the background's
    witness, as above): each side is smoothed by a running median a third of its length, so a
    stroke crossing the edge drops out while a shadow or gradient along it stays (a median
    follows a monotone profile exactly), then the four sides are blended into the interior
    (a Coons patch, which reproduces any gradient that is linear or varies along one axis).
    And from the whole image: a morphological closing (opening for light ink) an eighth of
    the image across, which wipes out strokes thinner than that and keeps the light's slow
    changes. Each fails alone: the first where ink runs along the border for long (a 7's top
    bar at the edge), the second inside strokes wider than its kernel; so the paper is the
    lighter of the two for dark ink (the darker for light ink), since a failure always
    takes the ink's colour for the paper's.
    Light multiplies the paper's and the ink's colour alike, so each channel is divided by
    the paper's estimate and scaled back to `background`'s level before the Chebyshev distance
    to it, which keeps the ink's contrast inside a shadow too.
    """
    height, width = channels[0].shape
    down = np.linspace(0.0, 1.0, height, dtype=np.float32)
    across = np.linspace(0.0, 1.0, width, dtype=np.float32)
    rows = np.stack([1 - down, down], axis=1)  # (H, 2): weights of the top and bottom sides
    cols = np.stack([1 - across, across])  # (2, W): weights of the left and right sides
    # The closing runs on a copy about 64 px across: the light varies slowly.
    step = max(1, max(height, width) // 64)
    small_size = (max(1, width // step), max(1, height // step))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))  # 1/8 of 64 px, odd
    wipe = cv2.MORPH_CLOSE if dark_ink else cv2.MORPH_OPEN
    pick = cv2.max if dark_ink else cv2.min
    distance = None
    for channel, level in zip(channels, background, strict=True):
        small = cv2.resize(channel, small_size, interpolation=cv2.INTER_AREA)
        wiped = cv2.morphologyEx(small, wipe, kernel, borderType=cv2.BORDER_REPLICATE)
        wiped = cv2.resize(cv2.blur(wiped, (5, 5)), (width, height),
                           interpolation=cv2.INTER_LINEAR).astype(np.float32)
        sides = (channel[0], channel[-1], channel[:, 0], channel[:, -1])
        top, bottom, left, right = (_running_median(side) for side in sides)
        corners = np.array([[top[0] + left[0], top[-1] + right[0]],
                            [bottom[0] + left[-1], bottom[-1] + right[-1]]], np.float32) / 2
        # Coons patch: blend of top/bottom + blend of left/right - bilinear blend of the corners.
        paper = rows @ (np.stack([top, bottom]) - corners @ cols)
        paper += np.stack([left, right], axis=1) @ cols
        paper = pick(paper, wiped)
        lit = cv2.divide(channel.astype(np.float32), cv2.max(paper, 1.0), scale=float(level))
        diff = cv2.absdiff(lit, float(level))
        distance = diff if distance is None else cv2.max(distance, diff)
    return cv2.convertScaleAbs(distance)  # rounds and saturates to 0..255


def _running_median(side: np.ndarray) -> np.ndarray:
    """(N,) uint8 -> (N,) float32, the running median over a third of N (odd, at most 255)."""
    window = min(max(3, len(side) // 3) | 1, 255)
    smooth = cv2.medianBlur(np.ascontiguousarray(side).reshape(1, -1), window)
    return smooth.reshape(-1).astype(np.float32)


def _border(pixels: np.ndarray) -> np.ndarray:
    """The image's 1 px border as (N,) or (N, C), the background's best witness."""
    rows = [pixels[0], pixels[-1], pixels[1:-1, 0], pixels[1:-1, -1]]
    return np.concatenate(rows, axis=0)


def _border_is_uniform(ink: np.ndarray) -> bool:
    """True if the border of (H, W) uint8 ink is mostly exactly 0: a clean canvas.

    On a clean canvas only strokes that run off the edge touch the border (a huge digit may
    cover a good part of it); on a photo, grain and uneven light make nearly every border pixel
    differ a little from the median background.
    """
    border = _border(ink)
    return int(np.count_nonzero(border)) <= border.size // 4


def _suppress_noise(ink: np.ndarray, *, clean: bool) -> np.ndarray:
    """Zero weak ink: below 2 % on a clean canvas, below a floor from Otsu on a noisy photo."""
    floor = _CLEAN_FLOOR
    if not clean:
        # Otsu's threshold separates ink from paper; half of it keeps anti-aliased edges while
        # cutting the grain and uneven lighting of the paper.
        otsu, _ = cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        floor = max(floor, int(otsu) // 2)
    _, kept = cv2.threshold(ink, floor - 1, 255, cv2.THRESH_TOZERO)
    return kept


def _drop_specks(ink: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Remove specks and return the ink and its bounding box (top, left, bottom, right).

    Components are found on a max-pooled copy (blocks of `block` x `block` px), about 70x70,
    because connected-component labelling is the slowest step at full size; pooling can only
    merge nearby ink, never split a stroke, so no stroke is lost.
    """
    height, width = ink.shape
    longer = max(height, width)
    min_side = max(_MIN_DIGIT_SIDE, _MIN_DIGIT_FRACTION * longer)
    block = max(1, longer // 70)
    pooled = cv2.dilate(ink, np.ones((block, block), np.uint8), anchor=(0, 0))
    pooled = np.ascontiguousarray(pooled[::block, ::block])
    count, labels, stats, _ = cv2.connectedComponentsWithStats(pooled, connectivity=8)
    if count <= 1:
        raise EmptyDrawingError("Draw a digit: the canvas is empty.")
    stats = stats[1:]  # row 0 is the background
    areas = stats[:, cv2.CC_STAT_AREA]
    sides = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    largest = int(np.argmax(areas))
    # A component n blocks across is at least (n - 1) * block + 1 px across at full size.
    if (sides[largest] - 1) * block + 1 < min_side:
        raise EmptyDrawingError("Draw a digit: the ink is only specks, too small to be a digit.")
    keep = (areas >= _SPECK_AREA * areas[largest]) | (sides >= _SPECK_SIDE * sides[largest])
    if not keep.all():
        lookup = np.concatenate([[0], keep]).astype(np.uint8)
        keep_mask = lookup[labels]
        keep_mask = np.repeat(np.repeat(keep_mask, block, axis=0), block, axis=1)
        ink = ink * keep_mask[:height, :width]
    left, top, box_width, box_height = cv2.boundingRect(ink)
    if max(box_width, box_height) < min_side:
        raise EmptyDrawingError("Draw a digit: the ink is only specks, too small to be a digit.")
    return ink, (top, left, top + box_height, left + box_width)


def _stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width in px of (h, w) uint8 ink, from its distance transform.

    Across a stroke of width w the distance to the edge runs evenly from 0 to w/2, so its mean
    is w/4; OpenCV measures to the nearest background pixel centre, 0.5 px beyond the edge,
    hence w = 4 * (mean - 0.5). Ink counts where it is at least half the crop's maximum.
    """
    high = cv2.minMaxLoc(ink)[1]
    _, mask = cv2.threshold(ink, high / 2, 255, cv2.THRESH_BINARY)
    # A border of background: ink that fills its crop (a solid bar) has no background pixel
    # to measure to, and OpenCV would report an endless width.
    mask = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    distance = cv2.distanceTransform(mask, cv2.DIST_L2, 3)
    mean = cv2.mean(distance, mask)[0]
    return max(0.0, 4.0 * (mean - 0.5))


def _correct_stroke_width(cropped: np.ndarray) -> tuple[np.ndarray, float]:
    """Thicken or thin (h, w) uint8 ink to MNIST's stroke width; return it re-cropped, and
    the stroke width it had over its longer side (`Prepared.stroke_share`)."""
    side = max(cropped.shape)
    if side < _MIN_CROP_SIDE:
        factor = _MIN_CROP_SIDE / side
        size = (round(cropped.shape[1] * factor), round(cropped.shape[0] * factor))
        cropped = cv2.resize(cropped, size, interpolation=cv2.INTER_LINEAR)
        side = max(cropped.shape)
    width = _stroke_width(cropped)
    share = width / side
    ratio = _MNIST_WIDTH_RATIO
    # Dilating by r px per side widens the stroke by 2r and the box by 2r, so solve
    # (width + 2r) / (side + 2r) = ratio for r; r < 0 means erode.
    radius = round((ratio * side - width) / (2 * (1 - ratio)))
    if radius > 0:
        padded = cv2.copyMakeBorder(cropped, *[radius] * 4, cv2.BORDER_CONSTANT, value=0)
        thickened = _morph(cv2.dilate, padded, radius)
        holes = _holes(cropped)
        if holes and _holes(thickened) < holes:
            # Thickening closed a loop: a small 8 would read as a 9. Take the largest
            # dilation that keeps every loop open (binary search; holes only shrink with r).
            low, high = 0, radius - 1
            while low < high:
                middle = (low + high + 1) // 2
                if _holes(_morph(cv2.dilate, padded, middle)) >= holes:
                    low = middle
                else:
                    high = middle - 1
            thickened = _morph(cv2.dilate, padded, low) if low else padded
        return _recrop(thickened), share
    if radius < 0:
        # Never erode more than a third of the mean width, so thinner parts of a stroke survive;
        # a fifth when the ink has a loop. A small digit drawn with a thick pen nearly closes
        # its loops; eroding grows each tiny hole by the radius while the ink around it shrinks
        # as much, so a third left a hairline ring beside a solid blob (a small thick 8 read as
        # 1, 9 or 2). Measured on real pen 8s drawn 150 px tall with a 40 px pen whose loops
        # the pen left open: loops kept in the 28x28 input 44% -> 87%, read as 8 85% -> 100%.
        cap = _LOOP_ERODE_SHARE if _has_hole(cropped) else _ERODE_SHARE
        radius = min(-radius, int(width * cap))
        if radius > 0:
            # Padded, so ink along the crop's edge is thinned from that side too (OpenCV's
            # erosion counts what lies beyond the image as ink).
            padded = cv2.copyMakeBorder(cropped, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
            thinned = _recrop(_morph(cv2.erode, padded, radius))
            if thinned.size:
                return thinned, share
    return cropped, share


def _has_hole(ink: np.ndarray) -> bool:
    """True if (h, w) uint8 ink (at half its maximum) encloses any background, however small."""
    high = cv2.minMaxLoc(ink)[1]
    _, mask = cv2.threshold(ink, high / 2, 255, cv2.THRESH_BINARY)
    _, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    return hierarchy is not None and bool((hierarchy[0][:, 3] >= 0).any())


def _holes(ink: np.ndarray) -> int:
    """Loops in (h, w) uint8 ink (at half its maximum) big enough to show in the 20x20 result.

    A hole smaller than one result pixel, (longer side / 20) squared, is anti-aliasing or a
    crossing, not a loop.
    """
    high = cv2.minMaxLoc(ink)[1]
    if high == 0:
        return 0
    _, mask = cv2.threshold(ink, high / 2, 255, cv2.THRESH_BINARY)
    contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return 0
    smallest = (max(ink.shape) / _BOX) ** 2
    return sum(1 for contour, (_, _, _, parent) in zip(contours, hierarchy[0], strict=True)
               if parent >= 0 and cv2.contourArea(contour) >= smallest)


def _morph(operation: Callable[..., np.ndarray], ink: np.ndarray, radius: int) -> np.ndarray:
    """Dilate or erode by an octagon of the given radius in px, close to a disc.

    Half the steps use a 3x3 cross, half a 3x3 square: each small step is fast and together
    they reach about `radius` px in every direction (1.06 * radius along the diagonals).
    """
    crosses = radius - radius // 2
    ink = operation(ink, _CROSS, iterations=crosses)
    if radius // 2:
        ink = operation(ink, _SQUARE, iterations=radius // 2)
    return ink


def _recrop(ink: np.ndarray) -> np.ndarray:
    """Crop (h, w) ink to the bounding box of its nonzero pixels."""
    left, top, width, height = cv2.boundingRect(ink)
    return ink[top : top + height, left : left + width]


def _centre_by_mass(scaled: np.ndarray) -> np.ndarray:
    """Place (h, w) uint8 ink in a 28x28 frame, its centre of mass within 0.5 px of (14, 14)."""
    moments = cv2.moments(scaled)
    row = round(_CENTRE - moments["m01"] / moments["m00"])  # where scaled's row 0 lands
    col = round(_CENTRE - moments["m10"] / moments["m00"])
    height, width = scaled.shape
    frame = np.zeros((_FRAME, _FRAME), np.uint8)
    # Clip to the frame: MNIST, too, lets a lopsided digit touch or leave the edge.
    top, left = max(row, 0), max(col, 0)
    bottom, right = min(row + height, _FRAME), min(col + width, _FRAME)
    frame[top:bottom, left:right] = scaled[top - row : bottom - row, left - col : right - col]
    return frame
