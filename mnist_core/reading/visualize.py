"""Pictures for people: the model input enlarged, and the preprocessing steps side by side.

Everything returns uint8 RGB arrays a page can show as they are; nothing here knows of a page.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from mnist_core.reading.preprocessing import PreprocessSteps

__all__ = ["Panel", "enlarge", "preprocessing_panels", "preview", "viewable_png"]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MARK = (255, 64, 64)  # red: bounding box and centre of mass, visible on black and white


class Panel(NamedTuple):
    """One picture in the "how your drawing becomes the input" strip."""

    title: str
    caption: str
    image: np.ndarray  # (S, S, 3) uint8 RGB


def enlarge(image: np.ndarray, size: int = 224) -> np.ndarray:
    """Scale a small grayscale image up with visible square pixels.

    Args:
        image: (h, w) float in [0, 1], white ink on black.
        size: the longer side of the result, px.
    Returns:
        (H, W, 3) uint8 RGB, each source pixel a block of equal pixels (nearest neighbour),
        on a black square canvas of `size` x `size` so panels line up.
    """
    gray = np.clip(np.asarray(image, np.float32) * 255, 0, 255).astype(np.uint8)
    scale = size / max(gray.shape)
    height, width = max(1, round(gray.shape[0] * scale)), max(1, round(gray.shape[1] * scale))
    block = cv2.resize(gray, (width, height), interpolation=cv2.INTER_NEAREST)
    square = np.zeros((size, size), np.uint8)
    top, left = (size - height) // 2, (size - width) // 2
    square[top:top + height, left:left + width] = block
    return np.repeat(square[..., None], 3, axis=2)


def preview(image: np.ndarray, longest: int = 672) -> np.ndarray:
    """An uploaded picture made fit for showing: a page never has to encode it at full size
    (a browser image is at most 65,500 px a side), nor shrink a sliver to nothing (a
    1 x 100,000 upload broke the page both ways).

    Args:
        image: (H, W), (H, W, 3) or (H, W, 4) uint8, as `read_image_file` returns.
        longest: the longer side of the result at most, px (>= 16).
    Returns:
        The same kind of array, at most `longest` px on its longer side and at least
        `longest // 16` on its shorter (a sliver is widened with copies of its edge), so it
        still shows when scaled to half of `longest`. Unchanged (not copied) when it fits.
    """
    image = np.asarray(image)
    height, width = image.shape[:2]
    scale = min(longest / max(height, width), 1.0)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if scale < 1:
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    least = longest // 16
    grow_y, grow_x = max(least - size[1], 0), max(least - size[0], 0)
    if grow_y or grow_x:
        image = cv2.copyMakeBorder(image, grow_y // 2, grow_y - grow_y // 2, grow_x // 2,
                                   grow_x - grow_x // 2, cv2.BORDER_REPLICATE)
    return image


def preprocessing_panels(steps: PreprocessSteps, size: int = 224) -> list[Panel]:
    """The four stages of `preprocess`, each as a `size` x `size` RGB picture."""
    ink = np.asarray(steps.ink, np.float32)
    # The bounding box is in input coordinates; `ink` may be at a smaller working size.
    found = enlarge(ink, size)
    scale = size / max(ink.shape)
    top, left, bottom, right = steps.bounding_box
    factor = max(ink.shape) / max(steps.input_shape)
    pad_y = (size - round(ink.shape[0] * scale)) // 2
    pad_x = (size - round(ink.shape[1] * scale)) // 2
    corner = (round(left * factor * scale) + pad_x, round(top * factor * scale) + pad_y)
    far = (round(right * factor * scale) + pad_x - 1, round(bottom * factor * scale) + pad_y - 1)
    cv2.rectangle(found, corner, far, _MARK, 2)

    centred = enlarge(steps.centred, size)
    pixel = size / 28
    row, col = steps.centre_of_mass
    # Pixel (r, c) covers [r, r + 1) x [c, c + 1) in enlarged units: its centre is r + 0.5.
    centre = (round((col + 0.5) * pixel), round((row + 0.5) * pixel))
    cv2.drawMarker(centred, centre, _MARK, cv2.MARKER_CROSS, max(8, size // 10), 2)
    return [
        Panel("1. Ink found", "The drawing, with the box around its ink.", found),
        Panel("2. Cropped", "Cut to the box; stroke width set to MNIST's.",
              enlarge(steps.cropped, size)),
        Panel("3. Scaled to 20x20", "Longer side 20 pixels, shape kept, smoothed.",
              enlarge(_pad(steps.scaled, 20), size)),
        Panel("4. Centred in 28x28", "Centre of mass (+) in the middle: the network's input.",
              centred),
    ]


def _pad(image: np.ndarray, side: int) -> np.ndarray:
    """Centre an (h, w) image with max(h, w) <= side on a side x side black square."""
    out = np.zeros((side, side), np.float32)
    top, left = (side - image.shape[0]) // 2, (side - image.shape[1]) // 2
    out[top:top + image.shape[0], left:left + image.shape[1]] = image
    return out



def viewable_png(png: bytes) -> bytes:
    """A saved picture made visible on any page: see-through parts filled with black behind
    light ink, white behind dark ink (the canvas keeps white strokes on a see-through ground,
    which a light page would show as nothing). Opaque pictures come back unchanged.
    """
    if png[:8] == _PNG_SIGNATURE and png[25:26] not in (b"\x04", b"\x06") \
            and b"tRNS" not in png:
        return png  # no alpha channel (colour type 0, 2 or 3) and no transparent colour
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None or image.ndim != 3 or image.shape[2] != 4 or image.dtype != np.uint8:
        return png
    alpha = image[..., 3:].astype(np.float32) / 255
    if alpha.min() == 1:
        return png
    gray = cv2.cvtColor(image[..., :3], cv2.COLOR_BGR2GRAY).astype(np.float32)
    ink_lightness = float((gray * alpha[..., 0]).sum() / max(float(alpha.sum()), 1e-6))
    ground = 0.0 if ink_lightness >= 128 else 255.0
    flat = image[..., :3].astype(np.float32) * alpha + ground * (1 - alpha)
    ok, encoded = cv2.imencode(".png", np.rint(flat).astype(np.uint8))
    return encoded.tobytes() if ok else png
