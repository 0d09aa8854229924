"""Train page: retrain the MLP from the browser, with live progress, curves and a stop button."""

import os
import time
import uuid

import pandas as pd
import streamlit as st

from mnist_core import (
    PRESETS,
    DrawingStore,
    MnistCoreError,
    ModelStore,
    RunNotFoundError,
    StoreError,
    TrainConfig,
    config_problems,
    mnist_source,
)
from mnist_core.config import PEN_SOURCES, SOURCE_NAMES
from mnist_core.data import pendigits, unipen, writers
from mnist_core.data.mnist import DOWNLOAD_URL
from mnist_core.runs.compare import compare_runs
from mnist_core.training.drawn_cache import has_cache
from mnist_core.training.estimate import describe_seconds, estimate_seconds
from mnist_core.training.jobs import JobStatus, TrainingJobs, estimate_job
from ui.actions import apply, button
from ui.charts import learning_curves
from ui.lock import teacher_only
from ui.models import held_out_accuracies
from ui.sidebar import sidebar

# An emoji icon: a ":material/…:" page icon is fetched from Google's font servers, and a
# classroom may have no internet.
st.set_page_config(page_title="Train", page_icon="🧠", layout="wide")
st.title("Train the network")
st.write("Retrain the network on MNIST's 60,000 training digits, watch it learn, and use the "
         "result on the home page. Training runs on the server: you can leave this page.")

sidebar()
jobs = TrainingJobs()
me = st.session_state.setdefault("session_token", uuid.uuid4().hex)

FIELDS = {  # widget key -> TrainConfig field
    "f_hidden": "hidden_units", "f_dropout": "dropout_rate", "f_rate": "learning_rate",
    "f_batch": "batch_size", "f_epochs": "epochs", "f_split": "validation_split",
    "f_augment": "augment", "f_drawn": "drawn_fraction", "f_seed": "seed",
    "f_samples": "max_train_samples", "f_drawings": "include_drawings",
    "f_weight": "drawings_weight", "f_pen": "pen_fraction", "f_sources": "pen_sources",
}

LAST_SETTINGS = "train_last_settings"  # session state: the widget values of the last start


def duration(seconds: float | None, about: bool = False) -> str:
    """'52 s', '10 min 57 s'; '…' for None; `about` rounds an estimate ('about 12 min')."""
    return describe_seconds(seconds, about=about)


def load_preset(name: str) -> None:
    """Put a preset's settings into the form's widgets; without a real writers' file on this
    machine, the preset trains without it (the form says so) rather than not at all."""
    values = runnable(PRESETS[name]).to_dict()
    for key, field in FIELDS.items():
        value = values[field]
        if field == "hidden_units":
            value = ", ".join(str(units) for units in value)
        elif field == "max_train_samples":
            value = value or 0
        st.session_state[key] = value


def read_form() -> tuple[dict, dict[str, str]]:
    """The settings as TrainConfig keyword arguments, and a message per bad field."""
    values = {field: st.session_state[key] for key, field in FIELDS.items()}
    problems = {}
    try:
        text = values["hidden_units"].replace(" ", "")
        values["hidden_units"] = tuple(int(part) for part in text.split(",") if part)
    except ValueError:
        problems["hidden_units"] = ("Write the layer sizes as whole numbers separated by "
                                    "commas, e.g. 512, 256.")
    values["max_train_samples"] = values["max_train_samples"] or None
    # In one order, so the same files are the same settings; none matters only when used.
    values["pen_sources"] = [name for name in PEN_SOURCES if name in values["pen_sources"]]
    if not values["pen_sources"] and not values["pen_fraction"]:
        values["pen_sources"] = list(TrainConfig.pen_sources)
    if "hidden_units" not in problems:
        problems.update(config_problems(**values))
    return values, problems


def runnable(preset: TrainConfig) -> TrainConfig:
    """`preset` with only the real writers' files this machine has (none: no pen digits)."""
    return writers.trainable(preset, available=sources_here)[0]


def pen_digits_missing(sources: tuple[str, ...]) -> str | None:
    """Why some of `sources`' real writers' digits cannot be trained on here, or None."""
    why = sources_here(sources)[1]
    return None if why is None else f"{why[0].upper()}{why[1:]} Or set this share to 0."


def sources_here(sources) -> tuple[tuple[str, ...], str | None]:
    """`mnist_core.data.writers.available_sources`, checked once a minute at most."""
    return _sources_here(tuple(sources), os.environ.get(pendigits.DATA_DIR_ENV),
                         os.environ.get(unipen.DATA_DIR_ENV))


