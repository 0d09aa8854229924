"""Real writers of every source as one kind of pen digit (mnist_core.data.unipen beside the
pendigits file), and the three writer-disjoint splits fixed in mnist_core.data.writers."""

import gzip
import hashlib
import json
from collections import Counter

import numpy as np
import pytest

from mnist_core.data import pendigits, unipen, writers
from mnist_core.data.pendigits import HELD_OUT_WRITERS, PenDigit, draw_pen_digit
from mnist_core.errors import DataCorruptError, DataNotFoundError

ROWS = [
    {"writer": "ced-007", "source": "ced", "label": 4, "checked": True,
     "strokes": [[[100, 400], [40, 200], [160, 200]], [[120, 400], [120, 60]]]},
    {"writer": "syn-001", "source": "syn", "label": 1, "checked": False,
     "strokes": [[[10, 90], [10, 10]]]},
]


@pytest.fixture(autouse=True)
def isolated(monkeypatch):
    """No cached digits, no variables: each test says where the data is."""
    monkeypatch.setattr(unipen, "_cache", {})
    monkeypatch.setattr(pendigits, "_cache", {})
    monkeypatch.delenv("UNIPEN_DATA_DIR", raising=False)


def write_unipen(folder, lines: list[str]):
    folder.mkdir(exist_ok=True)
    (folder / "unipen-1a-digits.jsonl.gz").write_bytes(gzip.compress("\n".join(lines).encode()))


def load_from(monkeypatch, folder):
    monkeypatch.setenv("UNIPEN_DATA_DIR", str(folder))
    return unipen.load_unipen()


# Reading UNIPEN -------------------------------------------------------------------------------

def test_without_the_variable_it_says_what_to_set():
    with pytest.raises(DataNotFoundError, match="UNIPEN_DATA_DIR is not set.*export "
                                                "UNIPEN_DATA_DIR=../shared/data/unipen"):
        unipen.load_unipen()
    assert "UNIPEN_DATA_DIR is not set" in unipen.unavailable()


def test_a_missing_folder_or_file_is_named(monkeypatch, tmp_path):
    with pytest.raises(DataNotFoundError, match="is not a folder"):
        load_from(monkeypatch, tmp_path / "nowhere")
    with pytest.raises(DataNotFoundError,
                       match=f"{tmp_path} holds neither unipen-1a-digits.jsonl.gz nor"):
        load_from(monkeypatch, tmp_path)


def test_a_file_that_parses_but_is_not_the_published_one_fails_its_size_or_checksum(
        monkeypatch, tmp_path):
    write_unipen(tmp_path, [json.dumps(row) for row in ROWS])
    with pytest.raises(DataCorruptError, match="wrong size: expected 10,359,789 bytes"):
        load_from(monkeypatch, tmp_path)
    text = "\n".join(json.dumps(row) for row in ROWS).encode()
    monkeypatch.setattr(unipen, "TEXT_SIZE", len(text))
    with pytest.raises(DataCorruptError, match="fails its checksum"):
        load_from(monkeypatch, tmp_path)
    monkeypatch.setattr(unipen, "TEXT_MD5", hashlib.md5(text).hexdigest())
    four, one = load_from(monkeypatch, tmp_path)  # the published file's size and MD5: read
    assert (four.label, four.writer, four.source, four.checked, four.index) == (
        4, "ced-007", "ced", True, 0)
    assert four.writer_key == "unipen/ced-007" and one.checked is False
    assert [stroke.shape for stroke in four.strokes] == [(3, 2), (2, 2)]
    assert not four.strokes[0].flags.writeable


def test_a_truncated_file_is_damaged(monkeypatch, tmp_path):
    write_unipen(tmp_path, [json.dumps(row) for row in ROWS])
    path = tmp_path / "unipen-1a-digits.jsonl.gz"
    path.write_bytes(path.read_bytes()[:-12])
    with pytest.raises(DataCorruptError, match="truncated or not a gzip file"):
        load_from(monkeypatch, tmp_path)


@pytest.mark.parametrize(("line", "problem"), [
    ('{"writer": "x-1", "source": "x", "label": 4, "checked": true', "line 2"),
    ('{"writer": "x-1", "source": "x", "label": 12, "checked": true, "strokes": [[[1, 2]]]}',
     "a label from 0 to 9"),
    ('{"writer": "x-1", "source": "x", "label": 4, "checked": true, "strokes": []}',
     "at least one stroke"),
    ('{"writer": "x-1", "source": "x", "label": 4, "checked": true, "strokes": [[1, 2]]}',
     "list of \\[x, y\\] points"),
    ('{"writer": "x-1", "label": 4, "checked": true, "strokes": [[[1, 2]]]}', "'source'"),
    ('[1, 2]', "a JSON object"),
])
def test_a_malformed_line_is_named(monkeypatch, tmp_path, line, problem):
    write_unipen(tmp_path, [json.dumps(ROWS[0]), line])
    with pytest.raises(DataCorruptError, match=f"malformed at line 2: .*{problem}|{problem}"):
        load_from(monkeypatch, tmp_path)


def test_the_published_file_is_read_whole(unipen_dir, monkeypatch):
    digits = load_from(monkeypatch, unipen_dir)
    assert len(digits) == unipen.DIGIT_COUNT
    assert len({digit.writer for digit in digits}) == unipen.WRITER_COUNT
    assert len({digit.source for digit in digits}) == 17
    assert sum(digit.checked for digit in digits) == 7057  # the README's count of verified
    assert min(Counter(digit.label for digit in digits).values()) == 1465


