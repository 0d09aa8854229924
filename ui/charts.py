"""Charts more than one page draws."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

# Solid or dashed: a grey line symbol reads on light and dark backgrounds alike.
_DASH_LEGEND = {"symbolType": "stroke", "symbolStrokeColor": "#8a94a6", "symbolStrokeWidth": 2,
                "symbolSize": 300}


# Runs compared side by side get clearly different hues (the theme's default palette starts
# with two blues). Tableau's ten, as Vega names them.
RUN_COLOURS = "tableau10"


def learning_curves(records: list[dict[str, Any]], *, by_run: bool = False,
                    height: int = 280, epochs: int | None = None) -> None:
    """Loss and accuracy per epoch, side by side: training solid, validation dashed.

    Args:
        records: per-epoch history dicts (epoch, loss, accuracy, val_loss, val_accuracy), each
            with a "run" id when `by_run`.
        by_run: colour the lines by run, to compare runs.
        epochs: the epochs planned, for a run still training: the x axis spans all of them,
            so the curve grows into its frame.
    """
    frame = pd.DataFrame(records)
    # Whole epochs only, and never a one-point axis (one epoch read "1.000000" everywhere).
    last = max(int(frame["epoch"].max()), epochs or 0, 2)
    epoch_axis = {"field": "epoch", "type": "quantitative", "title": "Epoch",
                  "scale": {"domain": [1, last], "nice": False},
                  "axis": {"format": "d", "tickMinStep": 1, "labelFontSize": 13,
                           "titleFontSize": 14}}
    ids = ["run", "epoch"] if by_run else ["epoch"]
    # Markers would hide the dashes of a long run, and with runs by colour they blank out
    # the solid / dashed legend (seen in the browser).
    markers = frame["epoch"].nunique() <= 20 and not by_run
    for column, metric, title in zip(st.columns(2), ("loss", "accuracy"), ("Loss", "Accuracy"),
                                     strict=True):
        long = frame.melt(id_vars=ids, value_vars=[metric, f"val_{metric}"], var_name="set",
                          value_name=title)
        long["set"] = long["set"].map({metric: "training", f"val_{metric}": "validation"})
        # A run of one epoch is one point, which a line without markers does not show.
        epochs_of_run = (long.groupby("run")["epoch"].transform("nunique") if by_run
                         else long["epoch"].nunique())
        long["alone"] = epochs_of_run == 1
        color = ({"field": "run", "type": "nominal", "title": "Run",
                  "scale": {"scheme": RUN_COLOURS},
                  # Runs by name, up to 60 characters: below the chart, where a long one fits
                  # (at the side, Vega cuts labels at 160 px).
                  "legend": {"symbolType": "stroke", "symbolStrokeWidth": 3, "orient": "bottom",
                             "direction": "vertical", "labelLimit": 300}} if by_run else
                 {"field": "set", "type": "nominal", "title": "Set"})  # one legend with the dash
        column.vega_lite_chart(long, {
            # A subtitle, not one long title: on a phone a long title is cut off.
            # Grey reads on light and dark themes (the theme leaves subtitles black).
            "title": {"text": f"{title} per epoch",
                      "subtitle": "solid: training, dashed: validation",
                      "subtitleColor": "#8a94a6", "subtitleFontSize": 12},
            "height": height,
            "layer": [
                {"mark": {"type": "line", "point": markers},
                 "encoding": {"strokeDash": {
                     "field": "set", "type": "nominal", "title": "Set",
                     "sort": ["training", "validation"], "legend": _DASH_LEGEND}}},
                {"mark": {"type": "point", "filled": True, "size": 70},
                 "transform": [{"filter": "datum.alone"}]},
            ],
            "encoding": {
                "x": epoch_axis,
                "y": {"field": title, "type": "quantitative", "title": title,
                      "scale": {"zero": False},
                      "axis": {"labelFontSize": 13, "titleFontSize": 14}},
                "color": color,
                "tooltip": [*([{"field": "run"}] if by_run else []), {"field": "epoch"},
                            {"field": "set"}, {"field": title, "format": ".4f"}],
            },
        }, width="stretch")
