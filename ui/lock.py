"""The teacher's lock: which sessions may train, stop, use, delete or download.

With a teacher password set (`MNIST_TEACHER_PASSWORD`, else `teacher_password` in
`.streamlit/secrets.toml`), only a session unlocked with it in the sidebar may do the
guarded actions; students still draw, upload, save and see every page. Without a password
everything is open, as before. A page asks `teacher_only("delete runs")` for the reason to
show beside a disabled control, and runs the action through `ui.actions.apply`, which
refuses a locked session whatever the browser sent. The arithmetic (constant-time check,
waits after wrong passwords) is `mnist_core.classroom.lock`; the wrong passwords are counted per
device and for the server in `GUARD`, one for the server process, so a new tab starts from nothing
new (not in Streamlit's caches either: a client can ask to clear those).
"""

from __future__ import annotations

import hmac
import math
import os
import time

import streamlit as st

from mnist_core.classroom.lock import (
    PASSWORD_ENV,
    SECRET_NAME,
    WRONG_WAIT,
    PasswordGuard,
    password_matches,
    seal,
)

# Session state: the password's HMAC once unlocked (never the password), and the message the
# last try left for the sidebar to show.
_UNLOCKED = "teacher_unlocked"
_MESSAGE = "teacher_message"
_FIELD = "teacher_password_field"

GUARD = PasswordGuard()
"""Wrong passwords of every session of this server, by device and in all."""


def client() -> str:
    """This session's device, as the limits count it: its network address, or "this
    computer" for the server's own (Streamlit gives no address for localhost)."""
    address = st.context.ip_address
    # A str for a remote browser; None on localhost (and not a str under AppTest).
    return address if isinstance(address, str) and address else "this computer"


def teacher_password() -> str | None:
    """The teacher's password: `MNIST_TEACHER_PASSWORD`, else `teacher_password` in
    Streamlit's secrets file; None when neither is set (or is empty): no lock."""
    password = os.environ.get(PASSWORD_ENV)
    if not password and st.secrets.load_if_toml_exists():  # False, quietly, with no file
        password = st.secrets.get(SECRET_NAME)
    return str(password) if password else None


def is_teacher() -> bool:
    """Whether this session may do the teacher's actions: True when no password is set, or
    when the session unlocked with the password in force now (a changed password locks)."""
    password = teacher_password()
    if password is None:
        return True
    sealed = st.session_state.get(_UNLOCKED)
    return sealed is not None and hmac.compare_digest(sealed, seal(password))


def is_unlocked_teacher() -> bool:
    """Whether a teacher password is set and this session unlocked with it: the teacher
    themselves, not merely a session of a server with no lock (which `is_teacher` allows)."""
    return teacher_password() is not None and is_teacher()


def teacher_only(action: str) -> str | None:
    """None when this session may do `action` (a verb phrase: "start training", "delete
    runs"), else the one-line reason to show beside its disabled control:
    "Only the teacher can start training: unlock in the sidebar." """
    if is_teacher():
        return None
    return f"Only the teacher can {action}: unlock in the sidebar."


def _unlock() -> None:
    # A form callback: runs before the script, so the whole page is drawn unlocked at once.
    # Taken out of the widget's state (the form clears the field in the browser too):
    # nothing keeps the typed text past this callback.
    given = st.session_state.pop(_FIELD, None) or ""
    password = teacher_password()
    if password is None:
        return
    device = client()
    # Not even checked while a wait runs: trying sooner, or from another tab, gains nothing.
    if refusal := GUARD.try_now(device, time.monotonic()):
        where = " on this server" if refusal.whole_server else ""
        st.session_state[_MESSAGE] = (f"Too many wrong passwords{where}: try again in "
                                      f"{math.ceil(refusal.seconds)} s.")
        return
    if given and password_matches(given, password):
        GUARD.succeeded(device)
        st.session_state[_UNLOCKED] = seal(password)
        return
    time.sleep(WRONG_WAIT)  # the first second of the wait, before the answer
    now = time.monotonic()
    attempts = GUARD.attempts(device, now)
    message = "Wrong password (answered after a second's wait)."
    if wait := attempts.seconds_to_wait(now):
        message += (f" {attempts.failures} wrong in a row: try again in "
                    f"{math.ceil(wait)} s.")
    st.session_state[_MESSAGE] = message


def _lock() -> None:
    st.session_state.pop(_UNLOCKED, None)


def no_password_note() -> None:
    """With no password set, one quiet caption (the sidebar's last line) saying that one
    locks training and deleting; nothing otherwise."""
    if teacher_password() is None:
        st.caption(f"A teacher password ({PASSWORD_ENV}) locks training and deleting.")


def lock_controls() -> None:
    """The sidebar's lock, one row: locked, a "Teacher: unlock" expander with the password
    field; unlocked, "Teacher: unlocked" and a "Lock" button; no password set, nothing (see
    `no_password_note`)."""
    if teacher_password() is None:
        return
    if is_teacher():
        row = st.container(horizontal=True, vertical_alignment="center", gap="small")
        row.caption(":material/lock_open: Teacher: unlocked")
        row.button("Lock", key="teacher_lock", on_click=_lock, icon=":material/lock:",
                   type="tertiary", help="Lock again: this browser tab acts as a student's.")
        return
    message = st.session_state.pop(_MESSAGE, None)
    with st.expander("Teacher: unlock", icon=":material/lock:", expanded=message is not None):
        with st.form("teacher_unlock", border=False, enter_to_submit=True, clear_on_submit=True):
            st.text_input("Teacher password", type="password", key=_FIELD,
                          autocomplete="current-password")
            st.form_submit_button("Unlock", on_click=_unlock, icon=":material/lock_open:")
        if message:
            st.error(message, icon=":material/error:")