@st.cache_data(ttl=60, show_spinner=False)
def _sources_here(sources: tuple[str, ...], *folders: str | None
                  ) -> tuple[tuple[str, ...], str | None]:
    # Per folder: the files are read and their checksums checked.
    return writers.available_sources(sources)


def show_form() -> None:
    if "f_hidden" not in st.session_state:
        # Streamlit forgets a widget's value while the widget is not on the page (during a
        # run), so the settings of the last start are kept aside and come back with the form.
        last = st.session_state.get(LAST_SETTINGS)
        if last:
            st.session_state.update(last)
        else:
            load_preset("Quick")
    st.subheader("Settings")
    # Presets are buttons that fill the fields, and "custom" is read off the values: a
    # preset held as widget state could be sent back stale by the browser and undo an edit.
    # A row of buttons as wide as their labels: in columns they were cut ("Quic…") at 1024 px.
    row = st.container(horizontal=True, vertical_alignment="center")
    row.button("Quick preset", on_click=load_preset, args=("Quick",), width="content",
                 help=f"About {duration(estimate_seconds(PRESETS['Quick']), about=True)} "
                      "here; about 98.5% on the test set.")
    row.button("Best preset", on_click=load_preset, args=("Best",), width="content",
                help="The shipped model's recipe: about " + duration(estimate_seconds(
                    PRESETS["Best"], drawn_cached=has_cache()), about=True)
                + " here; reads drawings best.")
    values, problems = read_form()
    try:  # read once: for the switch's caption, and to check it when it is on
        saved, unreadable = DrawingStore().counts(), None
    except MnistCoreError as error:
        saved, unreadable = None, str(error)
    if values["include_drawings"] and "include_drawings" not in problems:
        if unreadable:
            problems["include_drawings"] = unreadable
        elif not saved.for_training:
            problems["include_drawings"] = (
                "No saved drawings to train on yet (held-out ones are only scored). Save "
                "some on the home page with 'Right' or 'Wrong? It was a …'.")
    if values["pen_fraction"] and not {"pen_fraction", "pen_sources"} & set(problems):
        missing = pen_digits_missing(values["pen_sources"])
        if missing:
            problems["pen_sources"] = missing
    matching = [name for name, preset in PRESETS.items()
                if not problems and TrainConfig(**values) == preset]
    cut = [name for name, preset in PRESETS.items() if not problems and not matching
           and runnable(preset) != preset and TrainConfig(**values) == runnable(preset)]
    if matching:
        row.caption(f"Settings: the {matching[0]} preset")
    elif cut:
        preset = PRESETS[cut[0]]
        here, why = sources_here(preset.pen_sources)
        left_out = [SOURCE_NAMES[source] for source in preset.pen_sources if source not in here]
        some = f" of {' and '.join(left_out)}" if here else ""
        row.caption(f"Settings: the {cut[0]} preset without the real writers' digits{some}, "
                    f"which are not on this machine: {why}")
    else:
        row.caption("Settings: your own (start from a preset, then change anything)")

    def field(column, key, widget, label, **options):
        with column:
            widget(label, key=key, **options)
            if FIELDS[key] in problems:
                st.error(problems[FIELDS[key]], icon=":material/error:")

    left, middle, right = st.columns(3, gap="large")
    field(left, "f_hidden", st.text_input, "Hidden layers (units in each)",
          help="Sizes of the hidden layers, input to output, e.g. 1024, 512. 1 to 6 layers.")
    field(left, "f_dropout", st.number_input, "Dropout", step=0.05,
          help="Share of hidden units switched off at random in each step.")
    field(left, "f_rate", st.number_input, "Learning rate", step=0.0005, format="%.5f",
          help="Adam's starting rate; it decays to 0 on a cosine.")
    field(middle, "f_batch", st.number_input, "Batch size", step=32,
          help="Images per gradient step.")
    field(middle, "f_epochs", st.number_input, "Epochs", step=1,
          help="Passes over the training images.")
    field(middle, "f_split", st.number_input, "Validation share", step=0.05,
          help="Training images held out to watch for overfitting.")
    field(right, "f_augment", st.toggle, "Distort training images",
          help="Random rotation, scale, shear, shift, elastic and stroke-width changes.")
    field(right, "f_drawn", st.slider, "Share shown as mouse drawings", min_value=0.0,
          max_value=0.9, step=0.1,
          help="Training digits re-drawn as mouse strokes, so the model reads drawings better. "
               "The first run renders them once (a few minutes).")
    field(right, "f_pen", st.slider, "Share of real writers' pen digits", min_value=0.0,
          max_value=0.5, step=0.05,
          help="Real people's digits, drawn anew on the canvas each run and mixed in, so the "
               "model reads handwriting styles MNIST has few of. 0 leaves them out.")
    field(right, "f_sources", st.pills, "Real writers to learn from", options=PEN_SOURCES,
          selection_mode="multi", format_func=SOURCE_NAMES.get,
          disabled=not st.session_state.get("f_pen"),
          help="pendigits: 22 writers' digits; UNIPEN: 135 writers' from 17 sites. Their "
               "training writers only: the files' other writers are kept apart, to choose "
               "recipes on and to score every run.")
    field(right, "f_seed", st.number_input, "Seed", step=1,
          help="Same settings and seed, same result.")
    field(right, "f_samples", st.number_input, "Training images (0 = all 60,000)", step=1000,
          help="Fewer images train faster, for a quick look.")

    if saved is None:
        have = "The saved drawings cannot be read."  # the switch says why when turned on
    else:
        have = (f"{saved.for_training} saved drawing{'s' if saved.for_training != 1 else ''} "
                f"to train on; {saved.held_out} more held out to score every run.")
    ours, weight = st.columns([2, 1], gap="large")
    field(ours, "f_drawings", st.toggle, "Also train on our saved drawings",
          help="Drawings saved from the home page with their right digits (My drawings page). "
               "One in five is held out: never trained on, used to score every run.")
    ours.caption(have)
    field(weight, "f_weight", st.number_input, "Each drawing counts as (MNIST images)",
          step=5, disabled=not st.session_state.get("f_drawings"),
          help="Shown this many times per epoch, distorted anew each time when distortions "
               "are on, so a few dozen drawings matter against 60,000 MNIST images.")

    if problems:
        st.warning("Fix the settings marked above to start training.", icon=":material/edit:")
        st.button("Start training", type="primary", icon=":material/play_arrow:", disabled=True,
                  help="Fix the settings marked above first.")
        return
    config = TrainConfig(**values)
    # The job's own estimate: the saved drawings it trains on are counted in its epochs.
    estimate = estimate_job(config, ModelStore())
    st.info(f"**{config.describe()}**, batch {config.batch_size}. Estimated time on this "
            f"machine: about {duration(estimate.total, about=True)} (from {estimate.basis}).",
            icon=":material/timer:")
    if mnist_source() == DOWNLOAD_URL:
        st.warning("MNIST is not on this machine: training will try to download it and fail "
                   "if offline. Set MNIST_DATA_DIR to a folder with the MNIST files, e.g. "
                   "`export MNIST_DATA_DIR=../shared/data/mnist`, and restart the app.",
                   icon=":material/warning:")
    if button("start training", "Start training", type="primary",
              icon=":material/play_arrow:"):
        def start() -> None:
            st.session_state[LAST_SETTINGS] = {key: st.session_state[key] for key in FIELDS}
            jobs.start(config, started_by=me)

        apply("start training", start)


