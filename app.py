"""Home page: draw a digit and watch the network read it, live."""

import html

import numpy as np
import pandas as pd
import streamlit as st

from mnist_core import (
    SHIPPED_ID,
    DrawingError,
    DrawingStore,
    EmptyDrawingError,
    MnistCoreError,
    ModelStore,
    NotADigitError,
)
from mnist_core.reading.images import MAX_FILE_BYTES, read_image_file
from mnist_core.reading.visualize import enlarge, preprocessing_panels, preview
from mnist_core.recognizer import NumberPrediction, Prediction
from mnist_core.wording import a_digit
from ui.canvas import st_canvas
from ui.models import (
    follow_model_in_use,
    model_change_note,
    model_label,
    model_seen,
    run_recognizer,
)
from ui.sidebar import sidebar
from ui.teach import feedback
from ui.text import plain

CANVAS_SIZE = 336  # px: 12 canvas pixels per MNIST pixel; fits a phone held upright
DEFAULT_PEN = 22  # px: a natural felt-tip on this canvas; preprocessing evens widths out anyway
UPLOAD_TYPES = ["png", "jpg", "jpeg", "gif", "bmp", "webp"]

st.set_page_config(page_title="Draw a digit", page_icon="✏️", layout="wide")
st.markdown(
    """
    <style>
    .big-digit {font-size: 9rem; font-weight: 800; line-height: 1; margin: 0.2rem 0 0.6rem 0;}
    .big-digit.unsure {font-size: 4rem; white-space: nowrap;}
    .verdict {font-size: 1.5rem; line-height: 1.3; margin-bottom: 0.8rem;}
    /* Room above the square for the canvas's toolbar (undo, redo, reset; ui/canvas.py), on
       every device: this and the gaps around it leave 2.9 rem between the pen-width slider
       and the square, the toolbar's height, so it covers neither. */
    .toolbar-room {height: 1.9rem;}
    /* On a phone the answer wraps below the canvas, out of sight while drawing: then a
       one-line answer shows under the canvas too. The row wraps when the canvas (352 px), the
       gap (32 px) and the answer's minimum width (280 px) no longer fit: below 664 px. */
    .st-key-draw-row {container-type: inline-size;}
    .st-key-draw-row > div:has(> .st-key-answer-column) {min-width: 280px;}
    .short-answer {display: none; font-size: 1.25rem; line-height: 1.3; margin: 0.1rem 0;}
    @container (width < 664px) {.short-answer {display: block;}}
    /* Projectors (1280x720, 1024x768) and small laptops: canvas and answer on one screen.
       Less empty space above the title (Streamlit leaves 6 rem), and narrower side margins
       below 1200 px, so that with the sidebar open at 1024 px the answer still fits beside
       the canvas (it needs 664 px; the 5 rem margins left 564). */
    [data-testid="stMainBlockContainer"] {padding-top: 3.5rem;}
    [data-testid="stMainBlockContainer"] h1 {padding-top: 0.25rem;}
    @media (max-height: 820px) {
      [data-testid="stMainBlockContainer"] h1 {font-size: 2.1rem; padding-bottom: 0.5rem;}
    }
    @media (max-width: 1200px) {
      [data-testid="stMainBlockContainer"] {padding-left: 1.5rem; padding-right: 1.5rem;}
    }
    /* A 360 px phone: the page's 1 rem side margins would cut 8 px off the 336 px canvas. */
    @media (max-width: 380px) {
      [data-testid="stMainBlockContainer"] {padding-left: 0.5rem; padding-right: 0.5rem;}
    }
    /* The line saying what became of a saving keeps its height, so the chart never jumps:
       its text may take two lines, the button stays beside it. */
    [class*="st-key-save-outcome"] {min-height: 2.75rem; flex-wrap: nowrap;}
    [class*="st-key-save-outcome"] [data-testid="stCaptionContainer"] {line-height: 1.4;}
    /* The chart's toolbar (full screen, show data) would sit over the "8" and "9" buttons
       above it: a click meant for 8 turned the chart into a table and saved nothing. */
    [class*="st-key-probabilities"] [data-testid="stElementToolbar"] {display: none;}
    </style>
    """,
    unsafe_allow_html=True,
)

st.title("Draw a digit")
st.write("Draw any digit from 0 to 9 in the black square. The network reads it as you draw.")

recognizer = sidebar()
if recognizer is None:  # the sidebar says why
    st.error("No model could be loaded, so nothing can be read. Train one on the Train page "
             "and use it, or restore `models/shipped/` from the repository.",
             icon=":material/error:")
    st.page_link("pages/1_Train.py", label="Train the network", icon=":material/model_training:")
    st.stop()


def show_invitation() -> None:
    st.info("Draw a digit in the black square: the answer appears here as soon as you lift "
            "the pen.", icon=":material/draw:")


