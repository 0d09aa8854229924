"""mnist_core/training/estimate.py: the pre-start estimate and the time left, on small made-up
runs."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

from mnist_core.config import BEST, QUICK, TrainConfig
from mnist_core.runs.store import ModelStore
from mnist_core.training import estimate as estimate_module
from mnist_core.training.estimate import (
    Calibration,
    TimeEstimate,
    batch_pace,
    calibrate,
    describe_seconds,
    estimate_run,
    machine_calibration,
    matmul_flops_per_second,
    seconds_left,
)
from mnist_core.training.progress import Progress

SCORING = {"test set": 1.0, "re-drawn digits": 10.0, "held-out drawings": 0.5, "saving": 0.5}


COLD_PEN_DRAWINGS = 3 * 12_037  # both files' training pool, drawn 3 times (pen_cache.COPIES)


def made_up_run(config: TrainConfig, epoch_seconds: float, epochs: int = 4, *,
                first_epoch: float | None = None, startup: float | None = 9.0,
                scoring: dict | None = None, shipped: bool = False):
    """A run as the store reads it: history with cumulative seconds (training began 2 s
    before the first epoch), metrics with the phases this machine measured."""
    first = first_epoch if first_epoch is not None else epoch_seconds + 3.0
    history = [{"epoch": e, "seconds": 2.0 + first + (e - 1) * epoch_seconds,
                "complete": True} for e in range(1, epochs + 1)]
    fit = round((config.max_train_samples or 60000) * (1 - config.validation_split))
    metrics = {"train_samples": fit + config.pen_images(fit),  # real writers' digits too
               "validation_samples": (config.max_train_samples or 60000) - fit,
               "first_epoch_seconds": first}
    if startup is not None:
        metrics["startup_seconds"] = startup
    if scoring is not None:
        metrics["scoring_steps"] = scoring
    return SimpleNamespace(config=config, history=history, metrics=metrics, is_shipped=shipped)


@pytest.mark.parametrize(("seconds", "about", "text"), [
    (None, False, "…"), (0.4, False, "0 s"), (52.4, False, "52 s"), (59.6, False, "1 min 00 s"),
    (657.1, False, "10 min 57 s"), (43, True, "45 s"), (1, True, "5 s"), (128, True, "2 min 10 s"),
    (121, True, "2 min"),
    (657.1, True, "11 min"), (3190, True, "53 min"),
])
def test_durations_read_as_people_say_them(seconds, about, text):
    assert describe_seconds(seconds, about=about) == text


def test_a_run_trained_here_sizes_the_next_estimate():
    calibration = calibrate([made_up_run(QUICK, 8.0, scoring=SCORING)])
    estimate = estimate_run(QUICK, calibration)
    assert estimate.per_epoch == pytest.approx(8.0)
    assert estimate.first_epoch == pytest.approx(8.0 + 3.0)  # tracing, as measured
    assert estimate.startup == 9.0 and estimate.scoring["re-drawn digits"] == 10.0
    # A step the run did not record (real writers, newer than it) takes its default.
    assert estimate.preparing == pytest.approx(  # Quick's real writers' drawings, made first
        COLD_PEN_DRAWINGS * estimate_module._SECONDS_PER_PEN_DIGIT)
    assert estimate.total == pytest.approx(9.0 + estimate.preparing + 11.0 + 11 * 8.0
                                           + estimate.finishing + 12.0
                                           + estimate_module._SCORING_SECONDS["real writers"])
    assert estimate.basis == "1 like run trained here"


def test_the_shipped_model_measured_elsewhere_is_not_used():
    shipped = made_up_run(QUICK, 1.0, shipped=True)
    assert calibrate([shipped]).runs == 0
    assert calibrate([shipped, made_up_run(QUICK, 8.0)]).runs == 1


def test_an_older_run_without_phase_times_still_gives_its_pace():
    old = made_up_run(QUICK, 8.0, startup=None)
    del old.metrics["first_epoch_seconds"]
    estimate = estimate_run(QUICK, calibrate([old]))
    assert estimate.per_epoch == pytest.approx(8.0)
    assert estimate.startup == estimate_module._STARTUP_SECONDS  # the measured default
    assert estimate.scoring == estimate_module._SCORING_SECONDS


def test_a_stopped_epoch_is_not_taken_for_a_whole_one():
    run = made_up_run(QUICK, 8.0, epochs=3)
    run.history.append({"epoch": 4, "seconds": run.history[-1]["seconds"] + 0.5,
                        "complete": False})
    assert estimate_run(QUICK, calibrate([run])).per_epoch == pytest.approx(8.0)


def test_a_config_is_sized_from_the_runs_most_like_it():
    """A tiny run's epochs are mostly fixed costs: they must not size a big model's."""
    tiny = TrainConfig(hidden_units=(16,), epochs=2, max_train_samples=2000)
    runs = [made_up_run(tiny, 0.5), made_up_run(QUICK, 8.0)]
    quick = estimate_run(QUICK, calibrate(runs))
    assert quick.per_epoch == pytest.approx(8.0)
    assert estimate_run(tiny, calibrate(runs)).per_epoch == pytest.approx(0.5)
    # Twice the epochs of the same model: the same pace, twice the epochs.
    longer = estimate_run(dataclasses.replace(QUICK, epochs=24), calibrate(runs))
    assert longer.training - quick.training == pytest.approx(12 * quick.per_epoch)


def test_distorted_runs_size_a_distorted_config():
    runs = [made_up_run(QUICK, 8.0), made_up_run(dataclasses.replace(BEST, epochs=3), 14.0)]
    best = estimate_run(BEST, calibrate(runs))
    # BEST has twice Quick's batches: its epochs rest on the distorted run, scaled by little.
    assert best.per_epoch == pytest.approx(14.0, rel=0.05)


def test_without_runs_it_falls_back_to_the_machines_matmul_speed():
    estimate = estimate_run(QUICK, Calibration())
    assert estimate.basis.startswith("this machine's matmul speed")
    bigger = estimate_run(dataclasses.replace(QUICK, hidden_units=(2048, 1024)), Calibration())
    assert bigger.per_epoch > 2 * estimate.per_epoch
    assert estimate.total == pytest.approx(
        estimate.startup + estimate.preparing + estimate.first_epoch + 11 * estimate.per_epoch
        + estimate.finishing + estimate.scoring_total)


def test_rendering_and_drawn_scoring_count_only_when_they_happen():
    calibration = calibrate([made_up_run(QUICK, 8.0, scoring=SCORING)])
    plain = dataclasses.replace(BEST, pen_fraction=0.0)
    assert estimate_run(plain, calibration).preparing == 0.0
    rendering = estimate_run(plain, calibration, drawn_cached=False).preparing
    assert rendering == pytest.approx(120_000 * estimate_module._SECONDS_PER_REDRAWN_DIGIT)
    assert estimate_run(QUICK, calibration, drawn_scored=False).scoring["re-drawn digits"] == 0
    # Real writers' digits already drawn cost nothing; re-drawing MNIST still counts.
    assert estimate_run(BEST, calibration).preparing > 0
    assert estimate_run(BEST, calibration, pen_cached=True).preparing == 0.0
    assert estimate_run(BEST, calibration, drawn_cached=False, pen_cached=True).preparing == \
        pytest.approx(rendering)


def test_a_matmul_trial_on_a_busy_machine_does_not_lower_the_speed(monkeypatch):
    monkeypatch.setitem(estimate_module._matmul, "best", 1e15)  # faster than any trial
    monkeypatch.setitem(estimate_module._matmul, "measured_at", -1e9)  # due for a new trial
    assert matmul_flops_per_second() == 1e15


def test_the_store_calibration_follows_new_runs(tmp_path):
    store = ModelStore(tmp_path / "models", tmp_path / "no-shipped")
    assert machine_calibration(store).runs == 0  # no runs folder yet
    run = made_up_run(QUICK, 8.0)
    # Saved without a model, as a failed run is: its whole epochs still show the pace.
    store.save_run(QUICK, None, run.history, {**run.metrics, "status": "failed"})
    assert machine_calibration(store).runs == 1
    assert estimate_run(QUICK, store=store).per_epoch == pytest.approx(8.0)


def test_an_estimate_survives_json():
    estimate = estimate_run(QUICK, calibrate([made_up_run(QUICK, 8.0, scoring=SCORING)]))
    assert TimeEstimate.from_dict(estimate.to_dict()) == estimate


# The run's own pace ----------------------------------------------------------------------

def timeline(batches: int, epochs: int, per_batch: float, tracing: float,
             validation: float = 0.0):
    """(now, epoch, batch, epoch_end) after every batch of a run whose first batch also
    traces the graph, and each epoch ends with a validation pass."""
    now, first_end, ends, events = 0.0, None, [], []
    for epoch in range(1, epochs + 1):
        for batch in range(1, batches + 1):
            now += per_batch + (tracing if first_end is None else 0.0)
            first_end = first_end if first_end is not None else now
            events.append((now, epoch, batch, False, first_end, list(ends)))
        now += validation
        ends.append(now)
        events.append((now, epoch, batches, True, first_end, list(ends)))
    return events


def test_the_pace_leaves_out_the_first_batchs_graph_tracing():
    for now, epoch, batch, _, first, ends in timeline(50, 3, 0.1, tracing=5.0)[1:]:
        assert batch_pace(now, first, ends, epoch, batch, 50) == pytest.approx(0.1)


def test_the_pace_counts_validation_once_an_epoch_has_been_seen():
    events = timeline(50, 4, 0.1, tracing=5.0, validation=1.0)
    now, epoch, batch, _, first, ends = events[-1]
    assert batch_pace(now, first, ends, epoch, batch, 50) == pytest.approx((5.0 + 1.0) / 50)


def test_the_pace_follows_a_machine_that_gets_busier_within_ten_epochs():
    events = timeline(50, 20, 0.1, tracing=5.0)
    busy_from = events[8 * 51 - 1][0]  # the end of epoch 8; then every batch takes 3x longer
    slow = [(now + max(0.0, now - busy_from) * 2, *rest) for now, *rest in events]
    ends = [now for now, _, _, end, _, _ in slow if end]

    def pace_at_end_of(epoch):
        return batch_pace(ends[epoch - 1], slow[0][4], ends[:epoch], epoch, 50, 50)

    assert pace_at_end_of(8) == pytest.approx(0.1)
    assert 0.1 < pace_at_end_of(10) < 0.2  # a busy spell is averaged with what came before
    assert pace_at_end_of(20) == pytest.approx(0.3)  # a lasting one is followed


def test_no_pace_before_two_batches():
    assert batch_pace(1.0, None, [], 1, 0, 50) is None
    assert batch_pace(1.0, 1.0, [], 1, 1, 50) is None


# Time left -------------------------------------------------------------------------------

ESTIMATE = TimeEstimate(startup=10.0, preparing=0.0, first_epoch=25.0, per_epoch=20.0,
                        epochs=4, scoring=SCORING)  # 10 batches an epoch: 2 s each


def test_time_left_before_the_first_report_counts_down_the_estimate():
    assert seconds_left(ESTIMATE, None, 0.0) == pytest.approx(ESTIMATE.total)
    assert seconds_left(ESTIMATE, None, 4.0) == pytest.approx(ESTIMATE.total - 4.0)
    # A slow start-up never makes the rest shrink.
    assert seconds_left(ESTIMATE, None, 60.0) == pytest.approx(ESTIMATE.total - 10.0)


def test_early_in_the_first_epoch_the_estimate_counts_more_than_a_few_batches():
    early = Progress(1, 4, 1, 10, 12.0, {}, pace=None)
    assert seconds_left(ESTIMATE, early) == pytest.approx(39 * 2.0 + 12.0)
    # Two batches at a pace twice as fast: half trusted (the first epoch trusts a fifth).
    half = Progress(1, 4, 1, 10, 12.0, {}, pace=1.0)
    assert seconds_left(ESTIMATE, half) == pytest.approx(39 * 1.5 + 12.0)


def test_after_the_first_epoch_time_left_is_the_runs_own_pace_plus_scoring():
    progress = Progress(1, 4, 10, 10, 30.0, {}, epoch_end=True, pace=3.0)
    assert seconds_left(ESTIMATE, progress) == pytest.approx(30 * 3.0 + 12.0)


def test_the_last_epochs_end_still_leaves_the_scoring():
    progress = Progress(4, 4, 10, 10, 90.0, {}, epoch_end=True, pace=2.0)
    assert seconds_left(ESTIMATE, progress) == pytest.approx(12.0)


def test_keras_winding_down_after_the_last_epoch_is_counted():
    estimate = dataclasses.replace(ESTIMATE, finishing=3.0)
    assert estimate.total == pytest.approx(ESTIMATE.total + 3.0)
    progress = Progress(4, 4, 10, 10, 90.0, {}, epoch_end=True, pace=2.0)
    assert seconds_left(estimate, progress) == pytest.approx(3.0 + 12.0)


def test_time_left_counts_down_between_reports_but_never_past_the_later_phases():
    progress = Progress(4, 4, 800, 2000, 95.0, {}, stage="scoring", step="re-drawn digits",
                        pace=0.01)  # 12 s left of this step, 1 s of later steps
    assert seconds_left(ESTIMATE, progress, since_report=5.0) == pytest.approx(7.0 + 1.0)
    assert seconds_left(ESTIMATE, progress, since_report=100.0) == pytest.approx(1.0)


@pytest.mark.parametrize(("step", "done", "total", "pace", "left"), [
    ("test set", 0, 1, None, 12.0),
    ("re-drawn digits", 0, 2000, None, 11.0),
    ("re-drawn digits", 800, 2000, 0.01, 1200 * 0.01 + 1.0),  # slower than thought: its pace
    ("held-out drawings", 0, 1, None, 1.0),
    ("saving", 0, 1, None, 0.5),
])
def test_scoring_counts_down_step_by_step(step, done, total, pace, left):
    progress = Progress(4, 4, done, total, 95.0, {}, stage="scoring", step=step, pace=pace)
    assert seconds_left(ESTIMATE, progress) == pytest.approx(left)


def test_time_left_is_within_a_few_percent_of_the_truth_when_the_estimate_was_twice_off():
    """A made-up run, 0.1 s a batch where the estimate said 0.2, 5 s of tracing: from the
    first epoch's end on, time left follows the clock."""
    batches, epochs, scoring = 100, 6, sum(SCORING.values())
    guess = TimeEstimate(10.0, 0.0, 25.0, 20.0, epochs, SCORING)
    events = timeline(batches, epochs, 0.1, tracing=5.0, validation=0.5)
    end = events[-1][0] + scoring
    errors = []
    for now, epoch, batch, epoch_end, first, ends in events:
        pace = batch_pace(now, first, ends, epoch, batch, batches)
        left = seconds_left(guess, Progress(epoch, epochs, batch, batches, now, {},
                                            epoch_end=epoch_end, pace=pace))
        if epoch_end:
            errors.append(abs(left - (end - now)) / (end - now))
    assert max(errors) < 0.05, errors


def test_real_writers_digits_are_drawn_before_training_and_fitted_every_epoch():
    calibration = calibrate([made_up_run(QUICK, 8.0, scoring=SCORING)])
    plain = estimate_run(dataclasses.replace(QUICK, pen_fraction=0.0), calibration)
    pen = estimate_run(dataclasses.replace(QUICK, pen_fraction=0.2), calibration)
    # 54,000 MNIST images fitted, plus 13,500 pen digits: the pool's 3 drawings of each of
    # its 12,037 digits made first, once per machine; none once they are cached
    assert pen.preparing == pytest.approx(COLD_PEN_DRAWINGS
                                          * estimate_module._SECONDS_PER_PEN_DIGIT)
    assert estimate_run(dataclasses.replace(QUICK, pen_fraction=0.2), calibration,
                        pen_cached=True).preparing == 0.0
    # One file's writers: a third of the drawings as many
    pendigits_only = dataclasses.replace(QUICK, pen_sources=("pendigits",))
    assert estimate_run(pendigits_only, calibration).preparing == pytest.approx(
        3 * 5_495 * estimate_module._SECONDS_PER_PEN_DIGIT)
    assert pen.per_epoch == pytest.approx(plain.per_epoch * 67_500 / 54_000, rel=0.1)
