"""How fast the saved-drawings store is: saving one drawing, reading the gallery, export, import.

Works in a temporary folder with canvases re-drawn from MNIST test digits (as the app saves
them: the canvas PNG and its 28x28 model input). Prints medians.

    python bench/drawings_store.py               # 500 drawings
    python bench/drawings_store.py --count 2000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mnist_core.classroom.drawings import DrawingStore  # noqa: E402
from mnist_core.data.drawn import iter_redrawn  # noqa: E402
from mnist_core.data.mnist import load_mnist  # noqa: E402
from mnist_core.reading.preprocessing import preprocess  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=500)
    args = parser.parse_args()
    _, (x_test, y_test) = load_mnist()
    canvases = list(iter_redrawn(x_test[:args.count], seed=1))
    inputs = [preprocess(canvas) for canvas in canvases]
    folder = Path(tempfile.mkdtemp())
    store = DrawingStore(folder / "data")

    saves = []
    for canvas, model_input, label in zip(canvases, inputs, y_test, strict=False):
        started = time.perf_counter()
        store.add(int(label), model_input, canvas, predicted=int(label), confidence=0.9)
        saves.append(time.perf_counter() - started)
    size = store.path.stat().st_size
    print(f"save one drawing (PNG encode + one durable transaction): median "
          f"{np.median(saves) * 1e3:.1f} ms, p95 {np.percentile(saves, 95) * 1e3:.1f} ms; "
          f"{size / args.count / 1e3:.1f} kB per drawing on disk")

    def timed(action, repeats=5):
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            result = action()
            times.append(time.perf_counter() - started)
        return float(np.median(times)), result

    def gallery_page():  # what the My drawings page reads: counts, one list, the pictures
        store.counts()
        return [store.image_png(drawing.id) for drawing in store.list(limit=36)]

    seconds, _ = timed(gallery_page)
    print(f"gallery page (counts + 36 drawings with pictures): {seconds * 1e3:.1f} ms")
    seconds, data = timed(store.export_zip, repeats=3)
    print(f"export {args.count} drawings: {seconds:.2f} s, zip {len(data) / 1e6:.1f} MB")
    other = DrawingStore(folder / "other")
    started = time.perf_counter()
    report = other.import_zip(data)
    print(f"import them back: {time.perf_counter() - started:.2f} s "
          f"({report.added} added, {len(report.problems)} skipped)")

    # Eight sessions saving at once, as a class would.
    crowd = DrawingStore(folder / "crowd")
    per_writer = max(1, args.count // 8)
    started = time.perf_counter()
    threads = [threading.Thread(target=lambda w=w: [
        DrawingStore(crowd.folder).add(int(y_test[i]), inputs[i], canvases[i])
        for i in range(w * per_writer, (w + 1) * per_writer)]) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    print(f"8 sessions saving {8 * per_writer} drawings at once: {elapsed:.2f} s, "
          f"{8 * per_writer / elapsed:.0f} saves/s, {crowd.counts().total} saved")


if __name__ == "__main__":
    main()
