"""How long a training run takes on this machine: before it starts, and while it runs.

Before a run, `estimate_run` splits it into phases (start-up, re-drawing training digits,
the first epoch, each later epoch, the scoring steps) and sizes each one from what this
machine has measured: the runs in the store record their per-epoch seconds (history.json) and
their start-up, first-epoch, wind-down and scoring seconds (metrics.json; older runs lack these
and give their pace only). With no run trained here
it falls back to counting the run's floating-point operations and dividing by this machine's
numpy matrix-multiply speed, with per-phase constants measured on the development machine.

The shipped model is never used for calibration: it was trained on another machine (the runs
in the store's own folder were trained by this installation), and it records no start-up or
scoring times.

While a run trains, `seconds_left` replaces the guess with the run's own pace (`Progress.pace`,
measured after the first batch, which traces the graph), blended with the estimate until the
pace rests on enough batches, and adds the scoring still to come.

Everything here is plain Python and numpy: the pages call it without loading TensorFlow.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mnist_core.config import MNIST_TRAIN_SIZE, TrainConfig
from mnist_core.model import count_macs
from mnist_core.training.progress import Progress

__all__ = ["SCORING_STEPS", "Calibration", "TimeEstimate", "batch_pace", "calibrate",
           "describe_seconds", "estimate_run", "estimate_seconds", "machine_calibration",
           "matmul_flops_per_second", "seconds_left"]

# The scoring steps after training, in order (`Progress.step` while `stage` is "scoring").
SCORING_STEPS = ("test set", "re-drawn digits", "real writers", "held-out drawings", "saving")

# The fallback formula's constants, measured on the development machine (bench/train_speed.py,
# bench/train_estimate.py). `_REFERENCE_FLOPS` is its numpy matmul speed: calibration divides a
# run's measured epoch by the formula's epoch at this fixed speed, so a noisy matmul trial
# never enters an estimate calibrated from runs.
_REFERENCE_FLOPS = 222e9  # FLOP/s
_KERAS_OVERHEAD = 1.6  # epoch time over pure matmul time (bench/train_speed.py)
_SECONDS_PER_BATCH = 0.0015  # Keras' fixed cost per step
_SECONDS_PER_EPOCH = 0.05  # callbacks, the validation pass's set-up
# augment_batch and the drawn-digit swap: the Best preset's epochs took 6.57 s there, 2.1x
# Quick's 3.16 s with the same layers (twice the batches account for a little of it)
_SECONDS_PER_DISTORTED_IMAGE = 50e-6
_SECONDS_PER_REDRAWN_DIGIT = 0.0019  # drawn_training: render + preprocess, both cores
# pendigits.pen_training_set: 3.3-4 ms of CPU an image (bench/pen_digits.py), both cores
_SECONDS_PER_PEN_DIGIT = 0.002
# A new process importing TensorFlow, loading MNIST, building the model: 5.4-7.0 s on a busy
# 2-core machine (bench/train_estimate.py)
_STARTUP_SECONDS = 7.0
_TRACING_SECONDS = 2.0  # the first epoch over a later one: graph tracing, the shuffle buffer
_FINISHING_SECONDS = 1.5  # from the last epoch's end to Keras' fit returning (1-4 s)
# 2,000 re-drawn digits: 10.6-24 s on a busy 2-core machine, rendered one at a time
# The held-out writers' 1,999 pen digits: 6.8-7.7 s of CPU on one core (bench/pen_digits.py)
_SCORING_SECONDS = {"test set": 0.3, "re-drawn digits": 12.0, "real writers": 7.0,
                    "held-out drawings": 0.05, "saving": 0.3}
_NEAREST_RUNS = 3  # a phase is sized from the median of this many comparable runs
_MATMUL_REMEASURE_SECONDS = 300.0
_PACE_EPOCHS = 10  # the run's pace is measured over at most this many of its last epochs


@dataclass(frozen=True)
class TimeEstimate:
    """How long each phase of one run should take on this machine, in seconds.

    Attributes:
        startup: from the start (the button, or the command) to the first batch: a new process
            importing TensorFlow, loading MNIST, building the model.
        preparing: re-drawing the training digits as mouse strokes; 0 when cached or unused.
        first_epoch: the first epoch, which also traces the graphs; 0 when `epochs` is 0.
        per_epoch: each later epoch, its validation pass included.
        epochs: epochs planned, at least 1.
        scoring: seconds per scoring step, keyed by `SCORING_STEPS` (a step not run is 0).
        basis: what it was sized from, for people, e.g. "3 like runs trained here".
        finishing: from the last epoch's end until training returns (Keras winds down its
            input pipeline), with no report in between.
    """

    startup: float
    preparing: float
    first_epoch: float
    per_epoch: float
    epochs: int
    scoring: Mapping[str, float] = field(default_factory=dict)
    basis: str = ""
    finishing: float = 0.0

    @property
    def scoring_total(self) -> float:
        """Seconds of all scoring steps."""
        return float(sum(self.scoring.values()))

    @property
    def total(self) -> float:
        """Seconds from the start to the run saved."""
        return (self.startup + self.preparing + self.training + self.scoring_total)

    @property
    def training(self) -> float:
        """Seconds of all epochs, and the wind-down after them."""
        return self.first_epoch + max(0, self.epochs - 1) * self.per_epoch + self.finishing

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values; `from_dict` reads them back."""
        return {**dataclasses.asdict(self), "scoring": dict(self.scoring)}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> TimeEstimate:
        """Read `to_dict()`'s values; unknown keys (newer versions) are ignored.

        Raises:
            ValueError, TypeError, KeyError: the values are not an estimate.
        """
        scoring = values.get("scoring") or {}
        return cls(float(values["startup"]), float(values["preparing"]),
                   float(values["first_epoch"]), float(values["per_epoch"]),
                   int(values["epochs"]), {str(k): float(v) for k, v in scoring.items()},
                   str(values.get("basis", "")), float(values.get("finishing", 0.0)))


