"""Real-browser fixtures: the app served by `streamlit run`, driven by Debian's Chromium.

Without Chromium these tests skip and say how to install it; in CI (MNIST_REQUIRE_BROWSER=1)
a missing browser is a failure instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.serving import free_port, stop_server, wait_until_serving
from tests.conftest import PROJECT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 # A headless page counts as hidden, and Chromium delays a hidden page's
                 # timers; the canvas's 200 ms send debounce is such a timer. A person's
                 # visible tab is not throttled, so neither is this one.
                 "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                 "--disable-backgrounding-occluded-windows"]
SCREENSHOTS = PROJECT / "screenshots-tmp"


def _require_browser() -> None:
    missing = not Path(CHROMIUM).exists()
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = True
    if missing:
        message = ("Chromium or Playwright is missing: `apt-get install chromium` and "
                   "`pip install -r requirements-dev.txt` (do not run `playwright install`).")
        if os.environ.get("MNIST_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)


class Server:
    """A `streamlit run app.py` on a free localhost port, with its own models folder."""

    def __init__(self, models_dir: Path, extra_env: dict[str, str] | None = None,
                 script: str = "app.py"):
        self.models_dir = models_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "MNIST_MODELS_DIR": str(models_dir), **(extra_env or {})}
        self.log = open(models_dir.parent / f"streamlit-{self.port}.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=PROJECT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_until_serving(self.url, self.process, timeout=60):
            self.stop()
            raise RuntimeError(f"streamlit did not start; see {self.log.name}")

    def stop(self) -> None:
        stop_server(self.process, self.log)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory, browser):
    """The app, served with an empty models folder (so the shipped model is active)."""
    models = tmp_path_factory.mktemp("browser") / "models"
    models.mkdir()
    running = Server(models)
    yield running
    running.stop()


@pytest.fixture
def page(browser, server):
    """A fresh browser tab on the home page, loaded and idle."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.goto(server.url)
    tab.get_by_text("Draw a digit").first.wait_for(timeout=60_000)
    yield tab
    context.close()


def screenshot(page, name: str, full_page: bool = True) -> Path:
    """Save a screenshot to look at (screenshots-tmp/ is not committed); `full_page` False
    keeps what the window shows."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(800)  # charts and images draw after their data arrives
    page.screenshot(path=str(path), full_page=full_page)
    return path


def clear_screenshots() -> None:
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
