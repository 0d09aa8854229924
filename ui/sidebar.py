"""The sidebar every page shows: the page links, the teacher's lock, which model is active
and how good it is."""

from __future__ import annotations

import streamlit as st

from mnist_core import MnistCoreError, ModelStore
from mnist_core.recognizer import Recognizer
from ui import warm
from ui.lock import lock_controls, no_password_note
from ui.models import active_recognizer, held_out_accuracies
from ui.text import plain

# A metric the run did not measure shows as a dash: the sidebar's half-width columns cut
# longer words ("not …"); its help says in full that it was not measured.
NOT_MEASURED = "—"
_NOT_MEASURED_HELP = (" Not measured for this run, hence the dash: it was not scored on "
                      "these digits when it was trained.")


def _percent(value: float | None) -> str:
    """'98.53%', '100%' (not '100.00%', which the half-width column cut to '100.…'), or the
    dash."""
    if value is None:
        return NOT_MEASURED
    shown = f"{value:.2%}"
    return "100%" if shown == "100.00%" else shown


def _help(text: str, value: float | None) -> str:
    return text + (_NOT_MEASURED_HELP if value is None else "")


def sidebar() -> Recognizer | None:
    """The sidebar of every page: links to the pages, the teacher's lock (ui.lock), the
    name, accuracies and date of the model in use, and a note when no password is set.
    Returns that model, or None when no model can be loaded at all (then the sidebar says
    so, and the links still lead to the Train page)."""
    with st.sidebar:
        st.page_link("app.py", label="Draw a digit", icon=":material/draw:")
        st.page_link("pages/1_Train.py", label="Train the network",
                     icon=":material/model_training:")
        st.page_link("pages/2_Curves.py", label="Training runs and curves",
                     icon=":material/show_chart:")
        st.page_link("pages/4_Inside.py", label="Inside the network", icon=":material/neurology:")
        st.page_link("pages/3_My_drawings.py", label="My drawings",
                     icon=":material/photo_library:")
        st.page_link("pages/5_Class.py", label="Class",
                     icon=":material/groups:")
        lock_controls()
        st.divider()
        st.subheader("Model in use")
        try:
            recognizer = active_recognizer()
        except MnistCoreError as error:
            st.error(f"None: {plain(error)} Train a model on the Train page and use it.",
                     icon=":material/error:")
            recognizer = None
        else:
            _model_card(recognizer)
        no_password_note()
    # Whichever page a fresh server shows first, the rest of what a stroke pays for the
    # first time is done now in the background, not during the students' first strokes
    # (ui/warm.py). Once per server process; nothing after the first time.
    warm.start()
    return recognizer


def _model_card(recognizer: Recognizer) -> None:
    run = recognizer.run
    if run is None:
        st.write(str(recognizer.source))
        return
    run_id = "" if run.is_shipped else f"  \n:gray[run {run.run_id}]"
    st.markdown(f"**{plain(run.name)}**{run_id}  \n{run.config.describe()}")
    left, right = st.columns(2)
    left.metric("MNIST test", _percent(run.test_accuracy),
                help=_help("Accuracy on MNIST's 10,000 official test images.",
                           run.test_accuracy))
    right.metric("Drawn digits", _percent(run.drawn_accuracy),
                 help=_help("Accuracy on MNIST test digits re-drawn as mouse strokes.",
                            run.drawn_accuracy))
    if (writers := run.real_writers) is not None:
        accuracy, digits, people = writers
        left.metric("Real writers", _percent(accuracy),
                    help=f"Accuracy on {digits:,} real pen digits by {people} people it never "
                         "saw, drawn on the canvas: the best guide to how it reads your "
                         "handwriting. Other people could differ by "
                         + ("a point or two." if people < 20 else "about half a point."))
    [ours] = held_out_accuracies([run])
    if ours is not None:
        (right if writers is not None else left).metric("Our drawings", _percent(ours),
                    help="Accuracy on the saved drawings held out from training "
                         "(My drawings page).")
    if writers is not None:
        st.caption(f"Real writers: {writers[1]:,} digits by {writers[2]} people it never learnt "
                   "from.")
    if run.finished_at:
        st.caption(f"Trained {run.finished_at[:16].replace('T', ' ')} UTC")
    if recognizer.fallback_reason:
        st.warning(plain(recognizer.fallback_reason))  # it quotes the run's files
    elif run.is_shipped and (problem := ModelStore().active_problem()):
        # The run chosen is gone, so the (cached, shared) shipped model is read without a
        # fallback reason of its own: say here why it is in use.
        st.warning(plain(problem))
