"""The drawings the students send (Drawing), made before the server starts (drawing_pool).

The drawings are MNIST test digits re-drawn as pen strokes (mnist_core.data.drawn) with the app's
default pen (22 px) at a random size and place, read beforehand by the shipped model so that
only single digits are sent (a number or a dot gets no pills, hence no sure attribution).

Each is the canvas widget's JSON value, `{"drawing": {"raw": <Fabric.js JSON with the stroke
paths>, "data": <PNG data URL, 336x336 RGBA, white ink on opaque black>}}`, with the digest of
its 28x28 network input, by which an answer is matched to its drawing (see students).
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass

import numpy as np

CANVAS_SIZE = 336  # px, app.CANVAS_SIZE
DEFAULT_PEN = 22  # px, app.DEFAULT_PEN
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

    from mnist_core.data.drawn import render_strokes

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
    MNIST, the hand-made 0, 1 and 7 of mnist_core.data.drawn.sketch. Each is read once here with the
    shipped model (numpy only, no TensorFlow) to keep single digits and learn their digest.
    """
    from mnist_core import MnistCoreError, Recognizer
    from mnist_core.classroom.drawings import digest_of
    from mnist_core.data.drawn import sketch, strokes_from_digit
    from mnist_core.data.mnist import load_mnist
    from mnist_core.runs.store import ModelStore

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
