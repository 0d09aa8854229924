"""The Curves page in a real browser: every chart actually draws (AppTest cannot see that)."""

import re

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_every_chart_draws_and_the_mistakes_show(page, mnist_dir):
    page.get_by_role("link", name=re.compile("Training runs and curves")).click()
    page.get_by_text("The test images behind a cell").wait_for(timeout=60_000)
    charts = page.locator("[data-testid='stVegaLiteChart']")
    # Two learning curves, the confusion matrix and the mistakes per digit.
    page.wait_for_function(
        "() => [...document.querySelectorAll(\"[data-testid='stVegaLiteChart'] canvas, "
        "[data-testid='stVegaLiteChart'] svg\")].filter(e => e.getBoundingClientRect()"
        ".height > 100).length >= 4", timeout=30_000)
    assert charts.count() == 4
    page.get_by_text(re.compile(r"\d+ mistake\(s\); the \d+ most confident shown")).wait_for()
    screenshot(page, "curves")
