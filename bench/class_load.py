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

How a student talks to the server (recorded from Chromium on the home page, and replayed in
the same shape):

- websocket `ws://<host>/_stcore/stream`, subprotocols `streamlit` and the XSRF token (the
  browser sends `PLACEHOLDER_AUTH_TOKEN` when it has none), an Origin header, permessage-deflate;
- first a BackMsg `rerun_script` with empty widget states and the browser's context (time
  zone, locale, URL): the server runs the whole page;
- a drawing: a `rerun_script` carrying every widget's state the page shows (pen width slider,
  file uploader, the pills and toggle under an answer) and the canvas's state as a JSON value,
  `{"drawing": {"raw": <Fabric.js JSON with the stroke paths>, "data": <PNG data URL,
  336x336 RGBA, white ink on opaque black>}}`, with the page's script hash and the canvas
  fragment's id (`fragment_id`), so only the fragment reruns, as in the browser;
- the pictures of an answer (what the network sees) are fetched over HTTP, as the browser
  fetches an st.image's URL;
- the answer is shown when the delta carrying the verdict ("It reads <b>7</b>, ...") arrives;
  the run that made it is known by the key of the "Wrong? It was a …" pills that follow it,
  which holds the digest of the drawing's 28x28 input (ui/teach.py), computed here for every
  drawing beforehand, so an answer is never credited to the wrong drawing. A drawing still
  unanswered when the student's next one is answered was superseded (the server stops a run
  when a newer rerun arrives, as for a real student drawing faster than answers come); one
  unanswered after --timeout seconds is a timeout.

The drawings are MNIST test digits re-drawn as pen strokes (mnist_core.drawn) with the app's
default pen (22 px) at a random size and place, read beforehand by the shipped model so that
only single digits are sent (a number or a dot gets no pills, hence no sure attribution).

Beside each level: the server process's CPU time per answer (from /proc), hence how many
answers a second one core can give at best (the script runs share one Python interpreter, so
one core is about the most the server uses), this client's own CPU time (it shares the
machine), and with a training its pace in batches a second. The training is started through
mnist_core.jobs.TrainingJobs, so it runs with the job's own CPU priority.

