"""Inside the network: why the network gives its answer, live as you draw.

UI only: widgets -> mnist_core.inside.explain -> pictures and charts. Nothing here changes the model
in use: switched-off units and breakages are copies of its weights (mnist_core.inside.explain).
"""

import numpy as np
import pandas as pd
import streamlit as st

from mnist_core import (
    DrawingError,
    EmptyDrawingError,
    MnistCoreError,
    ModelStore,
    NotADigitError,
)
from mnist_core.data.mnist import DATA_DIR_ENV, DOWNLOAD_URL, load_mnist, mnist_source
from mnist_core.inside import explain as inside
from mnist_core.inside.explain import Breakage, WhatIf
from mnist_core.inside.pictures import (
    NEGATIVE,
    OFF,
    POSITIVE,
    overlay_picture,
    png_data_uri,
    signed_picture,
    tiles_picture,
)
from mnist_core.reading.preprocessing import preprocess
from mnist_core.reading.shape import check_digit, measure_ink
from mnist_core.reading.visualize import enlarge
from mnist_core.recognizer import Recognizer
from ui.canvas import st_canvas
from ui.models import follow_model_in_use, run_recognizer
from ui.sidebar import sidebar

CANVAS_SIZE = 336  # px, as on the home page: the home page's strokes fit as they are
DEFAULT_PEN = 22
TOP = 10  # supporters and opponents named in the sum
PICTURES = 5  # of each, with their pictures
GALLERY = 24  # first-layer units in the gallery
TEST_IMAGES = 1000  # MNIST test images scored in "Break it"
VIEWS = ["Why this answer", "Where it looks", "Feature detectors", "What if", "Break it",
         "Two models"]
ERASE_PLACES = {"nothing": None, "top": (7, 14), "bottom": (21, 14), "left": (14, 8),
                "right": (14, 20), "middle": (14, 14), "top left": (8, 8),
                "top right": (8, 20), "bottom left": (20, 8), "bottom right": (20, 20)}


# Charts fill the width, and their height is the plot's own: with Streamlit's default ("fit"
# in the height too) a legend above the plot squeezed it to a sliver.
FIT_WIDTH = {"type": "fit-x", "contains": "padding"}


def _hex(rgb) -> str:
    return "#" + "".join(f"{channel:02x}" for channel in rgb)


RED, BLUE, AMBER = _hex(POSITIVE), _hex(NEGATIVE), _hex(OFF)

st.set_page_config(page_title="Inside the network", page_icon="🔬",  # emoji: served locally
                   layout="wide")
st.markdown(
    f"""
    <style>
    .inside-answer {{font-size: 1.6rem; line-height: 1.3; margin: 0.2rem 0 0.4rem 0;}}
    .inside-answer b {{font-size: 3.2rem; vertical-align: -0.35rem;}}
    .toolbar-room {{height: 1.9rem;}}
    .figures {{display: flex; flex-wrap: wrap; gap: 0.6rem 1rem; align-items: flex-start;}}
    .figures figure {{margin: 0; text-align: center;}}
    .figures img {{image-rendering: pixelated; border-radius: 3px; display: block;
                   width: 100%; height: auto; object-fit: fill;}}  /* Streamlit's: scale-down */
    .figures figcaption {{font-size: 0.85rem; color: rgba(49, 51, 63, 0.7); line-height: 1.3;
                          margin-top: 0.2rem;}}
    .sum-line, .experiment {{font-size: 1.25rem; line-height: 1.6;}}
    .lead {{font-size: 1.3rem; line-height: 1.5; margin: 0.1rem 0 0.6rem 0;}}
    .up {{color: {RED}; font-weight: 700;}} .down {{color: {BLUE}; font-weight: 700;}}
    .legend {{display: flex; align-items: center; gap: 0.5rem; font-size: 0.95rem;
              flex-wrap: wrap; margin: 0.2rem 0 0.6rem 0;}}
    .legend .bar {{width: 9rem; height: 0.9rem; border-radius: 2px;
                   background: linear-gradient(to right, {BLUE}, #000 50%, {RED});}}
    .legend .swatch {{width: 0.9rem; height: 0.9rem; border-radius: 2px; display: inline-block;
                      vertical-align: -0.1rem;}}
    /* Projectors (1280x720, 1024x768): as on the home page, less empty space above the title
       and narrower margins, so the canvas and the layers fit beside each other. */
    [data-testid="stMainBlockContainer"] {{padding-top: 3.5rem;}}
    [data-testid="stMainBlockContainer"] h1 {{padding-top: 0.25rem;}}
    @media (max-height: 820px) {{
      [data-testid="stMainBlockContainer"] h1 {{font-size: 2.1rem; padding-bottom: 0.5rem;}}
    }}
    @media (max-width: 1200px) {{
      [data-testid="stMainBlockContainer"] {{padding-left: 1.5rem; padding-right: 1.5rem;}}
    }}
    @media (max-width: 380px) {{
      [data-testid="stMainBlockContainer"] {{padding-left: 0.5rem; padding-right: 0.5rem;}}
    }}
    /* A chart's hover toolbar sits over whatever is above the chart, here the sentence it
       illustrates; these small charts need no full screen. */
    [data-testid="stMain"] [data-testid="stElementToolbar"] {{display: none;}}
    </style>
    """,
    unsafe_allow_html=True,
)
st.title("Inside the network")
st.write("Draw a digit and look between the drawing and the answer: what each layer does, "
         "which units decide, and what breaks it. Nothing here changes the model in use.")

