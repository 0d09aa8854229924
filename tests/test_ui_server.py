"""What a browser can ask of the server: not to clear the caches every session shares."""

import streamlit as st
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.runtime.app_session import AppSession

import ui  # noqa: F401 - importing ui is what turns clear_cache off


def test_a_clear_cache_message_from_a_browser_leaves_every_sessions_caches():
    calls = []

    @st.cache_resource
    def loaded_model() -> object:
        calls.append(1)
        return object()

    first = loaded_model()
    message = BackMsg()
    message.clear_cache = True
    class Bare(AppSession):  # only handle_backmsg's dispatch is used: nothing to set up
        def __init__(self) -> None:
            self._session_state = {}

        def __del__(self) -> None:
            pass

    try:
        Bare().handle_backmsg(message)
    except Exception:  # noqa: BLE001 - a bare session may fail after clearing: what counts is after
        pass
    assert loaded_model() is first and calls == [1]
    loaded_model.clear()