@dataclass(frozen=True)
class _Sample:
    """One run trained here, reduced to what sizes an estimate."""

    config: TrainConfig
    formula_epoch: float  # the formula's epoch at `_REFERENCE_FLOPS`, seconds
    per_epoch: float | None  # measured: mean of the complete epochs after the first
    tracing: float | None  # measured: first epoch minus `per_epoch`
    startup: float | None
    finishing: float | None
    redrawn_digit: float | None  # seconds per re-drawn training digit, when it rendered them
    pen_digit: float | None  # seconds per real writer's digit drawn to train on
    scoring: Mapping[str, float]


@dataclass(frozen=True)
class Calibration:
    """What this machine has measured, from the runs trained here (newest first).

    Build it with `calibrate(runs)` or `machine_calibration()`; empty, estimates use the
    matmul formula.
    """

    samples: tuple[_Sample, ...] = ()

    @property
    def runs(self) -> int:
        """Runs it rests on."""
        return len(self.samples)


def calibrate(runs: Iterable[Any]) -> Calibration:
    """A calibration from runs trained on this machine, newest first.

    Args:
        runs: objects with `config` (TrainConfig), `history` (list of per-epoch dicts with
            cumulative `seconds` and `complete`) and `metrics` (dict), as `RunInfo` has;
            `is_shipped` ones are skipped (measured on another machine). Older runs without
            `startup_seconds` or `scoring_steps` still give their per-epoch pace.
    """
    samples = []
    for run in runs:
        if getattr(run, "is_shipped", False):
            continue
        sample = _sample(run.config, run.history, run.metrics)
        if sample is not None:
            samples.append(sample)
    return Calibration(tuple(samples))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def _sample(config: TrainConfig, history: Sequence[Mapping[str, Any]],
            metrics: Mapping[str, Any]) -> _Sample | None:
    ends = []
    for entry in history:
        seconds = _number(entry.get("seconds")) if isinstance(entry, Mapping) else None
        if seconds is None or entry.get("complete") is False:
            break
        ends.append(seconds)
    per_epoch = (ends[-1] - ends[0]) / (len(ends) - 1) if len(ends) >= 2 else None
    if per_epoch is not None and per_epoch <= 0:
        per_epoch = None
    first = _number(metrics.get("first_epoch_seconds"))
    tracing = first - per_epoch if first is not None and per_epoch is not None else None
    digits = _number(metrics.get("redrawn_digits"))
    rendering = _number(metrics.get("redrawn_seconds"))
    redrawn = rendering / digits if rendering is not None and digits and digits >= 1000 else None
    steps = metrics.get("scoring_steps")
    scoring = {}
    for step, seconds in (steps.items() if isinstance(steps, Mapping) else ()):
        if (value := _number(seconds)) is not None:
            scoring[str(step)] = value
    startup = _number(metrics.get("startup_seconds"))
    finishing = _number(metrics.get("finishing_seconds"))
    # Drawings made for the real writers' cache; runs before it drew all they fitted.
    pens = _number(metrics.get("pen_drawn", metrics.get("pen_digits")))
    pen_seconds = _number(metrics.get("pen_seconds"))
    pen = pen_seconds / pens if pen_seconds is not None and pens and pens >= 1000 else None
    if per_epoch is None and startup is None and not scoring and redrawn is None:
        return None
    samples = _number(metrics.get("train_samples"))
    validation = _number(metrics.get("validation_samples"))
    formula = _formula_epoch(config, _REFERENCE_FLOPS, samples, validation)
    return _Sample(config, formula, per_epoch, tracing, startup, finishing, redrawn, pen,
                   scoring)


