"""Background training jobs: real child processes training tiny models on synthetic digits.

Each job imports TensorFlow in its own process (a few seconds), so tests start as few as they
can and wait with generous timeouts: the machine may be busy with other training.
"""

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from mnist_core.errors import RunNotFoundError, StoreError, TrainingBusyError
from mnist_core.runs.store import ModelStore
from mnist_core.training import jobs as jobs_module
from mnist_core.training.engine import Progress
from mnist_core.training.estimate import TimeEstimate
from mnist_core.training.jobs import JobStatus, TrainingJobs
from tests.conftest import TINY

LONG = dataclasses.replace(TINY, epochs=200)  # runs long enough to be stopped or killed
WAIT = 60  # seconds; generous for a 2-core machine that may be training something else


@pytest.fixture
def jobs(tmp_path, tiny_shipped_dir):
    """A job manager on an empty store; kills any job process the test left running."""
    manager = TrainingJobs(ModelStore(tmp_path / "models", tiny_shipped_dir))
    yield manager
    for child in list(jobs_module._CHILDREN.values()):
        if child.poll() is None:
            child.kill()
            child.wait()


@pytest.fixture
def data_path(tmp_path, synthetic_split) -> str:
    """The synthetic split saved as the .npz a job can train on instead of MNIST."""
    (x_train, y_train), (x_test, y_test) = synthetic_split
    path = tmp_path / "digits.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return str(path)


def wait_until(jobs, job_id, condition, timeout=WAIT) -> JobStatus:
    """Poll `get` until `condition(status)` holds or the job ends; the last status."""
    deadline = time.monotonic() + timeout
    status = jobs.get(job_id)
    while not condition(status) and status.active and time.monotonic() < deadline:
        time.sleep(0.05)
        status = jobs.get(job_id)
    return status


def wait_for_exit(jobs, job_id) -> None:
    """Wait until the job's process has exited (it releases the lock just after its last
    status write)."""
    pid = json.loads((jobs.dir / job_id / "job.json").read_text())["pid"]
    jobs_module._CHILDREN[pid].wait(WAIT)


def training(status: JobStatus) -> bool:
    return status.state == "running" and status.progress is not None


def test_a_job_trains_in_the_background_to_completed(jobs, data_path):
    assert jobs.current() is None
    started = jobs.start(dataclasses.replace(TINY, epochs=20), started_by="session-a",
                         data_path=data_path)
    assert started.state == "starting" and started.active and started.started_by == "session-a"
    # Before the first report the time left is the whole pre-start estimate, sized for the
    # job's 600 images and without the re-drawn digits it is not scored on.
    assert started.fraction == 0.0
    assert started.estimate.scoring["re-drawn digits"] == 0.0
    assert 0 < started.seconds_left <= started.estimate.total < 60

    seen = [wait_until(jobs, started.job_id, training)]
    assert training(seen[0]), seen[0]  # progress is visible while it runs
    assert 0 < seen[0].fraction < 1 and jobs.current().job_id == started.job_id
    status = jobs.wait(started.job_id, WAIT)

    assert status.state == "completed", status.error
    assert status.fraction == 1.0 and not status.active and status.seconds_left is None
    assert [entry["epoch"] for entry in status.history] == list(range(1, 21))
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "seconds", "complete"} \
        <= set(status.history[-1])
    run = jobs.store.get_run(status.run_id)
    assert run.status == "completed" and run.test_accuracy is not None
    # Each phase's time is recorded for the next estimate: start-up counts the new process
    # importing TensorFlow, so it is not a few milliseconds.
    assert 0.5 < run.metrics["startup_seconds"] < status.elapsed_seconds
    assert set(run.metrics["scoring_steps"]) == {"test set", "held-out drawings"}
    assert run.history == status.history and run.config == started.config
    assert jobs.current() == jobs.get(started.job_id)
    wait_for_exit(jobs, started.job_id)
    assert not jobs.lock_path.exists()


def test_only_one_job_runs_at_a_time(jobs, data_path):
    barrier = threading.Barrier(2)
    outcomes = []

    def start():
        barrier.wait()
        try:
            outcomes.append(jobs.start(LONG, data_path=data_path))
        except TrainingBusyError as error:
            outcomes.append(error)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(outcome).__name__ for outcome in outcomes) == \
        ["JobStatus", "TrainingBusyError"]
    # Another manager (as another server process would have) on the same folder is refused too.
    with pytest.raises(TrainingBusyError, match=r"already in progress \(started just now, "
                                                r"starting\)\. Wait for it to finish or stop"):
        TrainingJobs(jobs.store).start(LONG, data_path=data_path)
    assert len(list(jobs.dir.glob("*/job.json"))) == 1


