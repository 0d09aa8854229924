"""mnist_core.classroom.summary: the address students open, its QR code, and the projector's
summary."""

import ipaddress
import subprocess
import sys

import cv2
import numpy as np
import pytest

from mnist_core.classroom.drawings import DrawingStore
from mnist_core.classroom.summary import (
    SERVE_COMMAND,
    _usable,
    class_summary,
    join_address,
    lan_ipv4_addresses,
    qr_png,
)
from mnist_core.errors import DrawingStoreError
from tests.conftest import PROJECT
from tests.test_drawings import random_input

LAN = ("192.168.1.20", "10.0.0.5")


# -- the address -----------------------------------------------------------------------------


@pytest.mark.parametrize("settings, urls", [
    # Streamlit's default (no server.address) listens on every interface: each LAN address.
    ({"listen_address": None}, ("http://192.168.1.20:8501", "http://10.0.0.5:8501")),
    ({"listen_address": "0.0.0.0"}, ("http://192.168.1.20:8501", "http://10.0.0.5:8501")),
    ({"listen_address": "::"}, ("http://192.168.1.20:8501", "http://10.0.0.5:8501")),
    ({"listen_address": "", "port": 8600}, ("http://192.168.1.20:8600", "http://10.0.0.5:8600")),
    # One address chosen on purpose: only that one.
    ({"listen_address": "192.168.1.20"}, ("http://192.168.1.20:8501",)),
    ({"listen_address": "2001:db8::5"}, ("http://[2001:db8::5]:8501",)),
    ({"listen_address": None, "base_path": "/draw/"},
     ("http://192.168.1.20:8501/draw", "http://10.0.0.5:8501/draw")),
    ({"listen_address": None, "https": True, "port": 443},
     ("https://192.168.1.20", "https://10.0.0.5")),
    ({"listen_address": None, "port": 80}, ("http://192.168.1.20", "http://10.0.0.5")),
    # browser.serverAddress set on purpose wins (a proxy or a name), even over localhost-only.
    ({"listen_address": None, "public_address": "draw.school.example"},
     ("http://draw.school.example:8501",)),
    ({"listen_address": "127.0.0.1", "public_address": "draw.school.example", "public_port": 80},
     ("http://draw.school.example",)),
    ({"listen_address": None, "public_address": "draw.school.example:8080"},
     ("http://draw.school.example:8080",)),
    ({"listen_address": None, "public_address": "https://draw.school.example/class/"},
     ("https://draw.school.example/class",)),
    ({"listen_address": None, "public_address": "draw.school.example/class", "base_path": "x"},
     ("http://draw.school.example:8501/class",)),
    # ... but not a loopback one: no phone can open that.
    ({"listen_address": None, "public_address": "localhost"},
     ("http://192.168.1.20:8501", "http://10.0.0.5:8501")),
    ({"listen_address": None, "public_address": "127.0.0.1:8501"},
     ("http://192.168.1.20:8501", "http://10.0.0.5:8501")),
])
def test_the_address_students_open(settings, urls):
    join = join_address(**{"port": 8501, "lan_addresses": LAN, **settings})
    assert join.urls == urls
    assert not join.local_only and join.problem is None


@pytest.mark.parametrize("listen", ["127.0.0.1", "localhost", "::1", "127.0.1.1"])
def test_a_server_on_localhost_only_says_phones_cannot_reach_it_and_how_to_restart(listen):
    join = join_address(listen_address=listen, port=8501, lan_addresses=LAN)
    assert join.urls == () and join.local_only
    assert f"(server.address {listen})" in join.problem
    assert "phones cannot reach it" in join.problem
    assert join.problem.endswith(f"`{SERVE_COMMAND}`.")
    assert SERVE_COMMAND == "streamlit run app.py --server.address 0.0.0.0"


def test_a_computer_on_no_network_says_so():
    join = join_address(listen_address=None, port=8501, lan_addresses=())
    assert join.urls == () and not join.local_only
    assert "no network address" in join.problem and "Wi-Fi" in join.problem


def test_only_reachable_ipv4_addresses_are_offered_once_each_in_order():
    assert _usable(["192.168.1.20", "127.0.0.1", "127.0.1.1", "169.254.3.4", "0.0.0.0",
                    "192.168.1.20", "fe80::1", "not an address", "10.0.0.5"]) == list(LAN)


def test_this_computers_addresses_are_ipv4_and_never_loopback():
    addresses = lan_ipv4_addresses()
    assert len(set(addresses)) == len(addresses)
    for address in addresses:
        parsed = ipaddress.IPv4Address(address)
        assert not parsed.is_loopback and not parsed.is_link_local


def test_the_qr_code_reads_back_as_the_address():
    url = "http://192.168.100.200:8501"
    png = qr_png(url)
    assert png.startswith(b"\x89PNG")
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert image.shape[0] == image.shape[1] and image.shape[0] % 10 == 0  # 10 px per module
    assert set(np.unique(image)) <= {0, 255}
    assert (image[:40] == 255).all()  # the quiet zone: 4 white modules all round
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(image)
    assert text == url


def test_the_library_module_loads_neither_streamlit_nor_tensorflow():
    code = ("import sys, mnist_core.classroom.summary; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'streamlit', 'tensorflow', 'keras'}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True,
                            text=True, timeout=120)
    assert result.stdout.strip() == "[]", result.stderr


