"""ui/canvas.py: the library's canvas without its 200 ms wait before each send."""

import sys

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import PROJECT


@pytest.fixture(scope="module")
def canvas():
    # The components register inside a Streamlit runtime; the home page imports the module.
    AppTest.from_file(str(PROJECT / "app.py"), default_timeout=60).run()
    return sys.modules["ui.canvas"]


def test_the_pinned_canvas_sends_each_stroke_without_its_200_ms_wait(canvas):
    """Fails when an upgraded streamlit-drawable-canvas no longer has the constant: the page
    still works then (with the stock component), but every answer comes 200 ms later."""
    assert canvas.PATCHED
    assert canvas._library.out is canvas._component


def test_the_loader_fetches_the_bundle_streamlit_serves_for_the_library(canvas):
    script = canvas._loader_script()
    bundle = canvas._bundle()
    served = f"/_stcore/bidi-components/{canvas._LIBRARY_COMPONENT}/{bundle.name}"
    assert f'const SOURCE = "{served}";' in script
    assert '.replace("Bc = 200,", "Bc = 0,")' in script
    assert len(script) < 2_000  # an inline script is sent with every rerun
