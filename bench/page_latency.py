"""Time from mouse-up to the new prediction appearing in the browser.

Starts the app with `streamlit run` on a free port, opens it in headless Chromium (Debian's,
driven by Playwright), and draws strokes with the mouse. For each stroke, the page itself
records `performance.now()` at mouse-up and when the answer text changes (a MutationObserver),
so the figure is what a person sees, without the test driver's own delays. Prints median and
p95 over the strokes.

    python bench/page_latency.py            # 40 strokes
    python bench/page_latency.py --strokes 100
    python bench/page_latency.py --page inside   # the Inside the network page

On the Inside the network page ("--page inside", its "Why this answer" view open) the figure
is mouse-up to the last change the stroke makes on the page: every DOM change and every
picture loaded until the page has been still for SETTLE_MS, so all views are updated, not
only the answer line.
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


# Inside the network: the time of the last DOM change or picture loaded after each mouse-up.
WATCH_VIEWS = """() => {
  window.__latencies = [];
  document.addEventListener('mouseup', () => {
    window.__up = performance.now(); window.__last = undefined; }, true);
  const mark = () => { if (window.__up !== undefined) window.__last = performance.now(); };
  new MutationObserver(mark).observe(document.body, {subtree: true, childList: true,
                                                      characterData: true});
  document.addEventListener('load', (event) => {
    if (event.target.tagName === 'IMG') mark(); }, true);
}"""
# Per page: its address, the text shown before anything is drawn, and the answer's words.
PAGES = {
    "home": ("", "Draw a digit in the black square", "It reads {digit},"),
    "inside": ("/Inside", "Draw a digit in the black square: the layers", "reads {digit},"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--strokes", type=int, default=40)
    parser.add_argument("--all", action="store_true", help="print every latency")
    parser.add_argument("--page", choices=sorted(PAGES), default="home",
                        help="which page to draw on (default: the home page)")
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
            path, invitation, reads = PAGES[args.page]
            views = args.page == "inside"
            page.goto(server.url + path)
            page.get_by_text(invitation).wait_for(timeout=60_000)
            page.evaluate(WATCH_VIEWS if views else WATCH)
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
                page.get_by_text(reads.format(digit=digit)).first.wait_for(timeout=20_000)
                if views:  # all views updated: the page has been still for SETTLE_MS
                    page.wait_for_timeout(SETTLE_MS)
                    page.evaluate("() => { window.__latencies.push(window.__last - window.__up);"
                                  " window.__up = undefined; }")
                old = canvas.element_handle()
                page.get_by_role("button", name="Clear").click()
                page.wait_for_function("element => !element.isConnected", arg=old)
                page.get_by_text(invitation).wait_for(timeout=20_000)
                page.locator("canvas.upper-canvas").first.wait_for()
                page.wait_for_timeout(SETTLE_MS)  # a person takes longer than this to start
            latencies = np.array(page.evaluate("() => window.__latencies"))
            per_stroke = (sum(received) - loaded) / args.strokes  # a stroke and its Clear
            browser.close()
    finally:
        server.stop()
    if args.all:
        print("all:", " ".join(f"{v:.0f}" for v in latencies))
    what = "all views updated" if args.page == "inside" else "new answer"
    print(f"{args.page} page, load average {os.getloadavg()[0]:.1f}: mouse-up to {what}, "
          f"{len(latencies)} strokes: median "
          f"{np.median(latencies):.0f} ms, p95 {np.percentile(latencies, 95):.0f} ms, "
          f"max {latencies.max():.0f} ms")
    print(f"sent by the server: {loaded / 1e3:.0f} kB to open the page, "
          f"{per_stroke / 1e3:.1f} kB per stroke (with its Clear)")


if __name__ == "__main__":
    main()
