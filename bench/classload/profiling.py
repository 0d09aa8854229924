"""Where the server's time goes (--profile): hooks run inside the server, and their report.

The script runs are threads of the server's one Python interpreter, so they are profiled from
inside it. With --profile (or --switch-interval), server.Server writes LAUNCHER beside its
folders as launcher.py and starts the server with it instead of `python -m streamlit`:
LAUNCHER wraps every script run (ScriptRunner._run_script) in cProfile on its thread's CPU
clock, samples every thread's stack every 20 ms, then hands over to Streamlit's own command
line. LAUNCHER is source text, not a module of this package: the server imports nothing of
bench/.

This client asks the server for its figures through files beside launcher.py, each removed by
the server once answered:

- `dump`: the script runs since the last ask, written to runs.prof (pstats) and runs.json
  (thread CPU s, wall s, fragment run? per run); read by script_profile;
- `dump-samples`: the 40 most frequent stacks since the last ask, written to samples.json;
  read by stack_samples.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parents[2]  # the checkout: bench/classload/profiling.py

# For --profile and --switch-interval: `streamlit run` with every script run profiled (cProfile
# in the run's own thread) and timed (its thread's CPU time), written out when the file `dump`
# appears beside it; or with another GIL switch interval. Changes nothing else.
LAUNCHER = """
import cProfile, json, os, pstats, sys, threading, time
from pathlib import Path
from streamlit.runtime.scriptrunner import script_runner

if os.environ.get("CLASS_LOAD_SWITCH_INTERVAL"):
    sys.setswitchinterval(float(os.environ["CLASS_LOAD_SWITCH_INTERVAL"]))

HERE = Path(__file__).parent
profiles, runs, lock = [], [], threading.Lock()
original = script_runner.ScriptRunner._run_script

def profiled(self, rerun_data):
    # CPU time of this thread: waiting for the GIL or a lock is not counted as work.
    profile = cProfile.Profile(time.thread_time)
    cpu, wall = time.thread_time(), time.perf_counter()
    profile.enable()
    try:
        return original(self, rerun_data)
    finally:
        profile.disable()
        with lock:
            profiles.append(profile)
            runs.append([time.thread_time() - cpu, time.perf_counter() - wall,
                         bool(rerun_data.fragment_id_queue)])

def dump_when_asked():
    while True:
        time.sleep(0.5)
        if (HERE / "dump").exists():
            with lock:
                taken, timed = profiles[:], runs[:]
                profiles.clear(); runs.clear()
            if taken:
                stats = pstats.Stats(taken[0])
                for profile in taken[1:]:
                    stats.add(profile)
                stats.dump_stats(HERE / "runs.prof")
            (HERE / "runs.json").write_text(json.dumps(timed))
            (HERE / "dump").unlink()

samples = {}

def sample_stacks():
    # Every 20 ms, where each script thread is (its 4 innermost frames): waiting shows too.
    import collections
    counts = collections.Counter()
    samples["counts"] = counts
    while True:
        time.sleep(0.02)
        for ident, frame in sys._current_frames().items():
            names, depth = [], 0
            while frame is not None and depth < 4:
                names.append(f"{Path(frame.f_code.co_filename).name}:{frame.f_code.co_name}")
                frame, depth = frame.f_back, depth + 1
            counts[" < ".join(names)] += 1

def dump_samples_when_asked():
    while True:
        time.sleep(0.5)
        if (HERE / "dump-samples").exists():
            counts = samples.get("counts", {})
            top = sorted(counts.items(), key=lambda item: -item[1])[:40]
            (HERE / "samples.json").write_text(json.dumps(top))
            counts.clear()
            (HERE / "dump-samples").unlink()

if os.environ.get("CLASS_LOAD_PROFILE"):
    script_runner.ScriptRunner._run_script = profiled
    threading.Thread(target=dump_when_asked, daemon=True).start()
    threading.Thread(target=sample_stacks, daemon=True).start()
    threading.Thread(target=dump_samples_when_asked, daemon=True).start()
from streamlit.web.cli import main
sys.argv = ["streamlit", *sys.argv[1:]]
main()
"""


def script_profile(folder: Path):
    """(pstats.Stats or None, [(thread CPU s, wall s, fragment run?)]) of the script runs
    since the last call; only for a server started with `profile` (LAUNCHER in `folder`)."""
    import pstats

    (folder / "dump").touch()
    deadline = time.monotonic() + 60
    while (folder / "dump").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    runs = json.loads((folder / "runs.json").read_text())
    prof = folder / "runs.prof"
    stats = pstats.Stats(str(prof)) if prof.exists() and runs else None
    if prof.exists():
        prof.unlink()
    return stats, runs


def stack_samples(folder: Path) -> list:
    """[(stack, samples)] of every thread every 20 ms since the last call, most first."""
    (folder / "dump-samples").touch()
    deadline = time.monotonic() + 60
    while (folder / "dump-samples").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    return json.loads((folder / "samples.json").read_text())


def print_profile(folder: Path, server_cpu: float, top: int = 25) -> None:
    """The level's script runs: their CPU against the whole server's, and the functions that
    took the most CPU time in them (cumulative, then their own), as cProfile measures it with
    each thread's CPU clock."""
    stats, runs = script_profile(folder)
    samples = stack_samples(folder)
    total = sum(count for _, count in samples) or 1
    print("      where the server's threads were (every 20 ms, share of samples):")
    for stack, count in samples[:15]:
        print(f"      {count / total:5.1%} {stack[:140]}")
    if not runs:
        return
    cpu = np.array([run[0] for run in runs]) * 1e3
    wall = np.array([run[1] for run in runs]) * 1e3
    fragments = sum(run[2] for run in runs)
    print(f"      profile: {len(runs)} script runs ({fragments} fragment runs): CPU "
          f"{np.median(cpu):.0f} ms median, {np.percentile(cpu, 95):.0f} ms p95 (profiled), "
          f"wall {np.median(wall):.0f} / {np.percentile(wall, 95):.0f} ms; script runs "
          f"{cpu.sum() / 1e3:.1f} s of the server's {server_cpu:.1f} s CPU", flush=True)
    if stats is not None:
        buffer = io.StringIO()
        stats.stream = buffer
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)
        for line in buffer.getvalue().splitlines():
            if line.strip() and ("ncalls" in line or line.lstrip()[:1].isdigit()):
                print("      " + line.replace(str(Path(np.__file__).parent.parent), "")
                      .replace(str(PROJECT), "")[:150])
