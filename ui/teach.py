"""'Right, it's a …' and 'Wrong? It was a …' under an answer: save the drawing with its digit,
and take it back (deselect the digit, or "Take back").

Saving is limited per device, whatever its tabs (mnist_core.classroom.ratelimit: 10 at once, then
one every 3 s), so one student cannot flood the class's store; over the limit the saving line says
how long to wait, nothing is saved and the drawing stays. Taking back is never limited.

A session changes or takes back only what it saved itself: a drawing someone else saved (the
same 28x28 input, say from an exported picture uploaded again) keeps its digit; only the
teacher may change it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import streamlit as st

from mnist_core import DrawingStore, MnistCoreError
from mnist_core.classroom.drawings import digest_of
from mnist_core.classroom.ratelimit import ClientBuckets
from mnist_core.recognizer import Prediction
from mnist_core.wording import a_digit, plural
from ui.lock import client, is_unlocked_teacher

_SAVED = "saved_drawings"  # session state: {digest: _Outcome}
SAVES = ClientBuckets()
"""Every device's saving pace, for the whole server (a new tab does not start afresh)."""
_REFUSED = "save_refused"  # session state: {digest: message} for a save refused as too fast
_clock = time.monotonic  # seconds; tests put a fake clock here
_LABELS = "Wrong? It was a …"


@dataclass(frozen=True)
class _Outcome:
    """What became of one drawing's saving in this session.

    kind: "saved", "undone", "kept" (saved by someone else with another digit; unchanged) or
    "error". drawing_id: the saved row (None when not saved).
    before: its label before this session first saved it, or None when it was not saved.
    picked: the digit picked under "Wrong? It was a …" for it (None after "Right").
    owned: whether this session added the drawing (or is the unlocked teacher's), so may
        change its digit and take it back; False when it only found it saved by someone else.
    """

    kind: str
    message: str
    drawing_id: int | None = None
    before: int | None = None
    picked: int | None = None
    owned: bool = False


def _outcomes() -> dict[str, _Outcome]:
    return st.session_state.setdefault(_SAVED, {})


def _too_fast(digest: str, pill_key: str) -> bool:
    """True, and the saving line says how long to wait, when this session saves too fast.

    The pills go back to what they showed, so they never show a digit that was not saved.
    """
    wait = SAVES.take(client(), _clock())
    if not wait:
        return False
    earlier = _outcomes().get(digest)
    st.session_state[pill_key] = earlier.picked if earlier and earlier.kind == "saved" else None
    st.session_state.setdefault(_REFUSED, {})[digest] = (
        f"Saving too fast: wait {math.ceil(wait)} s and try again.")
    return True


def _save(label: int, prediction: Prediction, image: np.ndarray, source: str,
          model: str | None, digest: str, picked: int | None = None) -> str | None:
    """Save the drawing as `label`; returns what `DrawingStore.add` did, None on an error."""
    drawings = DrawingStore()
    earlier = _outcomes().get(digest)
    owned = is_unlocked_teacher() or (earlier is not None and earlier.kind == "saved"
                                      and earlier.owned)
    try:
        found = drawings.find(prediction.model_input)
        drawing_id, what = drawings.add(label, prediction.model_input, image,
                                        predicted=prediction.digit,
                                        confidence=prediction.confidence, model=model,
                                        source=source, relabel=owned)
        total = drawings.counts().total
    except MnistCoreError as error:
        _outcomes()[digest] = _Outcome("error", f"Not saved: {error}")
        return None
    if what == "kept":
        kept = found.label if found is not None else drawings.get(drawing_id).label
        _outcomes()[digest] = _Outcome(
            "kept", f"Already saved as {a_digit(kept)} by someone else: only the teacher can "
                    "change it.", drawing_id)
        return what
    # Taking back goes back to how it was before this session's first save, however many followed.
    if earlier is not None and earlier.kind == "saved":
        before = earlier.before
    else:
        before = None if found is None else found.label
    verb = {"added": "Saved", "relabelled": "Corrected", "unchanged": "Already saved"}[what]
    _outcomes()[digest] = _Outcome(
        "saved", f"{verb} as {a_digit(label)}. {plural(total, 'drawing')} saved.",
        drawing_id, before, picked, owned=owned or what == "added")
    return what


