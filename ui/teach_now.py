"""'Teach it now', for the Class page: fine-tune the model in use on the class's saved
drawings in seconds, as a background job, then show it before and after and offer to use it.
The panel refreshes itself (`REFRESH_S`): the drawings it will learn from stay current while
the class saves more, and progress shows while it learns.

    teach_now_panel(active_recognizer())

Teaching and using the result are the teacher's (`ui.actions`: a locked session sees the
buttons disabled with the reason, and is refused even if a click gets through). The job is
an ordinary training job (`mnist_core.training.jobs`), so the Train page shows it too, and one job
runs at a time; the fine-tune itself is `mnist_core.training.finetune`.
"""

from __future__ import annotations

import uuid

import streamlit as st

from mnist_core import DrawingStore, MnistCoreError, ModelStore, RunNotFoundError, StoreError
from mnist_core.classroom.drawings import MIN_HELD_OUT
from mnist_core.reading.visualize import enlarge
from mnist_core.recognizer import Recognizer
from mnist_core.runs.evaluate import share_interval
from mnist_core.training.estimate import describe_seconds
from mnist_core.training.finetune import (
    BeforeAfter,
    before_and_after,
    fine_tune_config,
    teach_refusal,
)
from mnist_core.training.jobs import JobStatus, TrainingJobs
from mnist_core.wording import plural
from ui.actions import apply, button
from ui.text import plain

__all__ = ["teach_now_panel"]

TEACH = "teach the model"  # the teacher-only actions, as `ui.lock.teacher_only` words them
USE = "choose the model in use"
STOP = "stop training"
REFRESH_S = 1.0  # s: the panel's refresh (progress while it learns; the counts otherwise)
SHOWN_NOW_RIGHT = 12  # drawings it newly reads right, shown as pictures


def teach_now_panel(recognizer: Recognizer) -> None:
    """The "Teach it now" panel: what it will learn from, the button, progress while the job
    runs, then the held-out drawings and MNIST test before and after, and "Use it".

    Args:
        recognizer: the model the page reads with (the model in use): it is the one taught.
    """
    st.subheader("Teach it now")
    st.caption("The model in use learns the class's saved drawings in about half a minute, "
               "mixed with MNIST and real writers' digits so it does not forget them. The "
               "held-out drawings are never learnt: they show what it learnt.")
    _panel(recognizer)


@st.fragment(run_every=REFRESH_S)
def _panel(recognizer: Recognizer) -> None:
    """The panel's body, kept current by itself: a reload would lock the teacher again."""
    jobs = TrainingJobs()
    current = jobs.current()
    if current is not None and current.active:
        if current.config.tuned_from is not None:
            _running(current.job_id)
        else:
            st.info("A training run is under way (Train page): teach the model once it ends.",
                    icon=":material/hourglass_top:")
        return
    offered_use = False
    if current is not None and current.config.tuned_from is not None:
        offered_use = _result(current, recognizer)
    _start(jobs, recognizer, primary=not offered_use)


def _start(jobs: TrainingJobs, recognizer: Recognizer, *, primary: bool = True) -> None:
    """What the model will learn from, and the button (disabled, saying why, when it can't);
    `primary` False when "Use it" above is the next step (one red button, not two)."""
    try:
        counts = DrawingStore().counts()
    except MnistCoreError as error:
        st.warning(f"The saved drawings cannot be read: {error}", icon=":material/warning:")
        return
    base = recognizer.run
    refusal = teach_refusal(counts)
    if base is None:
        refusal = "The model in use is not a saved run, so it cannot be taught."
    if refusal is not None:
        st.info(refusal, icon=":material/draw:")
    else:
        held = (f" ({counts.held_out:,} more held out to check it)" if counts.held_out
                else "")
        st.write(f"It will learn from **{plural(counts.for_training, 'saved drawing')}**"
                 f"{held}, starting from the model in use ({plain(base.name)}).")
    label = "Teach it now" if primary else "Teach it again"
    if button(TEACH, label, type="primary" if primary else "secondary",
              icon=":material/school:", disabled=refusal is not None):
        token = st.session_state.setdefault("session_token", uuid.uuid4().hex)
        apply(TEACH, lambda: jobs.start(fine_tune_config(base), started_by=token))


def _running(job_id: str) -> None:
    """The fine-tune's progress (the panel refreshes every REFRESH_S); the whole page reruns
    at its end."""
    jobs = TrainingJobs()
    status = jobs.get(job_id)
    if not status.active:
        st.rerun()
    progress = status.progress
    if status.state == "stopping":
        text = "Stopping…"
    elif status.state == "starting" or progress is None:
        text = "Starting: loading TensorFlow and MNIST…"
    elif progress.stage == "preparing":
        text = "Drawing real writers' digits to mix in…"
    elif progress.stage == "scoring":
        text = "Scoring it before and after…"
    else:
        text = f"Learning the drawings: pass {progress.epoch} of {progress.epochs}"
    st.progress(status.fraction, text=text)
    left = status.seconds_left
    st.caption(f"{describe_seconds(status.elapsed_seconds)} so far"
               + (f", about {describe_seconds(left, about=True)} left" if left is not None
                  else ""))
    if status.state != "stopping" and button(STOP, "Stop", icon=":material/stop:"):
        apply(STOP, lambda: jobs.stop(job_id))


