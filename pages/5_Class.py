"""Class page: the address students open on their phones, and a projector view of the class's
saved drawings that refreshes itself."""

import pandas as pd
import streamlit as st
from streamlit import config as streamlit_config

from mnist_core import DrawingStore, MnistCoreError
from mnist_core.classroom import (
    SERVE_COMMAND,
    ClassDrawing,
    ClassSummary,
    JoinAddress,
    class_summary,
    join_address,
    lan_ipv4_addresses,
    qr_png,
    thumbnail_png,
)
from mnist_core.recognizer import Recognizer
from ui.models import active_recognizer, follow_model_in_use, model_label
from ui.sidebar import sidebar

REFRESH_S = 5  # the projector view's refresh: a saved drawing shows within this
VIEWS = {"join": "Join", "projector": "Projector"}
THUMB_PX = 104  # a drawing on the projector: 8 across beside the sidebar at 1280 px
CHECKLIST = """
- **The same Wi-Fi**: phones on the same network as this computer, not on mobile data.
- **Guest networks** keep devices apart: use the school's main network, or this computer's
  hotspot.
- **The firewall** of this computer must let other devices in on port {port} (TCP).
- **The address typed exactly**, with `http://` and `:{port}`; or scan the QR code.
- **The server** was started with `{command}` (Streamlit listens on every network unless
  told otherwise).
"""

st.set_page_config(page_title="Class", page_icon="🧑‍🏫",  # emoji: served locally
                   layout="wide")
st.markdown(
    """
    <style>
    /* Type for the back of a room, on a 1280x720 projector. */
    .join-url {font-size: clamp(1.5rem, 4.6vw, 3.4rem); font-weight: 700; line-height: 1.15;
               overflow-wrap: anywhere; margin: 0.2rem 0 0.6rem 0;}
    .join-url.small {font-size: clamp(1.2rem, 2.4vw, 2rem); margin: 0;}
    .join-label {font-size: 1.3rem; margin: 0;}
    .big-count {font-size: 3.2rem; font-weight: 800; line-height: 1;}
    .big-line {font-size: 1.45rem; line-height: 1.35; margin: 0.2rem 0 0.4rem 0;}
    .card-line {font-size: 1.2rem; line-height: 1.25; margin: 0;}
    .card-line.wrong {color: #d62728; font-weight: 700;}
    .card-line.right {color: #2a7f3f;}
    [data-testid="stMainBlockContainer"] {padding-top: 3rem;}
    [data-testid="stImage"] img {image-rendering: pixelated;}
    @media (max-width: 1200px) {
      [data-testid="stMainBlockContainer"] {padding-left: 1.5rem; padding-right: 1.5rem;}
    }
    </style>
    """,
    unsafe_allow_html=True,
)
st.title("Class")
st.write("Students open the address below on their phones and draw; the projector view shows "
         "the class's saved drawings as they arrive.")
shown_model = sidebar()


def join_info() -> JoinAddress:
    """Where phones reach this server, from Streamlit's own settings."""
    def set_on_purpose(option: str):
        return st.get_option(option) if streamlit_config.is_manually_set(option) else None

    return join_address(
        listen_address=st.get_option("server.address"), port=st.get_option("server.port"),
        public_address=set_on_purpose("browser.serverAddress"),
        public_port=set_on_purpose("browser.serverPort"),
        base_path=st.get_option("server.baseUrlPath") or "",
        https=bool(st.get_option("server.sslCertFile")), lan_addresses=lan_ipv4_addresses())


def show_join(join: JoinAddress) -> None:
    """The Join view: the address, large, and its QR code; what to do when phones fail."""
    if join.problem:
        st.warning(join.problem, icon=":material/wifi_off:")
    if join.urls:
        text, code = st.columns([3, 2], gap="large", vertical_alignment="center")
        with text:
            st.markdown('<p class="join-label">On your phone, open</p>'
                        f'<p class="join-url">{join.urls[0]}</p>', unsafe_allow_html=True)
            if len(join.urls) > 1:
                st.markdown('<p class="big-line">or, if that does not open, '
                            + " or ".join(f"<b>{url}</b>" for url in join.urls[1:]) + "</p>",
                            unsafe_allow_html=True)
        code.image(qr_png(join.urls[0]), width=340, caption="Scan to open the app")
    elif join.local_only:
        st.markdown(f"On this computer only: http://localhost:{st.get_option('server.port')}")
    with st.expander("Phones can't connect?", expanded=not join.urls):
        st.markdown(CHECKLIST.format(port=st.get_option("server.port"), command=SERVE_COMMAND))