On a shared machine, `--nice -10` (as root) gives the server and this client priority over
the other work on it, while the training keeps its priority relative to the server (the job
lowers its own by the same step from its parent's), roughly as if they ran alone.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import dataclasses
import io
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from tests.browser.serving import free_port, wait_until_serving  # noqa: E402

CANVAS_SIZE = 336  # px, app.CANVAS_SIZE
DEFAULT_PEN = 22  # px, app.DEFAULT_PEN
# The browser's context, as Chromium sent it (en-US, UTC).
CONTEXT = {"timezone": "UTC", "timezone_offset": 0, "locale": "en-US", "is_embedded": False,
           "color_scheme": "light"}
FINISHED = 0  # ForwardMsg.ScriptFinishedStatus: FINISHED_SUCCESSFULLY
FINISHED_FRAGMENT = 3  # FINISHED_FRAGMENT_RUN_SUCCESSFULLY
PILLS_KEY = "wrong-canvas-"  # ui/teach.py: the pills' key holds the drawing's digest[:16]
# The fields Fabric.js writes for each freedraw path (as Chromium sent them), so a drawing's
# message is as large as a browser's (12-14 kB for one digit).
FABRIC_PATH = {
    "lockMovementX": False, "lockMovementY": False, "lockRotation": False,
    "lockScalingX": False, "lockScalingY": False, "lockSkewingX": False,
    "lockSkewingY": False, "lockScalingFlip": False, "type": "Path", "version": "7.4.0",
    "originX": "center", "originY": "center", "fill": None, "stroke": "#FFFFFF",
    "strokeWidth": DEFAULT_PEN, "strokeDashArray": None, "strokeLineCap": "round",
    "strokeDashOffset": 0, "strokeLineJoin": "round", "strokeUniform": False,
    "strokeMiterLimit": 10, "scaleX": 1, "scaleY": 1, "angle": 0, "flipX": False,
    "flipY": False, "opacity": 1, "shadow": None, "visible": True, "backgroundColor": "",
    "fillRule": "nonzero", "paintFirst": "fill", "globalCompositeOperation": "source-over",
    "skewX": 0, "skewY": 0,
}


# Drawings ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Drawing:
    """One drawing as the canvas sends it.

    label: the digit drawn. key: digest[:16] of its 28x28 network input, as in the pills' key.
    state: the canvas widget's JSON value (about 12 kB).
    """

    label: int
    key: str
    state: str


def _fabric_paths(strokes: list[np.ndarray]) -> list[dict]:
    """Fabric.js freedraw objects for strokes in canvas px: the JSON half of a canvas state."""
    objects = []
    for stroke in strokes:
        low, high = stroke.min(axis=0), stroke.max(axis=0)
        path = [["M", *np.round(stroke[0], 3).tolist()]]
        path += [["L", *np.round(point, 3).tolist()] for point in stroke[1:]]
        if len(stroke) == 1:
            path.append(["L", *np.round(stroke[0], 3).tolist()])
        objects.append({**FABRIC_PATH, "left": float((low[0] + high[0]) / 2),
                        "top": float((low[1] + high[1]) / 2),
                        "width": float(high[0] - low[0]), "height": float(high[1] - low[1]),
                        "path": path})
    return objects


def _placed(strokes: list[np.ndarray], height: float, centre: tuple[float, float]
            ) -> list[np.ndarray]:
    """Strokes scaled so their ink (pen included) is `height` px tall, centred at `centre`."""
    everything = np.concatenate(strokes)
    low, high = everything.min(axis=0), everything.max(axis=0)
    extent = max(high[1] - low[1], high[0] - low[0], 1e-6)
    factor = (height - DEFAULT_PEN) / extent
    return [((stroke - (low + high) / 2) * factor + centre).astype(np.float64)
            for stroke in strokes]


def _canvas_state(strokes: list[np.ndarray]) -> tuple[np.ndarray, str]:
    """The (336, 336, 4) uint8 image the app decodes, and the canvas's JSON value for it."""
    from PIL import Image

    from mnist_core.drawn import render_strokes

    everything = np.concatenate(strokes)
    height = float(np.ptp(everything[:, 1])) + DEFAULT_PEN
    centre = tuple(float(v) for v in (everything.min(axis=0) + everything.max(axis=0)) / 2)
    alpha = render_strokes(strokes, canvas_size=CANVAS_SIZE, brush_width=DEFAULT_PEN,
                           scale=height, centre=centre)[..., 3]
    # The canvas has an opaque black background: white ink is alpha-blended onto it.
    image = np.dstack([alpha, alpha, alpha, np.full_like(alpha, 255)])
    buffer = io.BytesIO()
    Image.fromarray(image, "RGBA").save(buffer, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    raw = {"version": "7.4.0", "objects": _fabric_paths(strokes), "background": "#000000"}
    decoded = np.asarray(Image.open(io.BytesIO(buffer.getvalue())))  # what the app reads
    return decoded, json.dumps({"drawing": {"raw": raw, "data": url}}, separators=(",", ":"))


def drawing_pool(count: int, seed: int = 0) -> tuple[list[Drawing], str]:
    """`count` single-digit drawings, and a sentence saying what they are.

    MNIST test digits re-drawn as strokes at a random size (120-300 px tall) and place; without
    MNIST, the hand-made 0, 1 and 7 of mnist_core.drawn.sketch. Each is read once here with the
    shipped model (numpy only, no TensorFlow) to keep single digits and learn their digest.
    """
    from mnist_core import MnistCoreError, Recognizer
    from mnist_core.data import load_mnist
    from mnist_core.drawings import digest_of
    from mnist_core.drawn import sketch, strokes_from_digit
    from mnist_core.store import ModelStore

    rng = np.random.default_rng(seed)
    recognizer = Recognizer.load(run_id="shipped", store=ModelStore())
    try:
        (_, _), (images, labels) = load_mnist()
        source = "MNIST test digits re-drawn as strokes"

        def strokes_of(index: int):
            return strokes_from_digit(images[index]), int(labels[index])
        order = rng.permutation(len(images))
    except MnistCoreError:
        source = "the sketched 0, 1 and 7 (MNIST not found: set MNIST_DATA_DIR)"

        def strokes_of(index: int):
            digit = (0, 1, 7)[index % 3]
            return sketch(digit), digit
        order = np.arange(100 * count)
    pool = []
    for index in order:
        strokes, label = strokes_of(int(index))
        if not strokes:
            continue
        height = float(rng.uniform(120, 300))
        margin = height / 2 + 4
        centre = tuple(rng.uniform(margin, CANVAS_SIZE - margin, 2).tolist())
        image, state = _canvas_state(_placed(strokes, height, centre))
        try:
            number = recognizer.predict_number(image)
        except MnistCoreError:
            continue
        if not number.is_single:
            continue
        pool.append(Drawing(label, digest_of(number.digits[0].model_input)[:16], state))
        if len(pool) == count:
            break
    return pool, source


# The server -------------------------------------------------------------------------------

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

def snapshot(folder: Path) -> tuple[Path, str]:
    """Copy the project's files as they are now (committed or not: `git ls-files`) into
    `folder`, and say which version it is. Other people may edit the checkout during a run:
    the server's file watcher would then reload the changed modules mid-measurement."""
    import shutil

    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                             "-z"], cwd=PROJECT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = PROJECT / name
        if source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    head = subprocess.run(["git", "log", "-1", "--format=%h"], cwd=PROJECT,
                          capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                           cwd=PROJECT, capture_output=True, text=True).stdout.strip()
    return folder, f"{head}{' with uncommitted changes' if dirty else ''}"


class Server:
    """`streamlit run app.py` in `app_dir` (a snapshot of the project, see `snapshot`) on a free
    localhost port, with its own models and drawings folders in `folder`.

    As tests/browser/conftest.py's Server (same flags, the same tests/browser/serving.py),
    without importing the test suite, which loads TensorFlow: this client shares the machine
    with the server it measures. The file watcher is the project's own setting unless
    `file_watcher` is given.
    """

    def __init__(self, folder: Path, app_dir: Path, file_watcher: str | None = None,
                 profile: bool = False, nice: int = 0, switch_interval: float | None = None):
        self.folder = folder
        self.app_dir = app_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.models = folder / "models"
        self.models.mkdir()
        env = {**os.environ, "MNIST_MODELS_DIR": str(self.models),
               "MNIST_DRAWINGS_DIR": str(folder / "drawings"), "TF_CPP_MIN_LOG_LEVEL": "2"}
        self.log_path = folder / "streamlit.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115
        launcher = [sys.executable, "-m", "streamlit"]
        if profile or switch_interval:
            (folder / "launcher.py").write_text(LAUNCHER)
            launcher = [sys.executable, str(folder / "launcher.py")]
            env["CLASS_LOAD_PROFILE"] = "1" if profile else ""
            env["CLASS_LOAD_SWITCH_INTERVAL"] = str(switch_interval or "")
        command = [*launcher, "run", "app.py", "--server.headless",
                   "true", "--server.port", str(self.port), "--server.address", "127.0.0.1",
                   "--browser.gatherUsageStats", "false"]
        if file_watcher:
            command += ["--server.fileWatcherType", file_watcher]
        # Niceness is per thread on Linux: set before exec, every thread of the server has it.
        self.process = subprocess.Popen(command, cwd=self.app_dir, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT,
                                        preexec_fn=(lambda: os.nice(nice)) if nice else None)
        if not wait_until_serving(self.url, self.process, timeout=90):
            self.stop()
            raise RuntimeError(f"streamlit did not start; see {self.log_path}")

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the server process so far, or None without /proc."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def script_profile(self):
        """(pstats.Stats or None, [(thread CPU s, wall s, fragment run?)]) of the script runs
        since the last call; only for a server started with `profile`."""
        import pstats

        (self.folder / "dump").touch()
        deadline = time.monotonic() + 60
        while (self.folder / "dump").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        runs = json.loads((self.folder / "runs.json").read_text())
        prof = self.folder / "runs.prof"
        stats = pstats.Stats(str(prof)) if prof.exists() and runs else None
        if prof.exists():
            prof.unlink()
        return stats, runs

    def stack_samples(self) -> list:
        """[(stack, samples)] of every thread every 20 ms since the last call, most first."""
        (self.folder / "dump-samples").touch()
        deadline = time.monotonic() + 60
        while (self.folder / "dump-samples").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        return json.loads((self.folder / "samples.json").read_text())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


# A student --------------------------------------------------------------------------------

@dataclass
class Level:
    """What the students of one level saw. answer_ms: send -> answer shown, per answer."""

    answer_ms: list[float] = field(default_factory=list)
    sent_at: list[float] = field(default_factory=list)  # perf_counter of each answer's send
    finished_ms: list[float] = field(default_factory=list)  # send -> script_finished
    sent: int = 0
    right: int = 0  # answers reading the digit drawn
    superseded: int = 0
    timeouts: int = 0
    fragment_runs: int = 0  # script runs of the canvas fragment alone, as a stroke makes
    page_runs: int = 0  # whole-page runs (a stroke should never cause one)
    errors: list[str] = field(default_factory=list)


class Student:
    """One browser tab on the home page, speaking Streamlit's protocol."""

    def __init__(self, server_url: str, drawings: list[Drawing], rng: random.Random,
                 interval: tuple[float, float], timeout: float):
        self.url = server_url
        self.drawings = drawings
        self.rng = rng
        self.interval = interval
        self.timeout = timeout
        self.next_drawing = rng.randrange(len(drawings))
        self.page_hash = ""
        self.fragment_id = ""
        self.canvas_id = ""
        self.outside: dict[str, object] = {}  # widget id -> WidgetState, outside the fragment
        self.inside: dict[str, object] = {}  # the same inside the canvas fragment
        self.pending: dict[str, tuple[float, Drawing]] = {}  # key -> (send time, drawing)
        self.level: Level | None = None
        self.loaded = asyncio.Event()
        self._run = None  # the script run being received
        self.socket = None
        self.reader = None

    async def connect(self) -> None:
        """Open the page as the browser does, and wait until it is shown."""
        from websockets.asyncio.client import connect

        with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=10):
            pass
        # websockets (a dependency of Streamlit) offers permessage-deflate, as Chromium does.
        self.socket = await connect(
            self.url.replace("http", "ws", 1) + "/_stcore/stream", origin=self.url,
            subprotocols=["streamlit", "PLACEHOLDER_AUTH_TOKEN"], compression="deflate",
            max_size=64 * 2**20, ping_interval=None, open_timeout=60)
        self.reader = asyncio.ensure_future(self._read())
        await self._send_rerun({}, fragment_id="")
        await asyncio.wait_for(self.loaded.wait(), 120)
        if not self.canvas_id:
            raise RuntimeError("The home page showed no canvas: is a model loadable?")

    async def _send_rerun(self, states: dict, fragment_id: str) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        message = BackMsg()
        rerun = message.rerun_script
        rerun.page_script_hash = self.page_hash
        rerun.fragment_id = fragment_id
        for state in states.values():
            rerun.widget_states.widgets.append(state)
        for name, value in CONTEXT.items():
            setattr(rerun.context_info, name, value)
        rerun.context_info.url = self.url + "/"
        await self.socket.send(message.SerializeToString())

    async def draw(self) -> None:
        """Send the next drawing, as the canvas does after a stroke."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        drawing = self.drawings[self.next_drawing % len(self.drawings)]
        self.next_drawing += 1
        canvas = WidgetState(id=self.canvas_id, json_value=drawing.state)
        states = {**self.outside, **self.inside, self.canvas_id: canvas}
        now = time.perf_counter()
        self._expire(now)
        if drawing.key in self.pending:  # the same drawing twice in a row: not attributable
            return
        self.pending[drawing.key] = (now, drawing)
        if self.level is not None:
            self.level.sent += 1
        await self._send_rerun(states, self.fragment_id)

    def _expire(self, now: float) -> None:
        for key, (sent, _) in list(self.pending.items()):
            if now - sent > self.timeout:
                del self.pending[key]
                if self.level is not None:
                    self.level.timeouts += 1

    async def run(self, until: float) -> None:
        """Draw every 1-3 s (at random) until `until` (time.perf_counter)."""
        await asyncio.sleep(self.rng.uniform(0, self.interval[1]))
        while time.perf_counter() < until:
            await self.draw()
            await asyncio.sleep(self.rng.uniform(*self.interval))

    def settle(self, level: Level) -> None:
        """Count what is still unanswered at the end of a level, and stop counting."""
        for sent, _ in self.pending.values():
            if time.perf_counter() - sent > self.timeout:
                level.timeouts += 1
            else:
                level.superseded += 1  # cut off by the end of the level, not by the server
        self.pending.clear()
        self.level = None

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        if self.socket is not None:
            await self.socket.close()

    async def _read(self) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        from websockets.exceptions import ConnectionClosed

        while True:
            try:
                data = await self.socket.recv()
            except ConnectionClosed:
                if self.level is not None:
                    self.level.errors.append("the server closed the connection")
                return
            arrived = time.perf_counter()
            message = ForwardMsg()
            message.ParseFromString(data)
            self._receive(message, arrived)

    def _receive(self, message, arrived: float) -> None:
        kind = message.WhichOneof("type")
        if kind == "navigation":  # the page being shown; the browser sends its hash back
            self.page_hash = message.navigation.page_script_hash
        elif kind == "new_session":
            self._run = {"outside": {}, "inside": {}, "verdict": None, "key": None,
                         "digit": None}
        elif kind == "delta" and self._run is not None:
            self._delta(message.delta, arrived)
        elif kind == "script_finished" and self._run is not None:
            status = message.script_finished
            run, self._run = self._run, None
            if status == FINISHED:
                self.outside, self.inside = run["outside"], run["inside"]
            elif status == FINISHED_FRAGMENT:
                self.inside = run["inside"]
            if self.level is not None:
                self.level.fragment_runs += status == FINISHED_FRAGMENT
                self.level.page_runs += status == FINISHED
            self.loaded.set()
            if run["key"] is not None:
                self._answered(run, arrived)

    def _delta(self, delta, arrived: float) -> None:
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        run = self._run
        if kind == "markdown" and 'class="verdict"' in element.markdown.body:
            run["verdict"] = arrived
            # "It reads <b>7</b>, 100% sure." or "Not sure: 4 (55%) or 9 (40%).": the answer
            # is the first digit after the tag.
            found = re.search(r"\d", element.markdown.body.split('class="verdict">', 1)[-1])
            run["digit"] = found.group() if found else None
        elif kind == "exception" and self.level is not None:
            self.level.errors.append(element.exception.message)
        elif kind == "imgs":  # the browser then fetches each picture from the server
            for picture in element.imgs.imgs:
                if picture.url.startswith("/"):
                    asyncio.get_running_loop().run_in_executor(None, self._fetch, picture.url)
        widget = getattr(element, kind, None)
        widget_id = getattr(widget, "id", "")
        if not widget_id.startswith("$$ID"):
            return
        # Every widget's state as the browser keeps it: its default until touched.
        state = WidgetState(id=widget_id)
        if kind == "slider":
            state.double_array_value.data.extend(widget.default)
        elif kind == "checkbox":
            state.bool_value = widget.default
        elif kind == "button_group":
            state.string_array_value.SetInParent()
            if PILLS_KEY in widget_id:
                run["key"] = widget_id.split(PILLS_KEY, 1)[1]
        elif kind == "file_uploader":
            state.file_uploader_state_value.SetInParent()
        elif kind == "bidi_component":
            if "canvas" in widget.component_name:
                self.canvas_id, self.fragment_id = widget_id, delta.fragment_id
            return
        else:  # buttons send a trigger only when pressed
            return
        run["inside" if delta.fragment_id else "outside"][widget_id] = state

    def _fetch(self, path: str) -> None:
        try:
            with urllib.request.urlopen(self.url + path, timeout=self.timeout) as reply:
                reply.read()
        except OSError as error:
            if self.level is not None:
                self.level.errors.append(f"{path}: {error}")

    def _answered(self, run: dict, arrived: float) -> None:
        found = self.pending.pop(run["key"], None)
        if found is None or self.level is None:
            return
        sent, drawing = found
        if run["verdict"] is not None:
            self.level.answer_ms.append((run["verdict"] - sent) * 1e3)
            self.level.sent_at.append(sent)
            self.level.right += run["digit"] == str(drawing.label)
        self.level.finished_ms.append((arrived - sent) * 1e3)
        # Drawings sent before this one and still unanswered were replaced by it.
        for key, (other, _) in list(self.pending.items()):
            if other < sent:
                del self.pending[key]
                self.level.superseded += 1


async def open_page(server_url: str, page_name: str) -> float:
    """Open one page of the app in a new session, as a browser tab does, and wait until its
    script has run: the seconds it took. Used for the teacher's Class page before the
    students arrive (--class-page-first)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.asyncio.client import connect

    started = time.perf_counter()
    async with connect(server_url.replace("http", "ws", 1) + "/_stcore/stream",
                       origin=server_url, subprotocols=["streamlit", "PLACEHOLDER_AUTH_TOKEN"],
                       compression="deflate", max_size=64 * 2**20, ping_interval=None,
                       open_timeout=60) as socket:
        message = BackMsg()
        message.rerun_script.page_name = page_name
        for name, value in CONTEXT.items():
            setattr(message.rerun_script.context_info, name, value)
        message.rerun_script.context_info.url = f"{server_url}/{page_name}"
        await socket.send(message.SerializeToString())
        while True:
            reply = ForwardMsg()
            reply.ParseFromString(await asyncio.wait_for(socket.recv(), 120))
            if reply.WhichOneof("type") == "script_finished":
                return time.perf_counter() - started


