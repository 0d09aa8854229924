"""The active model, loaded once per model file and shared by every session."""

from __future__ import annotations

import streamlit as st

from mnist_core import ModelStore
from mnist_core.recognizer import Recognizer


@st.cache_resource(max_entries=8, show_spinner="Loading the model…")
def _recognizer_for(model_path: str, run_id: str) -> Recognizer:
    # Keyed by the model file's path: a newly trained run is a new path, so activating it is
    # picked up on the next rerun without clearing any cache. A Recognizer is immutable.
    return Recognizer.load(run_id=run_id)


def active_recognizer() -> Recognizer:
    """The Recognizer for the active run (or the shipped model, if the active one is broken).

    Raises:
        ModelLoadError: not even the shipped model can be loaded.
    """
    store = ModelStore()
    run_id = store.active_run_id()
    return _recognizer_for(str(store.run_path(run_id)), run_id)
