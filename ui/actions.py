"""Buttons that change the model store."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from mnist_core import MnistCoreError


def apply(action: Callable[[], object]) -> None:
    """Run a store action a button asked for: a failure is shown as a sentence, a success
    reruns the page so it shows the change."""
    try:
        action()
    except MnistCoreError as error:
        st.error(str(error))
    else:
        st.rerun()
