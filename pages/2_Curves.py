"""Curves page: see, compare and manage training runs."""

import pandas as pd
import streamlit as st

from mnist_core import SHIPPED_ID, DrawingStore, MnistCoreError, ModelStore, load_mnist
from mnist_core.classroom.drawings import MIN_HELD_OUT
from mnist_core.reading.visualize import enlarge
from mnist_core.runs.compare import (
    compare_runs,
    confusion_cells,
    ensure_evaluation,
    history_csv,
    history_rows,
    misclassified_in_cell,
    overfitting_epoch,
    read_right,
    run_summary,
)
from mnist_core.runs.store import MAX_NAME_LENGTH
from mnist_core.wording import a_digit
from ui.actions import apply, button, download_button
from ui.charts import learning_curves
from ui.lock import teacher_only
from ui.models import held_out_accuracies, run_recognizer
from ui.sidebar import sidebar
from ui.text import plain

st.set_page_config(page_title="Curves", page_icon="📈", layout="wide")  # emoji: served locally
st.title("Training runs")
st.write("How did training go, and which model is best? Pick runs in the table to compare "
         "their learning curves; pick one below for its mistakes and actions.")
sidebar()

store = ModelStore()
runs, broken = store.list_runs()
active_id = store.active_run_id()
by_id = {run.run_id: run for run in runs}
# The model the app reads with: the chosen run, or the shipped model when the chosen run is
# listed as broken below (the sidebar says why). The chosen one stays `active_id`: it cannot
# be deleted, and the shipped model keeps its "Use this model", the way back.
in_use_id = active_id if active_id in by_id else SHIPPED_ID

for damaged in broken:
    with st.container(border=True):
        st.warning(f"Broken run folder {plain(damaged.run_id)}: {plain(damaged.reason)}",
                   icon=":material/broken_image:")
        if button("delete runs", "Delete this folder", key=f"delete-broken-{damaged.run_id}"):
            apply("delete runs", lambda run_id=damaged.run_id: store.delete(run_id))

if not runs:
    st.info("No run can be read, not even the shipped model: train one on the Train page.")
    st.stop()
table = pd.DataFrame([{**run_summary(run, in_use_id), "drawings_accuracy": score}
                      for run, score in zip(runs, held_out_accuracies(runs), strict=True)])
# The accuracies first: they are what runs are compared by, and stay in view. "Our drawings"
# only once there is a score to show: a column of "None" says nothing.
scored = table["drawings_accuracy"].notna().any()
reported = table["report_accuracy"].notna().any()
columns = ["active", "name", "test_accuracy", "drawn_accuracy", "report_accuracy",
           "pen_accuracy", "drawings_accuracy", "finished", "run", "architecture", "epochs",
           "status", "train_seconds", "settings"]
st.subheader(f"{len(runs)} run{'s' if len(runs) != 1 else ''}")
# A figure a run did not record shows as a dash (Streamlit writes "None" otherwise).
MISSING = "—"
picked = st.dataframe(
    table, hide_index=True, on_select="rerun", selection_mode="multi-row", key="runs",
    placeholder=MISSING,
    column_order=[name for name in columns if (scored or name != "drawings_accuracy")
                  and (reported or name != "report_accuracy")],
    column_config={
        "active": st.column_config.CheckboxColumn("In use", width="small"),
        # Narrow where the values are short, so every heading shows in full on a laptop.
        "name": "Name", "run": "Run", "finished": st.column_config.TextColumn(
            "Finished", help="When training ended (UTC)."),
        "architecture": "Layers", "epochs": st.column_config.TextColumn("Epochs", width="small"),
        "status": "Status",
        "train_seconds": st.column_config.NumberColumn(
            "Time (s)", format="%.0f", width="small", help="Training time in seconds."),
        "test_accuracy": st.column_config.NumberColumn("MNIST test", format="percent"),
        "drawn_accuracy": st.column_config.NumberColumn("Drawn digits", format="percent"),
        "report_accuracy": st.column_config.NumberColumn(
            "Real writers (69)", format="percent",
            help="Accuracy on 2,350 real pen digits by 69 people none of the runs trained on "
                 "(pendigits and UNIPEN). Runs trained before UNIPEN was read were not scored "
                 "on them: compare those by the 8 people of the next column."),
        "pen_accuracy": st.column_config.NumberColumn(
            "Real writers (8)", format="percent",
            help="Accuracy on real pen digits by 8 people none of the runs trained on "
                 "(pendigits): every run has this figure."),
        "drawings_accuracy": st.column_config.NumberColumn(
            "Our drawings", format="percent",
            help="How well it reads *our* digits: accuracy on the saved drawings held out "
                 "from training (My drawings page), the same ones for every run."),
        "settings": "Settings",
    },
)
try:
    held_out = DrawingStore().counts().held_out
except MnistCoreError:
    held_out = MIN_HELD_OUT  # the column stays empty; the My drawings page says why
