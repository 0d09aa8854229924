"""How many students one server answers in time: N simulated students drawing at once.

Starts a real `streamlit run app.py` (headless, a free localhost port, its own temporary models
and drawings folders, so nothing of the project's changes; from a snapshot of the checkout, so
edits made meanwhile are not reloaded mid-run) and connects N students to it over
Streamlit's own websocket protocol, as a browser does, but without a browser (a browser per
student cannot run on a two-core machine). Each student opens the home page, then every 1-3 s
(at random) sends a new drawing, as the canvas does at the end of a stroke, and times
send -> answer shown. Prints median, p95 and max answer time per number of students, without
and with a training running, beside the load average.

    python bench/class_load.py                          # N = 1, 10, 30, 60; 30 s each; both
    python bench/class_load.py --students 1 30 --seconds 15 --training off
    python bench/class_load.py --training on --train-config quick   # the Quick preset as is
    python bench/class_load.py --students 30 --profile --timeline    # where the server's time goes
    python bench/class_load.py --students 30 --training off --class-page-first  # a lesson's start

Beside each level: the server process's CPU time per answer (from /proc), hence how many
answers a second one core can give at best (the script runs share one Python interpreter, so
one core is about the most the server uses), this client's own CPU time (it shares the
machine), and with a training its pace in batches a second. The training is started through
mnist_core.training.jobs.TrainingJobs, so it runs with the job's own CPU priority.

On a shared machine, `--nice -10` (as root) gives the server and this client priority over
the other work on it, while the training keeps its priority relative to the server (the job
lowers its own by the same step from its parent's), roughly as if they ran alone.

The parts live in bench/classload/: drawings (what the students send), server (the streamlit
server, from a snapshot), training (the training job beside it), students (a student speaking
Streamlit's websocket protocol, and the measurement of one level) and profiling (--profile:
the hooks run inside the server, and their report). This file holds the command line and the
report of each level.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

# This script's folder is on sys.path (Python puts it there), hence `classload`.
from classload.drawings import drawing_pool  # noqa: E402
from classload.profiling import print_profile  # noqa: E402
from classload.server import Server, snapshot  # noqa: E402
from classload.students import Level, measure, open_page  # noqa: E402
from classload.training import (  # noqa: E402
    set_training_policy,
    start_training,
    training_batches,
    training_phase,
)


def _figures(values: list[float]) -> str:
    if not values:
        return "no answers"
    array = np.asarray(values)
    return (f"median {np.median(array):4.0f} ms, p95 {np.percentile(array, 95):4.0f} ms, "
            f"max {array.max():5.0f} ms")


def print_timeline(level: Level, window: float = 2.0) -> None:
    """Answer times by when they were sent: one line per `window` seconds."""
    if not level.sent_at:
        return
    sent = np.asarray(level.sent_at)
    answer = np.asarray(level.answer_ms)
    start = sent.min()
    for low in np.arange(0.0, sent.max() - start + window, window):
        inside = answer[(sent - start >= low) & (sent - start < low + window)]
        if len(inside):
            print(f"      {low:5.0f}-{low + window:.0f} s: {len(inside):3d} answers, median "
                  f"{np.median(inside):5.0f} ms, max {inside.max():5.0f} ms", flush=True)


def report(students: int, level: Level, server_cpu: float, client_cpu: float,
           training: str) -> None:
    load = os.getloadavg()
    answers = len(level.answer_ms)
    print(f"{students:3d} students, {training}: {answers} answers of {level.sent} drawings: "
          f"{_figures(level.answer_ms)} (to script finished: p95 "
          f"{np.percentile(level.finished_ms, 95) if level.finished_ms else 0:.0f} ms); "
          f"{level.superseded} superseded, {level.timeouts} timeouts, {len(level.errors)} "
          f"errors; read right {level.right / max(answers, 1):.0%}; {level.fragment_runs} "
          f"fragment runs, {level.page_runs} page runs; load "
          f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}", flush=True)
    if answers:
        print(f"      server CPU {server_cpu * 1e3 / answers:.0f} ms per answer "
              f"(at most {answers / max(server_cpu, 1e-9):.0f} answers/s per busy core); "
              f"this client {client_cpu * 1e3 / answers:.1f} ms per answer", flush=True)
    for error in level.errors[:3]:
        print(f"      error: {error}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, nargs="+", default=[1, 10, 30, 60],
                        help="numbers of students, one level each (default: 1 10 30 60)")
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="seconds of drawing per level (default: 30)")
    parser.add_argument("--training", choices=["both", "off", "on"], default="both",
                        help="levels without a training, with one running, or both (default)")
    parser.add_argument("--train-config", choices=["fit", "quick"], default="fit",
                        help="fit: Quick's network fitting all along (default); quick: the "
                             "Quick preset as the Train page starts it (its phases as they come)")
    parser.add_argument("--training-policy", choices=["job", "idle", "one-core"], default="job",
                        help="the training's CPU share: as the job sets it (default), or try "
                             "SCHED_IDLE, or pinning it to one core")
    parser.add_argument("--interval", type=float, nargs=2, default=[1.0, 3.0],
                        metavar=("LOW", "HIGH"), help="seconds between drawings (default: 1 3)")
    parser.add_argument("--timeout", type=float, default=10.0,
                        help="seconds after which an unanswered drawing is a timeout")
    parser.add_argument("--file-watcher", choices=["poll", "none"], default=None,
                        help="the server's file watcher (default: the project's setting)")
    parser.add_argument("--drawings", type=int, default=300, help="distinct drawings sent")
    parser.add_argument("--nice", type=int, default=0,
                        help="niceness of the server and this client (default 0). On a shared "
                             "machine, e.g. -10 (as root) keeps others' work from taking the "
                             "server's CPU, roughly as if it ran alone with the training")
    parser.add_argument("--switch-interval", type=float, default=None,
                        help="the server's GIL switch interval in s (Python's default 0.005), "
                             "to try what sys.setswitchinterval in the app would do")
    parser.add_argument("--class-page-first", action="store_true",
                        help="a lesson's start: right after the server starts, the teacher "
                             "opens the Class page (to show the join address), then the "
                             "first level's students join at once")
    parser.add_argument("--timeline", action="store_true",
                        help="also print answer times every 2 s of each level")
    parser.add_argument("--profile", action="store_true",
                        help="profile the server's script runs (cProfile; slows them) and "
                             "print where each level's time went")
    args = parser.parse_args()
    if args.nice:
        os.nice(args.nice)

    folder = Path(tempfile.mkdtemp(prefix="class-load-"))
    # One version throughout: the server, the training job and this client's mnist_core.
    app_dir, version = snapshot(folder / "app")
    sys.path.insert(0, str(app_dir))
    drawings, source = drawing_pool(args.drawings)
    size = np.mean([len(drawing.state) for drawing in drawings]) / 1e3
    print(f"{len(drawings)} drawings: {source}; {size:.1f} kB of canvas state each", flush=True)
    server = Server(folder, app_dir, args.file_watcher, profile=args.profile, nice=args.nice,
                    switch_interval=args.switch_interval)
    print(f"server: {server.url} running {version}, {os.cpu_count()} cores, niceness "
          f"{os.nice(0)} (server and client), file watcher {args.file_watcher or 'as set'}, "
          f"GIL switch interval {args.switch_interval or 0.005:g} s, log {server.log_path}",
          flush=True)
    loop = asyncio.new_event_loop()
    phases = {"both": [False, True], "off": [False], "on": [True]}[args.training]
    if args.class_page_first:
        seconds = loop.run_until_complete(open_page(server.url, "Class"))
        print(f"the teacher's Class page shown in {seconds:.1f} s; the students join now",
              flush=True)
    try:
        for training in phases:
            jobs = job_id = None
            what = "no training"
            if training:
                jobs, job_id, what = start_training(server.models, args.train_config)
                print(f"training: {what}, started, CPU policy {args.training_policy}; now "
                      f"{training_phase(jobs, job_id)}", flush=True)
            try:
                for number, students in enumerate(args.students):
                    if jobs is not None:  # again each level: threads started since inherit it
                        set_training_policy(jobs, job_id, args.training_policy)
                    batches = training_batches(jobs, job_id) if jobs else None
                    started = time.monotonic()
                    level, server_cpu, client_cpu = loop.run_until_complete(measure(
                        server, drawings, students, args.seconds, args, seed=number))
                    label = what if not jobs else f"training ({training_phase(jobs, job_id)})"
                    report(students, level, server_cpu, client_cpu, label)
                    if args.timeline:
                        print_timeline(level)
                    if args.profile:
                        print_profile(server.folder, server_cpu)
                    after = training_batches(jobs, job_id) if jobs else None
                    if batches is not None and after is not None:
                        pace = (after - batches) / (time.monotonic() - started)
                        print(f"      training: {pace:.1f} batches/s while measured", flush=True)
            finally:
                if jobs is not None:
                    jobs.stop(job_id)
                    jobs.wait(job_id, 60)
    finally:
        loop.close()
        server.stop()


if __name__ == "__main__":
    main()