def test_stop_ends_a_job_as_stopped_and_saves_its_run(jobs, data_path):
    job_id = jobs.start(LONG, data_path=data_path).job_id
    assert training(wait_until(jobs, job_id, training))
    jobs.stop(job_id)
    jobs.stop(job_id)  # idempotent
    assert jobs.get(job_id).state == "stopping"
    asked = time.monotonic()
    status = jobs.wait(job_id, WAIT)

    assert status.state == "stopped", status.error
    assert time.monotonic() - asked < 15
    run = jobs.store.get_run(status.run_id)
    assert run.status == "stopped" and 1 <= len(run.history) < LONG.epochs
    assert run.history == status.history
    jobs.stop(job_id)  # a finished job: nothing to do
    assert jobs.get(job_id).state == "stopped"


def test_a_killed_job_is_interrupted_and_frees_the_lock(jobs, data_path):
    job_id = jobs.start(LONG, data_path=data_path).job_id
    assert training(wait_until(jobs, job_id, training))
    pid = json.loads((jobs.dir / job_id / "job.json").read_text())["pid"]
    os.kill(pid, signal.SIGKILL)

    status = jobs.wait(job_id, 10)
    assert status.state == "interrupted" and "not saved" in status.error
    assert json.loads((jobs.dir / job_id / "status.json").read_text())["state"] == "interrupted"
    assert not jobs.lock_path.exists()
    assert jobs.current().job_id == job_id
    assert jobs.start(TINY, data_path=data_path).active


def test_a_stale_lock_of_a_dead_process_is_broken_by_start(jobs, data_path):
    # A job a server left behind: it claims to be running, its process is long gone.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    old_id = "2000-01-01_000000-dead"
    (jobs.dir / old_id).mkdir(parents=True)
    (jobs.dir / old_id / "job.json").write_text(json.dumps({
        "job_id": old_id, "config": TINY.to_dict(), "started_at": time.time() - 60,
        "started_by": None, "pid": int(dead.stdout), "data_path": None}))
    (jobs.dir / old_id / "status.json").write_text(json.dumps({
        "state": "running", "heartbeat": time.time() - 30}))
    jobs.lock_path.write_text(old_id)

    new = jobs.start(TINY, data_path=data_path)
    assert new.active and jobs.lock_path.read_text() == new.job_id
    old = jobs.get(old_id)
    assert old.state == "interrupted" and old.error and not old.active
    assert jobs.current().job_id == new.job_id


@pytest.mark.parametrize("case", ["wrong shapes", "not an npz"])
def test_a_crash_in_training_fails_the_job_readably(jobs, tmp_path, synthetic_split,
                                                    data_path, case):
    bad = tmp_path / "bad.npz"
    if case == "wrong shapes":
        (x_train, y_train), (x_test, y_test) = synthetic_split
        np.savez(bad, x_train=x_train[:, :10, :10], y_train=y_train, x_test=x_test,
                 y_test=y_test)
    else:
        bad.write_bytes(b"not a zip file")
    job_id = jobs.start(TINY, data_path=str(bad)).job_id
    status = jobs.wait(job_id, WAIT)

    assert status.state == "failed" and not status.active
    assert status.error and "Traceback" not in status.error and len(status.error) <= 500
    if case == "wrong shapes":  # train_and_save saved the failed run
        assert jobs.store.get_run(status.run_id).status == "failed"
    else:  # it failed before training: no run
        assert status.run_id is None and "bad.npz cannot be read" in status.error
    wait_for_exit(jobs, job_id)
    assert not jobs.lock_path.exists()
    assert jobs.start(TINY, data_path=data_path).active  # the app keeps working


def test_an_unwritable_models_folder_gives_store_error(tmp_path, tiny_shipped_dir):
    root = tmp_path / "models"
    root.write_text("a file where the folder should be")
    jobs = TrainingJobs(ModelStore(root, tiny_shipped_dir))
    with pytest.raises(StoreError, match="Could not start training in .*writable"):
        jobs.start(TINY)
    assert root.read_text() == "a file where the folder should be"
    assert jobs.current() is None