def curves(history: list[dict], epochs: int | None = None) -> None:
    """Loss and accuracy per epoch, train and validation, growing as it trains (into an axis
    of `epochs`, the epochs planned, when given)."""
    if not history:
        st.caption("The learning curves appear after the first epoch.")
        return
    learning_curves(history, height=260, epochs=epochs)


@st.fragment(run_every=1.0)
def show_running(job_id: str) -> None:
    """Progress of the active job, refreshed every second; the rest of the page stays put."""
    status = jobs.get(job_id)
    if not status.active:
        st.rerun()  # finished: redraw the whole page with the result and the form
    mine = status.started_by == me
    st.subheader("Training in progress" + ("" if mine else " (started in another browser)"))
    st.caption(status.config.describe())
    progress = status.progress
    scoring = progress is not None and progress.stage == "scoring"
    if status.state == "starting" or progress is None:
        st.progress(0.0, text="Starting: loading TensorFlow and MNIST…")
    elif progress.stage == "preparing":
        st.progress(progress.step_fraction, text=progress.preparing_text)
    elif scoring:
        count = f" {progress.batch:,} of {progress.batches:,}" if progress.batches > 1 else ""
        st.progress(progress.step_fraction,
                    text=f"Scoring the model: {progress.step}{count}")
    else:
        st.progress(status.fraction, text=f"Epoch {progress.epoch} of {progress.epochs} · "
                                          f"batch {progress.batch} of {progress.batches}")
    columns = st.columns(5)
    columns[0].metric("Elapsed", duration(status.elapsed_seconds))
    columns[1].metric("Time left", duration(status.seconds_left))
    last = status.history[-1] if status.history else {}
    # While scoring, the last epoch's figures stay up.
    metrics = progress.metrics if progress is not None and not scoring else last
    if metrics.get("loss") is not None:
        columns[2].metric("Loss", f"{metrics['loss']:.3f}")
        columns[3].metric("Accuracy", f"{metrics.get('accuracy', 0):.2%}")
    if "val_accuracy" in last:
        columns[4].metric("Validation accuracy", f"{last['val_accuracy']:.2%}")
    curves(status.history, epochs=status.config.epochs)
    if status.state == "stopping":
        st.info("Stopping after this batch…" if not scoring else
                "Stopped: scoring what was trained, then saving it…")
    elif scoring:
        st.caption("Training is over: the model is being scored on the test set and on "
                   "re-drawn digits, then saved.")
    else:
        # Someone else's training takes a tick first: it may be the teacher's.
        sure = mine or st.checkbox("I want to stop someone else's training",
                                   disabled=teacher_only("stop training") is not None)
        if button("stop training", "Stop training", icon=":material/stop:", disabled=not sure):
            apply("stop training", lambda: jobs.stop(job_id))


