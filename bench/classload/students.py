"""The students: simulated browser tabs on the home page, and one level's measurement.

Each student opens the home page, then every 1-3 s (at random) sends a new drawing, as the
canvas does at the end of a stroke, and times send -> answer shown; `measure` connects N of
them to the server, lets them draw for a while and collects what they saw in a Level.

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
"""

from __future__ import annotations

import asyncio
import random
import re
import time
import urllib.request
from dataclasses import dataclass, field

from .drawings import Drawing
from .profiling import script_profile, stack_samples
from .server import Server

# The browser's context, as Chromium sent it (en-US, UTC).
CONTEXT = {"timezone": "UTC", "timezone_offset": 0, "locale": "en-US", "is_embedded": False,
           "color_scheme": "light"}
FINISHED = 0  # ForwardMsg.ScriptFinishedStatus: FINISHED_SUCCESSFULLY
FINISHED_FRAGMENT = 3  # FINISHED_FRAGMENT_RUN_SUCCESSFULLY
PILLS_KEY = "wrong-canvas-"  # ui/teach.py: the pills' key holds the drawing's digest[:16]


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
            script_profile(server.folder)
            stack_samples(server.folder)
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
