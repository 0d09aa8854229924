"""Streamlit helpers shared by the pages: cached models and the sidebar. UI only; the logic
lives in mnist_core.

Importing `ui` (every page does) also turns off one thing a browser can ask of the server:
clearing Streamlit's caches. Streamlit clears them for every session at once when any client
sends `clear_cache` over its websocket, menu or not; nothing here needs it (models are cached
by file path, so a new run is a new entry), and a student's forged message would make every
phone in the room reload the model.
"""

from streamlit.runtime.app_session import AppSession


def _refuse_clear_cache(session: AppSession) -> None:
    """What a `clear_cache` message from a browser does now: nothing."""


AppSession._handle_clear_cache_request = _refuse_clear_cache