_cache_lock = threading.Lock()
_calibrations: dict[tuple[str, int], Calibration] = {}


def machine_calibration(store: Any = None) -> Calibration:
    """The calibration from the runs in `store` (the default `ModelStore` if None).

    Read again only when its runs folder changes (a run saved or deleted), so a page can ask
    on every rerun.
    """
    from mnist_core.runs.store import ModelStore

    store = store or ModelStore()
    try:
        stamp = store.runs_dir.stat().st_mtime_ns
    except OSError:
        return Calibration()
    key = (str(Path(store.runs_dir).resolve()), stamp)
    with _cache_lock:
        if key in _calibrations:
            return _calibrations[key]
    runs, _ = store.list_runs()
    calibration = calibrate(runs)
    with _cache_lock:
        _calibrations.clear()
        _calibrations[key] = calibration
    return calibration


_matmul = {"best": 0.0, "measured_at": -math.inf}


def matmul_flops_per_second() -> float:
    """This machine's float32 numpy matrix-multiply speed, FLOP/s: the best trial seen in this
    process. Re-measured (about 0.1 s) at most every 5 minutes; other work on the machine
    only ever slows a trial, so a trial taken while a training runs never lowers the figure.
    """
    now = time.monotonic()
    with _cache_lock:
        if now - _matmul["measured_at"] < _MATMUL_REMEASURE_SECONDS:
            return _matmul["best"]
    rng = np.random.default_rng(0)
    a = rng.random((1024, 1024), dtype=np.float32)
    a @ a
    best = math.inf
    for _ in range(8):
        started = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - started)
    with _cache_lock:
        _matmul["best"] = max(_matmul["best"], 2 * 1024**3 / best)
        _matmul["measured_at"] = now
        return _matmul["best"]


def _sizes(config: TrainConfig, available: int = MNIST_TRAIN_SIZE) -> tuple[int, int]:
    """Images fitted and held out per epoch."""
    samples = min(config.max_train_samples or available, available)
    validation = max(1, round(samples * config.validation_split))
    fit = samples - validation
    return fit + config.pen_images(fit), validation  # real writers' digits are fitted too


