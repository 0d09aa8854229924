"""Real writers split three ways, by writer, written down here and nowhere else.

    training     learnt from
    validation   where recipes and rules are chosen
    report       looked at only to report what was already chosen on validation

Never by digit: one person's digits share a style, so a split by digit would score the model on
writers it has learnt. The pendigits file's 8 held-out writers (its HELD_OUT_WRITERS, every
figure reported so far) are in the report split and its other 22 in training. UNIPEN's 256
writers are dealt within each of its 17 sites, in an order fixed by a hash of their pseudonym:
4 of every 17 to report, 4 to validation, 9 to training (60, 60 and 136 writers), so the report
and validation splits span the sites. A writer's split depends on the writer alone.

A few people wrote hundreds of digits (one UNIPEN "writer", a whole site, 1,037): `real_writers`
keeps at most `PER_WRITER` of each writer's digits, drawn by a fixed seed, so a handful of people
do not decide a figure; training keeps up to `TRAINING_PER_WRITER` (every pendigits writer's
digits, 12,037 of both files' 13,840).

    real_writers("validation")           # PenDigits of both files, at most PER_WRITER a writer
    training_pool(("pendigits", "unipen"))   # what a run's pen_sources learn from
    split_of(digit)                      # "training", "validation" or "report"
    unavailable(("unipen",))             # why a file cannot be read here, or None
    trainable(QUICK)                     # a preset without the files not on this machine
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from mnist_core.config import PEN_SOURCES, SOURCE_NAMES, TrainConfig
from mnist_core.data import pendigits, unipen
from mnist_core.data.pendigits import HELD_OUT_WRITERS, PenDigit, load_pendigits
from mnist_core.data.unipen import load_unipen

__all__ = ["PER_WRITER", "POOL_SIZES", "SOURCES", "SPLITS", "TRAINING_PER_WRITER",
           "available_sources",
           "capped", "real_writers", "split_of", "trainable", "training_pool", "unavailable",
           "unipen_split"]

SPLITS = ("training", "validation", "report")
SOURCES = PEN_SOURCES
PER_WRITER = 60  # digits of one writer at most, in any split
# In training: every pendigits writer's (about 250 each); UNIPEN's few prolific writers cut.
TRAINING_PER_WRITER = 250
# `training_pool`'s size for each file, known without reading it (the time estimate's);
# tests/test_writers.py checks them against the files.
POOL_SIZES = {"pendigits": 5495, "unipen": 6542}
_DEAL = ("report",) * 4 + ("validation",) * 4 + ("training",) * 9  # one round of 17 writers
_CAP_SEED = 20261207


def unipen_split(writers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The split of each UNIPEN writer: {pseudonym: split} for (pseudonym, site) pairs.

    Within each site, writers in the order of the CRC-32 of their pseudonym; the deal runs on
    from one site to the next (sites in name order), so a site of one writer does not always
    land in the same split.
    """
    by_site: dict[str, set[str]] = {}
    for writer, site in writers:
        by_site.setdefault(site, set()).add(writer)
    splits, dealt = {}, 0
    for site in sorted(by_site):
        for writer in sorted(by_site[site], key=lambda name: (zlib.crc32(name.encode()), name)):
            splits[writer] = _DEAL[dealt % len(_DEAL)]
            dealt += 1
    return splits


def split_of(digit: PenDigit) -> str:
    """The split of `digit`'s writer. Raises DataNotFoundError, DataCorruptError for a UNIPEN
    digit when UNIPEN's file cannot be read (its writers decide the deal)."""
    if digit.source == "pendigits":
        return "report" if digit.writer in HELD_OUT_WRITERS else "training"
    return _unipen_splits()[str(digit.writer)]


