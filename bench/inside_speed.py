"""Time all the numbers the Inside the network page needs for one stroke.

For each drawing (a canvas picture of a sketched 0, 1 or 7 at a random size and place), times
everything the page could compute after a stroke, all views at once (the page computes only
the open tab, so this is an upper bound): preprocessing and the check that it is a digit,
10 units switched off, the forward pass with every layer, the answer's and the runner-up's
parts, the pictures of 5 supporters and 5 opponents, gradient x input, the first-layer
gallery, the what-if input and the shift curve, the broken model's answer and the other
model's forward pass. Prints median and p95 per step and in all. Then the per-slider costs
of "Break it" (breaking the model, scoring 1,000 test images), which are cached per setting.

    python bench/inside_speed.py                 # the shipped model, 200 drawings
    python bench/inside_speed.py --drawings 500

The products of one drawing with the weights avoid BLAS (mnist_core.inside.explain says why);
scoring 1,000 test images uses it. OPENBLAS_NUM_THREADS=1 shows the difference BLAS's
threads make on a busy machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mnist_core.data.drawn import render_strokes, sketch  # noqa: E402
from mnist_core.inside import explain as inside  # noqa: E402
from mnist_core.inside.explain import Breakage, WhatIf  # noqa: E402
from mnist_core.reading.preprocessing import preprocess  # noqa: E402
from mnist_core.reading.shape import check_digit, measure_ink  # noqa: E402
from mnist_core.recognizer import Recognizer  # noqa: E402


def drawings(count: int, seed: int = 0) -> list[np.ndarray]:
    """(336, 336, 4) uint8 canvas pictures, as the page's canvas sends them."""
    rng = np.random.default_rng(seed)
    out = []
    for index in range(count):
        picture = render_strokes(sketch(int(rng.choice([0, 1, 7]))),
                                 brush_width=int(rng.integers(12, 30)),
                                 scale=float(rng.uniform(150, 260)),
                                 centre=(float(rng.uniform(130, 206)),
                                         float(rng.uniform(130, 206))))
        canvas = np.zeros((336, 336, 4), np.uint8)
        h, w = min(336, picture.shape[0]), min(336, picture.shape[1])
        canvas[:h, :w] = picture[:h, :w]
        out.append(canvas)
        del index
    return out


def read(image: np.ndarray) -> np.ndarray:
    """What the page does with a canvas picture: preprocess and check it is a digit."""
    model_input, steps = preprocess(image, return_steps=True)
    check_digit(measure_ink(steps.ink))
    return model_input


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--drawings", type=int, default=200)
    args = parser.parse_args()
    recognizer = Recognizer.load()
    weights = recognizer.weights
    layer = len(weights.hidden_units) - 1
    broken = inside.break_model(weights, Breakage(units_off=0.5, weight_noise=0.3))
    other = inside.break_model(weights, Breakage(weight_noise=0.1, seed=9))  # another model
    changes = WhatIf(shift_x=3, rotate=10, scale=0.9, thickness=1, noise=0.1)
    steps: dict[str, list[float]] = {}

    def timed(name, function):
        start = time.perf_counter()
        result = function()
        steps.setdefault(name, []).append((time.perf_counter() - start) * 1e3)
        return result

    pictures = drawings(args.drawings + 10)
    for number, image in enumerate(pictures):
        if number == 10:
            steps.clear()  # the first ten warm up numpy and the caches
        start = time.perf_counter()
        model_input = timed("preprocess + digit check", lambda i=image: read(i))
        dimmed = timed("switch off 10 units", lambda: inside.switch_off(
            weights, [(layer, unit) for unit in range(0, 100, 10)]))
        explanation = timed("layers + why (forward, parts)",
                            lambda x=model_input, w=dimmed: inside.explain(w, x))
        answer = explanation.answer
        timed("10 unit pictures", lambda x=model_input, w=dimmed, a=answer: inside.unit_pictures(
            w, x, layer, (*a.supporters[:5], *a.opponents[:5])))
        timed("tile grids", lambda e=explanation: [inside.tile_grid(a)
                                                   for a in e.forward.activations])
        timed("where it looks (gradient x input)", lambda x=model_input, w=dimmed, e=explanation:
              inside.saliency(w, x, (e.answer.digit, e.runner_up.digit)))
        timed("first-layer gallery (24)", lambda x=model_input, w=dimmed:
              inside.first_layer_pictures(w, x, 24))
        timed("what if + shift curve (17 inputs)", lambda x=model_input, w=dimmed: (
            inside.what_if(x, changes), inside.shift_curve(w, x, changes)))
        timed("break it: the drawing's answer", lambda x=model_input: inside.forward(broken, x))
        timed("two models: the other's layers", lambda x=model_input: inside.forward(other, x))
        steps.setdefault("ALL views for one stroke", []).append(
            (time.perf_counter() - start) * 1e3)
        steps.setdefault("the page's default (Why view) stroke", []).append(sum(
            steps[name][-1] for name in ("preprocess + digit check", "switch off 10 units",
                                         "layers + why (forward, parts)", "10 unit pictures",
                                         "tile grids")))

    load = os.getloadavg()[0]
    print(f"{args.drawings} drawings, model {'-'.join(map(str, weights.hidden_units))}, "
          f"load average {load:.1f} on {os.cpu_count()} cores")
    for name, values in steps.items():
        print(f"  {name:36s} median {np.median(values):6.2f} ms   p95 "
              f"{np.percentile(values, 95):6.2f} ms")

    costs = []
    for seed in range(5):
        start = time.perf_counter()
        inside.break_model(weights, Breakage(units_off=0.3, weight_noise=0.5, seed=seed))
        costs.append((time.perf_counter() - start) * 1e3)
    print(f"per Break it setting (cached): breaking the model median {np.median(costs):.0f} ms",
          end="")
    try:
        from mnist_core.data.mnist import DOWNLOAD_URL, load_mnist, mnist_source

        if mnist_source() == DOWNLOAD_URL:
            raise LookupError
        _, (x_test, y_test) = load_mnist()
    except (LookupError, OSError):
        print("; scoring skipped: no MNIST on this machine (set MNIST_DATA_DIR)")
        return
    scores = []
    for _ in range(5):
        start = time.perf_counter()
        inside.accuracy(broken, x_test[:1000], y_test[:1000])
        scores.append((time.perf_counter() - start) * 1e3)
    print(f", scoring 1,000 test images median {np.median(scores):.0f} ms")


if __name__ == "__main__":
    main()