@st.cache_data(max_entries=8, show_spinner=False)
def summary_of(folder: str, version: int, model: str, _recognizer: Recognizer | None
               ) -> ClassSummary:
    # Keyed by the store's version and the model's file: the projectors of every session
    # share one summary until a drawing is saved or the model in use changes.
    return class_summary(DrawingStore(folder),
                         None if _recognizer is None else _recognizer.weights.predict)


@st.cache_data(max_entries=512, show_spinner=False)
def thumbnail_of(folder: str, drawing_id: int, created_at: str) -> bytes:
    # A drawing's picture never changes (ids are never reused; created_at tells a store
    # made anew after a damaged one was moved away).
    return thumbnail_png(DrawingStore(folder), drawing_id)


def show_cards(folder: str, drawings: tuple[ClassDrawing, ...], *, hardest: bool) -> None:
    """A wrapping row of drawings, each with what it is and what the model read."""
    row = st.container(horizontal=True, gap="small")
    for item in drawings:
        drawing = item.drawing
        with row.container(width=THUMB_PX + 16, gap=None):
            try:
                st.image(thumbnail_of(folder, drawing.id, drawing.created_at), width=THUMB_PX)
            except MnistCoreError:  # deleted since the summary was read
                continue
            if hardest:
                wrong = item.reads != drawing.label
                lines = [(f"said <b>{drawing.label}</b>", ""),
                         (f"reads {item.reads}" if wrong else "reads it", "wrong" if wrong
                          else "right"),
                         (f"{drawing.label}: {item.label_probability:.0%}", "")]
            elif drawing.predicted is None:
                lines = [(f"<b>{drawing.label}</b>", ""), ("imported", "")]
            elif drawing.predicted == drawing.label:
                lines = [(f"<b>{drawing.label}</b>", ""), ("read right", "right")]
            else:
                lines = [(f"<b>{drawing.label}</b>", ""),
                         (f"read as {drawing.predicted}", "wrong")]
            st.markdown("".join(f'<p class="card-line {kind}">{text}</p>'
                                for text, kind in lines), unsafe_allow_html=True)


def counts_chart(summary: ClassSummary) -> dict:
    """Bars of the drawings saved per digit, each with its number on top."""
    axis = {"labelAngle": 0, "labelFontSize": 22, "titleFontSize": 16, "labelFontWeight": 700}
    return {
        "height": 200,
        "encoding": {
            "x": {"field": "digit", "type": "nominal", "title": None, "sort": None,
                  "axis": axis},
            "y": {"field": "drawings", "type": "quantitative", "title": None,
                  "axis": None, "scale": {"domainMin": 0}}},
        "layer": [{"mark": {"type": "bar", "color": "#4c78a8"}},
                  {"mark": {"type": "text", "dy": -12, "fontSize": 20, "fontWeight": 700},
                   "encoding": {"text": {"field": "drawings"}}}]}


def confusion_chart(summary: ClassSummary) -> tuple[pd.DataFrame, dict]:
    """The 10x10 confusion: rows what students said, columns what the model read."""
    cells = [{"said": str(said), "read": str(read), "count": int(summary.confusion[said, read]),
              "shown": str(summary.confusion[said, read]) if summary.confusion[said, read]
              else "", "wrong": said != read}
             for said in range(10) for read in range(10)]
    peak = max(1, int(summary.confusion.max()))
    axis = {"labelAngle": 0, "labelFontSize": 18, "titleFontSize": 16, "labelFontWeight": 700,
            "titleFontWeight": 400}
    position = {"x": {"field": "read", "type": "ordinal", "title": "The model read",
                      "axis": {**axis, "orient": "top"}},
                "y": {"field": "said", "type": "ordinal", "title": "Students said",
                      "axis": axis}}
    spec = {
        "width": 330, "height": 330,
        "encoding": position,
        "layer": [
            {"mark": {"type": "rect", "stroke": "#e6e6e6"},
             "encoding": {"color": {"field": "count", "type": "quantitative", "legend": None,
                                    "scale": {"scheme": "blues", "domain": [0, peak]}}}},
            {"mark": {"type": "text", "fontSize": 17, "fontWeight": 700},
             "encoding": {"text": {"field": "shown"},
                          "color": {"condition": [
                              {"test": f"datum.count > {peak / 2}", "value": "white"},
                              {"test": "datum.wrong", "value": "#d62728"}],
                              "value": "black"}}}]}
    return pd.DataFrame(cells), spec