def capped(digits: Sequence[PenDigit], per_writer: int = PER_WRITER) -> tuple[PenDigit, ...]:
    """`digits` with at most `per_writer` of each writer's, chosen by a fixed seed, in their
    original order."""
    by_writer: dict[str, list[int]] = {}
    for place, digit in enumerate(digits):
        by_writer.setdefault(digit.writer_key, []).append(place)
    kept: list[int] = []
    for writer, places in sorted(by_writer.items()):
        if len(places) > per_writer:
            rng = np.random.default_rng([_CAP_SEED, zlib.crc32(writer.encode())])
            places = rng.choice(places, per_writer, replace=False).tolist()
        kept.extend(places)
    return tuple(digits[place] for place in sorted(kept))


def real_writers(split: str, *, sources: Sequence[str] = SOURCES,
                 per_writer: int | None = PER_WRITER) -> tuple[PenDigit, ...]:
    """The real pen digits of `split`'s writers, from `sources`, at most `per_writer` of each
    writer's (None: all of them).

    Raises:
        ValueError: an unknown split or source.
        DataNotFoundError, DataCorruptError: a source's file is missing or damaged.
    """
    if split not in SPLITS:
        raise ValueError(f"Expected a split in {SPLITS}. Received: split={split!r}")
    unknown = set(sources) - set(SOURCES)
    if unknown:
        raise ValueError(f"Expected sources from {SOURCES}. Received: {sorted(unknown)}")
    digits: list[PenDigit] = []
    if "pendigits" in sources:
        digits += [digit for digit in load_pendigits() if split_of(digit) == split]
    if "unipen" in sources:
        splits = _unipen_splits()
        digits += [digit for digit in load_unipen() if splits[str(digit.writer)] == split]
    return tuple(digits) if per_writer is None else capped(digits, per_writer)


def training_pool(sources: Sequence[str] = SOURCES) -> tuple[PenDigit, ...]:
    """The digits a run learns from: the training writers of `sources`, at most
    `TRAINING_PER_WRITER` a writer. Raises as `real_writers`."""
    return real_writers("training", sources=sources, per_writer=TRAINING_PER_WRITER)


def available_sources(sources: Sequence[str] = SOURCES) -> tuple[tuple[str, ...], str | None]:
    """Which of `sources` can be read here, in their order, and why the others cannot: e.g.
    (("pendigits",), "the UNIPEN writers' digits: <the file's error>"), or (sources, None)."""
    readers = {"pendigits": pendigits.unavailable, "unipen": unipen.unavailable}
    reasons = {source: why for source in sources if (why := readers[source]()) is not None}
    why = " ".join(f"the {SOURCE_NAMES[source]} writers' digits: {reason}"
                   for source, reason in reasons.items())
    return tuple(source for source in sources if source not in reasons), why or None


def unavailable(sources: Sequence[str] = SOURCES) -> str | None:
    """Why some of `sources` cannot be read here (each file's sentence, named), or None."""
    return available_sources(sources)[1]


def trainable(config: TrainConfig, available: Callable[[Sequence[str]], tuple[
        tuple[str, ...], str | None]] = available_sources) -> tuple[TrainConfig, str | None]:
    """`config` learning only from the real writers' files this machine has (none of them: no
    pen digits at all), and why the others are left out (None when nothing is). A preset
    then trains without a missing file rather than not at all.

    Args:
        available: `available_sources`, or a cached copy of it (the Train page's).
    """
    if not config.pen_fraction:
        return config, None
    sources, why = available(config.pen_sources)
    if why is None:
        return config, None
    if not sources:
        return dataclasses.replace(config, pen_fraction=0.0), why
    return dataclasses.replace(config, pen_sources=sources), why


_dealt: tuple[tuple[PenDigit, ...], dict[str, str]] | None = None  # the digits, their deal


def _unipen_splits() -> dict[str, str]:
    """Every UNIPEN writer's split, dealt once per loaded file (`split_of` asks per digit)."""
    global _dealt
    digits = load_unipen()
    if _dealt is None or _dealt[0] is not digits:
        _dealt = (digits, unipen_split((str(digit.writer), digit.source) for digit in digits))
    return _dealt[1]