def show_answer(prediction: Prediction) -> None:
    """The digit, large, with its confidence; an honest "4 or 9?" when unsure."""
    digit, confidence = prediction.digit, prediction.confidence
    if prediction.is_thick:
        st.markdown(f'<div class="big-digit unsure">{digit}?</div>', unsafe_allow_html=True)
        st.markdown(f'<div class="verdict">Probably <b>{digit}</b>, but it is drawn small for '
                    'this pen, so its loops may have filled in. Draw it larger, or with a '
                    'thinner pen.</div>', unsafe_allow_html=True)
    elif prediction.is_unsure:
        other = prediction.runner_up
        st.markdown(f'<div class="big-digit unsure">{digit} or {other}?</div>',
                    unsafe_allow_html=True)
        st.markdown(f'<div class="verdict">Not sure: {digit} ({confidence:.0%}) or {other} '
                    f'({prediction.probabilities[other]:.0%}).</div>', unsafe_allow_html=True)
    else:
        st.markdown(f'<div class="big-digit">{digit}</div>', unsafe_allow_html=True)
        st.markdown(f'<div class="verdict">It reads <b>{digit}</b>, {confidence:.0%} sure.</div>',
                    unsafe_allow_html=True)


# A plain Vega-Lite spec: building it through Altair costs more than all the rest of a
# stroke's work. The data goes beside it (not inside), so the browser updates the bars in
# place instead of drawing a new chart after every stroke.
PROBABILITY_CHART = {
        "title": "How sure it is of each digit",
        "height": 230,
        "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": "digit", "type": "nominal", "title": "Digit", "sort": None,
                  "axis": {"labelAngle": 0, "labelFontSize": 16, "titleFontSize": 14}},
            "y": {"field": "probability", "type": "quantitative", "title": "Probability",
                  "scale": {"domain": [0, 1]},
                  "axis": {"format": "%", "labelFontSize": 13, "titleFontSize": 14}},
            "color": {"condition": {"test": "datum.answer", "value": "#ff4b4b"},
                      "value": "#8a94a6"},
            "tooltip": [{"field": "digit", "title": "Digit"},
                        {"field": "probability", "title": "Probability", "format": ".1%"}],
        },
    }


def probabilities_frame(prediction: Prediction) -> pd.DataFrame:
    return pd.DataFrame({
        "digit": [str(d) for d in range(10)],
        "probability": prediction.probabilities.astype(float),
        "answer": [d == prediction.digit for d in range(10)],
    })


def show_number(number: NumberPrediction) -> None:
    """Several digits side by side: the number, large, and each digit with its confidence; an
    honest "4 or 42?" when the drawing may as well be one digit as two."""

    def parts(reading: NumberPrediction) -> str:
        return ", ".join(f"{p.digit} ({p.confidence:.0%})" for p in reading.digits)

    if number.is_ambiguous:
        other = number.alternative
        st.markdown(f'<div class="big-digit unsure">{number.text} or {other.text}?</div>',
                    unsafe_allow_html=True)
        either = " or ".join(
            f"<b>{reading.text}</b> ({reading.confidence:.0%} sure)"
            if len(reading.digits) == 1 else f"<b>{reading.text}</b> ({parts(reading)})"
            for reading in (number, other))
        st.markdown(f'<div class="verdict">Not sure if this is one digit or two: {either}. '
                    'Leave a wider gap between digits, or draw one digit alone.</div>',
                    unsafe_allow_html=True)
        # The cut-outs of the reading with more digits: where the split would go.
        number = max(number, other, key=lambda reading: len(reading.digits))
    else:
        # Four digits and more at the single digit's size would not fit beside the canvas.
        size = "" if len(number.digits) <= 3 else ' style="font-size: 5rem"'
        st.markdown(f'<div class="big-digit"{size}>{number.text}</div>', unsafe_allow_html=True)
        st.markdown(f'<div class="verdict">It reads <b>{number.text}</b>: {parts(number)}.</div>',
                    unsafe_allow_html=True)
    for column, prediction in zip(st.columns(min(len(number.digits), 6)), number.digits,
                                  strict=False):
        column.image(enlarge(prediction.model_input, 84),
                     caption=f"{prediction.digit} ({prediction.confidence:.0%})")
    st.caption("What the network sees of each digit. Right / Wrong saving is for single "
               "digits: draw one digit to teach it.")


