"""Read an uploaded image file (a photo or scan of a digit) into an array `preprocess` takes."""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from mnist_core.errors import DrawingError

__all__ = ["MAX_FILE_BYTES", "MAX_PIXELS", "read_image_file"]

MAX_FILE_BYTES = 10 * 1024 * 1024  # 10 MB: a phone photo fits, a mistaken upload does not
MAX_PIXELS = 40_000_000  # 40 megapixels; beyond this decoding alone would take seconds


def read_image_file(data: bytes) -> np.ndarray:
    """Decode PNG, JPEG, GIF, BMP or WebP bytes into an image array.

    Phone photos are turned upright by their EXIF orientation.

    Returns:
        (H, W, 4) uint8 RGBA for images with transparency, (H, W, 3) uint8 RGB for colour,
        (H, W) uint8 for grayscale.
    Raises:
        DrawingError: too big, or not an image this can read (the message says which).
    """
    if len(data) > MAX_FILE_BYTES:
        raise DrawingError(
            f"The file is {len(data) / 1e6:.1f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB. "
            "A photo or scan of one digit needs far less: crop or shrink it."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise DrawingError(
                    f"The image is {image.width}x{image.height} pixels; the limit is "
                    f"{MAX_PIXELS // 1_000_000} megapixels. Shrink it first."
                )
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        if isinstance(error, DrawingError):
            raise
        raise DrawingError(
            "This file is not an image that can be read. Upload a PNG, JPEG, GIF, BMP or "
            "WebP picture of a digit."
        ) from error
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and
                                              "transparency" in image.info):
        return np.asarray(image.convert("RGBA"))
    if image.mode in ("L", "1", "I", "I;16", "F"):
        return np.asarray(image.convert("L"))
    return np.asarray(image.convert("RGB"))
