"""Comparing a run with the model in use: worse runs are not made the obvious choice."""

from pathlib import Path

import pytest

from mnist_core.config import QUICK
from mnist_core.runs import compare_runs
from mnist_core.store import RunInfo


def run(test=None, drawn=None, run_id="2026-12-01_120000"):
    metrics = {"test_accuracy": test, "drawn_accuracy": drawn}
    return RunInfo(run_id, Path("/nowhere") / run_id, QUICK, [], metrics)


IN_USE = run(0.9933, 0.9857, "shipped")


@pytest.mark.parametrize(
    ("candidate", "verdict", "words"),
    [
        # The case: a stopped run at 87.6% against 99.3% in use.
        (run(0.876, 0.80), "worse", ["reads worse", "87.60%", "11.7 points below", "99.33%"]),
        # Better on MNIST, much worse on drawings: worse for the people drawing.
        (run(0.9950, 0.9700), "worse", ["reads worse", "1.6 points below"]),
        (run(0.9940, 0.9930), "better", ["reads better", "0.7 points above"]),
        (run(0.9935, 0.9860), "similar", ["about as well", "about the same as"]),
        (run(0.9850, None), "worse", ["0.8 points below"]),  # drawn not measured: test only
        (run(None, None), "unknown", ["not measured"]),
    ],
)
def test_a_run_is_compared_with_the_model_in_use(candidate, verdict, words):
    comparison = compare_runs(candidate, IN_USE)
    assert comparison.verdict == verdict
    for word in words:
        assert word in comparison.sentence
    assert comparison.recommended == (verdict == "better")