recognizer = sidebar()
if recognizer is None:  # the sidebar says why
    st.error("No model could be loaded, so there is nothing to look inside. Train one on the "
             "Train page and use it.", icon=":material/error:")
    st.stop()

SIGN_LEGEND = ('<div class="legend"><span>pushes down</span><span class="bar"></span>'
               '<span>pushes up</span><span>(black: nothing)</span></div>')


def show_images(pictures: list[tuple[np.ndarray, str]],
                shown: int | list[int | None] | None = None) -> None:
    """Pictures with captions in a wrapping row, inline in one element: a stroke's dozen
    pictures arrive with its text instead of as a dozen requests after it (measured with
    st.image: the pictures landed 100-300 ms after the answer). PNG keeps the pixels sharp.

    `shown`: px for each picture's longer side, the browser enlarging it with square pixels
    (so a 28x28 picture is sent as 28x28: a tenth of the bytes), or one per picture; None:
    as it is."""
    sizes = shown if isinstance(shown, list) else [shown] * len(pictures)
    figures = []
    for (image, caption), side in zip(pictures, sizes, strict=True):
        scale = (side or max(image.shape[:2])) / max(image.shape[:2])
        shown_width = round(image.shape[1] * scale)
        # The figure's width sizes the picture (the page's markdown drops an img's own size).
        figures.append(f'<figure style="width:{shown_width}px">'
                       f'<img src="{png_data_uri(image)}" alt="{caption}">'
                       f"<figcaption>{caption}</figcaption></figure>")
    figures = "".join(figures)
    st.markdown(f'<div class="figures">{figures}</div>', unsafe_allow_html=True)


def model_key(model: Recognizer) -> str:
    """Names a model for caches and widget keys: its file, so a new run is a new key."""
    return str(model.source or (model.run.run_id if model.run else "model"))


def model_name(model: Recognizer) -> str:
    if model.run is None:
        return str(model.source)
    name = "Shipped model" if model.run.is_shipped else f"Run {model.run.run_id}"
    return f"{name} ({'-'.join(map(str, model.weights.hidden_units))} hidden units)"


# --- the units switched off: kept per model, outside any widget (tabs run lazily) -----------

def off_key() -> str:
    return f"inside-off::{model_key(recognizer)}"


def units_off() -> list[int]:
    """Units of the last hidden layer switched off, for the model in use."""
    return list(st.session_state.get(off_key(), []))


def set_units_off(units) -> None:
    st.session_state[off_key()] = sorted({int(unit) for unit in units})


def add_units_off(units) -> None:
    set_units_off([*units_off(), *units])


def picked_units_changed() -> None:
    set_units_off(st.session_state[f"pick-{off_key()}"])


# --- the drawing -----------------------------------------------------------------------------

def clear_canvas() -> None:
    st.session_state.inside_round = st.session_state.get("inside_round", 0) + 1
    # The home page's drawing is not brought back after Clear (until a new one is drawn).
    st.session_state.inside_forgotten = st.session_state.get("last_drawing")


def remembered_drawing():
    """The home page's last canvas (`app.py` keeps it), unless Clear was pressed since."""
    last = st.session_state.get("last_drawing")
    if last is None or last is st.session_state.get("inside_forgotten"):
        return None
    return last