def show_summary(summary: ClassSummary, folder: str, recognizer: Recognizer | None) -> None:
    """The projector's numbers and drawings (the store has drawings)."""
    counts, confusion = st.columns([1, 1], gap="large")
    with counts:
        st.markdown(f'<span class="big-count">{summary.total:,}</span> '
                    f'<span class="big-line">drawing{"s" if summary.total != 1 else ""} '
                    "saved, of each digit:</span>", unsafe_allow_html=True)
        st.vega_lite_chart(pd.DataFrame({"digit": [str(d) for d in range(10)],
                                         "drawings": list(summary.by_label)}),
                           counts_chart(summary), width="stretch")
        st.markdown("**Latest**", help="Newest first, with what the model read when each "
                    "was saved.")
        show_cards(folder, summary.latest, hardest=False)
    with confusion:
        if summary.judged:
            share = summary.read_right / summary.judged
            mixups = ", ".join(f"{said} as {read} ({count}x)"
                               for said, read, count in summary.mixups())
            st.markdown(f'<p class="big-line">Read right when saved: <b>{share:.0%}</b> '
                        f"({summary.read_right} of {summary.judged})"
                        + (f"<br>Mixed up most: <b>{mixups}</b>" if mixups else "")
                        + "</p>", unsafe_allow_html=True)
            data, spec = confusion_chart(summary)
            st.vega_lite_chart(data, spec, width="content")
        else:
            st.markdown('<p class="big-line">None of these drawings says what the model read '
                        "when it was saved (imported without it).</p>", unsafe_allow_html=True)
    if summary.hardest:
        st.markdown(f"**Hardest for {model_label(recognizer)}**",
                    help="The drawings the model in use gives the lowest probability for the "
                         "digit the student said. A wrong one can be deleted on the My drawings "
                         "page.")
        show_cards(folder, summary.hardest, hardest=True)


def show_projector(live: bool) -> None:
    """The projector view, rerun every REFRESH_S seconds while `live`."""

    @st.fragment(run_every=REFRESH_S if live else None)
    def projector() -> None:
        if shown_model is not None:
            follow_model_in_use(shown_model)  # the sidebar names the model the cards use
        join = join_info()
        if join.urls:
            text, code = st.columns([5, 1], vertical_alignment="center")
            text.markdown('<p class="join-label">Join on your phone:</p>'
                          f'<p class="join-url small">{join.urls[0]}</p>',
                          unsafe_allow_html=True)
            code.image(qr_png(join.urls[0], scale=4), width=120)
        elif join.problem:
            st.warning(join.problem, icon=":material/wifi_off:")
        try:
            recognizer = active_recognizer()
        except MnistCoreError:  # the sidebar says why; the rest shows without the hardest
            recognizer = None
        drawings = DrawingStore()
        try:
            summary = summary_of(str(drawings.folder), drawings.version(),
                                 "" if recognizer is None else str(recognizer.source),
                                 recognizer)
        except MnistCoreError as error:
            st.error(f"The class's drawings cannot be shown: {error}",
                     icon=":material/error:")
            return
        if not summary.total:
            st.info("No drawings saved yet. Draw a digit on the home page, then press "
                    "'Right, it's a …' or pick the right digit under 'Wrong? It was a …': "
                    f"each one saved appears here within {REFRESH_S} seconds.",
                    icon=":material/draw:")
            return
        show_summary(summary, str(drawings.folder), recognizer)

    projector()


choice = st.query_params.get("view", "join")
view = st.segmented_control("Show", list(VIEWS.values()), key="class-view",
                            default=VIEWS.get(choice, "Join"), label_visibility="collapsed")
view = view or VIEWS.get(choice, "Join")  # a second click on the chosen one unselects it
st.query_params["view"] = next(key for key, name in VIEWS.items() if name == view)

if view == "Join":
    show_join(join_info())
else:
    # Pausing changes nothing shared (this window only), so it needs no teacher.
    live = st.toggle(f"Refresh every {REFRESH_S} s", value=True, key="class-live")
    show_projector(live)

# The lead calls the "Teach it now" panel (ui/teach_now.py) here, below the projector view.
