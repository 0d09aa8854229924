"""The Train page in a real browser: start a tiny training, watch it move, stop it."""

import re

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def fill(page, label: str, value: str) -> None:
    field = page.locator(f'input[aria-label="{label}"]')
    field.fill(value)
    field.press("Enter")
    page.wait_for_timeout(400)  # let the rerun that commits the value finish


def progress_value(page) -> float:
    bar = page.get_by_role("progressbar").first
    return float(bar.get_attribute("aria-valuenow") or 0)


def test_start_watch_the_progress_bar_move_and_stop(page, server, mnist_dir):
    page.get_by_role("link", name=re.compile("Train the network")).click()
    page.get_by_text("Settings", exact=True).wait_for(timeout=30_000)
    fill(page, "Hidden layers (units in each)", "32")
    fill(page, "Training images (0 = all 60,000)", "3000")
    fill(page, "Epochs", "200")
    screenshot(page, "train-filled")
    page.get_by_text("784-32-10").first.wait_for(timeout=10_000)
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Training in progress").wait_for(timeout=30_000)
    page.get_by_text(re.compile(r"Epoch \d+ of 200")).wait_for(timeout=60_000)
    first = progress_value(page)
    page.wait_for_function(
        f"() => Number(document.querySelector('[role=progressbar]')"
        f"?.getAttribute('aria-valuenow')) > {first}", timeout=30_000)
    screenshot(page, "train-running")
    page.get_by_role("button", name="Stop training").click()
    page.get_by_text(re.compile(r"Last training \(stopped")).wait_for(timeout=30_000)
    page.get_by_text(re.compile(r"Stopped by request after \d+ epoch")).wait_for()
    screenshot(page, "train-stopped")