@pytest.mark.parametrize("job_id", ["nope", "", "../models", ".guard"])
def test_unknown_jobs_are_not_found(jobs, job_id):
    with pytest.raises(RunNotFoundError):
        jobs.get(job_id)
    with pytest.raises(RunNotFoundError):
        jobs.stop(job_id)


# 4 epochs of 10 batches, 2 s each; 10 s to start, 12 s to score (10 of them re-drawing).
ESTIMATE = TimeEstimate(startup=10.0, preparing=0.0, first_epoch=25.0, per_epoch=20.0,
                        epochs=4, scoring={"test set": 1.0, "re-drawn digits": 10.0,
                                           "held-out drawings": 0.5, "saving": 0.5})


@pytest.mark.parametrize(("state", "progress", "fraction", "left"), [
    ("starting", None, 0.0, 107.0 - 1.0),  # all of it (107 s) but 1 s of the start-up
    # The run's own pace (1 s a batch, half the estimate's): 25 batches left, then scoring.
    ("running", Progress(2, 4, 5, 10, 30.0, {}, pace=1.0), 0.375, 25.0 + 12.0),
    ("running", Progress(4, 4, 10, 10, 60.0, {}, epoch_end=True, pace=1.0), 1.0, 12.0),
    ("running", Progress(4, 4, 0, 1, 61.0, {}, stage="scoring", step="test set"), 1.0, 12.0),
    ("running", Progress(4, 4, 800, 2000, 65.0, {}, stage="scoring", step="re-drawn digits",
                         pace=0.004), 1.0, 1200 * 0.004 + 1.0),
    ("preparing", Progress(0, 0, 5, 10, 3.0, {}, stage="preparing", pace=0.5), 0.0,
     5 * 0.5 + 85.0 + 12.0),
    ("stopping", Progress(2, 4, 5, 10, 30.0, {}), 0.375, 12.0),  # it is scored, then saved
    ("completed", Progress(4, 4, 9, 10, 60.0, {}), 1.0, None),
    ("stopped", Progress(2, 4, 5, 10, 30.0, {}), 0.375, None),
])
def test_job_status_fraction_and_time_left(state, progress, fraction, left):
    status = JobStatus("j", state, TINY, 0.0, 1.0, progress, [], None, None, None, ESTIMATE)
    assert status.fraction == pytest.approx(fraction)
    assert status.seconds_left == (pytest.approx(left) if left is not None else None)
    assert status.active == (state in ("starting", "preparing", "running", "stopping"))


def test_a_job_from_an_older_version_shows_no_time_left_rather_than_a_wrong_one():
    status = JobStatus("j", "running", TINY, 0.0, 1.0, Progress(2, 4, 5, 10, 30.0, {}), [],
                       None, None, None)
    assert status.fraction == pytest.approx(0.375) and status.seconds_left is None


def test_a_second_start_while_scoring_says_so():
    status = JobStatus("j", "running", TINY, time.time(), 1.0,
                       Progress(2, 2, 800, 2000, 30.0, {}, stage="scoring",
                                step="re-drawn digits"), [], None, None, None, ESTIMATE)
    assert "scoring the trained model" in jobs_module._busy_message(status)


# Fine-tunes and the training process's priority -----------------------------------------------

def fine_tune(jobs, **changes):
    """A fine-tune of the tiny shipped model on the saved drawings (80 bright-column 9s)."""
    from mnist_core.classroom.drawings import DrawingStore
    from mnist_core.training.finetune import fine_tune_config
    from tests.test_workflow import save_new_kind_of_nine

    save_new_kind_of_nine(DrawingStore(), 80)  # the tests' own drawings folder, the child's too
    return fine_tune_config(jobs.store.get_run("shipped"), pen_digits=False,
                            **{"learning_rate": 0.01, "batch_size": 32, "max_train_samples": None,
                               **changes})


