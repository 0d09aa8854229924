"""Background training jobs: a run that outlives the page, watched from every browser session.

One job runs at a time per models folder. It trains in its own process
(`python -m mnist_core.training.jobs run <job folder>`, in a new session), so page switches,
reloads, closed tabs and Streamlit reruns leave it alone; every session reads its progress from
files:

    <models root>/.training/
      lock                       the running job's id; created with O_EXCL: one job at a time
      .guard                     flock'ed while the lock is taken, broken or released
      2026-11-21_093012-ab12/    one job (id: UTC start time and a random suffix)
        job.json                 job_id, config, started_at, started_by, pid, data_path,
                                 estimate (the pre-start `TimeEstimate`) (parent)
        status.json              state, progress (and progress_at, when it was reported),
                                 history, run_id, error, heartbeat, pid (child)
        stop                     exists once a stop was asked for; the child looks every batch
        log.txt                  the child's stdout and stderr (TensorFlow's chatter, tracebacks)

Files are replaced atomically (temp file + os.replace), so nobody reads half of one. The child
refreshes the heartbeat at least every 2 s. A job that says it is active but whose process is
gone, or whose heartbeat is stale, is reported and recorded as "interrupted", and its lock is
released, so a server restart never leaves a job "running" forever. The trained model itself is
saved in the store by `train_and_save`, like any other run.

A fine-tune ("Teach it now", `mnist_core.training.finetune`) is a job like any other; its config
says `tuned_from`. It is scored on the test set and the held-out drawings only (a second or two;
the re-drawn digits and real writers would add about 25 s), and saved only if it completes.

The child lowers its own CPU priority (`TRAINING_NICE`) before it does anything else, so the
students' answers on the same machine come first; on an idle machine it costs nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import traceback
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mnist_core.config import TrainConfig
from mnist_core.errors import (
    ConfigError,
    DataCorruptError,
    MnistCoreError,
    RunNotFoundError,
    StoreError,
    TrainingBusyError,
)
from mnist_core.runs.store import MODELS_DIR_ENV, ModelStore
from mnist_core.training.estimate import TimeEstimate, estimate_run, seconds_left
from mnist_core.training.progress import Progress

__all__ = ["JOBS_DIR_NAME", "TRAINING_NICE", "JobStatus", "TrainingJobs", "estimate_job",
           "lower_priority"]

JOBS_DIR_NAME = ".training"
ACTIVE_STATES = ("starting", "preparing", "running", "stopping")
HEARTBEAT_SECONDS = 2.0  # the child rewrites status.json at least this often
STALE_SECONDS = 15.0  # an active job silent for longer is presumed dead
# Before its first report the child is importing TensorFlow: seconds, more on a busy machine.
STARTING_STALE_SECONDS = 120.0
PROGRESS_WRITE_SECONDS = 0.2  # batch progress is written at most 5 times a second
KEEP_JOBS = 20  # job folders kept; older ones are pruned when a job starts
INTERRUPTED = ("Training stopped unexpectedly: the server restarted or the training process "
               "was killed. This run was not saved.")
PROJECT_DIR = Path(__file__).resolve().parents[2]
# The training process's niceness (0 normal, 19 lowest). Linux's scheduler gives a nice-10
# thread a weight of 110 against 1,024 at nice 0: when a student's request and the training
# want the same core, the request gets about 90% of it (9.3 to 1), while the training still
# gets the whole machine when nobody asks for it. 19 (weight 15) would starve it behind any
# busy process; 5 (weight 335) would leave the students only 75%. `nice`'s default is 10 too.
TRAINING_NICE = 10
_CHILDREN: dict[int, subprocess.Popen] = {}  # kept so they are reaped, never left as zombies
_held = threading.local()  # guard folders this thread holds, so the guard is re-entrant


@dataclass(frozen=True)
class JobStatus:
    """A training job as last reported.

    Attributes:
        job_id: e.g. "2026-11-21_093012-ab12".
        state: "starting", "preparing", "running", "stopping" (active), then "completed",
            "stopped", "failed" or "interrupted".
        config: the settings it trains with.
        started_at: time.time() when it was started.
        elapsed_seconds: since the start, up to now or to its end.
        progress: the latest `Progress`; None before the first.
        history: one dict per epoch so far, as in `TrainingResult.history`.
        run_id: the saved run once finished (completed, stopped, failed); else None.
        error: a readable sentence for a failed or interrupted job; else None.
        started_by: the opaque session token given to `start()`.
        estimate: how long each phase should take, sized when it was started; None for a
            job started by an older version.
        reported_at: time.time() when `progress` was reported; None if unknown.
    """

    job_id: str
    state: str
    config: TrainConfig
    started_at: float
    elapsed_seconds: float
    progress: Progress | None
    history: list[dict[str, Any]]
    run_id: str | None
    error: str | None
    started_by: str | None
    estimate: TimeEstimate | None = None
    reported_at: float | None = None

    @property
    def active(self) -> bool:
        """True while starting, preparing, running or stopping."""
        return self.state in ACTIVE_STATES

    @property
    def fraction(self) -> float:
        """Share of the planned training done, in [0, 1]; 1.0 once completed."""
        if self.state == "completed":
            return 1.0
        return self.progress.fraction if self.progress is not None else 0.0

    @property
    def seconds_left(self) -> float | None:
        """Seconds until the run is saved: the rest of the phase under way at the run's own
        pace, plus the estimate of the phases after it
        (`mnist_core.training.estimate.seconds_left`). None when not active, or for a job
        started without an estimate (an older version)."""
        if not self.active or self.estimate is None:
            return None
        progress = self.progress
        if self.state == "stopping" and (progress is None or progress.stage != "scoring"):
            # It ends within a batch; a run stopped while training is scored all the same.
            return self.estimate.scoring_total if progress is not None else None
        since = time.time() - self.reported_at if self.reported_at is not None else 0.0
        return seconds_left(self.estimate, progress, self.elapsed_seconds, since)


class TrainingJobs:
    """Starts, watches and stops background training jobs in `store.root / ".training"`."""

    def __init__(self, store: ModelStore | None = None):
        self.store = store or ModelStore()
        self.dir = self.store.root / JOBS_DIR_NAME
        self.lock_path = self.dir / "lock"

    def start(self, config: TrainConfig, *, started_by: str | None = None,
              data_path: str | None = None) -> JobStatus:
        """Start training `config` in a separate process and return at once ("starting").

        Args:
            started_by: an opaque session token, returned in `JobStatus.started_by`.
            data_path: an .npz with x_train, y_train, x_test, y_test to use instead of MNIST
                (for tests); then no drawn accuracy is measured.
        Raises:
            TrainingBusyError: a job is active. Concurrent calls, from threads or processes,
                start exactly one job.
            StoreError: the models folder is not writable; nothing is left behind.
        """
        job_id = time.strftime("%Y-%m-%d_%H%M%S", time.gmtime()) + "-" + uuid.uuid4().hex[:4]
        estimate = estimate_job(config, self.store, data_path)
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            with self._guard():
                self._take_lock(job_id)
                try:
                    self._launch(self.dir.resolve() / job_id, config, started_by, data_path,
                                 estimate)
                except BaseException:
                    shutil.rmtree(self.dir / job_id, ignore_errors=True)
                    self._release(job_id)
                    raise
                self._prune()
        except OSError as error:
            raise StoreError(
                f"Could not start training in {self.dir}: {error.strerror or error}. Make the "
                f"models folder writable, or set {MODELS_DIR_ENV} to a writable folder."
            ) from error
        return self.get(job_id)

    def current(self) -> JobStatus | None:
        """The active job if any, else the most recent one (finished or interrupted), else None."""
        holder = self._lock_holder()
        if holder and (status := self._get_or_none(holder)) is not None and status.active:
            return status
        try:
            names = sorted((path.name for path in self.dir.iterdir()
                            if (path / "job.json").is_file()), reverse=True)
        except OSError:
            return None
        for name in names:  # newest first, skipping any broken folder
            if (status := self._get_or_none(name)) is not None:
                return status
        return None

    def get(self, job_id: str) -> JobStatus:
        """The job's status; an active job whose process died is recorded as "interrupted".

        Raises:
            RunNotFoundError: no job with that id.
            StoreError: its job.json cannot be read.
        """
        job_dir = self._job_dir(job_id)
        job, raw = self._read(job_dir)
        if raw.get("state") in ACTIVE_STATES and not _alive(job, raw):
            try:
                with self._guard():
                    job, raw = self._read(job_dir)  # it may have finished meanwhile
                    if raw.get("state") in ACTIVE_STATES and not _alive(job, raw):
                        raw = self._interrupt(job_dir, job_id, raw)
            except OSError:  # a read-only folder: report it even if it cannot be recorded
                raw = {**raw, "state": "interrupted", "error": INTERRUPTED}
        return _to_status(job, raw, stop_asked=(job_dir / "stop").exists())

    def stop(self, job_id: str) -> None:
        """Ask the job to stop (idempotent). It ends within about one batch as "stopped", its
        run saved with status "stopped"; a job that has ended is left as it is.

        Raises:
            RunNotFoundError: no job with that id.
            StoreError: the stop request cannot be written.
        """
        if not self.get(job_id).active:
            return
        try:
            (self.dir / job_id / "stop").touch()
        except OSError as error:
            raise StoreError(f"Could not ask training job {job_id!r} to stop: {error}") from error

    def wait(self, job_id: str, timeout: float) -> JobStatus:
        """Poll until the job is no longer active or `timeout` seconds pass; the last status."""
        deadline = time.monotonic() + timeout
        status = self.get(job_id)
        while status.active and time.monotonic() < deadline:
            time.sleep(0.1)
            status = self.get(job_id)
        return status

    # Private ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _guard(self):
        # flock serialises taking, breaking and releasing the lock across processes and threads
        # (each call opens its own descriptor); O_EXCL alone cannot make "break a stale lock,
        # then take it" atomic.
        held = _held.__dict__.setdefault("dirs", set())
        if self.dir in held:
            yield
            return
        fd = os.open(self.dir / ".guard", os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            held.add(self.dir)
            try:
                yield
            finally:
                held.discard(self.dir)
        finally:
            os.close(fd)  # releases the flock

    def _take_lock(self, job_id: str) -> None:
        holder = self._lock_holder()
        if self.lock_path.exists():
            status = self._get_or_none(holder) if holder else None
            if status is not None and status.active:
                raise TrainingBusyError(_busy_message(status))
            self.lock_path.unlink(missing_ok=True)  # stale: its job is over or never began
        try:
            fd = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:  # only if someone bypassed the guard; still refuse
            raise TrainingBusyError("A training run is already in progress. Wait for it to "
                                    "finish or stop it.") from None
        with os.fdopen(fd, "w") as stream:
            stream.write(job_id)

    def _launch(self, job_dir: Path, config: TrainConfig, started_by: str | None,
                data_path: str | None, estimate: TimeEstimate) -> None:
        job_dir.mkdir()
        job = {"job_id": job_dir.name, "config": config.to_dict(), "started_at": time.time(),
               "started_by": started_by, "pid": None, "estimate": estimate.to_dict(),
               "data_path": str(Path(data_path).resolve()) if data_path else None,
               "shipped_dir": str(Path(self.store.shipped_dir).resolve())}
        _write_json(job_dir / "status.json", {"state": "starting", "heartbeat": time.time()})
        _write_json(job_dir / "job.json", job)
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
               "PYTHONUNBUFFERED": "1"}
        with open(job_dir / "log.txt", "ab") as log:
            child = subprocess.Popen(
                [sys.executable, "-m", "mnist_core.training.jobs", "run", str(job_dir)],
                cwd=PROJECT_DIR, env=env, stdin=subprocess.DEVNULL, stdout=log,
                # Its own session: a server's Ctrl+C does not reach it.
                stderr=subprocess.STDOUT, start_new_session=True)
        _CHILDREN[child.pid] = child
        _write_json(job_dir / "job.json", {**job, "pid": child.pid})

    def _interrupt(self, job_dir: Path, job_id: str, raw: dict[str, Any]) -> dict[str, Any]:
        try:  # were it only frozen, it stops when it wakes instead of running on unseen
            (job_dir / "stop").touch()
        except OSError:
            pass
        raw = {**raw, "state": "interrupted", "error": INTERRUPTED,
               "finished_at": raw.get("heartbeat")}
        _write_json(job_dir / "status.json", raw)
        self._release(job_id)
        return raw

    def _release(self, job_id: str) -> None:
        """Remove the lock if `job_id` holds it; call under the guard."""
        if self._lock_holder() == job_id:
            self.lock_path.unlink(missing_ok=True)

    def _lock_holder(self) -> str | None:
        try:
            return self.lock_path.read_text().strip() or None
        except OSError:
            return None

    def _prune(self) -> None:
        names = sorted(path.name for path in self.dir.iterdir()
                       if path.is_dir() and not path.name.startswith("."))
        for name in names[:-KEEP_JOBS]:  # the newest, including the one just started, stay
            shutil.rmtree(self.dir / name, ignore_errors=True)

    def _job_dir(self, job_id: str) -> Path:
        if (not job_id or job_id.startswith(".") or "/" in job_id or "\\" in job_id
                or not (self.dir / job_id / "job.json").is_file()):
            raise RunNotFoundError(f"No training job named {job_id!r} in {self.dir}.")
        return self.dir / job_id

    def _read(self, job_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
        try:
            job = json.loads((job_dir / "job.json").read_text())
            TrainConfig.from_dict(job["config"])
            float(job["started_at"])
        except (OSError, ValueError, KeyError, TypeError, ConfigError) as error:
            raise StoreError(f"Training job {job_dir.name!r} is broken: job.json cannot be read "
                             f"({error}).") from error
        try:
            raw = json.loads((job_dir / "status.json").read_text())
        except (OSError, ValueError):
            raw = {}  # not written yet: judged by the pid and the start time
        if not isinstance(raw, dict):
            raw = {}
        raw.setdefault("state", "starting")
        raw.setdefault("heartbeat", job["started_at"])
        return job, raw

    def _get_or_none(self, job_id: str) -> JobStatus | None:
        try:
            return self.get(job_id)
        except StoreError:
            return None


def estimate_job(config: TrainConfig, store: ModelStore, data_path: str | None = None
                 ) -> TimeEstimate:
    """How long a job training `config` should take, from the runs trained in `store`
    (`mnist_core.training.estimate.estimate_run`); a job on its own data (`data_path`) is sized by
    its count of images, and neither it nor teaching the saved drawings
    (`finetune.scored_quickly`) is scored on re-drawn digits or real writers. The saved
    drawings it trains on are counted in its epochs."""
    import numpy as np

    from mnist_core.config import MNIST_TRAIN_SIZE
    from mnist_core.training.drawn_cache import has_cache  # no TensorFlow
    from mnist_core.training.finetune import scored_quickly
    from mnist_core.training.pen_cache import is_cached, replay_path
    from mnist_core.training.training_set import replayed_pen_digits

    available = MNIST_TRAIN_SIZE
    if data_path is not None:
        with contextlib.suppress(OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile), \
                np.load(data_path) as arrays:
            available = max(1, len(arrays["y_train"]))
    # The real writers' drawings, once drawn on this machine, are read in a moment; so are a
    # fine-tune's own few, once an earlier fine-tune drew them.
    pen_cached = config.pen_fraction > 0 and (is_cached(config.pen_sources) or (
        config.tuned_from is not None and replay_path(
            config.pen_sources, config.seed,
            replayed_pen_digits(config, available)).is_file()))
    estimate = estimate_run(config, drawn_cached=has_cache(), pen_cached=pen_cached,
                            drawn_scored=data_path is None and not scored_quickly(config),
                            available=available, store=store)
    if config.include_drawings:
        # Each saved drawing to train on adds `drawings_weight` images to every epoch, which
        # the estimate (sized by MNIST's share alone) does not count.
        from mnist_core.classroom.drawings import DrawingStore

        with contextlib.suppress(MnistCoreError):
            extra = DrawingStore().counts().for_training * config.drawings_weight
            samples = min(config.max_train_samples or available, available)
            fit = samples * (1 - config.validation_split)
            fit += config.pen_images(round(fit))
            scale = (fit + extra) / max(1.0, fit)
            estimate = dataclasses.replace(
                estimate, per_epoch=estimate.per_epoch * scale,
                first_epoch=estimate.first_epoch + estimate.per_epoch * (scale - 1))
    return estimate


def _alive(job: dict[str, Any], raw: dict[str, Any]) -> bool:
    """True when the job's process runs and its heartbeat is fresh."""
    limit = STARTING_STALE_SECONDS if raw["state"] == "starting" else STALE_SECONDS
    fresh = time.time() - float(raw.get("heartbeat") or 0) < limit
    return fresh and _pid_alive(raw.get("pid") or job.get("pid"))


