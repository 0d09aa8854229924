"""Every page in a real browser: it loads nothing from outside the server (a classroom may
have no internet) and logs no errors of ours."""

import re
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

PAGES = ["", "Train", "Curves", "Inside", "My_drawings", "Class"]
# Streamlit itself, opened at a page's own address, first asks for /<page>/_stcore/health and
# /<page>/_stcore/host-config (404), then the right ones: streamlit/streamlit#7074.
STREAMLITS_OWN_404 = re.compile(
    r"/(Train|Curves|Inside|My_drawings|Class)/_stcore/(health|host-config)$")


@pytest.mark.parametrize("path", PAGES)
def test_a_page_loads_only_from_the_server_and_logs_no_errors(browser, server, path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        tab = context.new_page()
        outside, failed, errors = [], [], []
        tab.on("request", lambda request: outside.append(request.url)
               if urlparse(request.url).hostname not in ("127.0.0.1", None) else None)
        tab.on("response", lambda response: failed.append(response.url)
               if response.status >= 400 and not STREAMLITS_OWN_404.search(response.url)
               else None)
        tab.on("console", lambda message: errors.append(message.text)
               if message.type == "error" and "404 (Not Found)" not in message.text else None)
        tab.goto(f"{server.url}/{path}")
        tab.get_by_text("Model in use", exact=True).wait_for(timeout=60_000)
        tab.wait_for_load_state("networkidle")
        tab.wait_for_timeout(1500)
        assert not [url for url in outside if not url.startswith(("data:", "blob:"))], outside
        assert not failed, failed
        assert not errors, errors
    finally:
        context.close()
