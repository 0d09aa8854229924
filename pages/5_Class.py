"""Class page: the address students open on their phones, and a projector view of the class's
saved drawings that refreshes itself."""

import base64
import html

import pandas as pd
import streamlit as st
from streamlit import config as streamlit_config

from mnist_core import DrawingStore, MnistCoreError
from mnist_core.classroom.summary import (
    HARD_BELOW,
    SERVE_COMMAND,
    ClassDrawing,
    ClassSummary,
    JoinAddress,
    class_summary,
    join_address,
    lan_ipv4_addresses,
    qr_png,
)
from mnist_core.reading.visualize import enlarge
from mnist_core.recognizer import Recognizer
from ui.actions import apply
from ui.lock import is_unlocked_teacher
from ui.models import active_recognizer, follow_model_in_use, model_name
from ui.sidebar import sidebar
from ui.teach_now import teach_now_panel

REFRESH_S = 5  # the projector view's refresh: a saved drawing shows within this
VIEWS = {"join": "Join", "projector": "Projector"}
THUMB_PX = 88  # px: a drawing on the projector; 4 in a row beside the sidebar at 1280 px
STRIP_QR_PX = 104  # px: the projector's small QR code (4 px per module, border included)
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
    /* Type for the back of a room, on a 1280x720 projector. Divs, not p: Streamlit's own
       rule for a markdown p outranks one class. */
    /* The address breaks after "http://" when it must (a <wbr> there), mid-number only when
       even that does not fit. */
    .join-url {font-size: clamp(1.5rem, 3.2vw, 3rem); font-weight: 700; line-height: 1.15;
               overflow-wrap: anywhere; margin: 0.1rem 0 0.8rem 0;}
    .join-url.small {font-size: 1.45rem; margin: 0.2rem 0 0.7rem 0;}
    .join-strip {display: flex; align-items: center; gap: 0.75rem;}
    /* The Join view's QR code: as wide as its column, 340 px at most (its quiet zone
       included). A fixed 340 px ran past the window's edge at 1024x768 with the sidebar
       open, and a cut-off code does not scan. */
    .st-key-join-code {max-width: 340px; margin: 0 auto;}
    .join-strip img {image-rendering: pixelated; flex: none;}
    .mid-line {font-size: 1.2rem; line-height: 1.35;}
    .join-label {font-size: 1.3rem;}
    .join-label.small {font-size: 1rem;}
    .big-count {font-size: 3rem; font-weight: 800; line-height: 1;}
    .big-line {font-size: 1.4rem; line-height: 1.35; margin: 0 0 0.3rem 0;}
    .card-line {font-size: 1.15rem; line-height: 1.25; white-space: nowrap;}
    .card-line .wrong {color: #d62728; font-weight: 700;}
    .card-line .right {color: #2a7f3f;}
    /* Each row of drawings shows one line of cards, as many as fit whole (the newest or the
       hardest first): the others wrap onto a second line, which is cut off. The projector
       keeps its height as drawings arrive. */
    .st-key-cards-latest, .st-key-cards-hardest {overflow: hidden; row-gap: 6rem;}
    /* A card is the 88 px picture and its one or two lines (1.4 rem each), and for the
       unlocked teacher a small Hide button (1 rem): room for one line of cards, whole; the
       next line begins over 5 rem lower, out of sight. */
    .st-key-cards-latest {max-height: 8.5rem;}
    .st-key-cards-hardest {max-height: 10rem;}
    [data-testid="stMainBlockContainer"] {padding-top: 2.2rem;}
    [data-testid="stMainBlockContainer"] h1 {font-size: 2.2rem; padding: 0.25rem 0;}
    [data-testid="stImage"] img {image-rendering: pixelated;}
    @media (max-width: 1200px) {
      [data-testid="stMainBlockContainer"] {padding-left: 1.5rem; padding-right: 1.5rem;}
    }
    </style>
    """,
    unsafe_allow_html=True,
)
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


def breakable(url: str) -> str:
    """The address as HTML, with a line-break opportunity after its scheme (a teacher's
    browser.serverAddress could hold anything, so it is escaped)."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return html.escape(url)
    return f"{html.escape(scheme)}{separator}<wbr>{html.escape(rest)}"


def show_join(join: JoinAddress) -> None:
    """The Join view: the address, large, and its QR code; what to do when phones fail."""
    if join.problem:
        st.warning(join.problem, icon=":material/wifi_off:")
    if join.urls:
        text, code = st.columns([3, 2], gap="medium", vertical_alignment="center")
        with text:
            st.markdown('<div class="join-label">On your phone, open</div>'
                        f'<div class="join-url">{breakable(join.urls[0])}</div>',
                        unsafe_allow_html=True)
            if len(join.urls) > 1:
                st.markdown('<div class="big-line">If that does not open: '
                            + " or ".join(f"<b>{breakable(url)}</b>" for url in join.urls[1:])
                            + "</div>", unsafe_allow_html=True)
        with code.container(key="join-code"):  # sized to its column (the CSS above)
            st.image(qr_png(join.urls[0]), width="stretch", caption="Scan to open the app")
    elif join.local_only:
        st.markdown(f"On this computer only: http://localhost:{st.get_option('server.port')}")
    with st.expander("Phones can't connect?", expanded=not join.urls):
        st.markdown(CHECKLIST.format(port=st.get_option("server.port"), command=SERVE_COMMAND))


def show_join_strip(join: JoinAddress) -> None:
    """A small QR code and the address, for the projector view's top right."""
    if not join.urls:
        st.warning(join.problem or "", icon=":material/wifi_off:")
        return
    # One piece of HTML, so the address stays beside its code in a narrow column.
    code = base64.b64encode(qr_png(join.urls[0], scale=4)).decode()
    st.markdown(f'<div class="join-strip"><img src="data:image/png;base64,{code}" '
                f'alt="QR code of {html.escape(join.urls[0])}" width="{STRIP_QR_PX}" '
                f'height="{STRIP_QR_PX}"><div class="join-label small">Join on your phone: '
                f'scan the code, or open</div></div><div class="join-url small">'
                f"{breakable(join.urls[0])}</div>", unsafe_allow_html=True)


@st.cache_data(max_entries=8, show_spinner=False)
def summary_of(folder: str, version: int, model: str, _recognizer: Recognizer | None
               ) -> ClassSummary:
    # Keyed by the store's version and the model's file: the projectors of every session
    # share one summary until a drawing is saved or the model in use changes.
    return class_summary(DrawingStore(folder),
                         None if _recognizer is None else _recognizer.weights.predict)


def percent(probability: float) -> str:
    """'3%', or '<1%' rather than a misleading '0%'."""
    return "<1%" if probability < 0.005 else f"{probability:.0%}"


def card_lines(item: ClassDrawing, *, hardest: bool) -> list[str]:
    """A drawing's caption: the digit the student said, then what the model read."""
    drawing = item.drawing
    if hardest:
        read = ('<span class="right">reads it</span>' if item.reads == drawing.label
                else f'<span class="wrong">reads {item.reads}</span>')
        return [f"<b>{drawing.label}</b> · {read}",
                f"{drawing.label}: {html.escape(percent(item.label_probability))}"]
    if drawing.predicted is None:
        return [f"<b>{drawing.label}</b> · imported"]
    if drawing.predicted == drawing.label:
        return [f'<b>{drawing.label}</b> · <span class="right">read right</span>']
    return [f'<b>{drawing.label}</b> · <span class="wrong">read {drawing.predicted}</span>']


HIDE = "hide drawings from the projector"


def show_cards(name: str, folder: str, drawings: tuple[ClassDrawing, ...], *,
               hardest: bool) -> None:
    """One row of drawings (as many as fit), each with its digit and what the model read.

    Each shows as the network sees it (its 28x28 input), never the picture as uploaded: a
    photo may hold anything. The unlocked teacher hides one from the projector in one click.
    """
    teacher = is_unlocked_teacher()
    row = st.container(horizontal=True, gap="small", key=f"cards-{name}")
    for item in drawings:
        drawing = item.drawing
        with row.container(width=THUMB_PX + 12, gap=None):
            st.image(enlarge(drawing.image, THUMB_PX), width=THUMB_PX)
            st.markdown("".join(f'<div class="card-line">{line}</div>'
                                for line in card_lines(item, hardest=hardest)),
                        unsafe_allow_html=True)
            if teacher and st.button("Hide", key=f"hide-{name}-{drawing.id}",
                                     icon=":material/visibility_off:", type="tertiary",
                                     help="Hide this drawing from the projector (it stays "
                                          "saved; My drawings lists it)."):
                apply(HIDE, lambda drawing_id=drawing.id: DrawingStore(folder).hide(drawing_id))


COUNTS_CHART = {
    "height": 150,
    "encoding": {
        "x": {"field": "digit", "type": "nominal", "title": None, "sort": None,
              "axis": {"labelAngle": 0, "labelFontSize": 22, "labelFontWeight": 700,
                       "ticks": False, "domain": False}},
        "y": {"field": "drawings", "type": "quantitative", "title": None, "axis": None,
              "scale": {"domainMin": 0}}},
    "layer": [{"mark": {"type": "bar", "color": "#4c78a8"}},
              {"mark": {"type": "text", "dy": -12, "fontSize": 19, "fontWeight": 700},
               "encoding": {"text": {"field": "drawings"}}}]}


def confusion_chart(summary: ClassSummary) -> tuple[pd.DataFrame, dict]:
    """The 10x10 confusion: rows what students said, columns what the model read."""
    matrix = summary.confusion
    cells = pd.DataFrame([{"said": str(said), "read": str(read),
                           "count": int(matrix[said, read]),
                           "shown": str(matrix[said, read]) if matrix[said, read] else "",
                           "wrong": said != read}
                          for said in range(10) for read in range(10)])
    peak = max(1, int(matrix.max()))
    axis = {"labelAngle": 0, "labelFontSize": 18, "titleFontSize": 16, "labelFontWeight": 700,
            "titleFontWeight": 400, "ticks": False, "domain": False, "labelOverlap": False,
            "labelFlush": False}
    spec = {
        "height": 330,
        "encoding": {"x": {"field": "read", "type": "ordinal", "title": "The model read",
                           "axis": {**axis, "orient": "top"}},
                     "y": {"field": "said", "type": "ordinal", "title": "Students said",
                           "axis": axis}},
        "layer": [
            {"mark": {"type": "rect", "stroke": "#dddddd"},
             "encoding": {"color": {"field": "count", "type": "quantitative", "legend": None,
                                    "scale": {"scheme": "blues", "domain": [0, peak]}}}},
            {"mark": {"type": "text", "fontSize": 16, "fontWeight": 700},
             "encoding": {"text": {"field": "shown"},
                          "color": {"condition": [
                              {"test": f"datum.count > {peak / 2}", "value": "white"},
                              {"test": "datum.wrong", "value": "#d62728"}],
                              "value": "black"}}}]}
    return cells, spec


def show_summary(summary: ClassSummary, folder: str, recognizer: Recognizer | None) -> None:
    """The left column: how many of each digit, the latest drawings, the hardest ones."""
    plural = "s" if summary.total != 1 else ""
    st.markdown(f'<div class="big-line"><span class="big-count">{summary.total:,}</span> '
                f"drawing{plural} saved, of each digit:</div>", unsafe_allow_html=True)
    st.vega_lite_chart(pd.DataFrame({"digit": [str(d) for d in range(10)],
                                     "drawings": list(summary.by_label)}),
                       COUNTS_CHART, width="stretch")
    st.markdown('<div class="big-line">Latest</div>', unsafe_allow_html=True)
    show_cards("latest", folder, summary.latest, hardest=False)
    if recognizer is None:
        return
    st.markdown(f'<div class="big-line">Hardest for {html.escape(model_name(recognizer))}</div>',
                unsafe_allow_html=True,
                help="The lowest probability for the digit the student said. A drawing "
                     "saved with the wrong digit shows here; delete it on the My drawings page.")
    if summary.hardest:
        show_cards("hardest", folder, summary.hardest, hardest=True)
    else:
        st.markdown(f'<div class="mid-line">None: it gives every drawing\'s digit at least '
                    f"{HARD_BELOW:.0%}.</div>", unsafe_allow_html=True)


def show_confusion(summary: ClassSummary) -> None:
    """The right column's numbers: read right when saved, the mix-ups, the confusion."""
    if not summary.judged:
        st.markdown('<div class="big-line">None of these drawings says what the model read '
                    "when it was saved (imported without it).</div>", unsafe_allow_html=True)
        return
    share = summary.read_right / summary.judged
    mixups = ", ".join(f"{said} as {read} ({count}x)" for said, read, count in summary.mixups())
    st.markdown(f'<div class="mid-line">Read right when saved: <b>{share:.0%}</b> '
                f"({summary.read_right} of {summary.judged})</div>"
                + (f'<div class="mid-line">Mixed up most: <b>{mixups}</b></div>' if mixups
                   else ""), unsafe_allow_html=True)
    st.vega_lite_chart(*confusion_chart(summary), width="stretch")


def show_projector(live: bool) -> None:
    """The projector view, rerun every REFRESH_S seconds while `live`."""

    @st.fragment(run_every=REFRESH_S if live else None)
    def projector() -> None:
        if shown_model is not None:
            follow_model_in_use(shown_model)  # the sidebar names the model the cards use
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
            summary, problem = None, f"The class's drawings cannot be shown: {error}"
        left, right = st.columns([3, 2], gap="medium")
        with right:
            show_join_strip(join_info())
            if summary is not None and summary.total:
                show_confusion(summary)
        with left:
            if summary is None:
                st.error(problem, icon=":material/error:")
            elif not summary.total:
                st.info("No drawings saved yet. Draw a digit on the home page, then press "
                        "'Right, it's a …' or pick the right digit under 'Wrong? It was a "
                        f"…': each one saved appears here within {REFRESH_S} seconds.",
                        icon=":material/draw:")
            else:
                show_summary(summary, str(drawings.folder), recognizer)

    projector()


choice = VIEWS.get(st.query_params.get("view", "join"), "Join")
header = st.container(horizontal=True, vertical_alignment="center",
                      horizontal_alignment="distribute")
with header:
    st.title("Class", width="content")
    controls = st.container(horizontal=True, vertical_alignment="center", width="content")
    view = controls.segmented_control("Show", list(VIEWS.values()), key="class-view",
                                      default=choice, label_visibility="collapsed")
    view = view or choice  # a second click on the chosen one unselects it
    st.query_params["view"] = next(key for key, name in VIEWS.items() if name == view)
    if view == "Projector":
        # Pausing changes nothing shared (this window only), so it needs no teacher.
        live = controls.toggle(f"Refresh every {REFRESH_S} s", value=True, key="class-live")

if view == "Join":
    st.write("Students open this address on their phones and draw. The projector view shows "
             "the class's saved drawings as they arrive.")
    show_join(join_info())
else:
    show_projector(live)

# Below either view: the teacher teaches the model in use the class's drawings.
if shown_model is not None:
    st.divider()
    teach_now_panel(shown_model)
