"""A tiny app for tests/test_teach_now.py: the "Teach it now" panel on a page of its own, read
with the model in use (as the Class page shows it), and the sidebar's teacher's lock."""

import streamlit as st

from mnist_core.recognizer import Recognizer
from ui.lock import lock_controls
from ui.teach_now import teach_now_panel

with st.sidebar:
    lock_controls()
teach_now_panel(Recognizer.load())
