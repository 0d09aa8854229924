"""Buttons that change the model store, the drawings or the training job: the one path every
teacher-only action goes through, so a locked session is refused here whatever its browser
sent (a disabled button is only a hint: a client can still send the click)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from mnist_core import MnistCoreError, TrainingBusyError
from ui.lock import teacher_only

__all__ = ["apply", "button", "download_button"]


def apply(action: str, do: Callable[[], object], *, rerun: bool = True,
          explain: Callable[[MnistCoreError], str] = str) -> bool:
    """Do the teacher-only `action` ("delete runs") a button asked for, by calling `do`.

    A locked session is refused: the reason is shown and `do` is not called. A failure
    (`MnistCoreError`) is shown as a sentence, `explain(error)`, a busy trainer as a warning.
    A success reruns the page (unless `rerun` is False) so it shows the change. Returns
    whether `do` ran and succeeded (only seen with `rerun=False`).
    """
    reason = teacher_only(action)
    if reason is not None:
        st.warning(reason, icon=":material/lock:")
        return False
    try:
        do()
    except MnistCoreError as error:
        (st.warning if isinstance(error, TrainingBusyError) else st.error)(explain(error))
        return False
    if rerun:
        st.rerun()
    return True


def button(action: str, label: str, *, disabled: bool = False, help: str | None = None,
           beside: bool = True, **options) -> bool:
    """`st.button` for a teacher-only `action`: for a locked session, disabled, with the
    reason as its help and (with `beside`, the default) as a caption beside it. Returns
    whether it was clicked; pass the click to `apply`, which checks again."""
    reason = teacher_only(action)
    if reason is None or not beside:
        return st.button(label, disabled=disabled or reason is not None, help=reason or help,
                         **options)
    row = st.container(horizontal=True, vertical_alignment="center")
    with row:
        clicked = st.button(label, disabled=True, help=reason, **options)
    row.caption(reason)
    return clicked


def _nothing() -> bytes:
    return b""


def download_button(action: str, label: str, data: Callable[[], bytes | str], *,
                    disabled: bool = False, help: str | None = None, **options) -> None:
    """`st.download_button` for a teacher-only `action` ("download runs"): `data` is called
    only when an allowed session clicks. A locked session gets a disabled button with the
    reason as its help, and no data is registered for it at all."""
    reason = teacher_only(action)
    st.download_button(label, _nothing if reason else data, disabled=disabled or bool(reason),
                       help=reason or help, **options)