def _formula_epoch(config: TrainConfig, flops_per_second: float, fit: float | None = None,
                   validation: float | None = None, available: int = MNIST_TRAIN_SIZE
                   ) -> float:
    """One epoch's seconds by the formula: matmul FLOPs at `flops_per_second` times Keras'
    overhead, plus per-batch, per-epoch and distortion costs."""
    default_fit, default_validation = _sizes(config, available)
    fit = fit or default_fit  # with saved drawings, a run records more than MNIST's share
    validation = validation or default_validation
    macs = count_macs(config.hidden_units)
    # Per image: forward 2 FLOPs per MAC, backward 4; validation images only go forward.
    flops = 6 * macs * fit + 2 * macs * validation
    seconds = flops / flops_per_second * _KERAS_OVERHEAD + _SECONDS_PER_EPOCH
    seconds += math.ceil(fit / config.batch_size) * _SECONDS_PER_BATCH
    if config.augment:
        seconds += fit * _SECONDS_PER_DISTORTED_IMAGE
    return seconds


def _nearest(samples: Sequence[_Sample], config: TrainConfig, formula: float,
             value: str) -> list[float]:
    """`value` of the `_NEAREST_RUNS` samples most like `config`: the same kind of input
    pipeline (distortions, drawn digits) first, then the nearest amount of work; the newest
    on a tie."""
    kind = (config.augment, config.drawn_fraction > 0)
    having = [(index, sample) for index, sample in enumerate(samples)
              if getattr(sample, value) is not None]

    def likeness(item: tuple[int, _Sample]) -> tuple[bool, float, int]:
        index, sample = item
        other = (sample.config.augment, sample.config.drawn_fraction > 0) != kind
        return other, round(abs(math.log(sample.formula_epoch / formula)), 1), index

    ranked = sorted(having, key=likeness)
    if not ranked:
        return []
    best = likeness(ranked[0])
    # Only runs as alike as the likest: of its kind, and within 3x of its amount of work.
    alike = [item for item in ranked if likeness(item)[0] == best[0]
             and likeness(item)[1] <= best[1] + math.log(3)]
    return [getattr(sample, value) for _, sample in alike[:_NEAREST_RUNS]]


