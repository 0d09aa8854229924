"""Make docs/home.png, the README's picture of the home page: a drawn 2 with its answer, the
preprocessing steps shown, and the 'Right' / 'Wrong?' buttons.

    python docs/screenshot.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, Server  # noqa: E402
from tests.browser.test_home_page import answer, draw  # noqa: E402

TWO = [[(85, 95), (100, 62), (140, 45), (180, 60), (192, 100), (172, 140), (90, 232),
        (208, 232)]]


def main() -> None:
    from playwright.sync_api import sync_playwright

    root = Path(tempfile.mkdtemp())
    (root / "models").mkdir()
    server = Server(root / "models", {"MNIST_DRAWINGS_DIR": str(root / "data")})
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1180})
            page.goto(server.url)
            page.get_by_text("Draw a digit in the black square").wait_for(timeout=60_000)
            page.wait_for_timeout(1000)
            draw(page, TWO)
            answer(page, "2").wait_for(timeout=20_000)
            page.get_by_text("Show how the drawing becomes the network's input").click()
            page.get_by_text("4. Centred in 28x28").wait_for(timeout=20_000)
            page.mouse.move(1250, 1150)  # over nothing: no hover effects in the picture
            page.wait_for_timeout(1500)
            out = Path(__file__).resolve().parent / "home.png"
            page.screenshot(path=str(out), full_page=True)
            browser.close()
        print(f"wrote {out}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
