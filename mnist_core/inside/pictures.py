"""Pictures for the "Inside the network" page: one sign colour scale, and layers as tiles.

One scale for signs everywhere (Distill's habit): red for positive (pushes a score up), blue
for negative (pushes it down), black at zero, brighter for larger. Everything returns uint8
RGB arrays a page can show as they are; nothing here knows of a page.
"""

from __future__ import annotations

import base64

import cv2
import numpy as np

__all__ = ["NEGATIVE", "OFF", "POSITIVE", "overlay_picture", "png_data_uri", "signed_picture",
           "tiles_picture"]

POSITIVE = (255, 72, 56)  # red: pushes up / supports
NEGATIVE = (48, 140, 255)  # blue: pushes down / opposes
OFF = (255, 196, 0)  # amber: a unit switched off (never a sign colour)
_EMPTY = (110, 110, 110)  # grey: places in a tile grid after the last unit
_GAP = (45, 45, 45)


def _signed_rgb(values: np.ndarray, limit: float | None) -> np.ndarray:
    values = np.asarray(values, np.float64)
    limit = float(np.abs(values).max()) if limit is None else float(limit)
    scaled = np.clip(values / limit, -1, 1) if limit > 0 else np.zeros_like(values)
    positive = np.clip(scaled, 0, None)[..., None] * np.array(POSITIVE)
    negative = np.clip(-scaled, 0, None)[..., None] * np.array(NEGATIVE)
    return positive + negative


def _enlarge(rgb: np.ndarray, size: int) -> np.ndarray:
    """(h, w, 3) float in [0, 255] to uint8, its longer side `size` px, square pixels."""
    image = np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
    scale = size / max(image.shape[:2])
    width, height = max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale))
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_NEAREST)


def signed_picture(values: np.ndarray, size: int = 112, limit: float | None = None
                   ) -> np.ndarray:
    """A signed (h, w) array in the sign colours, enlarged.

    Args:
        values: (h, w) float, any sign.
        size: the longer side of the result, px.
        limit: the magnitude shown at full brightness; None: the largest |value|.
    Returns:
        (H, W, 3) uint8 RGB: red where positive, blue where negative, black at 0.
    """
    return _enlarge(_signed_rgb(values, limit), size)


def overlay_picture(model_input: np.ndarray, values: np.ndarray, size: int = 224) -> np.ndarray:
    """The sign colours of a (28, 28) map over a faint grey copy of the (28, 28) input, so the
    digit's shape shows where the map is weak. Full brightness at the 95th percentile of
    the map's nonzero magnitudes: a few strong pixels would otherwise leave the rest dark.
    Returns (size, size, 3) uint8 RGB."""
    base = np.asarray(model_input, np.float64)[..., None] * 70.0
    magnitudes = np.abs(np.asarray(values, np.float64))
    limit = float(np.percentile(magnitudes[magnitudes > 0], 95)) if magnitudes.any() else None
    return _enlarge(np.maximum(base, _signed_rgb(values, limit)), size)


def tiles_picture(grid: np.ndarray, off: np.ndarray | None = None, cell: int = 6) -> np.ndarray:
    """A layer's activations as tiles: brightness = sqrt(activation / the layer's largest).

    Args:
        grid: (rows, columns) float >= 0, NaN after the last unit (`inside.tile_grid`).
        off: (rows, columns) bool: units switched off, drawn amber; or None.
        cell: px per tile, a 1 px gap between tiles when cell >= 5.
    Returns:
        (rows * cell, columns * cell, 3) uint8 RGB.
    """
    grid = np.asarray(grid, np.float64)
    empty = np.isnan(grid)
    top = np.nanmax(grid) if (~empty).any() else 0.0
    level = np.where(empty, 0, grid) / top if top > 0 else np.zeros_like(grid)
    # A square root: most active units sit far below the layer's strongest, and would
    # otherwise be too dark to see on a projector (the order of brightness is kept).
    level = np.sqrt(np.clip(level, 0, 1))
    rgb = np.repeat(np.clip(level, 0, 1)[..., None] * 255, 3, axis=2)
    rgb[empty] = _EMPTY
    if off is not None:
        rgb[np.asarray(off, bool)] = OFF
    image = np.repeat(np.repeat(np.rint(rgb).astype(np.uint8), cell, axis=0), cell, axis=1)
    if cell >= 5:
        image[cell - 1::cell, :] = _GAP
        image[:, cell - 1::cell] = _GAP
    return image


def png_data_uri(image: np.ndarray) -> str:
    """A (H, W, 3) uint8 RGB picture as a `data:image/png;base64,...` address, for a page to
    put inline: no separate request for the browser to make, so the pictures of a stroke
    arrive with its text."""
    ok, encoded = cv2.imencode(".png", np.ascontiguousarray(image[..., ::-1]))
    if not ok:
        raise ValueError(f"Expected an RGB uint8 picture. Received: shape={image.shape}")
    return "data:image/png;base64," + base64.b64encode(encoded.tobytes()).decode("ascii")