def estimate_run(config: TrainConfig, calibration: Calibration | None = None, *,
                 drawn_cached: bool = True, pen_cached: bool = False,
                 drawn_scored: bool = True, available: int = MNIST_TRAIN_SIZE,
                 store: Any = None) -> TimeEstimate:
    """How long `config` should take here, phase by phase: a guide, and what the page's "Time
    left" starts from.

    Args:
        config: the settings.
        calibration: what this machine measured; by default `machine_calibration(store)`.
        drawn_cached: False when the re-drawn training digits must be rendered first (the
            first run with `drawn_fraction` > 0 on a machine).
        pen_cached: True when the real writers' drawings are read from their cache
            (mnist_core.training.pen_cache) instead of drawn first.
        drawn_scored: False when the run is not scored on re-drawn test digits (a job given
            its own data instead of MNIST).
        available: training images to draw from: MNIST's 60,000, or a job's own data.
        store: the store whose runs calibrate, when `calibration` is None.
    """
    if calibration is None:
        calibration = machine_calibration(store)
    samples = calibration.samples
    formula = _formula_epoch(config, _REFERENCE_FLOPS, available=available)
    # A run's pace sizes this one's only if its work is within 4x: a tiny run's epochs are
    # mostly fixed costs, a big one's mostly matrix products.
    comparable = [dataclasses.replace(sample, per_epoch=sample.per_epoch / sample.formula_epoch)
                  for sample in samples if sample.per_epoch is not None
                  and abs(math.log(sample.formula_epoch / formula)) <= math.log(4)]
    ratios = _nearest(comparable, config, formula, "per_epoch")
    if ratios:
        per_epoch = formula * statistics.median(ratios)
        basis = f"{len(ratios)} like run{'s' * (len(ratios) != 1)} trained here"
    else:
        flops = matmul_flops_per_second()
        per_epoch = _formula_epoch(config, flops, available=available)
        basis = f"this machine's matmul speed ({flops / 1e9:.0f} GFLOP/s)"

    def measured(value: str, default: float) -> float:
        found = _nearest(samples, config, formula, value)
        return statistics.median(found) if found else default

    tracing = measured("tracing", _TRACING_SECONDS)
    preparing = 0.0
    if config.drawn_fraction > 0 and not drawn_cached:
        from mnist_core.training.drawn_cache import COPIES

        fit, validation = _sizes(config, available)
        # training renders only the digits it uses when that is under a third of them
        digits = (fit + validation if config.max_train_samples is not None
                  and config.max_train_samples < available // 3 else available)
        preparing = digits * COPIES * measured("redrawn_digit", _SECONDS_PER_REDRAWN_DIGIT)
    if config.pen_fraction > 0:
        # Every digit of the pool drawn COPIES times, once per machine (pen_cache), or a
        # small run's own few drawn anew.
        from mnist_core.data.writers import POOL_SIZES
        from mnist_core.training.pen_cache import COPIES as PEN_COPIES
        from mnist_core.training.pen_cache import uses_cache

        pool = sum(POOL_SIZES[source] for source in config.pen_sources)
        count = config.pen_images(_sizes(dataclasses.replace(config, pen_fraction=0.0),
                                         available)[0])
        drawings = 0 if pen_cached else (PEN_COPIES * pool if uses_cache(count, pool, False)
                                         else count)
        preparing += drawings * measured("pen_digit", _SECONDS_PER_PEN_DIGIT)
    scoring = {}
    for step in SCORING_STEPS:
        found = [sample.scoring[step] for sample in samples if step in sample.scoring]
        scoring[step] = statistics.median(found[:_NEAREST_RUNS]) if found \
            else _SCORING_SECONDS[step]
    if not drawn_scored:  # a job on its own data: no re-drawn digits, no real writers
        scoring["re-drawn digits"] = scoring["real writers"] = 0.0
    return TimeEstimate(startup=measured("startup", _STARTUP_SECONDS), preparing=preparing,
                        first_epoch=per_epoch + max(0.0, tracing), per_epoch=per_epoch,
                        epochs=config.epochs, scoring=scoring, basis=basis,
                        finishing=measured("finishing", _FINISHING_SECONDS))


def estimate_seconds(config: TrainConfig, *, drawn_cached: bool = True,
                     calibration: Calibration | None = None) -> float:
    """Seconds the run should take here, start to saved: `estimate_run(...).total`."""
    return estimate_run(config, calibration, drawn_cached=drawn_cached).total


def batch_pace(now: float, first_batch_end: float | None, epoch_ends: Sequence[float],
               epoch: int, batch: int, batches: int) -> float | None:
    """The run's own seconds per training batch, validation passes included.

    Measured from the end of the first batch (which traces the training step) and, once a
    quarter of the second epoch is done, from the first epoch's end (which also traced the
    validation pass), over at most the last `_PACE_EPOCHS` epochs: long enough to average
    out other work coming and going on the machine (epochs here vary by 30% on a shared
    machine), short enough to follow a lasting change within a long run.

    Args:
        now: seconds on the run's clock (the same as the other times).
        first_batch_end: when batch 1 of epoch 1 ended; None before.
        epoch_ends: when each complete epoch ended, in order.
        epoch, batch: the epoch under way (1-based) and batches done in it.
        batches: batches per epoch.
    Returns:
        Seconds per batch; None when fewer than 2 batches have run.
    """
    done = (epoch - 1) * batches + batch
    start, start_done = first_batch_end, 1
    if epoch_ends:
        anchor = max(1, len(epoch_ends) - _PACE_EPOCHS)  # the epoch whose end it counts from
        if (done - anchor * batches) * 4 >= batches:
            start, start_done = epoch_ends[anchor - 1], anchor * batches
    if start is None or done <= start_done or now <= start:
        return None
    return (now - start) / (done - start_done)


def _blend(measured: float | None, prior: float, count: float, ramp: float) -> float:
    """`measured` weighted by how much it rests on (`count` units of `ramp` for full trust),
    the rest from `prior`."""
    if measured is None or count <= 0:
        return prior
    weight = min(1.0, count / max(ramp, 1.0))
    return weight * measured + (1 - weight) * prior


def seconds_left(estimate: TimeEstimate, progress: Progress | None,
                 elapsed_seconds: float = 0.0, since_report: float = 0.0) -> float:
    """Seconds until the run is saved: what is left of the phase under way, at the run's own
    pace once it has one, plus the estimate of every later phase.

    Args:
        estimate: the run's pre-start estimate.
        progress: the latest report; None before the first (the process is starting).
        elapsed_seconds: since the run was started (used only before the first report).
        since_report: seconds since `progress` was reported: taken off the phase under way
            (never below 0), so the time left counts down between reports, and a phase that
            runs long stops at the later phases' time rather than at 0.
    Returns:
        Seconds, at least 0.
    """
    current, later = _phase_left(estimate, progress, elapsed_seconds)
    if progress is None:  # elapsed time is already counted
        since_report = 0.0
    return max(0.0, current - max(0.0, since_report)) + later


def _phase_left(estimate: TimeEstimate, progress: Progress | None,
                elapsed_seconds: float) -> tuple[float, float]:
    """(seconds left of the phase under way, seconds of the later phases)."""
    if progress is None:
        return max(0.0, estimate.startup - elapsed_seconds), estimate.total - estimate.startup
    if progress.stage == "preparing":
        prior = (estimate.preparing / progress.batches if estimate.preparing > 0
                 and progress.batches else _SECONDS_PER_REDRAWN_DIGIT)  # thought cached
        pace = _blend(progress.pace, prior, progress.batch, min(progress.batches / 10, 2000))
        left = max(0, progress.batches - progress.batch) * pace
        return left, estimate.training + estimate.scoring_total
    if progress.stage == "scoring":
        steps = list(SCORING_STEPS)
        index = steps.index(progress.step) if progress.step in steps else 0
        total = max(progress.batches, 1)
        prior = estimate.scoring.get(steps[index], 0.0) / total
        pace = _blend(progress.pace, prior, progress.batch, total / 10)
        left = max(0, total - progress.batch) * pace
        return left, sum(estimate.scoring.get(step, 0.0) for step in steps[index + 1:])
    if progress.stage != "training":  # a stage from a newer version: the estimate as it is
        return max(0.0, estimate.total - progress.elapsed_seconds), 0.0
    batches = max(progress.batches, 1)
    planned = progress.epochs * batches
    done = (progress.epoch - 1) * batches + progress.batch
    prior = estimate.per_epoch / batches
    # In the first epoch the pace rests on part of an epoch: trusted fully after a fifth.
    pace = _blend(progress.pace, prior, done, min(planned, batches / 5))
    return max(0, planned - done) * pace + estimate.finishing, estimate.scoring_total


def describe_seconds(seconds: float | None, *, about: bool = False) -> str:
    """'45 s', '3 min 05 s'; '…' for None. With `about`, rounded as a guide should be: to 5 s
    under a minute, 10 s under ten minutes, whole minutes above ('about 12 min')."""
    if seconds is None or not math.isfinite(seconds):
        return "…"
    seconds = max(0, round(seconds))
    if about:
        step = 5 if seconds < 60 else 10 if seconds < 600 else 60
        seconds = max(step, round(seconds / step) * step)
        if seconds >= 600 or seconds % 60 == 0:
            return f"{seconds // 60} min"
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60:02d} s"