def short_answer(prediction: Prediction | NumberPrediction) -> str:
    """The answer in one line, for under the canvas when the full answer is out of sight."""
    if isinstance(prediction, NumberPrediction):
        if prediction.is_ambiguous:
            return (f"<b>{prediction.text} or {prediction.alternative_text}?</b> One digit or "
                    "two: not sure.")
        return f"Reads <b>{prediction.text}</b>."
    if prediction.is_thick:
        return f"<b>{prediction.digit}?</b> Drawn small for this pen: not sure."
    if prediction.is_unsure:
        return f"<b>{prediction.digit} or {prediction.runner_up}?</b> Not sure."
    return f"Reads <b>{prediction.digit}</b>, {prediction.confidence:.0%} sure."


def show_reading(image: np.ndarray | None, key: str
                 ) -> Prediction | NumberPrediction | NotADigitError | None:
    """Everything the page says about one drawing or picture; `key` tells the two apart.
    Returns the prediction (a NumberPrediction for several digits), the NotADigitError said
    (a dot, a dash: the line under the canvas says it too), or None when there is nothing to
    read."""
    if image is None:
        show_invitation()
        return None
    try:
        number = recognizer.predict_number(image, return_steps=True)
    except NotADigitError as error:
        st.warning(str(error), icon=":material/gesture:")
        return error
    except EmptyDrawingError:
        if key == "upload":
            st.warning("No digit found in this picture: it looks blank, or its marks are too "
                       "small to be a digit. Upload a picture of one digit, cropped roughly "
                       "around it.", icon=":material/image_search:")
        else:
            show_invitation()
        return None
    except DrawingError as error:
        st.error(str(error))
        return None
    if not number.is_single:
        show_number(number)
        return number
    prediction = number.digits[0]  # exactly what recognizer.predict reads
    answer, seen = st.columns([3, 2])
    with answer:
        show_answer(prediction)
    with seen:
        st.image(enlarge(prediction.model_input, 168), caption="What the network sees: 28x28")
    feedback(prediction, image, source=key, model=recognizer.run.run_id if recognizer.run
             else None)
    with st.container(key=f"probabilities-{key}"):
        st.vega_lite_chart(probabilities_frame(prediction), PROBABILITY_CHART, width="stretch")
    # On a phone the sidebar, which names the model, is folded away.
    st.caption(f"Read by {model_label(recognizer)}, the model in use.")
    if st.toggle("Show how the drawing becomes the network's input", key=f"steps-{key}"):
        for column, panel in zip(st.columns(4), preprocessing_panels(prediction.steps, 168),
                                 strict=True):
            column.image(panel.image, caption=f"{panel.title}. {panel.caption}")
    return prediction


def clear_canvas() -> None:
    # A new key gives a new, empty canvas.
    st.session_state.canvas_round = st.session_state.get("canvas_round", 0) + 1


@st.fragment
def draw_and_read() -> None:
    """Canvas and answer rerun alone after each stroke; the rest of the page stays put."""
    follow_model_in_use(recognizer)
    # A wrapping row, not columns: columns would squeeze the fixed-size canvas on a narrow
    # window (clipping it, so strokes miss); here the answer moves below it instead.
    row = st.container(horizontal=True, gap="medium", key="draw-row")
    canvas_column = row.container(width=CANVAS_SIZE + 16)
    answer_column = row.container(width="stretch", key="answer-column")
    with canvas_column:
        pen = st.slider("Pen width", min_value=6, max_value=40, value=DEFAULT_PEN,
                        help="Any width works: the drawing is normalised before reading.")
        st.markdown('<div class="toolbar-room"></div>', unsafe_allow_html=True)
        canvas = st_canvas(stroke_width=pen, stroke_color="#FFFFFF", background_color="#000000",
                           width=CANVAS_SIZE, height=CANVAS_SIZE, drawing_mode="freedraw",
                           return_image_data=True,
                           key=f"canvas-{st.session_state.get('canvas_round', 0)}")
        below_canvas = st.empty()
        st.session_state["last_drawing"] = canvas  # pages/4_Inside.py starts from it
        st.button("Clear", icon=":material/delete:", on_click=clear_canvas)
        st.caption("Undo or redo a stroke with the arrows above the square.")
    with answer_column:
        if note := model_change_note(recognizer):
            st.info(plain(note), icon=":material/published_with_changes:")
        prediction = show_reading(canvas.image_data, "canvas")
    # Always filled, empty or not, so Clear does not move when an answer appears. On a phone
    # it is the line students look at: a "not a digit" sentence and a new model say it here.
    if isinstance(prediction, NotADigitError):
        line = html.escape(str(prediction))
    elif prediction:
        line = f"{short_answer(prediction)} More below."
    else:
        line = ""
    if note and line:
        line = f"{html.escape(note)} {line}"
    if note and prediction is not None:  # said with an answer: once is enough
        model_seen(recognizer)
    below_canvas.markdown(f'<div class="short-answer">{line}</div>', unsafe_allow_html=True)