def _undo(digest: str, pill_key: str) -> None:
    """Take back this session's saving of the drawing: delete it, or give back its label."""
    st.session_state[pill_key] = None
    outcome = _outcomes().get(digest)
    if outcome is None or outcome.kind != "saved":
        _outcomes().pop(digest, None)
        return
    if not (outcome.owned or is_unlocked_teacher()):  # someone else's: theirs to change
        _outcomes()[digest] = _Outcome("undone", "Taken back. Someone else saved it too, so "
                                                 "it stays saved.")
        return
    drawings = DrawingStore()
    try:
        if outcome.before is None:
            drawings.delete(outcome.drawing_id)
            message = "Taken back: this drawing is not saved."
        else:
            drawings.relabel(outcome.drawing_id, outcome.before)
            message = f"Taken back: it is saved as {a_digit(outcome.before)} again."
    except MnistCoreError as error:
        message = f"Nothing to take back: {error}"
    _outcomes()[digest] = _Outcome("undone", message)


def _pill_changed(pill_key: str, *details) -> None:
    label = st.session_state.get(pill_key)
    if label is None:  # the digit was deselected: the correction is taken back
        _undo(details[-1], pill_key)
    elif not _too_fast(details[-1], pill_key) and _save(label, *details, picked=label) == "kept":
        st.session_state[pill_key] = None  # its digit did not change: none is picked


def _right(pill_key: str, *details) -> None:
    if _too_fast(details[-1], pill_key):
        return
    st.session_state[pill_key] = None  # a digit picked before no longer applies
    _save(details[0].digit, *details)


def feedback(prediction: Prediction, image: np.ndarray, *, source: str,
             model: str | None) -> None:
    """The two ways to tell the model the right digit, and one line (always the same height,
    so the chart below never jumps) saying what became of the last one, with "Take back"."""
    digest = digest_of(prediction.model_input)
    key = f"{source}-{digest[:16]}"  # new drawing, fresh buttons
    pill_key = f"wrong-{key}"
    details = (prediction, image, source, model, digest)
    # One under the other: side by side, the ten pills were cut off on a phone.
    st.button(f"Right, it's {a_digit(prediction.digit)}", icon=":material/check:",
              key=f"right-{key}", on_click=_right, args=(pill_key, *details),
              help="Save this drawing as a correctly read example.")
    st.pills(_LABELS, options=list(range(10)), key=pill_key,
             on_change=_pill_changed, args=(pill_key, *details),
             help="Pick the digit you meant: the drawing is saved with it, to train on. "
                  "Pick it again to take it back.")
    outcome = _outcomes().get(digest)
    # Said once, right after the refused tap; the next rerun shows the saving line as before.
    refused = st.session_state.get(_REFUSED, {}).pop(digest, None)
    if outcome is not None and outcome.kind == "error":  # rare, and may need a few lines
        st.error(outcome.message)
    # One line of small text and a small button, never wrapping (app.py fixes its height).
    with st.container(key=f"save-outcome-{source}", horizontal=True,
                      vertical_alignment="center", gap="small"):
        if refused is not None:
            st.caption(f":material/hourglass_top: {refused}")
        elif outcome is None or outcome.kind == "error":
            st.caption("Saved drawings help train the network (My drawings page).")
        elif outcome.kind == "undone":
            st.caption(outcome.message)
        elif outcome.kind == "kept":
            st.caption(f":material/lock: {outcome.message}")
        else:
            st.caption(f":material/bookmark_added: {outcome.message}")
            st.button("Take back", icon=":material/undo:", key=f"undo-{key}", on_click=_undo,
                      args=(digest, pill_key), type="tertiary", help="Take back this saving.")


def my_drawing_ids() -> list[int]:
    """The saved drawings this session added (and still has not taken back), oldest first:
    what "Download mine" exports."""
    return sorted(outcome.drawing_id for outcome in _outcomes().values()
                  if outcome.kind == "saved" and outcome.owned and outcome.drawing_id is not None)
