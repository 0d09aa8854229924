"""The training beside the server: start a training job, steer its CPU share, read its pace.

The training is started through mnist_core.training.jobs.TrainingJobs, as the Train page starts
one, so it runs with the job's own CPU priority (the job lowers its own from its parent's). With
it, each level reports the training's pace in batches a second.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path


def start_training(models: Path, which: str):
    """Start a background training job in `models` (through TrainingJobs, so with the job's
    own process settings) and wait until it fits (the "fit" config: its second epoch).
    Returns (jobs, job id, what it is)."""
    os.environ["MNIST_MODELS_DIR"] = str(models)
    from mnist_core.config import QUICK
    from mnist_core.runs.store import ModelStore
    from mnist_core.training.jobs import TrainingJobs

    if which == "quick":
        config, what = QUICK, "the Quick preset"
    else:  # fitting all along: Quick's network without the pen digits' drawing phase
        config = dataclasses.replace(QUICK, epochs=500, pen_fraction=0.0)
        what = "Quick's network fitting MNIST (500 epochs, stopped at the end)"
    jobs = TrainingJobs(ModelStore(root=models))
    status = jobs.start(config, started_by="bench/class_load.py")
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status = jobs.get(status.job_id)
        if not status.active:
            raise RuntimeError(f"The training ended before the measurement: {status.state}, "
                               f"{status.error}")
        # Past its first epoch (graph tracing, the first batches' set-up): its steady pace.
        fitting = status.progress is not None and status.progress.epoch >= 2
        if status.state == "running" and (which == "quick" or fitting):
            return jobs, status.job_id, what
        time.sleep(0.5)
    raise RuntimeError("The training did not start fitting within 10 minutes.")


def set_training_policy(jobs, job_id: str, policy: str) -> None:
    """Try another CPU policy on every thread of the running training process: "idle"
    (SCHED_IDLE: it runs only when nothing else wants the CPU) or "one-core" (pinned to the
    last core, leaving the others to the server); "job" leaves the job's own setting."""
    if policy == "job":
        return
    pid = json.loads((jobs.dir / job_id / "job.json").read_text())["pid"]
    for task in os.listdir(f"/proc/{pid}/task"):
        if policy == "idle":
            os.sched_setscheduler(int(task), os.SCHED_IDLE, os.sched_param(0))
        else:
            os.sched_setaffinity(int(task), {max(os.sched_getaffinity(0))})


def training_phase(jobs, job_id: str) -> str:
    """'fitting epoch 3 of 500' and the like, for the figures' line."""
    status = jobs.get(job_id)
    progress = status.progress
    if progress is None:
        return status.state
    if progress.stage == "training":
        return f"fitting epoch {progress.epoch} of {progress.epochs}"
    return f"{progress.stage} {progress.step}".strip()


def training_batches(jobs, job_id: str) -> float | None:
    """Batches trained so far (epochs x batches per epoch + batch), None outside fitting."""
    progress = jobs.get(job_id).progress
    if progress is None or progress.stage != "training":
        return None
    return (progress.epoch - 1) * progress.batches + progress.batch
