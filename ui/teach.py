"""'Right, it's a …' and 'Wrong? It was a …' under an answer: save the drawing with its digit."""

from __future__ import annotations

import numpy as np
import streamlit as st

from mnist_core import DrawingStore, MnistCoreError
from mnist_core.drawings import digest_of
from mnist_core.recognizer import Prediction

_SAVED = "saved_drawings"  # session state: {digest: what the page says about its saving}
_LABELS = "Wrong? It was a …"


def _save(label: int | None, prediction: Prediction, image: np.ndarray, source: str,
          model: str | None, digest: str) -> None:
    if label is None:  # the choice was taken back
        return
    drawings = DrawingStore()
    try:
        _, what = drawings.add(label, prediction.model_input, image,
                               predicted=prediction.digit, confidence=prediction.confidence,
                               model=model, source=source)
        total = drawings.counts().total
    except MnistCoreError as error:
        st.session_state.setdefault(_SAVED, {})[digest] = ("error", f"Not saved: {error}")
        return
    verb = {"added": "Saved", "relabelled": "Corrected", "unchanged": "Already saved"}[what]
    st.session_state.setdefault(_SAVED, {})[digest] = (
        "saved", f"{verb} as a {label}. {total} drawing{'s' if total != 1 else ''} saved.")


def _save_choice(widget_key: str, *args) -> None:
    _save(st.session_state.get(widget_key), *args)


def feedback(prediction: Prediction, image: np.ndarray, *, source: str,
             model: str | None) -> None:
    """The two ways to tell the model the right digit, and what became of the last one."""
    digest = digest_of(prediction.model_input)
    key = f"{source}-{digest[:16]}"  # new drawing, fresh buttons
    details = (prediction, image, source, model, digest)
    # One under the other: side by side, the ten pills were cut off on a phone.
    st.button(f"Right, it's a {prediction.digit}", icon=":material/check:",
              key=f"right-{key}", on_click=_save, args=(prediction.digit, *details),
              help="Save this drawing as a correctly read example.")
    st.pills(_LABELS, options=list(range(10)), key=f"wrong-{key}",
             on_change=_save_choice, args=(f"wrong-{key}", *details),
             help="Pick the digit you meant: the drawing is saved with it, to train on.")
    outcome = st.session_state.get(_SAVED, {}).get(digest)
    if outcome is not None:
        kind, message = outcome
        if kind == "error":
            st.error(message)
        else:
            st.success(message, icon=":material/bookmark_added:")
            st.page_link("pages/3_My_drawings.py", label="See the saved drawings",
                         icon=":material/photo_library:")
