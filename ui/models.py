"""The active model, loaded once per model file and shared by every session."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from mnist_core import DrawingStore, MnistCoreError, ModelStore, RunInfo
from mnist_core.classroom.drawings import MIN_HELD_OUT, held_out_metrics
from mnist_core.model import use_one_blas_thread
from mnist_core.recognizer import Recognizer
from ui.text import plain

use_one_blas_thread()  # every page imports this module: the server's setting, set once


@st.cache_resource(max_entries=8, show_spinner="Loading the model…")
def _recognizer_for(model_path: str, run_id: str) -> Recognizer:
    # Keyed by the model file's path: a newly trained run is a new path, so activating it is
    # picked up on the next rerun without clearing any cache. A Recognizer is immutable.
    return Recognizer.load(run_id=run_id)


def active_recognizer() -> Recognizer:
    """The Recognizer for the active run (or the shipped model, if the active one is broken,
    saying why, or gone: `ModelStore.active_problem` says that).

    Raises:
        ModelLoadError: not even the shipped model can be loaded.
    """
    store = ModelStore()
    run_id = store.active_run_id()
    return _recognizer_for(str(store.run_path(run_id)), run_id)


def follow_model_in_use(shown: Recognizer) -> None:
    """Call at the top of a fragment that reads with `shown`, the model its page loaded.

    When the model in use has changed since (a teacher used a newly trained run), the whole
    page reruns: it reads this stroke with the new model, and its sidebar names that model.
    A fragment alone would keep the page's old model until a reload. Costs one read of the
    small file naming the active run; nothing when the model is unchanged.
    """
    try:
        current = active_recognizer()
    except MnistCoreError:  # nothing loads now: the page keeps the model it has
        return
    if current is not shown:  # cached per model file, so the same model is the same object
        st.rerun(scope="app")


_SEEN = "model_seen"  # session state: the model file this session last read with


def model_change_note(recognizer: Recognizer) -> str | None:
    """A sentence, as plain text (not Markdown), for where students look when the model in use
    changed under this session (the teacher used another) and no answer has been shown with it
    yet (`model_seen`); None otherwise, and in a session's first run."""
    source = str(recognizer.source)
    seen = st.session_state.setdefault(_SEEN, source)
    if seen == source:
        return None
    return (f"The teacher changed the model: answers now come from {model_name(recognizer)}, "
            "so they may differ from before.")


def model_seen(recognizer: Recognizer) -> None:
    """This session has shown an answer from `recognizer`: its change note is said."""
    st.session_state[_SEEN] = str(recognizer.source)


def model_name(recognizer: Recognizer) -> str:
    """How pages name a model in a sentence, as plain text: 'the shipped model', '“Quick
    preset, 7 Dec 08:08”' (its name, which the teacher may have typed), or its file. For
    Markdown, `model_label`; inside HTML, through `html.escape`."""
    run = recognizer.run
    if run is None:
        return str(recognizer.source)
    return "the shipped model" if run.is_shipped else f"“{run.name}”"


def model_label(recognizer: Recognizer) -> str:
    """`model_name` as Markdown: escaped, so a typed name shows as typed."""
    return plain(model_name(recognizer))


def run_recognizer(run_id: str) -> Recognizer:
    """The Recognizer for one run (for comparing models), cached like the active one.

    Raises:
        RunNotFoundError: no such run. ModelLoadError: not even the shipped model loads.
    """
    store = ModelStore()
    return _recognizer_for(str(store.run_path(run_id)), run_id)


@st.cache_data(max_entries=1024, show_spinner=False)
def _held_out_accuracy(model_path: str, run_id: str, drawings_version: int) -> float | None:
    # Keyed by the drawings' version too: a new or deleted drawing changes every score.
    weights = _recognizer_for(model_path, run_id).weights
    return held_out_metrics(weights.predict).get("drawings_accuracy")


def held_out_accuracies(runs: Sequence[RunInfo]) -> list[float | None]:
    """Each run's accuracy on the saved drawings held out now (every run on the same ones);
    all None when fewer than MIN_HELD_OUT are held out or they cannot be read. The store is
    read once for all the runs."""
    try:
        drawings = DrawingStore()
        if drawings.counts().held_out < MIN_HELD_OUT:
            return [None] * len(runs)
        version = drawings.version()
        return [_held_out_accuracy(str(run.model_path), run.run_id, version) for run in runs]
    except MnistCoreError:
        return [None] * len(runs)