def _pid_alive(pid: int | None) -> bool:
    """True when process `pid` runs; a zombie counts as dead (and ours are reaped here)."""
    if not pid:
        return False
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        _CHILDREN.pop(pid, None)
        return False
    try:
        if os.waitpid(pid, os.WNOHANG)[0]:
            return False  # our child, just reaped
    except ChildProcessError:
        pass  # not our child: ask the kernel below
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    try:  # a zombie of another process still answers kill(pid, 0)
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _to_status(job: dict[str, Any], raw: dict[str, Any], stop_asked: bool) -> JobStatus:
    state = raw["state"]
    if state in ACTIVE_STATES and stop_asked:
        state = "stopping"
    started = float(job["started_at"])
    end = time.time() if state in ACTIVE_STATES else float(raw.get("finished_at") or started)
    progress = None
    if isinstance(raw.get("progress"), dict):
        names = {field.name for field in dataclasses.fields(Progress)}
        with contextlib.suppress(TypeError):
            progress = Progress(**{k: v for k, v in raw["progress"].items() if k in names})
    estimate = None
    if isinstance(job.get("estimate"), dict):
        with contextlib.suppress(ValueError, TypeError, KeyError, AttributeError):
            estimate = TimeEstimate.from_dict(job["estimate"])
    return JobStatus(job["job_id"], state, TrainConfig.from_dict(job["config"]), started,
                     max(0.0, end - started), progress, list(raw.get("history") or []),
                     raw.get("run_id"), raw.get("error"), job.get("started_by"), estimate,
                     _number_or_none(raw.get("progress_at")))


