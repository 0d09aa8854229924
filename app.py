"""Home page: draw a digit and watch the network read it."""

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from mnist_core import EmptyDrawingError, MnistCoreError
from mnist_core.recognizer import Recognizer
from mnist_core.store import ModelStore

st.set_page_config(page_title="Draw a digit", page_icon="✏️")
st.title("Draw a digit")
st.write("Draw a digit from 0 to 9 with your mouse or finger; the network reads it as you draw.")


@st.cache_resource(show_spinner="Loading the model…")
def load_recognizer(run_id: str) -> Recognizer:
    """One Recognizer per active run id, shared by every session (it is immutable)."""
    return Recognizer.load(run_id=run_id)


try:
    recognizer = load_recognizer(ModelStore().active_run_id())
except MnistCoreError as error:
    st.error(f"The model could not be loaded: {error}")
    st.stop()

canvas = st_canvas(stroke_width=18, stroke_color="#FFFFFF", background_color="#000000",
                   height=280, width=280, drawing_mode="freedraw", return_image_data=True,
                   key="canvas")
if canvas.image_data is None:
    st.info("Draw a digit on the canvas.")
else:
    try:
        prediction = recognizer.predict(canvas.image_data)
    except EmptyDrawingError:
        st.info("Draw a digit on the canvas.")
    else:
        st.metric("The network reads", prediction.digit, f"{prediction.confidence:.0%} sure")
