"""streamlit-drawable-canvas, sending each stroke as soon as it ends.

The library waits 200 ms after a stroke before it sends the drawing to the server (a debounce
constant in its JavaScript bundle, not an option). For a page that answers after every stroke,
that wait was two thirds of the time a person waited for the answer (bench/page_latency.py:
p95 324 ms with it, 157 ms without).

So this module registers a second component whose script is a few lines: it fetches the
library's own bundle (served by Streamlit, unchanged), sets that one constant to
SEND_DELAY_MS, and runs it. The library's `st_canvas` is used as it is (same arguments, same
result), drawing through that component. Inline component scripts are sent with every rerun,
which is why the loader is small and the 400 kB bundle is fetched (and cached) by the browser.

If the installed bundle does not contain the constant exactly once (another library version),
nothing is changed and the stock component is used: slower, and with the library's own toolbar,
which hides over the square's top-right corner (see TOOLBAR_CSS). `PATCHED` says which, and
tests/test_canvas.py fails then.
"""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st
import streamlit_drawable_canvas as _library

# One stroke is one send, and the send is scheduled at mouse-up: there is nothing to wait for.
SEND_DELAY_MS = 0
DEBOUNCE_SOURCE = "Bc = 200,"
_LIBRARY_COMPONENT = "streamlit-drawable-canvas.streamlit_drawable_canvas"

# Runs in the browser. Called on every render with the component's arguments; returns the
# cleanup the library returns. Renders queue behind one shared load, in order.
_LOADER = """
const SOURCE = %(source)s;
let library = null;
function load() {
  library ??= fetch(SOURCE)
    .then((response) => {
      if (!response.ok) throw new Error(`canvas script: HTTP ${response.status} for ${SOURCE}`);
      return response.text();
    })
    .then((text) => {
      const blob = new Blob([text.replace(%(find)s, %(replace)s)], {type: "text/javascript"});
      return import(URL.createObjectURL(blob));
    })
    .catch((error) => {  // say why, then draw with the stock script rather than not at all
      console.warn("Quick canvas unavailable, using the stock one:", error);
      return import(SOURCE);
    });
  return library;
}
export default function (component) {
  let cleanup = null;
  let unmounted = false;
  load().then((module) => { if (!unmounted) cleanup = module.default(component); });
  return () => { unmounted = true; if (cleanup) cleanup(); };
}
"""


def _bundle() -> Path | None:
    scripts = sorted((Path(_library.__file__).parent / "frontend" / "build").glob("index-*.js"))
    return scripts[0] if len(scripts) == 1 else None


def _loader_script() -> str | None:
    """The component script, or None when the installed bundle is not the one we know."""
    bundle = _bundle()
    if bundle is None or bundle.read_text(encoding="utf-8").count(DEBOUNCE_SOURCE) != 1:
        return None
    base = st.get_option("server.baseUrlPath").strip("/")
    prefix = f"/{base}" if base else ""
    source = f"{prefix}/_stcore/bidi-components/{_LIBRARY_COMPONENT}/{bundle.name}"
    return _LOADER % {"source": json.dumps(source), "find": json.dumps(DEBOUNCE_SOURCE),
                      "replace": json.dumps(f"Bc = {SEND_DELAY_MS},")}


# The library's toolbar (undo, redo, "Reset canvas & history") rests invisible over the
# square's top-right corner and slides above it 0.1-0.2 s after the pointer arrives: a stroke
# started there sooner pressed the invisible buttons instead (nothing drawn), and a quick click
# there reset a finished drawing. So on every device it sits above the square, shown, never
# moving; its bottom edge is the square's top edge, and its transparent padding lets clicks
# through, so only the visible card takes any. The page leaves room above the square for it
# (.toolbar-room: the toolbar is 2.9 rem tall). Selectors as specific as the library's hover
# rule (`.dc-root:hover > .dc-toolbar`), and later, so they win over all its states.
TOOLBAR_CSS = """
.dc-root > .dc-toolbar, .dc-root:hover > .dc-toolbar {
  opacity: 1; top: auto; bottom: 100%; transition: none; pointer-events: none;
}
.dc-toolbar-card {pointer-events: auto;}
"""


def _quick_component():
    script = _loader_script()
    if script is None:
        return None
    css = _bundle().with_name("index-style.css")
    styles = css.read_text(encoding="utf-8") if css.exists() else ""
    return st.components.v2.component(
        "mnist-draw.quick_canvas", js=script, css=styles + "\n" + TOOLBAR_CSS,
        html='<div class="canvas-root"></div>', isolate_styles=True)


_component = _quick_component()
PATCHED = _component is not None
if PATCHED:
    _library.out = _component

st_canvas = _library.st_canvas
