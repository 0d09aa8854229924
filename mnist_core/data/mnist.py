"""MNIST: find it, read it, verify it, cache it.

`load_mnist()` returns the 70,000 official images as uint8 arrays. It looks in three places, in
order, and verifies whatever it reads against the published content checksums:

1. the folder named by the environment variable `MNIST_DATA_DIR`: the four IDX files (gzipped or
   not), or a Keras-style `mnist.npz`;
2. the Keras cache, `~/.keras/datasets/mnist.npz` (or `$KERAS_HOME/datasets/mnist.npz`);
3. a download of that `mnist.npz` into the Keras cache (gives up within seconds when offline).

With none of them it raises `DataNotFoundError`, listing each place tried and how to fix it.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import threading
import urllib.request
import zipfile
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

from mnist_core.errors import DataCorruptError, DataNotFoundError

__all__ = ["DATA_DIR_ENV", "Mnist", "load_mnist", "mnist_source"]

DATA_DIR_ENV = "MNIST_DATA_DIR"
DOWNLOAD_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
# Seconds to wait for the download server before giving up: offline must not hang.
DOWNLOAD_TIMEOUT = 5.0


class _Part(NamedTuple):
    """One of the four MNIST arrays: its IDX file name, npz key, magic number, shape and MD5."""

    file_name: str
    npz_key: str
    magic: int
    shape: tuple[int, ...]
    md5: str  # of the decompressed IDX content, header included


# The checksums published with the data (shared/data/mnist/README.md).
_PARTS = (
    _Part("train-images-idx3-ubyte", "x_train", 2051, (60000, 28, 28),
          "6bbc9ace898e44ae57da46a324031adb"),
    _Part("train-labels-idx1-ubyte", "y_train", 2049, (60000,),
          "a25bea736e30d166cdddb491f175f624"),
    _Part("t10k-images-idx3-ubyte", "x_test", 2051, (10000, 28, 28),
          "2646ac647ad5339dbf082846283269ea"),
    _Part("t10k-labels-idx1-ubyte", "y_test", 2049, (10000,),
          "27ae3e4e09519cfbb04c329615203637"),
)


class Mnist(NamedTuple):
    """The official split. Images: uint8 in [0, 255], white digit (255) on black (0); labels 0-9."""

    x_train: np.ndarray  # (60000, 28, 28) uint8
    y_train: np.ndarray  # (60000,) uint8
    x_test: np.ndarray  # (10000, 28, 28) uint8
    y_test: np.ndarray  # (10000,) uint8


_cache: dict[str, Mnist] = {}
_cache_lock = threading.Lock()


def load_mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load the official MNIST split, verified, parsed once per process and then cached.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes (60000, 28, 28),
        (60000,), (10000, 28, 28), (10000,); images white digit (255) on black (0), labels 0-9.
        The arrays are read-only: they are shared by every caller.

    Raises:
        DataNotFoundError: no source was found and the download failed.
        DataCorruptError: a file was found but is truncated, malformed or fails its checksum.
    """
    data = _load_cached()
    return (data.x_train, data.y_train), (data.x_test, data.y_test)


def mnist_source() -> str:
    """Where `load_mnist()` reads (or has read) MNIST from, for display: a path or a URL."""
    with _cache_lock:
        if _cache:
            return next(iter(_cache))
    folder = _env_folder()
    if folder is not None:
        try:
            if _find_in_folder(folder) is not None:
                return str(folder)
        except DataCorruptError:
            return str(folder)  # load_mnist() reads here and says exactly what is wrong
    if _keras_cache_file().exists():
        return str(_keras_cache_file())
    return DOWNLOAD_URL


def _load_cached() -> Mnist:
    with _cache_lock:
        if _cache:
            return next(iter(_cache.values()))
        source, data = _load_uncached()
        for array in data:
            array.flags.writeable = False
        _cache[source] = data
        return data


def _load_uncached() -> tuple[str, Mnist]:
    tried: list[str] = []
    folder = _env_folder()
    if folder is None:
        tried.append(f"${DATA_DIR_ENV}: not set")
    else:
        found = _find_in_folder(folder)
        if found is None:
            tried.append(
                f"${DATA_DIR_ENV}={folder}: no IDX files "
                f"(train-images-idx3-ubyte[.gz] ...) and no mnist.npz there"
            )
        else:
            return str(folder), found()

    npz_path = _keras_cache_file()
    if npz_path.exists():
        return str(npz_path), _read_npz(npz_path)
    tried.append(f"Keras cache {npz_path}: no such file")

    try:
        _download(DOWNLOAD_URL, npz_path)
    except OSError as error:
        tried.append(f"download {DOWNLOAD_URL}: {error}")
    else:
        return str(npz_path), _read_npz(npz_path)

    raise DataNotFoundError(
        "MNIST was not found. Tried:\n"
        + "".join(f"  - {line}\n" for line in tried)
        + f"To fix it, set {DATA_DIR_ENV} to a folder holding the four MNIST IDX files "
        "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
        "t10k-labels-idx1-ubyte.gz) or a Keras mnist.npz, for example "
        f"`export {DATA_DIR_ENV}=../shared/data/mnist`; or copy mnist.npz to {npz_path}."
    )