def test_a_unipen_digit_is_drawn_on_the_canvas_like_a_pendigits_one(unipen_dir, monkeypatch):
    """Scaled by its own box whatever the site's units: the ink is as tall as asked for."""
    for digit in load_from(monkeypatch, unipen_dir)[::3000]:
        alpha = draw_pen_digit(digit, pen_width=14, height=200)[..., 3]
        rows = np.flatnonzero(alpha.max(axis=1))
        assert 195 <= rows[-1] - rows[0] + 1 <= 200 + 14, digit.writer_key


# The splits -----------------------------------------------------------------------------------

def test_unipen_writers_are_dealt_within_each_site_four_four_nine():
    pairs = [(f"{site}-{n:03d}", site) for site in ("aaa", "bbb", "ccc") for n in range(34)]
    dealt = writers.unipen_split(pairs)
    assert Counter(dealt.values()) == {"report": 24, "validation": 24, "training": 54}
    for site in ("aaa", "bbb", "ccc"):  # each site in every split
        assert {dealt[w] for w, s in pairs if s == site} == set(writers.SPLITS)
    assert writers.unipen_split(reversed(pairs)) == dealt  # the writer alone decides


def test_capped_keeps_at_most_so_many_of_each_writer_in_order():
    many = [PenDigit(n % 10, 3, n, n, (np.zeros((1, 2), np.float32),)) for n in range(100)]
    few = [PenDigit(1, 4, n, 100 + n, (np.zeros((1, 2), np.float32),)) for n in range(5)]
    kept = writers.capped(many + few, per_writer=20)
    assert Counter(digit.writer for digit in kept) == {3: 20, 4: 5}
    assert [digit.index for digit in kept] == sorted(digit.index for digit in kept)
    assert writers.capped(many + few, per_writer=20) == kept  # fixed: the same every time


def test_no_writer_is_in_two_splits_and_every_writer_is_in_one(unipen_dir, pen_dir,
                                                                monkeypatch):
    monkeypatch.setenv("UNIPEN_DATA_DIR", str(unipen_dir))
    found = {split: writers.real_writers(split, per_writer=None) for split in writers.SPLITS}
    keys = {split: {digit.writer_key for digit in digits} for split, digits in found.items()}
    assert not keys["training"] & keys["validation"]
    assert not keys["training"] & keys["report"]
    assert not keys["validation"] & keys["report"]
    assert sum(len(digits) for digits in found.values()) == 7494 + unipen.DIGIT_COUNT
    assert {f"pendigits/{writer}" for writer in HELD_OUT_WRITERS} <= keys["report"]
    unipen_keys = {split: {key for key in found_keys if key.startswith("unipen/")}
                   for split, found_keys in keys.items()}
    assert [len(unipen_keys[split]) for split in ("report", "validation")] == [61, 60]
    for split in ("report", "validation"):  # writers of many sites, not one or two
        assert len({digit.source for digit in found[split] if digit.source != "pendigits"}) >= 12


def test_a_split_keeps_at_most_per_writer_digits_of_anyone(unipen_dir, pen_dir, monkeypatch):
    monkeypatch.setenv("UNIPEN_DATA_DIR", str(unipen_dir))
    report = writers.real_writers("report")
    assert max(Counter(digit.writer_key for digit in report).values()) == writers.PER_WRITER
    with pytest.raises(ValueError, match="Expected a split in"):
        writers.real_writers("test")


def test_a_run_learns_only_from_training_writers_of_the_files_it_names(unipen_dir, pen_dir,
                                                                       monkeypatch):
    monkeypatch.setenv("UNIPEN_DATA_DIR", str(unipen_dir))
    both = writers.training_pool(("pendigits", "unipen"))
    assert {writers.split_of(digit) for digit in both} == {"training"}
    per_writer = Counter(digit.writer_key for digit in both)
    assert max(per_writer.values()) == writers.TRAINING_PER_WRITER
    # Every pendigits training writer's digits (about 250 each); UNIPEN's prolific ones cut.
    assert sum(1 for digit in both if digit.source == "pendigits") == 5495
    assert len(per_writer) == 22 + 135
    only_unipen = writers.training_pool(("unipen",))
    assert {digit.source for digit in only_unipen} >= {"ced", "syn"}
    assert "pendigits" not in {digit.source for digit in only_unipen}
    assert len(only_unipen) + 5495 == len(both)


def test_a_missing_file_is_left_out_by_name_and_the_rest_is_kept(pen_dir, monkeypatch,
                                                                  tmp_path):
    monkeypatch.setenv("UNIPEN_DATA_DIR", str(tmp_path / "nowhere"))
    kept, why = writers.available_sources(("pendigits", "unipen"))
    assert kept == ("pendigits",)
    assert why.startswith("the UNIPEN writers' digits: ") and "nowhere" in why
    assert writers.available_sources(("pendigits",)) == (("pendigits",), None)
    assert writers.unavailable(("unipen",)) == why


def test_the_pool_sizes_the_estimate_uses_are_the_files_own(unipen_dir, pen_dir, monkeypatch):
    """The time estimate sizes a cold cache of real writers' drawings by POOL_SIZES, without
    reading the files: it must be what training_pool reads."""
    monkeypatch.setenv("UNIPEN_DATA_DIR", str(unipen_dir))
    monkeypatch.setenv("PENDIGITS_DATA_DIR", str(pen_dir))
    from mnist_core.data.writers import POOL_SIZES, training_pool

    assert {source: len(training_pool((source,))) for source in POOL_SIZES} == POOL_SIZES