# -- the projector -----------------------------------------------------------------------------


def save(store: DrawingStore, label: int, predicted: int | None, seed: int,
         picture: np.ndarray | None = None) -> int:
    """Save a distinct drawing (its model input from `seed`) and return its id."""
    picture = np.full((40, 40, 3), 200, np.uint8) if picture is None else picture
    drawing_id, _ = store.add(label, random_input(seed), picture, predicted=predicted,
                              confidence=None if predicted is None else 0.9,
                              source="canvas" if predicted is not None else "import")
    return drawing_id


@pytest.fixture
def drawings(tmp_path) -> DrawingStore:
    return DrawingStore(tmp_path / "data")


def test_an_empty_store_sums_up_to_nothing(drawings):
    summary = class_summary(drawings, lambda images: pytest.fail("nothing to read"))
    assert summary.total == 0 and summary.by_label == (0,) * 10
    assert summary.latest == () and summary.hardest == ()
    assert summary.judged == 0 and summary.mixups() == []


def test_counts_latest_and_the_confusion_of_what_students_said_against_what_it_read(drawings):
    # (said, read when saved): two 7s read as 1, a 7 read right, a 4 read as 9, a 1 read right,
    # and an imported 3 saved without the model's answer.
    saved = [(7, 1), (7, 1), (7, 7), (4, 9), (1, 1), (3, None)]
    ids = [save(drawings, said, read, seed) for seed, (said, read) in enumerate(saved)]
    summary = class_summary(drawings, latest=4)
    assert summary.total == 6
    assert summary.by_label == (0, 1, 0, 1, 1, 0, 0, 3, 0, 0)
    assert [item.drawing.id for item in summary.latest] == ids[::-1][:4]  # newest first
    assert summary.considered == 6
    assert summary.confusion.shape == (10, 10) and summary.confusion.dtype == np.int64
    assert summary.confusion[7, 1] == 2 and summary.confusion[7, 7] == 1
    assert summary.confusion[4, 9] == 1 and summary.confusion[1, 1] == 1
    assert summary.judged == 5 and summary.read_right == 2  # the import is not judged
    assert summary.mixups() == [(7, 1, 2), (4, 9, 1)]
    assert summary.hardest == ()  # no model given


def test_the_hardest_are_the_lowest_probability_for_the_students_digit(drawings):
    labels = [3, 3, 5, 8, 2]
    ids = [save(drawings, label, label, seed) for seed, label in enumerate(labels)]
    # The model reads drawing i (oldest first) with these probabilities for its label.
    chances = dict(zip(ids, [0.9, 0.05, 0.05, 0.6, 0.99], strict=True))
    by_pixels = {drawings.get(i).model_input.tobytes(): i for i in ids}

    def predict(images):
        assert images.shape == (5, 28, 28) and images.dtype == np.float32
        assert images.min() >= 0 and images.max() <= 1
        rows = np.zeros((len(images), 10), np.float32)
        for row, image in enumerate(images):
            drawing_id = by_pixels[np.rint(image * 255).astype(np.uint8).tobytes()]
            label = labels[ids.index(drawing_id)]
            rows[row, label] = chances[drawing_id]
            rows[row, (label + 1) % 10] = 1 - chances[drawing_id]
        return rows

    summary = class_summary(drawings, predict, hardest=3)
    hardest = [(item.drawing.id, item.label_probability, item.reads) for item in summary.hardest]
    # Two at 5%: the newer first; then the 60% one, which it still reads right.
    assert hardest == [(ids[2], pytest.approx(0.05), 6), (ids[1], pytest.approx(0.05), 4),
                       (ids[3], pytest.approx(0.6), 8)]
    assert summary.latest[0].label_probability is None  # latest carry no probabilities


def test_drawings_it_reads_surely_are_not_called_hard(drawings):
    for seed in range(3):
        save(drawings, 4, 4, seed)
    sure = np.zeros((3, 10), np.float32)
    sure[:, 4] = [0.95, 0.89, 0.9]
    summary = class_summary(drawings, lambda images: sure)
    assert [round(item.label_probability, 2) for item in summary.hardest] == [0.89]


def test_the_confusion_and_the_hardest_look_at_the_newest_drawings_only(drawings):
    for seed in range(5):
        save(drawings, 2, 5, seed)
    summary = class_summary(drawings, lambda images: np.full((len(images), 10), 0.1), limit=3)
    assert summary.total == 5 and summary.considered == 3 and summary.judged == 3
    assert len(summary.hardest) == 3


def test_hidden_drawings_leave_the_latest_and_the_hardest_but_still_count(drawings):
    ids = [save(drawings, 2, 5, seed) for seed in range(4)]
    drawings.hide(ids[-1])
    drawings.hide(ids[0])
    summary = class_summary(drawings, lambda images: np.full((len(images), 10), 0.1))
    assert [item.drawing.id for item in summary.latest] == [ids[2], ids[1]]
    assert {item.drawing.id for item in summary.hardest} == {ids[1], ids[2]}
    assert summary.total == 4 and summary.judged == 4


def test_an_unreadable_store_raises_its_own_error(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "drawings.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(DrawingStoreError, match="is damaged"):
        class_summary(DrawingStore(folder))