def _env_folder() -> Path | None:
    value = os.environ.get(DATA_DIR_ENV, "").strip()
    return Path(value).expanduser() if value else None


def _keras_cache_file() -> Path:
    keras_home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(keras_home) / "datasets" / "mnist.npz"


def _find_in_folder(folder: Path):
    """A function that reads MNIST from `folder`, or None when the folder holds no MNIST."""
    if not folder.is_dir():
        return None
    idx_files = [_idx_file(folder, part) for part in _PARTS]
    if any(path is not None for path in idx_files):
        pairs = list(zip(_PARTS, idx_files, strict=True))
        missing = [part.file_name for part, path in pairs if path is None]
        if missing:
            raise DataCorruptError(
                f"{folder} holds some MNIST IDX files but not: {', '.join(missing)} "
                "(expected all four, gzipped or not)."
            )
        return lambda: Mnist(*(_read_idx(path, part) for part, path in pairs))
    if (folder / "mnist.npz").is_file():
        return lambda: _read_npz(folder / "mnist.npz")
    return None


def _idx_file(folder: Path, part: _Part) -> Path | None:
    for name in (part.file_name + ".gz", part.file_name, part.file_name.replace("-idx", ".idx")):
        if (folder / name).is_file():
            return folder / name
    return None


# What reading a damaged or truncated (gzipped) file raises; BadGzipFile is an OSError.
UNREADABLE = (OSError, EOFError, zlib.error)


def read_maybe_gzipped(path: Path) -> bytes:
    """The bytes of `path`, gunzipped when it is a gzip file (by its magic number, whatever
    its name).

    Raises:
        OSError, EOFError, zlib.error (`UNREADABLE`): the file cannot be read or is damaged.
    """
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
    opener = gzip.open if gzipped else open
    with opener(path, "rb") as stream:
        return stream.read()


def _read_idx(path: Path, part: _Part) -> np.ndarray:
    """Read one IDX file (gzipped or not), checking its size, magic number and MD5."""
    try:
        content = read_maybe_gzipped(path)
    except UNREADABLE as error:
        raise DataCorruptError(f"Cannot read MNIST file {path}: {error}") from error

    header_size = 4 * (2 + len(part.shape) - 1)  # magic, then one uint32 per dimension
    expected_size = header_size + int(np.prod(part.shape))
    if len(content) != expected_size:
        raise DataCorruptError(
            f"MNIST file {path} is the wrong size: expected {expected_size} bytes of IDX "
            f"content, received {len(content)} (truncated or not this file)."
        )
    header = np.frombuffer(content, dtype=">u4", count=header_size // 4)
    if int(header[0]) != part.magic or tuple(int(n) for n in header[1:]) != part.shape:
        raise DataCorruptError(
            f"MNIST file {path} has the wrong IDX header: expected magic {part.magic} and "
            f"shape {part.shape}, received magic {int(header[0])} and "
            f"shape {tuple(int(n) for n in header[1:])}."
        )
    _check_md5(hashlib.md5(content).hexdigest(), part, path)
    return np.frombuffer(content, dtype=np.uint8, offset=header_size).reshape(part.shape)


def _read_npz(path: Path) -> Mnist:
    """Read a Keras-style mnist.npz, checking each array against the IDX checksums."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {part.npz_key: np.asarray(npz[part.npz_key]) for part in _PARTS}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise DataCorruptError(f"Cannot read MNIST file {path}: {error}") from error

    for part in _PARTS:
        array = arrays[part.npz_key]
        if array.shape != part.shape or array.dtype != np.uint8:
            raise DataCorruptError(
                f"MNIST file {path}: {part.npz_key} should be uint8 of shape {part.shape}, "
                f"received {array.dtype} of shape {array.shape}."
            )
        # The same bytes an IDX file would hold, so the published MD5s apply to npz files too.
        header = np.array([part.magic, *part.shape], dtype=">u4").tobytes()
        digest = hashlib.md5(header)
        digest.update(np.ascontiguousarray(array).data)
        _check_md5(digest.hexdigest(), part, path)
    return Mnist(*(arrays[part.npz_key] for part in _PARTS))


def _check_md5(actual: str, part: _Part, path: Path) -> None:
    if actual != part.md5:
        raise DataCorruptError(
            f"MNIST file {path} fails its checksum for {part.file_name}: expected MD5 "
            f"{part.md5}, received {actual}. The file is damaged or not the official MNIST."
        )


def _download(url: str, destination: Path) -> None:
    """Download `url` to `destination` atomically; raise OSError within seconds when offline."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with (urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response,
          tempfile.NamedTemporaryFile(dir=destination.parent, delete=False) as partial):
        try:
            shutil.copyfileobj(response, partial)
        except BaseException:
            os.unlink(partial.name)
            raise
    os.replace(partial.name, destination)