if held_out < MIN_HELD_OUT:
    st.caption(f"A column 'Our drawings', how well each run reads the class's own saved "
               f"drawings, appears once {MIN_HELD_OUT} are held out from training: {held_out} "
               f"so far (one saved drawing in five is held out).")
rows = picked.selection.rows or table.index[table["active"]].tolist()[:1] or [0]
selected = [runs[row] for row in rows]

st.subheader("Learning curves")
if len(rows) == 1 and not picked.selection.rows:
    st.caption("Showing the model in use. Select rows in the table to compare runs.")
histories = history_rows(selected)
if not histories:
    st.info("The selected runs have no epochs recorded.")
else:
    frame = pd.DataFrame(histories)
    learning_curves(histories, by_run=True, height=320)
    for run in selected:
        turned = overfitting_epoch(run.history)
        if turned is not None:
            st.warning(f"{plain(run.name)}: validation loss was lowest at epoch {turned} and "
                       "rose after it: the model began to overfit there.",
                       icon=":material/trending_up:")
    with st.expander("Per-epoch numbers"):
        st.dataframe(frame, hide_index=True, placeholder=MISSING, column_config={
            "loss": st.column_config.NumberColumn("Loss", format="%.4f"),
            "val_loss": st.column_config.NumberColumn("Validation loss", format="%.4f"),
            "accuracy": st.column_config.NumberColumn("Accuracy", format="percent"),
            "val_accuracy": st.column_config.NumberColumn("Validation accuracy",
                                                          format="percent"),
            "seconds": st.column_config.NumberColumn("Time (s)", format="%.1f"),
        })

st.divider()
names = [run.run_id for run in runs]
chosen = by_id[st.selectbox("One run in detail", names, index=names.index(selected[0].run_id),
                            format_func=lambda run_id: f"{by_id[run_id].name} ({run_id})",
                            key="run-in-detail")]  # kept when a name changes
st.subheader(plain(chosen.name) + (" (in use)" if chosen.run_id == in_use_id else ""))
st.caption(f"Run {chosen.run_id}: {chosen.config.describe()}; status {chosen.status}")
if not chosen.is_shipped:
    cannot_rename = teacher_only("rename runs")
    with st.popover("Rename", icon=":material/edit:", disabled=bool(cannot_rename),
                    help=cannot_rename or "Give this run a name people read."), \
            st.form(f"rename-{chosen.run_id}", border=False):
        new_name = st.text_input("Name", value=chosen.name, max_chars=MAX_NAME_LENGTH)
        if st.form_submit_button("Save the name", icon=":material/save:"):
            apply("rename runs", lambda: store.rename(chosen.run_id, new_name))

if chosen.run_id != in_use_id and chosen.status != "failed" and in_use_id in by_id:
    comparison = compare_runs(chosen, by_id[in_use_id])
    st.caption(comparison.sentence)
else:
    comparison = None
if locked := teacher_only("use, download or delete runs"):
    st.caption(locked)
actions = st.columns(4)
with actions[0]:
    # Primary only when it reads better: a worse run must not look like the obvious choice.
    if chosen.run_id != active_id and button(
            "choose the model in use",
            "Use it anyway" if comparison and comparison.verdict == "worse" else "Use this model",
            beside=False, type="primary" if comparison and comparison.recommended else "secondary",
            disabled=chosen.status == "failed", icon=":material/check:"):
        apply("choose the model in use", lambda: store.activate(chosen.run_id))
with actions[1]:
    if chosen.model_path.is_file():
        # Read only when clicked: the file is megabytes and the page reruns often.
        download_button("download runs", "Download model (.keras)",
                        chosen.model_path.read_bytes,
                        file_name=f"mnist-mlp-{chosen.run_id}.keras",
                        mime="application/octet-stream")
with actions[2]:
    download_button("download runs", "Download history (CSV)", lambda: history_csv(chosen),
                    file_name=f"history-{chosen.run_id}.csv", mime="text/csv")
with actions[3]:
    if chosen.is_shipped or chosen.run_id == active_id:
        st.caption("The model in use and the shipped model cannot be deleted.")
    else:
        sure = st.checkbox(f"Yes, delete run {chosen.run_id}", disabled=bool(locked))
        if button("delete runs", "Delete run", disabled=not sure, icon=":material/delete:",
                  beside=False):
            apply("delete runs", lambda: store.delete(chosen.run_id))

if chosen.status == "failed":
    why = chosen.metrics.get("error", "").strip() or "no reason was recorded."
    st.error(f"This run failed: {plain(why.splitlines()[0])}")
    st.stop()
try:
    evaluation = ensure_evaluation(store, chosen)
except MnistCoreError as error:
    st.info(f"The test-set details need MNIST, which is not available: {error}")
    st.stop()