def outputs_chart(probabilities: np.ndarray, digit: int, height: int = 170) -> None:
    frame = pd.DataFrame({"digit": [str(d) for d in range(10)],
                          "probability": np.asarray(probabilities, float),
                          "answer": [d == digit for d in range(10)]})
    spec = {
        "height": height, "mark": {"type": "bar"},
        "title": {"text": "The 10 outputs", "fontSize": 14},
        "encoding": {
            "x": {"field": "digit", "type": "nominal", "title": None, "sort": None,
                  "axis": {"labelAngle": 0, "labelFontSize": 14}},
            "y": {"field": "probability", "type": "quantitative", "title": None,
                  "scale": {"domain": [0, 1]}, "axis": {"format": "%", "tickCount": 4}},
            "color": {"condition": {"test": "datum.answer", "value": "#ff4b4b"},
                      "value": "#8a94a6"},
            "tooltip": [{"field": "digit", "title": "Digit"},
                        {"field": "probability", "title": "Probability", "format": ".1%"}],
        },
    }
    st.vega_lite_chart(frame, spec, width="stretch")


def layer_pictures(model: Recognizer, run: inside.Forward, off: list[int], key: str) -> None:
    """Input, hidden layers as tiles, then the outputs as bars."""
    pictures = [(enlarge(run.model_input, 28), "Input, 28x28")]
    last = len(run.activations) - 1
    for index, (activations, share) in enumerate(zip(run.activations, run.active_shares,
                                                     strict=True)):
        grid = inside.tile_grid(activations)
        cell = max(3, min(8, 128 // grid.shape[1]))  # 32 columns of 4 px: three in a row
        mask = None
        if index == last and off:
            flags = np.zeros(len(activations), bool)
            flags[off] = True
            mask = np.pad(flags, (0, grid.size - len(flags))).reshape(grid.shape)
        pictures.append((tiles_picture(grid, mask, cell),
                         f"Layer {index + 1}: {len(activations)} units, {share:.0%} active"))
    show_images(pictures, shown=[112] + [None] * (len(pictures) - 1))
    with st.container(key=f"outputs-{key}"):
        outputs_chart(run.probabilities, run.digit, height=190)


def answer_line(run: inside.Forward, off: list[int]) -> str:
    said = f"With {len(off)} unit{'s' if len(off) != 1 else ''} off, it" if off else "It"
    return (f'<div class="inside-answer">{said} reads <b>{run.digit}</b>, '
            f'{run.probabilities[run.digit]:.0%} sure.</div>')


# --- the views -------------------------------------------------------------------------------

def minus(value: float) -> str:
    """'+0.12' or '−0.12' (a real minus sign, as wide as the plus)."""
    return f"{value:+.2f}".replace("-", "−")


def signed(value: float) -> str:
    css = "up" if value >= 0 else "down"
    return f'<span class="{css}">{"+" if value >= 0 else "−"}{abs(value):.2f}</span>'


def contributions_chart(parts: inside.LogitParts, layer: int) -> None:
    units = [*parts.supporters, *parts.opponents]
    frame = pd.DataFrame({
        "unit": [f"unit {u}" for u in units],
        "part": parts.contributions[units],
        "activation": parts.activations[units],
        "weight": parts.weights[units],
        "sign": ["supports" if parts.contributions[u] > 0 else "opposes" for u in units],
    })
    spec = {
        "height": {"step": 19},
        "title": {"text": f"What each unit of layer {layer + 1} adds to {parts.digit}'s score",
                  "fontSize": 14},
        "mark": {"type": "bar"},
        "encoding": {
            "y": {"field": "unit", "type": "nominal", "sort": None, "title": None,
                  "axis": {"labelFontSize": 12, "labelOverlap": False}},
            "x": {"field": "part", "type": "quantitative", "title": "activation x weight",
                  "axis": {"titleFontSize": 13}},
            "color": {"field": "sign", "type": "nominal", "legend": None,
                      "scale": {"domain": ["supports", "opposes"], "range": [RED, BLUE]}},
            "tooltip": [{"field": "unit"}, {"field": "activation", "format": ".3f"},
                        {"field": "weight", "format": ".3f"},
                        {"field": "part", "title": "activation x weight", "format": "+.3f"}],
        },
    }
    st.vega_lite_chart(frame, spec, width="stretch")


def unit_gallery(weights, model_input, layer: int, parts: inside.LogitParts,
                 units: tuple[int, ...], title: str) -> None:
    st.markdown(f"**{title}**")
    if not units:
        st.caption("None.")
        return
    pictures = inside.unit_pictures(weights, model_input, layer, units)
    show_images([(signed_picture(picture, 28), f"unit {unit}: {parts.activations[unit]:.2f} × "
                  f"{minus(parts.weights[unit])} = {minus(parts.contributions[unit])}")
                 for unit, picture in zip(units, pictures, strict=True)], shown=104)


def count(units, name: str) -> str:
    """'10 top supporters', or '6 opponents' when that is all there are."""
    many = "s" if len(units) != 1 else ""
    return f"{len(units)} top {name}{many}" if len(units) == TOP else f"{len(units)} {name}{many}"


def change_sentence(change: inside.ChangeOfMind) -> str:
    """The experiment's result in words: how many supporters it took, or that none did."""
    whose, many = change.digit, len(change.supporters)
    if not many:
        return (f"No unit of the last layer supports {whose} here, so there is nothing to "
                "switch off.")
    if change.count is None:
        sure = change.probabilities[-1][change.before]
        return (f"Switch off {whose}'s supporters one by one, strongest first: even with all "
                f"{many} off, it still reads <b>{change.before}</b> ({sure:.0%} sure).")
    took = f"<b>{change.count}</b> of its {many}"
    if change.digit == change.before:
        return (f"Switch off {whose}'s supporters one by one, strongest first: it takes {took} "
                f"before the network changes its mind and reads <b>{change.after}</b>.")
    return (f"Switch off {whose}'s supporters one by one, strongest first: after {took} it "
            f"reads <b>{change.after}</b> instead of {change.before}, because units vote for "
            "several digits at once.")


def change_chart(change: inside.ChangeOfMind) -> None:
    """How sure the network is of its answer (and of what it turns to) at each step."""
    digits = sorted({change.before, change.after, change.digit})
    steps = np.arange(len(change.probabilities))
    frame = pd.DataFrame({"off": np.repeat(steps, len(digits)),
                          "digit": [str(d) for d in digits] * len(steps),
                          "probability": change.probabilities[:, digits].ravel()})
    layers = [{"mark": {"type": "line", "strokeWidth": 3, "interpolate": "step-after"},
               "encoding": {
                   "x": {"field": "off", "type": "quantitative",
                         "title": f"{change.digit}'s supporters switched off, strongest first",
                         "axis": {"tickMinStep": 1}},
                   "y": {"field": "probability", "type": "quantitative", "title": "how sure",
                         "scale": {"domain": [0, 1]}, "axis": {"format": "%", "tickCount": 3}},
                   # The What if chart's colours: each digit is the same colour in both.
                   "color": {"field": "digit", "type": "nominal", "title": "Digit",
                             "scale": {"domain": [str(d) for d in range(10)],
                                       "scheme": "category10"},
                             "legend": {"orient": "top", "direction": "horizontal",
                                        "values": [str(d) for d in digits]}},
                   "tooltip": [{"field": "digit", "title": "Digit"},
                               {"field": "off", "title": "Switched off"},
                               {"field": "probability", "title": "Sure", "format": ".0%"}]}}]
    if change.count is not None:
        layers.append({"mark": {"type": "rule", "color": "#666", "strokeWidth": 2,
                                "strokeDash": [6, 3]},
                       "encoding": {"x": {"datum": change.count, "type": "quantitative"}}})
    st.vega_lite_chart(frame, {"height": 150, "autosize": FIT_WIDTH, "layer": layers},
                       width="stretch")


def view_why(weights, explanation: inside.Explanation, off: list[int]) -> None:
    run, layer = explanation.forward, explanation.layer
    answer, runner_up = explanation.answer, explanation.runner_up
    units = len(answer.contributions)
    st.markdown(f'<div class="lead">Each of the {units} units in the last layer votes for or '
                f"against every digit, and the digit with the most votes wins: here "
                f"<b>{answer.digit}</b> (score {answer.logit:.1f}), ahead of "
                f"<b>{runner_up.digit}</b> ({runner_up.logit:.1f}).</div>",
                unsafe_allow_html=True)
    which = st.segmented_control("Switch off the supporters of", ["the answer", "the runner-up"],
                                 default="the answer", key="why-which", required=True,
                                 format_func=lambda who: f"{who} ({answer.digit})"
                                 if who == "the answer" else f"{who} ({runner_up.digit})")
    parts = runner_up if which == "the runner-up" else answer
    change = inside.change_of_mind(weights, run.model_input, parts.digit)
    st.markdown(f'<div class="experiment">{change_sentence(change)}</div>',
                unsafe_allow_html=True)
    if change.supporters:
        change_chart(change)
    buttons = st.container(horizontal=True)
    shown = len(change.units)
    buttons.button(f"Switch off those {shown}" if change.changed else
                   f"Switch off all {shown}", icon=":material/power_off:",
                   on_click=add_units_off, args=([unit for _, unit in change.units],),
                   key="off-until", disabled=not shown)
    buttons.button("Reset", icon=":material/restart_alt:", on_click=set_units_off, args=([],),
                   key="off-reset-why", disabled=not off)
    with st.expander(f"The sum behind {parts.digit}'s score, unit by unit"):
        why_sum(weights, explanation, parts)
    pick = f"pick-{off_key()}"
    st.session_state[pick] = off
    with st.expander(f"Pick units of layer {layer + 1} to switch off ({len(off)} off now)"):
        st.multiselect(f"Units of layer {layer + 1} switched off",
                       list(range(units)), key=pick,
                       format_func=lambda unit: f"unit {unit}", on_change=picked_units_changed,
                       placeholder="Pick units to switch off")


def why_sum(weights, explanation: inside.Explanation, parts: inside.LogitParts) -> None:
    """The arithmetic: the score as the sum of its parts, and the strongest parts' units."""
    run, layer = explanation.forward, explanation.layer
    top, bottom, rest, bias = inside.add_up_rounded(parts.groups)
    others = len(parts.contributions) - len(parts.supporters) - len(parts.opponents)
    total = round(top + bottom + rest + bias, 2)
    st.markdown(
        f'<div class="sum-line">Score of <b>{parts.digit}</b>: <b>{total:.2f}</b> = '
        f"{signed(top)} from its {count(parts.supporters, 'supporter')} "
        f"{signed(bottom)} from its {count(parts.opponents, 'opponent')} "
        f"{signed(rest)} from the other {others} units "
        f"{signed(bias)} bias.</div>", unsafe_allow_html=True)
    gap = explanation.answer.logit - explanation.runner_up.logit
    st.caption(f"Each unit of the last hidden layer adds its activation × its weight to the "
               f"score; the highest score wins: {explanation.answer.digit} beats "
               f"{explanation.runner_up.digit} by {gap:.2f}.")
    chart, pictures = st.columns([5, 6], gap="medium")
    with chart:
        contributions_chart(parts, layer)
    with pictures:
        st.markdown(SIGN_LEGEND, unsafe_allow_html=True)
        unit_gallery(weights, run.model_input, layer, parts, parts.supporters[:PICTURES],
                     "Top supporters")
        unit_gallery(weights, run.model_input, layer, parts, parts.opponents[:PICTURES],
                     "Top opponents")
        st.caption("What each unit responds to in the input: " + (
            "its 784 weights (red ink there raises it, blue lowers it)." if layer == 0 else
            "how ink on each pixel would change its sum, at this drawing (red raises it)."))


def view_where(weights, explanation: inside.Explanation) -> None:
    answer, runner_up = explanation.answer, explanation.runner_up
    result = inside.saliency(weights, explanation.forward.model_input,
                             (answer.digit, runner_up.digit))
    difference = result.difference()
    biases = float(result.bias_parts[0] - result.bias_parts[1])
    st.markdown(f'<div class="lead">Red ink made the network think <b>{answer.digit}</b>; '
                f"blue ink made it think <b>{runner_up.digit}</b>, its second guess.</div>",
                unsafe_allow_html=True)
    picture, words = st.columns([1, 1], gap="medium")
    with picture:
        show_images([(overlay_picture(explanation.forward.model_input, difference, 28),
                      f"Red: ink that says {answer.digit}; blue: ink that says "
                      f"{runner_up.digit}.")], shown=280)
    with words:
        st.markdown(SIGN_LEGEND.replace("pushes down", f"towards {runner_up.digit}")
                    .replace("pushes up", f"towards {answer.digit}"), unsafe_allow_html=True)
        with st.expander("The sum behind it, pixel by pixel"):
            pixels, bias_part = inside.add_up_rounded([float(difference.sum()), biases])
            st.markdown(
                f'<div class="sum-line">{answer.digit} beats {runner_up.digit} by '
                f"<b>{pixels + bias_part:.2f}</b> = {signed(pixels)} from the pixels "
                f"{signed(bias_part)} from the biases.</div>", unsafe_allow_html=True)
            st.caption("Each pixel's part is its ink × how much one more unit of ink there "
                       f"would raise {answer.digit}'s score over {runner_up.digit}'s. The "
                       "network is linear around any drawing, so the parts add up exactly.")


def view_features(weights, model_input) -> None:
    units, activations, pictures = inside.first_layer_pictures(weights, model_input, GALLERY)
    st.markdown('<div class="lead">Each square is what one unit of the first layer looks for: '
                "ink on its red pixels switches it on, ink on its blue pixels holds it back."
                "</div>", unsafe_allow_html=True)
    st.markdown(SIGN_LEGEND, unsafe_allow_html=True)
    st.caption("Each picture is the 784 weights of one unit; the units most active for this "
               "drawing come first, with how active they are.")
    show_images([(signed_picture(picture, 28), f"unit {unit}: {activation:.2f}")
                 for unit, activation, picture in zip(units, activations, pictures, strict=True)],
                shown=96)


def view_what_if(weights, model_input) -> None:
    st.markdown('<div class="lead">Move, turn, resize or smudge the drawing and watch the '
                "answer: a digit moved a few pixels sideways can already fool this network."
                "</div>", unsafe_allow_html=True)
    first, second, third = st.columns(3, gap="medium")
    shift_x = first.slider("Shift right (px)", -8, 8, 0, key="what-shift-x")
    shift_y = first.slider("Shift down (px)", -8, 8, 0, key="what-shift-y")
    rotate = second.slider("Turn anticlockwise (°)", -45, 45, 0, step=5, key="what-rotate")
    scale = second.slider("Size", 0.5, 1.5, 1.0, step=0.1, key="what-scale")
    thickness = third.slider("Thinner / thicker (px)", -2, 2, 0, key="what-thickness")
    noise = third.slider("Noise", 0.0, 1.0, 0.0, step=0.05, key="what-noise")
    erase = first.selectbox("Erase a patch", list(ERASE_PLACES), key="what-erase")
    changes = WhatIf(shift_x=shift_x, shift_y=shift_y, rotate=rotate, scale=scale,
                     thickness=thickness, erase=ERASE_PLACES[erase], noise=noise)
    changed = inside.what_if(model_input, changes)
    curve = inside.shift_curve(weights, model_input, changes)
    now = curve.at(shift_x)
    digit = int(now.argmax())
    picture, chart = st.columns([1, 2], gap="medium")
    with picture:
        show_images([(enlarge(changed, 28), "What the network gets now")], shown=168)
        st.markdown(f'<div class="inside-answer">It reads <b>{digit}</b>, {now[digit]:.0%} '
                    "sure.</div>", unsafe_allow_html=True)
    with chart:
        shift_chart(curve, shift_x)
        side = "right" if shift_x > 0 else "left"
        where = "no shift" if shift_x == 0 else f"{abs(shift_x)} px {side}"
        st.caption(f"The dashed line marks the shift now: {where}. The network has no idea that "
                   "a digit moved is the same digit: that is why the drawing is centred "
                   "before it is read.")


def shift_chart(curve: inside.ShiftCurve, marked: int) -> None:
    shifts = np.repeat(curve.shifts, 10)
    frame = pd.DataFrame({"shift": shifts, "digit": np.tile([str(d) for d in range(10)],
                                                            len(curve.shifts)),
                          "probability": curve.probabilities.astype(float).ravel()})
    spec = {
        "height": 200, "autosize": FIT_WIDTH,
        # Short: a phone cut a longer title ("… moves si…").
        "title": {"text": "How sure, as the drawing moves sideways", "fontSize": 14},
        "layer": [
            {"mark": {"type": "line", "point": True, "strokeWidth": 2.5},
             "encoding": {
                 "x": {"field": "shift", "type": "quantitative", "title": "shift right (px)",
                       "scale": {"domain": [-8, 8]}, "axis": {"tickMinStep": 1}},
                 "y": {"field": "probability", "type": "quantitative", "title": "probability",
                       "scale": {"domain": [0, 1]}, "axis": {"format": "%", "tickCount": 4}},
                 # Above the plot in two rows of five: to its right, ten entries did not
                 # fit the chart's height (the legend stopped after 5); in one row, not the
                 # width of a 1024 px projector (after 8) or a phone (after 6).
                 "color": {"field": "digit", "type": "nominal", "title": "Digit",
                           "scale": {"scheme": "category10"},
                           "legend": {"orient": "top", "direction": "horizontal",
                                      "columns": 5, "symbolType": "stroke",
                                      "labelFontSize": 13}},
                 "tooltip": [{"field": "digit"}, {"field": "shift"},
                             {"field": "probability", "format": ".1%"}]}},
            {"mark": {"type": "rule", "color": "#666", "strokeWidth": 3, "strokeDash": [6, 3]},
             "encoding": {"x": {"datum": int(marked), "type": "quantitative"}}},
        ],
    }
    st.vega_lite_chart(frame, spec, width="stretch")


@st.cache_resource(max_entries=1, show_spinner="Reading the MNIST test images…")
def _test_digits() -> tuple[np.ndarray, np.ndarray]:
    _, (x_test, y_test) = load_mnist()
    return x_test[:TEST_IMAGES], y_test[:TEST_IMAGES]


def mnist_here() -> bool:
    """MNIST is on this machine (never downloaded from this page)."""
    return mnist_source() != DOWNLOAD_URL


@st.cache_resource(max_entries=16, show_spinner=False)
def _broken(key: str, breakage: Breakage, _weights):
    return inside.break_model(_weights, breakage)


@st.cache_data(max_entries=256, show_spinner="Scoring 1,000 test images…")
def _accuracy(key: str, breakage: Breakage, _weights) -> float:
    images, labels = _test_digits()
    return inside.accuracy(_broken(key, breakage, _weights), images, labels)


def view_break(model_input) -> None:
    st.markdown('<div class="lead">Damage the network and see how much it takes before it '
                "forgets how to read: what it knows is spread over many units.</div>",
                unsafe_allow_html=True)
    left, right = st.columns(2, gap="medium")
    share = left.slider("Switch off hidden units at random", 0, 90, 0, step=10, format="%d%%",
                        key="break-units")
    noise = left.slider("Noise on the weights", 0, 100, 0, step=10, format="%d%%",
                        key="break-noise",
                        help="The noise's spread as a share of the spread of each layer's own "
                             "weights.")
    zero = left.toggle("Zero the biases", key="break-biases")
    breakage = Breakage(units_off=share / 100, weight_noise=noise / 100, zero_biases=zero)
    key = model_key(recognizer)
    broken = _broken(key, breakage, recognizer.weights)
    probabilities = inside.forward(broken, model_input).probabilities
    digit = int(probabilities.argmax())
    with right:
        st.markdown(f'<div class="inside-answer">Broken, it reads <b>{digit}</b>, '
                    f"{probabilities[digit]:.0%} sure.</div>", unsafe_allow_html=True)
        if not mnist_here():
            st.info(f"The accuracy on MNIST test images shows when MNIST is on this machine "
                    f"(set {DATA_DIR_ENV} to its folder, or put mnist.npz in the Keras "
                    "cache). Nothing is downloaded from this page.", icon=":material/info:")
        else:
            try:
                intact = _accuracy(key, Breakage(), recognizer.weights)
                now = _accuracy(key, breakage, recognizer.weights)
            except MnistCoreError as error:
                st.error(str(error))
            else:
                st.metric(f"Accuracy on {TEST_IMAGES:,} MNIST test images", f"{now:.1%}",
                          delta=f"{(now - intact) * 100:+.1f} points" if now != intact else None)
    st.caption("Starts from the model in use as trained (units switched off on the Why view "
               "are not counted).")


def view_two_models(model_input) -> None:
    try:
        runs = [run for run in ModelStore().list_runs()[0]
                if not recognizer.run or run.run_id != recognizer.run.run_id]
    except MnistCoreError as error:
        st.error(str(error))
        return
    if not runs:
        st.info("There is only one model. Train another on the Train page (a small one, say "
                "16 hidden units) and compare it here.", icon=":material/compare:")
        return
    names = {run.run_id: f"{'Shipped model' if run.is_shipped else run.run_id} "
                         f"({run.config.describe().split(',')[0]})" for run in runs}
    st.markdown('<div class="lead">The same drawing read by two networks side by side: compare '
                "their layers and how sure each one is.</div>", unsafe_allow_html=True)
    other_id = st.selectbox("Compare with", list(names), format_func=names.get,
                            key="two-other")
    try:
        other = run_recognizer(other_id)
    except MnistCoreError as error:
        st.error(str(error))
        return
    for column, model in zip(st.columns(2, gap="large"), (recognizer, other), strict=True):
        with column:
            run = inside.forward(model.weights, model_input)
            st.markdown(f"**{'In use' if model is recognizer else 'Other'}: "
                        f"{model_name(model)}**")
            st.markdown(answer_line(run, []), unsafe_allow_html=True)
            layer_pictures(model, run, [], "two-" + ("use" if model is recognizer else "other"))
    st.caption("The same drawing read by two models as trained (no units switched off).")


# --- the page --------------------------------------------------------------------------------

@st.fragment
def look_inside() -> None:
    """Canvas and every view rerun alone after each stroke; the sidebar stays put."""
    follow_model_in_use(recognizer)
    row = st.container(horizontal=True, gap="medium", key="inside-row")
    canvas_column = row.container(width=CANVAS_SIZE + 16)
    answer_column = row.container(width="stretch", key="inside-answer-column")
    remembered = remembered_drawing()
    with canvas_column:
        pen = st.slider("Pen width", min_value=6, max_value=40, value=DEFAULT_PEN,
                        key="inside-pen",
                        help="Any width works: the drawing is normalised before reading.")
        st.markdown('<div class="toolbar-room"></div>', unsafe_allow_html=True)
        canvas = st_canvas(stroke_width=pen, stroke_color="#FFFFFF", background_color="#000000",
                           width=CANVAS_SIZE, height=CANVAS_SIZE, drawing_mode="freedraw",
                           return_image_data=True,
                           initial_drawing=getattr(remembered, "json_data", None),
                           key=f"inside-canvas-{st.session_state.get('inside_round', 0)}")
        st.button("Clear", icon=":material/delete:", on_click=clear_canvas, key="inside-clear")
        st.caption("Undo or redo a stroke with the arrows above the square.")
    image = canvas.image_data
    if image is None or not image[..., 3].any():
        image = getattr(remembered, "image_data", None)
    with answer_column:
        model_input = read(image)
        if model_input is None:
            return
        off = [unit for unit in units_off() if unit < recognizer.weights.hidden_units[-1]]
        last = len(recognizer.weights.hidden_units) - 1
        weights = inside.switch_off(recognizer.weights, [(last, unit) for unit in off])
        explanation = inside.explain(weights, model_input, top=TOP)
        st.markdown(answer_line(explanation.forward, off), unsafe_allow_html=True)
        if off:
            # One row that wraps: the button keeps its own width ("Reset", not "Re…").
            status_row = st.container(horizontal=True, vertical_alignment="center")
            status = status_row.container(width="stretch")
            named = ", ".join(map(str, off[:12])) + (" …" if len(off) > 12 else ".")
            status.markdown(f'<span class="swatch" style="background:{AMBER}"></span> '
                            f"Switched off in layer {last + 1}: units {named}",
                            unsafe_allow_html=True)
            status_row.button("Reset", icon=":material/restart_alt:", on_click=set_units_off,
                         args=([],), key="off-reset")
        layer_pictures(recognizer, explanation.forward, off, "use")
        st.caption("Each tile is one unit: the brighter, the more active. A unit is off "
                   "(black) when its weighted sum is below zero.")
    tabs = st.tabs(VIEWS, key="inside-view", on_change="rerun")
    views = {
        "Why this answer": lambda: view_why(weights, explanation, off),
        "Where it looks": lambda: view_where(weights, explanation),
        "Feature detectors": lambda: view_features(weights, model_input),
        "What if": lambda: view_what_if(weights, model_input),
        "Break it": lambda: view_break(model_input),
        "Two models": lambda: view_two_models(model_input),
    }
    for tab, name in zip(tabs, VIEWS, strict=True):
        if tab.open:
            with tab:
                views[name]()


def read(image) -> np.ndarray | None:
    """The drawing as the network's (28, 28) input, or None (saying why) if it is not one."""
    if image is None:
        invite()
        return None
    try:
        # Recognizer.predict's checks, without its own forward pass (explain does one).
        model_input, steps = preprocess(image, return_steps=True)
        check_digit(measure_ink(steps.ink))
        return model_input
    except NotADigitError as error:
        st.warning(str(error), icon=":material/gesture:")
    except EmptyDrawingError:
        invite()
    except DrawingError as error:
        st.error(str(error))
    return None


def invite() -> None:
    st.info("Draw a digit in the black square: the layers, and why the network gives its "
            "answer, appear here as soon as you lift the pen. The home page's last drawing "
            "shows here too.", icon=":material/draw:")


look_inside()