# Training ---------------------------------------------------------------------------------

def start_training(models: Path, which: str):
    """Start a background training job in `models` (through TrainingJobs, so with the job's
    own process settings) and wait until it fits (the "fit" config: its second epoch).
    Returns (jobs, job id, what it is)."""
    os.environ["MNIST_MODELS_DIR"] = str(models)
    from mnist_core.config import QUICK
    from mnist_core.jobs import TrainingJobs
    from mnist_core.store import ModelStore

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


# The measurement --------------------------------------------------------------------------

async def measure(server: Server, drawings: list[Drawing], students: int, seconds: float,
                  args, seed: int) -> tuple[Level, float, float]:
    """Connect `students` students, let them draw for `seconds`; returns the level's figures,
    the server's CPU seconds and this client's CPU seconds over the measured part (opening
    the pages is not measured, nor profiled)."""
    rng = random.Random(seed)
    tabs = [Student(server.url, drawings, random.Random(rng.random()), tuple(args.interval),
                    args.timeout) for _ in range(students)]
    try:
        for start in range(0, students, 5):  # students arrive a few at a time
            await asyncio.gather(*(tab.connect() for tab in tabs[start:start + 5]))
        await asyncio.sleep(2)
        if args.profile:  # the page loads are not what is measured
            server.script_profile()
            server.stack_samples()
        level = Level()
        for tab in tabs:
            tab.level = level
        server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
        until = time.perf_counter() + seconds
        await asyncio.gather(*(tab.run(until) for tab in tabs))
        await asyncio.sleep(min(args.timeout, 3))  # the last answers
        server_cpu = (server.cpu_seconds() or 0.0) - (server_cpu or 0.0)
        client_cpu = time.process_time() - client_cpu
        for tab in tabs:
            tab.settle(level)
        return level, server_cpu, client_cpu
    finally:
        await asyncio.gather(*(tab.close() for tab in tabs))


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


def print_profile(server: Server, server_cpu: float, top: int = 25) -> None:
    """The level's script runs: their CPU against the whole server's, and the functions that
    took the most CPU time in them (cumulative, then their own), as cProfile measures it with
    each thread's CPU clock."""
    stats, runs = server.script_profile()
    samples = server.stack_samples()
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
                        print_profile(server, server_cpu)
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