heatmap_column, classes_column = st.columns([3, 2])
with heatmap_column:
    cells = pd.DataFrame(confusion_cells(evaluation))
    cells["wrong"] = cells["true"] != cells["predicted"]
    clicked = st.vega_lite_chart(cells, {
        # Short titles with the detail as a subtitle: long ones were cut off ("…").
        "title": {"text": "Confusion matrix",
                  "subtitle": "true digit (rows) against prediction (columns)",
                  "subtitleColor": "#8a94a6"},
        "height": 420,
        "encoding": {
            "x": {"field": "predicted", "type": "ordinal", "title": "Predicted digit",
                  "axis": {"labelAngle": 0, "labelFontSize": 14, "orient": "top"}},
            "y": {"field": "true", "type": "ordinal", "title": "True digit",
                  "axis": {"labelFontSize": 14}},
        },
        "layer": [
            # The click selection must sit on a unit layer, not on the layered chart.
            {"mark": "rect",
             "params": [{"name": "cell", "select": {"type": "point",
                                                    "fields": ["true", "predicted"]}}],
             "encoding": {
                "color": {"condition": {"test": "datum.wrong && datum.count > 0",
                                        "field": "count", "type": "quantitative",
                                        "scale": {"scheme": "oranges", "type": "symlog"},
                                        "legend": None},
                          "value": "#dde6f0"},
                "tooltip": [{"field": "true", "title": "True"},
                            {"field": "predicted", "title": "Predicted"},
                            {"field": "count", "title": "Images"}]}},
            {"mark": {"type": "text", "fontSize": 13},
             "encoding": {"text": {"field": "count", "type": "quantitative"},
                          "color": {"value": "#1f2430"}}},
        ],
    }, width="stretch", on_select="rerun", key=f"confusion-{chosen.run_id}")
    st.caption("Diagonal: right answers. Click a cell to see the images behind it, right "
               "or wrong.")
with classes_column:
    # Error rates, as bars from zero: accuracies of 98-100% would need a cut axis.
    per_class = pd.DataFrame({"digit": [str(d) for d in range(10)],
                              "accuracy": pd.to_numeric(evaluation["per_class_accuracy"])})
    per_class["error"] = 1 - per_class["accuracy"]
    st.vega_lite_chart(per_class, {
        "title": {"text": "Mistakes per digit",
                  "subtitle": f"overall accuracy {evaluation['accuracy']:.2%}",
                  "subtitleColor": "#8a94a6"},
        "height": 420, "mark": "bar",
        "encoding": {
            "y": {"field": "digit", "type": "nominal", "title": "True digit", "sort": None,
                  "axis": {"labelFontSize": 14}},
            "x": {"field": "error", "type": "quantitative",
                  "title": "Share of that digit's test images read wrong",
                  "axis": {"format": ".1%"}},
            "color": {"value": "#ff8c42"},
            "tooltip": [{"field": "digit", "title": "Digit"},
                        {"field": "accuracy", "title": "Accuracy", "format": ".2%"},
                        {"field": "error", "title": "Read wrong", "format": ".2%"}],
        },
    }, width="stretch")

st.subheader("The test images behind a cell")
choice = (clicked.selection.get("cell") or [{}])[0] if clicked else {}
digits = ["any", *range(10)]
pick_true, pick_predicted = st.columns(2)
true = pick_true.selectbox("True digit", digits, index=digits.index(choice.get("true", "any")),
                           key=f"true-{chosen.run_id}-{choice.get('true')}")
predicted = pick_predicted.selectbox(
    "Predicted digit", digits, index=digits.index(choice.get("predicted", "any")),
    key=f"pred-{chosen.run_id}-{choice.get('predicted')}")
diagonal = true != "any" and true == predicted
if not diagonal:
    mistakes = misclassified_in_cell(evaluation, None if true == "any" else true,
                                     None if predicted == "any" else predicted)
    if not mistakes:
        st.success("No mistakes here.")
        st.stop()
try:
    _, (x_test, y_test) = load_mnist()
except MnistCoreError as error:
    st.info(f"The gallery needs the MNIST test images: {error}")
    st.stop()
if diagonal:
    # Right answers are not stored with the run: read them again (10,000 images, ~50 ms).
    try:
        count, shown = read_right(run_recognizer(chosen.run_id).weights, x_test, y_test, true)
    except MnistCoreError as error:
        st.error(str(error))
        st.stop()
    st.caption(f"{count:,} test images of {a_digit(true)} read right; the {len(shown)} it was "
               "least sure of shown.")
else:
    shown = mistakes[:40]
    st.caption(f"{len(mistakes)} mistake(s); the {len(shown)} most confident shown.")
for start in range(0, len(shown), 8):
    for column, entry in zip(st.columns(8), shown[start:start + 8], strict=False):
        caption = (f"{entry['confidence']:.0%} sure" if diagonal else
                   f"{entry['true']} read as {entry['predicted']} ({entry['confidence']:.0%})")
        column.image(enlarge(x_test[entry["index"]] / 255.0, 112), caption=caption)