def show_result(status: JobStatus) -> None:
    """How the last job ended, how it compares with the model in use, and how to use it.
    Its run may have been deleted since (Training runs page): then it says so in a line."""
    store = ModelStore()
    ended = time.strftime("%H:%M", time.localtime(status.started_at + status.elapsed_seconds))
    st.subheader(f"Last training ({status.state}, ended {ended})")
    if status.state == "failed":
        st.error(f"Training failed: {status.error}. The model in use is unchanged.")
    elif status.state == "interrupted":
        st.warning(f"{status.error} The model in use is unchanged.")
    if status.run_id is None:
        if status.state == "stopped":  # a fine-tune (saved only whole), or a training stopped early
            what = "fine-tuning" if status.config.tuned_from else "training"
            st.info(f"Stopped by request before the {what} had anything worth keeping: no run "
                    "was saved, and the model in use is unchanged.")
        return
    try:
        run = store.get_run(status.run_id)
        active = store.get_run(store.active_run_id())
    except RunNotFoundError:
        st.caption(f"Its run, {status.run_id}, has since been deleted.")
        return
    except StoreError as error:
        st.warning(f"Its run cannot be shown: {error}", icon=":material/broken_image:")
        return
    if run.test_accuracy is None:
        return
    if status.state == "stopped":
        st.info(f"Stopped by request after {len(run.history)} epoch(s); kept as run "
                f"{run.run_id} with status 'stopped'. It is not in use unless you choose it.")
    ours = held_out_accuracies([run, active])
    # Both on the same people: the 69 report writers when both were scored on them.
    both = run.report_accuracy is not None and active.report_accuracy is not None
    writers = "Real writers (69)" if both else "Real writers (8)"
    table = pd.DataFrame({
        "": ["This run", f"In use ({'shipped' if active.is_shipped else active.run_id})"],
        "MNIST test accuracy": [run.test_accuracy, active.test_accuracy],
        "Drawn-digit accuracy": [run.drawn_accuracy, active.drawn_accuracy],
        writers: [r.report_accuracy if both else r.pen_accuracy for r in (run, active)],
        "Our drawings": ours,
        "Training time": [duration(run.metrics.get("train_seconds")),
                          duration(active.metrics.get("train_seconds"))],
    })
    # "Our drawings" only once there are scores: a column of "None" says nothing.
    st.dataframe(table, hide_index=True,
                 column_order=[name for name in table.columns
                               if name != "Our drawings" or any(v is not None for v in ours)],
                 column_config={
                     "MNIST test accuracy": st.column_config.NumberColumn(format="percent"),
                     "Drawn-digit accuracy": st.column_config.NumberColumn(format="percent"),
                     writers: st.column_config.NumberColumn(
                         format="percent", help="Real pen digits by people it never saw."),
                     "Our drawings": st.column_config.NumberColumn(
                         format="percent", help="Accuracy on the held-out saved drawings."),
                 })
    curves(run.history)
    if active.run_id == run.run_id:
        st.success("This run is the model the home page uses.", icon=":material/check:")
    else:
        use_button(store, run, active)


def use_button(store: ModelStore, run, active) -> None:
    """'Use this model', primary only when the run reads better than the model in use."""
    comparison = compare_runs(run, active)
    {"worse": st.warning, "better": st.success}.get(comparison.verdict, st.info)(
        comparison.sentence, icon=":material/compare_arrows:")
    label = "Use it anyway" if comparison.verdict == "worse" else "Use this model"
    if button("choose the model in use", label,
              type="primary" if comparison.recommended else "secondary",
              icon=":material/check:"):
        apply("choose the model in use", lambda: store.activate(run.run_id))


current = jobs.current()
if current is not None and current.active:
    show_running(current.job_id)
else:
    if current is not None:
        show_result(current)
        st.divider()
    show_form()