def niceness_of_threads(pid: int) -> list[int]:
    return [os.getpriority(os.PRIO_PROCESS, int(task))
            for task in os.listdir(f"/proc/{pid}/task")]


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="reads Linux's /proc")
def test_the_training_process_gives_way_every_thread_of_it(jobs, data_path):
    job_id = jobs.start(fine_tune(jobs, epochs=200), data_path=data_path).job_id
    status = wait_until(jobs, job_id, training)
    assert training(status)
    pid = json.loads((jobs.dir / job_id / "job.json").read_text())["pid"]
    lowered = min(19, os.nice(0) + jobs_module.TRAINING_NICE)
    threads = niceness_of_threads(pid)
    assert len(threads) > 2 and set(threads) == {lowered}  # TensorFlow's and BLAS's too
    jobs.stop(job_id)
    status = jobs.wait(job_id, WAIT)
    # Half a fine-tune is not kept: nothing saved, the models as they were.
    assert status.state == "stopped" and status.run_id is None, status.error
    assert [run.run_id for run in jobs.store.list_runs()[0]] == ["shipped"]


def test_a_fine_tune_job_saves_a_run_that_says_what_it_was_tuned_from(jobs, data_path):
    status = jobs.wait(jobs.start(fine_tune(jobs, epochs=2), data_path=data_path).job_id, WAIT)
    assert status.state == "completed", status.error
    run = jobs.store.get_run(status.run_id)
    assert run.config.tuned_from == "shipped"
    assert run.metrics["drawings_trained"] > 0
    assert {"tuned_from_test_accuracy", "tuned_from_drawings_accuracy"} <= set(run.metrics)
    assert jobs.store.active_run_id() == "shipped"  # used only when the teacher says so


def test_a_fine_tune_is_scored_quickly_and_its_estimate_counts_the_drawings(jobs):
    config = fine_tune(jobs, epochs=3)
    estimate = jobs_module.estimate_job(config, jobs.store, None)
    assert estimate.scoring["re-drawn digits"] == estimate.scoring["real writers"] == 0
    without = jobs_module.estimate_job(dataclasses.replace(config, include_drawings=False),
                                    jobs.store, None)
    assert estimate.per_epoch > without.per_epoch  # the drawings join MNIST's 60,000
    # On MNIST and real writers alone (how the command line can fine-tune), it gets every
    # score, as the command line scores it, and its estimate says so.
    assert without.scoring["re-drawn digits"] > 0


def test_lower_priority_lowers_the_threads_already_running():
    code = ("import os, threading, numpy\n"
            "from mnist_core.training.jobs import lower_priority\n"
            "threading.Thread(target=threading.Event().wait, args=(5,), daemon=True).start()\n"
            "start = os.nice(0)\n"
            "now = lower_priority(3)\n"
            "tasks = os.listdir('/proc/self/task')\n"
            "print(now - start, len(tasks),"
            " sorted({os.getpriority(os.PRIO_PROCESS, int(t)) - start for t in tasks}))\n")
    if not os.path.isdir("/proc/self/task"):
        pytest.skip("reads Linux's /proc")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=jobs_module.PROJECT_DIR).stdout.split(maxsplit=2)
    assert output[0] == "3" and int(output[1]) >= 2 and output[2].strip() == "[3]"


def test_a_run_whose_real_writers_drawings_are_cached_is_estimated_without_drawing_them(
        jobs, tmp_path, monkeypatch):
    from mnist_core.config import QUICK
    from mnist_core.training.finetune import fine_tune_config
    from mnist_core.training.pen_cache import cache_path, replay_path
    from mnist_core.training.training_set import replayed_pen_digits

    monkeypatch.setenv("MNIST_CACHE_DIR", str(tmp_path / "cache"))
    config = fine_tune_config(jobs.store.get_run("shipped"), pen_digits=True)
    assert jobs_module.estimate_job(QUICK, jobs.store).preparing > 0  # drawn the first time
    assert jobs_module.estimate_job(config, jobs.store).preparing > 0
    # A fine-tune's own few, kept by an earlier fine-tune, are read in a moment.
    replay = replay_path(config.pen_sources, config.seed, replayed_pen_digits(config))
    replay.parent.mkdir(parents=True)
    replay.touch()
    assert jobs_module.estimate_job(config, jobs.store).preparing == 0
    replay.unlink()
    for sources in (QUICK.pen_sources, config.pen_sources):
        cache_path(sources).parent.mkdir(parents=True, exist_ok=True)
        cache_path(sources).touch()
    assert jobs_module.estimate_job(QUICK, jobs.store).preparing == 0
    assert jobs_module.estimate_job(config, jobs.store).preparing == 0
    # A fine-tune that also re-draws MNIST digits (none cached) still waits for that.
    redrawing = dataclasses.replace(config, drawn_fraction=0.3)
    assert jobs_module.estimate_job(redrawing, jobs.store).preparing > 60