def _result(status: JobStatus, recognizer: Recognizer) -> bool:
    """How the last fine-tune ended: before and after, and "Use it". Returns whether "Use it"
    was offered (then it, not teaching again, is the next step)."""
    if status.state == "failed":
        st.error(f"Teaching failed: {status.error} The model in use is unchanged.",
                 icon=":material/error:")
        return False
    if status.state in ("stopped", "interrupted"):
        why = "Stopped" if status.state == "stopped" else status.error
        st.info(f"{why}: nothing was saved, and the model in use is unchanged.",
                icon=":material/stop_circle:")
        return False
    if status.run_id is None:
        return False
    store = ModelStore()
    try:
        run = store.get_run(status.run_id)
    except RunNotFoundError:
        st.caption(f"The last taught model, {status.run_id}, has since been deleted.")
        return False
    except StoreError as error:
        st.warning(f"The last taught model cannot be shown: {error}", icon=":material/warning:")
        return False
    scores = before_and_after(run)
    if scores is None:
        return False
    # The run's name already says it was taught ("Taught on the class's drawings, 08:08"),
    # unless the teacher renamed it; then this line says what it is.
    st.write(f"**{plain(run.name)}**: taught from {plain(_name_of(store, scores.tuned_from))} "
             f"on {plural(scores.drawings_trained, 'drawing')} in "
             f"{describe_seconds(scores.train_seconds)}.")
    columns = st.columns(3)
    with columns[0]:
        _held_out(scores)
    if scores.trained_right_after is not None and scores.trained_right_before is not None:
        change, colour, arrow = _count_change(scores.trained_right_after,
                                              scores.trained_right_before, "")
        columns[1].metric(f"Drawings it learnt from ({scores.drawings_trained:,})",
                          f"{scores.trained_right_after} read right", change,
                          delta_color=colour, delta_arrow=arrow,
                          help="Drawings it was taught: reading these right shows it learnt "
                               "them, not that it reads new ones (the held-out ones show "
                               "that).")
    if scores.test_after is not None and scores.test_before is not None:
        change, colour = _change(scores.test_after, scores.test_before, 2)
        columns[2].metric("MNIST test digits (10,000)", f"{scores.test_after:.2%}", change,
                          delta_color=colour)
    _now_right(scores)
    in_use = recognizer.run is not None and recognizer.run.run_id == run.run_id
    if in_use:
        st.success("The taught model is the one in use.", icon=":material/check:")
        return False
    if button(USE, "Use it", type="primary", icon=":material/check:"):
        apply(USE, lambda: store.activate(run.run_id))
    return True


def _name_of(store: ModelStore, run_id: str) -> str:
    """A run's name, or its id when it cannot be read (deleted since)."""
    try:
        return store.get_run(run_id).name
    except StoreError:
        return run_id


def _held_out(scores: BeforeAfter) -> None:
    """The fair figure: the class's drawings it never learnt, right before and after, and how
    sure that is (a handful of drawings can only say so much)."""
    changed = scores.held_changed
    if changed is None:  # a run from before every count was kept
        if scores.drawings_after is not None and scores.drawings_before is not None:
            change, colour = _change(scores.drawings_after, scores.drawings_before, 0)
            st.metric(f"Held-out class drawings ({scores.drawings_count:,})",
                      f"{scores.drawings_after:.0%}", change, delta_color=colour)
        else:
            st.caption(f"Held-out class drawings: fewer than {MIN_HELD_OUT} are held out, so "
                       "there is no score yet.")
        return
    before, after = changed
    count = scores.held_count
    change, colour, arrow = _count_change(after, before, f" of {count}")
    st.metric(f"Class drawings it never learnt ({count:,})", f"{after} of {count} right",
              change, delta_color=colour, delta_arrow=arrow,
              help="One saved drawing in five is held out: never taught, so it shows whether "
                   "the model now reads drawings like the class's, not only the ones it saw.")
    low, high = share_interval(after, count)
    st.caption(f"With {plural(count, 'drawing')}, the share it reads right could be anywhere "
               f"from {low:.0%} to {high:.0%} (90% sure)"
               + (": save more to know better." if high - low > 0.2 else "."))


def _now_right(scores: BeforeAfter) -> None:
    """The class's own drawings it now reads right that it read wrong before, as pictures."""
    shown = []
    drawings = DrawingStore()
    for drawing_id in scores.now_right[:SHOWN_NOW_RIGHT]:
        try:
            shown.append(drawings.get(drawing_id))
        except MnistCoreError:  # deleted since
            continue
    if not shown:
        return
    st.markdown(f"**Now read right** ({len(scores.now_right)} of the class's drawings it read "
                "wrong before):")
    row = st.container(horizontal=True, gap="small")
    for drawing in shown:
        row.image(enlarge(drawing.image, 64), width=64,
                  caption=f"{drawing.label}{' · held out' if drawing.held_out else ''}")


def _count_change(after: int, before: int, of: str) -> tuple[str, str, str]:
    """A count's change for a metric, its colour and arrow: "+2, was 1 of 4"; "unchanged, 3
    of 4 before too" in grey with no arrow (an arrow on +0 says it moved)."""
    if after == before:
        return f"unchanged: {before}{of} before too", "off", "off"
    return f"{after - before:+d}, was {before}{of}", "normal", "auto"


def _change(after: float, before: float, decimals: int) -> tuple[str, str]:
    """A metric's change in points and its colour: grey "unchanged" when it rounds to 0 (a
    green "+0 points" arrow said it had improved)."""
    points = round((after - before) * 100, decimals)
    if points == 0:
        return f"unchanged from {before:.{decimals}%}", "off"
    return f"{points:+.{decimals}f} points, from {before:.{decimals}%}", "normal"
