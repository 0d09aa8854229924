"""Time from mouse-up to the new prediction appearing in the browser.

Starts the app with `streamlit run` on a free port, opens it in headless Chromium (Debian's,
driven by Playwright), and draws strokes with the mouse. For each stroke, the page itself
records `performance.now()` at mouse-up and when the answer text changes (a MutationObserver),
so the figure is what a person sees, without the test driver's own delays. Prints median and
p95 over the strokes.

    python bench/page_latency.py            # 40 strokes
    python bench/page_latency.py --strokes 100
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, Server  # noqa: E402

# Alternating digits, so every stroke after a clear changes the answer.
STROKES = [
    ("1", [(140, 45), (138, 240)]),
    ("7", [(75, 60), (205, 60), (125, 235)]),
]
# After Clear the canvas component is replaced; a person takes longer than this to draw the
# next stroke, and a stroke sent sooner waits on the new canvas settling.
SETTLE_MS = int(os.environ.get("SETTLE_MS", "1500"))
WATCH = """() => {
  window.__latencies = [];
  document.addEventListener('mouseup', () => { window.__up = performance.now(); }, true);
  let last = '';
  new MutationObserver(() => {
    const el = document.querySelector('.verdict');
    const text = el ? el.textContent : '';
    if (text && text !== last && window.__up !== undefined) {
      window.__latencies.push(performance.now() - window.__up);
      window.__up = undefined;
    }
    last = text;
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--strokes", type=int, default=40)
    parser.add_argument("--all", action="store_true", help="print every latency")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    models = Path(tempfile.mkdtemp()) / "models"
    models.mkdir()
    server = Server(models)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            received = []  # bytes of each websocket message from the server
            page.on("websocket", lambda socket: socket.on(
                "framereceived", lambda payload: received.append(len(payload))))
            page.goto(server.url)
            page.get_by_text("Draw a digit in the black square").wait_for(timeout=60_000)
            page.evaluate(WATCH)
            page.wait_for_timeout(SETTLE_MS)
            loaded = sum(received)
            for number in range(args.strokes):
                digit, points = STROKES[number % 2]
                canvas = page.locator("canvas.upper-canvas").first
                box = canvas.bounding_box()
                scale = box["width"] / 280
                page.mouse.move(box["x"] + points[0][0] * scale, box["y"] + points[0][1] * scale)
                page.mouse.down()
                for x, y in points[1:]:
                    page.mouse.move(box["x"] + x * scale, box["y"] + y * scale, steps=8)
                page.mouse.up()
                page.get_by_text(f"It reads {digit},").wait_for(timeout=20_000)
                old = canvas.element_handle()
                page.get_by_role("button", name="Clear").click()
                page.wait_for_function("element => !element.isConnected", arg=old)
                page.get_by_text("Draw a digit in the black square").wait_for(timeout=20_000)
                page.locator("canvas.upper-canvas").first.wait_for()
                page.wait_for_timeout(SETTLE_MS)  # a person takes longer than this to start
            latencies = np.array(page.evaluate("() => window.__latencies"))
            per_stroke = (sum(received) - loaded) / args.strokes  # a stroke and its Clear
            browser.close()
    finally:
        server.stop()
    if args.all:
        print("all:", " ".join(f"{v:.0f}" for v in latencies))
    print(f"mouse-up to new answer, {len(latencies)} strokes: median "
          f"{np.median(latencies):.0f} ms, p95 {np.percentile(latencies, 95):.0f} ms, "
          f"max {latencies.max():.0f} ms")
    print(f"sent by the server: {loaded / 1e3:.0f} kB to open the page, "
          f"{per_stroke / 1e3:.1f} kB per stroke (with its Clear)")


if __name__ == "__main__":
    main()
