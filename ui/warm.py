"""Warming a just-started server before the class arrives.

A fresh server's first answers were slow: the first 30 students on a just-started server
waited up to 1.2-2.5 s (p95) for an answer, against 26-87 ms once warm (bench/class_load.py).
Their first strokes paid together for what a process does once: the first conversion of a
chart's data to Arrow (33 ms alone, then 1.5 ms), Pillow's first picture (44 ms, then 1 ms:
its plugins load on first use), the first reading, and the model loaded into the shared
`st.cache_resource` (0.2 s) when no page has loaded it yet. Paid by 30 script threads at once,
under Python's import lock and one GIL, each stroke waited for the others, and a late answer
was overtaken by the student's next stroke, whose run started over (most drawings of the
first seconds were superseded so).

`start()` does all of that once per process in a background thread, through the functions the
home page calls on a stroke. Every page's sidebar calls it, so the first page anyone opens
(the teacher's Class page, or the first student's home page) warms the server while the
others are still joining and drawing their first stroke: the first 30 students on a fresh
server, p95 1,196 ms without it, 256-376 ms with it, as a warm server's next 30 (370-433 ms,
same machine and day; `python bench/class_load.py --students 30 30 --training off`).
The warming writes nothing, changes nothing shared (the model cache holds what the first page
would have put there), never imports Keras or TensorFlow, and never raises into a page: a
step that fails is logged and skipped.
"""

from __future__ import annotations

import importlib
import io
import logging
import threading
import time
from dataclasses import dataclass, field

import numpy as np

__all__ = ["WarmReport", "start", "warm"]

_LOG = logging.getLogger(__name__)
_CANVAS = 336  # px: the home page's canvas (app.CANVAS_SIZE)
_PEN = 22  # px: its default pen (app.DEFAULT_PEN)
# What the home page imports and a stroke uses (ui.canvas is left to the page: it registers
# Streamlit's component when imported, which belongs in a script run).
_MODULES = ("pandas", "mnist_core.recognizer", "mnist_core.reading.visualize",
            "mnist_core.reading.images", "mnist_core.classroom.drawings", "mnist_core.wording",
            "ui.models", "ui.teach", "ui.text")

_started: threading.Thread | None = None
_start_lock = threading.Lock()


@dataclass
class WarmReport:
    """What one warming did.

    Attributes:
        seconds: each step's wall time in s, by name, in the order run ("imports", "model",
            "reading", "chart data", "pictures").
        errors: the steps that failed, by name, with the error as text (logged, not raised).
    """

    seconds: dict[str, float] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _drawn_seven() -> np.ndarray:
    """A 7 as the canvas sends it (`drawn.render_strokes`): (336, 336, 4) uint8 RGBA."""
    from mnist_core.data.drawn import render_strokes, sketch

    return render_strokes(sketch(7), canvas_size=_CANVAS, brush_width=_PEN, scale=200,
                          centre=(_CANVAS / 2, _CANVAS / 2))


def _imports() -> None:
    for name in _MODULES:
        importlib.import_module(name)


def _model():
    from ui.models import active_recognizer

    return active_recognizer()


def _reading(recognizer) -> np.ndarray:
    """One stroke's reading, as app.show_reading does it; returns the network's input."""
    from mnist_core.classroom.drawings import digest_of
    from mnist_core.reading.visualize import enlarge, preprocessing_panels

    number = recognizer.predict_number(_drawn_seven(), return_steps=True)
    prediction = number.digits[0]
    digest_of(prediction.model_input)
    preprocessing_panels(prediction.steps, 168)
    return enlarge(prediction.model_input, 168)


def _chart_data() -> None:
    """A probabilities chart's data through Streamlit's own Arrow conversion."""
    import pandas as pd
    from streamlit import dataframe_util

    frame = pd.DataFrame({"digit": [str(digit) for digit in range(10)],
                          "probability": np.linspace(0.0, 0.9, 10),
                          "answer": [digit == 7 for digit in range(10)]})
    dataframe_util.convert_anything_to_arrow_bytes(frame)


def _pictures(picture: np.ndarray) -> None:
    """A picture in the formats st.image sends: JPEG for an opaque one, PNG otherwise."""
    from PIL import Image

    for image, kind in ((Image.fromarray(picture), "JPEG"),
                        (Image.fromarray(picture).convert("RGBA"), "PNG")):
        image.save(io.BytesIO(), format=kind)


def warm() -> WarmReport:
    """Do once, here and now, what a fresh server's first strokes would do. Never raises."""
    report = WarmReport()
    found: dict[str, object] = {}

    def step(name: str, work) -> None:
        began = time.perf_counter()
        try:
            found[name] = work()
        except Exception as error:  # noqa: BLE001 - warming must never break a page
            report.errors[name] = f"{type(error).__name__}: {error}"
            _LOG.warning("Warming the server: %s failed (%s); the first students pay for it.",
                         name, report.errors[name])
        report.seconds[name] = time.perf_counter() - began

    step("imports", _imports)
    step("model", _model)
    if found.get("model") is not None:
        step("reading", lambda: _reading(found["model"]))
    step("chart data", _chart_data)
    picture = found.get("reading")
    step("pictures", lambda: _pictures(picture if isinstance(picture, np.ndarray)
                                       else np.zeros((168, 168), np.uint8)))
    _LOG.info("Server warmed in %.2f s: %s", sum(report.seconds.values()),
              ", ".join(f"{name} {seconds * 1e3:.0f} ms"
                        for name, seconds in report.seconds.items()))
    return report


def start() -> threading.Thread | None:
    """Warm this process in a background thread, once: the thread the first time, None after.
    Returns at once; costs a page nothing but the thread's share of the CPU meanwhile."""
    global _started
    with _start_lock:
        if _started is not None:
            return None
        _started = threading.Thread(target=warm, name="warm-server", daemon=True)
        _started.start()
        return _started
