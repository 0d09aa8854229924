import gzip
import shutil
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from mnist_core.data import mnist as data
from mnist_core.errors import DataCorruptError, DataNotFoundError

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte")


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No cached MNIST, no variable, an empty Keras cache, a download that fails at once."""
    monkeypatch.setattr(data, "_cache", {})
    monkeypatch.delenv("MNIST_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    monkeypatch.setattr(data, "DOWNLOAD_URL", "http://127.0.0.1:9/mnist.npz")  # refused


def copy_real(mnist_dir: Path, target: Path, gunzip: tuple[str, ...] = ()) -> Path:
    target.mkdir()
    for name in FILES:
        if name in gunzip:
            with gzip.open(mnist_dir / f"{name}.gz") as src, open(target / name, "wb") as dst:
                shutil.copyfileobj(src, dst)
        else:
            shutil.copy(mnist_dir / f"{name}.gz", target)
    return target


def check_official_split(loaded):
    (x_train, y_train), (x_test, y_test) = loaded
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and x_test.shape == (10000, 28, 28)
    assert y_test.shape == (10000,)
    assert y_train[:8].tolist() == [5, 0, 4, 1, 9, 2, 1, 3]  # MNIST's famous first digits
    assert y_test[:4].tolist() == [7, 2, 1, 0]
    assert np.bincount(y_test).tolist()[1] == 1135


def test_reads_the_gzipped_idx_files(mnist_dir, monkeypatch):
    monkeypatch.setenv("MNIST_DATA_DIR", str(mnist_dir))
    check_official_split(data.load_mnist())
    assert data.mnist_source() == str(mnist_dir)


def test_reads_uncompressed_idx_files(mnist_dir, monkeypatch, tmp_path):
    folder = copy_real(mnist_dir, tmp_path / "plain", gunzip=FILES[1:3])
    monkeypatch.setenv("MNIST_DATA_DIR", str(folder))
    check_official_split(data.load_mnist())


def test_parses_once_then_serves_the_same_read_only_arrays(mnist_dir, monkeypatch):
    monkeypatch.setenv("MNIST_DATA_DIR", str(mnist_dir))
    first, second = data.load_mnist(), data.load_mnist()
    assert first[0][0] is second[0][0]
    with pytest.raises(ValueError):
        first[0][0][0, 0, 0] = 1


@pytest.fixture(scope="module")
def real_npz(mnist_dir, tmp_path_factory) -> Path:
    monkey = pytest.MonkeyPatch()
    monkey.setattr(data, "_cache", {})
    monkey.setenv("MNIST_DATA_DIR", str(mnist_dir))
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    monkey.undo()
    path = tmp_path_factory.mktemp("npz") / "mnist.npz"
    np.savez_compressed(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


def test_reads_a_keras_npz_from_the_folder(real_npz, monkeypatch):
    monkeypatch.setenv("MNIST_DATA_DIR", str(real_npz.parent))
    check_official_split(data.load_mnist())


def test_falls_back_to_the_keras_cache(real_npz, monkeypatch, tmp_path):
    cache = tmp_path / "keras-home" / "datasets"
    cache.mkdir(parents=True)
    shutil.copy(real_npz, cache / "mnist.npz")
    check_official_split(data.load_mnist())
    assert data.mnist_source() == str(cache / "mnist.npz")


def test_a_tampered_npz_fails_its_checksum(real_npz, monkeypatch, tmp_path):
    with np.load(real_npz) as npz:
        arrays = dict(npz)
    arrays["x_test"] = arrays["x_test"].copy()
    arrays["x_test"][0, 14, 14] ^= 1  # one pixel, one bit
    np.savez(tmp_path / "mnist.npz", **arrays)
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path))
    with pytest.raises(DataCorruptError, match=r"mnist\.npz fails its checksum"):
        data.load_mnist()


def test_a_truncated_file_is_named(mnist_dir, monkeypatch, tmp_path):
    folder = copy_real(mnist_dir, tmp_path / "cut", gunzip=("t10k-images-idx3-ubyte",))
    path = folder / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    monkeypatch.setenv("MNIST_DATA_DIR", str(folder))
    with pytest.raises(DataCorruptError, match="t10k-images-idx3-ubyte is the wrong size"):
        data.load_mnist()


def test_a_broken_gzip_is_named(mnist_dir, monkeypatch, tmp_path):
    folder = copy_real(mnist_dir, tmp_path / "gz")
    path = folder / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:200])
    monkeypatch.setenv("MNIST_DATA_DIR", str(folder))
    with pytest.raises(DataCorruptError, match="train-labels-idx1-ubyte.gz"):
        data.load_mnist()


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (np.array([2051, 10000], ">u4"), "wrong IDX header"),  # an images magic on labels
        (np.array([2049, 9999], ">u4"), "wrong IDX header"),
    ],
)
def test_a_wrong_header_is_named(tmp_path, header, message):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(header.tobytes() + bytes(10000))
    with pytest.raises(DataCorruptError, match=message):
        data._read_idx(path, data._PARTS[3])


def test_right_size_wrong_content_fails_the_checksum(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(np.array([2049, 10000], ">u4").tobytes() + bytes(10000))
    with pytest.raises(DataCorruptError, match="checksum"):
        data._read_idx(path, data._PARTS[3])


def test_some_but_not_all_idx_files_is_an_error_that_lists_the_missing(tmp_path, monkeypatch):
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"")
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path))
    with pytest.raises(DataCorruptError, match="t10k-labels-idx1-ubyte"):
        data.load_mnist()
    # Describing the source never raises: the page shows the folder, loading says what is wrong.
    assert data.mnist_source() == str(tmp_path)


def test_nothing_anywhere_says_what_was_tried_and_how_to_fix_it(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_DATA_DIR", str(tmp_path / "empty"))
    with pytest.raises(DataNotFoundError) as caught:
        data.load_mnist()
    message = str(caught.value)
    assert "MNIST_DATA_DIR=" in message and "empty" in message
    assert "Keras cache" in message and "mnist.npz" in message
    assert "download http://127.0.0.1:9/mnist.npz" in message
    assert "export MNIST_DATA_DIR=" in message


def test_a_silent_server_does_not_hang_the_download(monkeypatch):
    """A server that accepts and never answers: the download gives up after its timeout."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True)
    thread.start()
    monkeypatch.setattr(data, "DOWNLOAD_URL",
                        f"http://127.0.0.1:{listener.getsockname()[1]}/mnist.npz")
    monkeypatch.setattr(data, "DOWNLOAD_TIMEOUT", 0.5)
    started = time.monotonic()
    try:
        with pytest.raises(DataNotFoundError, match="timed out"):
            data.load_mnist()
    finally:
        listener.close()
    assert time.monotonic() - started < 10  # it gave up; it did not wait forever