def read_upload() -> None:
    uploaded = st.file_uploader(
        "A photo or scan of one digit (dark on light or light on dark)", type=UPLOAD_TYPES,
        help=f"PNG, JPEG, GIF, BMP or WebP, up to {MAX_FILE_BYTES // 2**20} MB.")
    if uploaded is None:
        st.info("Upload a picture of a single handwritten digit, cropped roughly around it.",
                icon=":material/image:")
        return
    try:
        image = read_image_file(uploaded.getvalue())
    except DrawingError as error:
        st.error(f"{plain(uploaded.name)}: {plain(error)}")
        return
    picture, reading = st.columns([5, 6], gap="large")
    # Shown shrunk: a 1 x 100,000 picture cannot be sent to a browser at full size.
    picture.image(preview(image, 2 * CANVAS_SIZE), caption=plain(uploaded.name),
                  width=CANVAS_SIZE)
    with reading:
        show_reading(image, "upload")


def saved_label(drawing, now: int) -> str:
    """'No. 59: a 7, read as 9 then, 7 now (2026-11-21 12:41)': which ones training fixed."""
    said = f", read as {now} now" if drawing.predicted is None else (
        f", read as {drawing.predicted} then, {now} now")
    when = drawing.created_at[:16].replace("T", " ")
    return f"No. {drawing.id}: {a_digit(drawing.label)}{said} ({when})"


def compare_saved() -> None:
    """A saved drawing read by two models side by side: the one that read it then, and now."""
    try:
        drawings = DrawingStore().list(limit=500)
        runs = {run.run_id: run for run in ModelStore().list_runs()[0]}
    except MnistCoreError as error:
        st.error(str(error))
        return
    if not drawings:
        st.info("No saved drawings yet. Draw a digit, then press 'Right' or pick the right digit "
                "under 'Wrong? It was a …': it is saved, and after retraining you can see here "
                "how the new model reads it.", icon=":material/compare:")
        return
    by_id = {drawing.id: drawing for drawing in drawings}
    # One batch through the model in use (0.1 ms a drawing), so each choice says how it
    # reads now next to how it read when saved.
    now_digits = dict(zip(by_id, recognizer.weights.predict(
        np.stack([drawing.image for drawing in drawings])).argmax(axis=1).tolist(), strict=True))
    drawing = by_id[st.selectbox(
        "Saved drawing (newest first; how it was read when saved, and by the model in use)",
        list(by_id), format_func=lambda drawing_id: saved_label(by_id[drawing_id],
                                                                now_digits[drawing_id]))]
    names = list(runs)
    now = recognizer.run.run_id if recognizer.run else SHIPPED_ID
    then = drawing.model if drawing.model in runs else SHIPPED_ID

    def run_name(run_id: str) -> str:
        name = runs[run_id].name
        return name + (" (in use)" if run_id == now else "")

    picture, before, after = st.columns([2, 3, 3], gap="large")
    picture.image(enlarge(drawing.image, 168),
                  caption=f"Saved as {a_digit(drawing.label)}: what the network sees")
    for column, title, default, side in ((before, "Before", then, "before"),
                                         (after, "After", now, "after")):
        with column:
            run_id = st.selectbox(title, names, index=names.index(default),
                                  format_func=run_name, key=f"compare-{side}-{drawing.id}")
            try:
                reading = run_recognizer(run_id).read_model_input(drawing.image)
            except MnistCoreError as error:
                st.error(str(error))
                continue
            st.markdown(f'<div class="verdict">Reads <b>{reading.digit}</b>, '
                        f'{reading.confidence:.0%} sure.</div>', unsafe_allow_html=True)
            if reading.digit == drawing.label:
                st.badge("Right", icon=":material/check:", color="green")
            else:
                st.badge(f"Wrong: it is {a_digit(drawing.label)}", icon=":material/close:",
                         color="red")
            st.vega_lite_chart(probabilities_frame(reading), PROBABILITY_CHART, width="stretch")
    if then == now:
        st.caption("It was saved while the model in use now was in use. Train a new model on "
                   "the Train page (with the saved drawings), use it, and come back to see the "
                   "difference; or pick another model above.")
    if drawing.model and drawing.model not in runs:
        st.caption(f"The model that read it when it was saved ({plain(drawing.model)}) has "
                   "been deleted; 'Before' starts at the shipped model.")


# Tabs rerun the page when switched, so "Before and after" shows drawings saved a moment ago
# under the Draw tab (saving reruns only the canvas part); it runs only while open. The
# other two always run, so a drawing or an upload is still there on coming back.
draw_tab, upload_tab, compare_tab = st.tabs(
    [":material/draw: Draw", ":material/image: Upload a picture",
     ":material/compare: Before and after"], key="home-tab", on_change="rerun")
with draw_tab:
    draw_and_read()
with upload_tab:
    read_upload()
if compare_tab.open:
    with compare_tab:
        compare_saved()
