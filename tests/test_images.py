import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from mnist_core.errors import DrawingError
from mnist_core.reading import images


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("mode", "fmt", "shape"),
    [("RGBA", "PNG", (40, 30, 4)), ("RGB", "JPEG", (40, 30, 3)), ("L", "PNG", (40, 30)),
     ("RGB", "BMP", (40, 30, 3)), ("RGB", "WEBP", (40, 30, 3)), ("P", "GIF", (40, 30, 3)),
     ("1", "PNG", (40, 30))],
)
def test_common_formats_decode_to_arrays_preprocess_takes(mode, fmt, shape):
    array = images.read_image_file(encode(Image.new(mode, (30, 40)), fmt))
    assert array.shape == shape and array.dtype == np.uint8


def test_a_phone_photo_is_turned_upright():
    photo = Image.new("RGB", (60, 20))
    exif = photo.getexif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees to display
    array = images.read_image_file(encode(photo, "JPEG", exif=exif))
    assert array.shape[:2] == (60, 20)


@pytest.mark.parametrize("data", [b"", b"hello, not an image", b"\x89PNG\r\n\x1a\n broken"])
def test_a_file_that_is_not_an_image_gets_a_clear_message(data):
    with pytest.raises(DrawingError, match="not an image"):
        images.read_image_file(data)


def test_a_huge_file_is_refused_before_decoding():
    with pytest.raises(DrawingError, match="limit is 10 MB"):
        images.read_image_file(b"\0" * (images.MAX_FILE_BYTES + 1))


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header (1-bit grayscale) saying width x height, with no pixel data to
    speak of: a few dozen bytes, the way a decompression bomb looks on arrival."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body)))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b""))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize(
    ("width", "height", "words"),
    [(30000, 30000, "30,000 x 30,000 pixels (900 megapixels)"),  # Pillow refuses to open it
     (10000, 10000, "10,000 x 10,000 pixels (100 megapixels)"),  # Pillow warns
     (8000, 6000, "8,000 x 6,000 pixels (48 megapixels)")],  # Pillow opens it; we refuse
)
def test_a_huge_image_is_refused_as_too_large_with_its_size(width, height, words):
    data = png_claiming(width, height)
    assert len(data) < 100
    with pytest.raises(DrawingError) as caught:
        images.read_image_file(data)
    assert str(caught.value) == (f"The image is too large: {words}; the limit is 40 megapixels. "
                                 "Shrink it first.")


def test_the_pixel_limit_is_the_one_said(monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 100)
    with pytest.raises(DrawingError, match="too large: 20 x 20 pixels"):
        images.read_image_file(encode(Image.new("L", (20, 20)), "PNG"))


# PostScript that Pillow recognises (and, left to guess, hands to Ghostscript), named seven.png.
POSTSCRIPT = (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 28 28\n%%EndComments\n"
              b"newpath 4 4 moveto 24 24 lineto stroke showpage\n%%EOF\n")


@pytest.mark.parametrize(("data", "plugin"), [
    pytest.param(POSTSCRIPT, "EpsImagePlugin", id="postscript"),
    pytest.param(encode(Image.new("L", (30, 40), 255), "TIFF"), "TiffImagePlugin", id="tiff"),
    pytest.param(encode(Image.new("L", (30, 40), 255), "PCX"), "PcxImagePlugin", id="pcx"),
    pytest.param(encode(Image.new("RGB", (32, 32), 255), "ICO"), "IcoImagePlugin", id="ico"),
])
def test_a_picture_in_a_format_the_page_does_not_name_is_refused_unopened(data, plugin,
                                                                          monkeypatch):
    # The plug-in must never be asked: Pillow's EPS plug-in runs Ghostscript on the file.
    import importlib

    module = importlib.import_module(f"PIL.{plugin}")
    opened = []
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, Image.Image) and "_open" in vars(value):
            original = value._open
            monkeypatch.setattr(value, "_open",
                                lambda self, original=original: (opened.append(self),
                                                                 original(self))[1])
    with pytest.raises(DrawingError, match="PNG, JPEG, GIF, BMP or WebP"):
        images.read_image_file(data)
    assert opened == []
