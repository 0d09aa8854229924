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
_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")  # the formats uploads are said to take


def read_image_file(data: bytes) -> np.ndarray:
    """Decode PNG, JPEG, GIF, BMP or WebP bytes into an image array; any other format
    (PostScript, TIFF, PDF, ...) is refused unread, whatever the file is called.

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
            # Only the formats named: left to guess, Pillow would hand a PostScript file
            # (whatever its name) to its EPS plug-in, which runs Ghostscript on it.
            image = Image.open(io.BytesIO(data), formats=_FORMATS)
            if image.width * image.height > MAX_PIXELS:
                raise DrawingError(_too_large(image.size))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # Pillow refuses to open an image over 89 megapixels at all (a tiny file can claim
        # 30000x30000), before the check above could say how large it is.
        raise DrawingError(_too_large(_header_size(data))) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
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


def _too_large(size: tuple[int, int] | None) -> str:
    limit = f"the limit is {MAX_PIXELS // 1_000_000} megapixels. Shrink it first."
    if size is None:
        return f"The image is too large to read: {limit}"
    width, height = size
    return (f"The image is too large: {width:,} x {height:,} pixels "
            f"({width * height / 1e6:,.0f} megapixels); {limit}")


def _header_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) as the file's header states it, read by the Pillow plugin of one of
    the formats uploads take, without Pillow's decompression-bomb check. None if unreadable."""
    Image.init()
    prefix = data[:16]
    for name in _FORMATS:
        factory, accept = Image.OPEN[name]
        try:
            accepted = accept is None or accept(prefix)
            if accepted and not isinstance(accepted, str):  # a str: a warning, as in Pillow
                return factory(io.BytesIO(data)).size
        except Exception:  # noqa: BLE001 - a plugin may raise anything on a bad header
            continue
    return None