def _number_or_none(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else None


def _busy_message(status: JobStatus) -> str:
    minutes = round(status.elapsed_seconds / 60)
    ago = f"{minutes} minute{'s' * (minutes != 1)} ago" if minutes else "just now"
    progress = status.progress
    if status.state == "stopping":
        where = "stopping"
    elif progress is not None and progress.stage == "training":
        where = f"epoch {progress.epoch} of {progress.epochs}"
    elif progress is not None and progress.stage == "scoring":
        where = "scoring the trained model"
    elif status.state == "preparing":
        where = "preparing drawn training digits"
    else:
        where = "starting"
    return (f"A training run is already in progress (started {ago}, {where}). Wait for it to "
            "finish or stop it.")


def _write_json(path: Path, value: Any) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    temp.write_text(json.dumps(value, indent=1))
    os.replace(temp, path)


def _first_lines(text: str | None, limit: int = 500) -> str | None:
    """The message part of an error (before its traceback), at most `limit` characters."""
    return text.split("\n\n")[0].strip()[:limit] if text else text


def lower_priority(increment: int = TRAINING_NICE) -> int:
    """Lower this process's CPU priority by `increment` (niceness, up to 19), every thread
    of it; returns the niceness now. Best effort: where it cannot, it carries on unchanged.

    On Linux niceness is per thread, and `os.nice` changes only the calling one: the BLAS
    threads numpy started on import would keep competing at full priority. So each thread
    already running is lowered too (from /proc/self/task); threads started later inherit
    it from the one that starts them.
    """
    try:
        niceness = os.nice(increment)
    except OSError:
        return os.nice(0)
    with contextlib.suppress(OSError):
        for task in os.listdir("/proc/self/task"):
            with contextlib.suppress(OSError, ValueError):
                if os.getpriority(os.PRIO_PROCESS, int(task)) < niceness:
                    os.setpriority(os.PRIO_PROCESS, int(task), niceness)
    return niceness


# The child process ---------------------------------------------------------------------------

class _Reporter:
    """The child's side: keeps status.json current, throttled, with a heartbeat."""

    def __init__(self, path: Path):
        self.path = path
        self.lock = threading.Lock()
        self.status: dict[str, Any] = {"state": "running", "progress": None, "history": [],
                                       "run_id": None, "error": None, "pid": os.getpid()}
        self.last_write = 0.0
        self.write()

    def write(self, **changes: Any) -> None:
        with self.lock:
            self.status.update(changes, heartbeat=time.time())
            try:
                _write_json(self.path, self.status)
            except OSError:
                traceback.print_exc()  # progress is best effort; training goes on
            self.last_write = time.monotonic()

    def on_progress(self, progress: Progress) -> None:
        state = "preparing" if progress.stage == "preparing" else "running"
        with self.lock:
            previous = self.status["progress"] or {}
            # A new state or scoring step is written at once: the page shows each step.
            changed = (state != self.status["state"] or progress.step != previous.get("step"))
            self.status.update(state=state, progress={**dataclasses.asdict(progress),
                                                      "metrics": dict(progress.metrics)},
                               progress_at=time.time())
            if progress.epoch_end:  # the same record TrainingResult.history holds
                self.status["history"] = [*self.status["history"], {
                    "epoch": progress.epoch, **progress.metrics,
                    "seconds": round(progress.elapsed_seconds, 3),
                    "complete": progress.batch >= progress.batches}]
            due = time.monotonic() - self.last_write >= PROGRESS_WRITE_SECONDS
        if progress.epoch_end or changed or due:
            self.write()

    def beat(self, finished: threading.Event) -> None:
        while not finished.wait(HEARTBEAT_SECONDS / 2):
            if time.monotonic() - self.last_write >= HEARTBEAT_SECONDS / 2:
                self.write()


def _load_data(path: str):
    import numpy as np

    try:
        with np.load(path) as arrays:
            return ((arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"]))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise DataCorruptError(f"The training data file {path} cannot be read "
                               f"({type(error).__name__}: {error}).") from error


def _run(job_dir: Path) -> int:
    """Run the job in `job_dir` to its end; what `python -m mnist_core.training.jobs run` does."""
    lower_priority()  # first, before the threads below and TensorFlow's
    job = json.loads((job_dir / "job.json").read_text())
    store = ModelStore(job_dir.parent.parent, Path(job["shipped_dir"]))
    reporter = _Reporter(job_dir / "status.json")
    finished = threading.Event()
    threading.Thread(target=reporter.beat, args=(finished,), daemon=True).start()
    stop_file = str(job_dir / "stop")
    final: dict[str, Any] = {}
    try:
        from mnist_core.training.finetune import scored_quickly
        from mnist_core.training.quality import drawn_accuracy_metrics, pen_metrics
        from mnist_core.training.workflow import train_and_save

        config = TrainConfig.from_dict(job["config"])
        data = _load_data(job["data_path"]) if job.get("data_path") else None
        full_scoring = data is None and not scored_quickly(config)
        if os.path.exists(stop_file):
            final = {"state": "stopped"}  # stopped before training began: nothing to save
        else:
            run, result = train_and_save(
                config, store=store, on_progress=reporter.on_progress,
                should_stop=lambda: os.path.exists(stop_file), data=data,
                extra_metrics=drawn_accuracy_metrics if full_scoring else None,
                pen_metrics=pen_metrics if full_scoring else None,
                started_at=float(job["started_at"]))
            final = {"state": result.status, "run_id": run.run_id if run else None,
                     "history": result.history,
                     "error": _first_lines(result.error) if result.status == "failed" else None}
    except MnistCoreError as error:  # e.g. MNIST missing: its message says how to fix it
        final = {"state": "failed", "error": str(error)}
    except Exception as error:  # noqa: BLE001 - any crash is reported as a failed job
        traceback.print_exc()
        final = {"state": "failed", "error": _first_lines(f"{type(error).__name__}: {error}")}
    finally:
        finished.set()
        jobs = TrainingJobs(store)
        with jobs._guard():  # a start() sees the final state and the free lock together
            if final:
                reporter.write(finished_at=time.time(), **final)
            jobs._release(job["job_id"])
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "run":
        sys.exit("Usage: python -m mnist_core.training.jobs run <job folder>")
    sys.exit(_run(Path(sys.argv[2])))
