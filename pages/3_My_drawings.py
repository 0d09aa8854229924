"""My drawings page: the class's saved drawings by digit; delete, export and import them."""

import datetime as dt

import pandas as pd
import streamlit as st

from mnist_core import DrawingStore, MnistCoreError
from mnist_core.classroom.drawings import HELD_OUT_SHARE, MIN_HELD_OUT
from mnist_core.reading.visualize import enlarge, viewable_png
from mnist_core.wording import a_digit, article, plural
from ui.actions import apply, button, download_button
from ui.lock import teacher_only
from ui.sidebar import sidebar
from ui.teach import my_drawing_ids
from ui.text import plain

PER_PAGE = 36
CARD_WIDTH = 150  # px: two across a phone, five or six across a laptop

st.set_page_config(page_title="My drawings", page_icon="🖼️",  # emoji: served locally
                   layout="wide")
st.title("My drawings")
st.write("Drawings saved from the home page with the digit they really are. Train on them "
         "(Train page) and see how well each model reads them (Training runs page).")
sidebar()

drawings = DrawingStore()
try:
    counts = drawings.counts()
except MnistCoreError as error:
    st.error(str(error))
    st.stop()

total, trained, held = st.columns(3)
total.metric("Saved drawings", counts.total)
trained.metric("To train on", counts.for_training)
held.metric("Held out to score models", counts.held_out,
            help=f"One drawing in {HELD_OUT_SHARE} is never trained on, so every model can be "
                 f"scored on drawings it has not seen. Scores need at least {MIN_HELD_OUT}.")
if counts.total:
    st.markdown("**Saved drawings of each digit**")
    st.vega_lite_chart(
        pd.DataFrame({"digit": [str(d) for d in range(10)], "drawings": counts.by_label}),
        {"height": 160, "mark": {"type": "bar"},
         "encoding": {
             "x": {"field": "digit", "type": "nominal", "title": "Digit",
                   "axis": {"labelAngle": 0, "labelFontSize": 14}},
             "y": {"field": "drawings", "type": "quantitative", "title": "Drawings",
                   "axis": {"tickMinStep": 1}},
             "tooltip": [{"field": "digit"}, {"field": "drawings"}]}},
        width="stretch")
else:
    st.info("No drawings saved yet. On the home page, draw a digit and press 'Right, it's "
            "a …' or pick the right digit under 'Wrong? It was a …'.", icon=":material/draw:")
    st.page_link("app.py", label="Draw a digit", icon=":material/draw:")

if counts.total:
    st.subheader("Gallery")
    cannot_delete = teacher_only("delete drawings")
    if cannot_delete:
        # Students see what the network sees of each drawing, never another student's upload
        # as it was (a photo may hold anything); the teacher sees the originals.
        st.caption(f"{cannot_delete} Shown as the network sees them (28x28).")
    choice = st.segmented_control(
        "Show", ["All", *range(10)], default="All", key="gallery-digit",
        format_func=lambda option: "All" if option == "All" else f"{option}s "
                                   f"({counts.by_label[option]})")
    digit = None if choice in (None, "All") else choice
    shown = counts.total if digit is None else counts.by_label[digit]
    pages = max(1, -(-shown // PER_PAGE))
    page = st.number_input(f"Page (of {pages})", 1, pages, 1, width=160) if pages > 1 else 1
    on_page = drawings.list(digit, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    # Cards of a fixed width in a wrapping row: five or six across on a laptop, two on a
    # phone (columns would stack one full-width picture per row there).
    grid = st.container(horizontal=True, gap="small")
    for drawing in on_page:
        with grid.container(width=CARD_WIDTH):
            st.image(enlarge(drawing.image, CARD_WIDTH) if cannot_delete
                     else viewable_png(drawings.image_png(drawing.id)), width="stretch")
            said = "" if drawing.predicted is None else (
                ", read right" if drawing.predicted == drawing.label
                else f", read as {drawing.predicted}")
            st.caption(f"No. {drawing.id}: {article(drawing.label)} **{drawing.label}**{said}"
                       f"{' · held out' if drawing.held_out else ''}"
                       f"{' · hidden from the projector' if drawing.hidden else ''}")
            if drawing.hidden and not cannot_delete and st.button(
                    "Show on the projector", key=f"unhide-{drawing.id}", type="tertiary",
                    icon=":material/visibility:"):
                apply("show drawings on the projector",
                      lambda drawing_id=drawing.id: drawings.hide(drawing_id, hidden=False))
            with st.popover("Delete", icon=":material/delete:", disabled=bool(cannot_delete),
                            help=cannot_delete):
                st.write(f"Delete drawing No. {drawing.id} ({a_digit(drawing.label)})?")
                if button("delete drawings", "Delete it", key=f"delete-{drawing.id}",
                          type="primary", beside=False):
                    apply("delete drawings",
                          lambda drawing_id=drawing.id: drawings.delete(drawing_id))

st.subheader("Export and import")
left, right = st.columns(2, gap="large")
with left:
    st.write("All drawings as a zip: each picture as PNG, its 28x28 network input, and "
             "labels.csv with the digits. Keep it as a backup or share it with another class.")
    stamp = f"{dt.datetime.now(dt.UTC):%Y%m%d-%H%M}"
    # Every drawing is the teacher's to export (a student could upload another's picture
    # again and find it saved); a student may take the ones they saved in this tab.
    download_button("download all drawings", "Download all as a zip", drawings.export_zip,
                    icon=":material/download:", file_name=f"drawings-{stamp}.zip",
                    mime="application/zip", disabled=not counts.total)
    mine = my_drawing_ids()
    st.download_button(
        f"Download mine ({len(mine)})", lambda: drawings.export_zip(mine),
        icon=":material/download:", file_name=f"my-drawings-{stamp}.zip",
        mime="application/zip", disabled=not mine,
        help=f"The {plural(len(mine), 'drawing')} saved from this browser tab." if mine else
        "The drawings you save from this browser tab (home page: Right, or Wrong? It was a …).")
with right:
    cannot_import = teacher_only("import drawings")
    uploaded = st.file_uploader(
        "Import a zip of drawings", type="zip", disabled=bool(cannot_import),
        help=cannot_import or "A zip made by 'Download all as a zip', or any zip of digit "
                              "pictures with a labels.csv that has a 'file' and a 'label' "
                              "column.")
    if cannot_import:
        st.caption(cannot_import)
    if uploaded is not None and button("import drawings", "Import", icon=":material/upload:",
                                       beside=False):
        def import_zip() -> None:
            with st.spinner("Reading the pictures…"):
                report = drawings.import_zip(uploaded.getvalue())
            st.session_state.import_report = (uploaded.name, report)

        apply("import drawings", import_zip,
              explain=lambda error: f"{plain(uploaded.name)}: {plain(error)} Nothing was "
                                    "imported.")
    if "import_report" in st.session_state:
        name, report = st.session_state.pop("import_report")
        st.success(f"{plain(name)}: {report.added} drawing{'s' if report.added != 1 else ''} added"
                   + (f", {report.duplicates} already saved" if report.duplicates else "")
                   + ".")
        if report.problems:
            with st.expander(f"{len(report.problems)} file"
                             f"{'s' if len(report.problems) != 1 else ''} skipped",
                             expanded=len(report.problems) <= 5):
                # Each names a file and cells of the zip: text, never Markdown.
                st.text("\n".join(report.problems))
