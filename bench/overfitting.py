"""How noisy validation loss is on real runs, and what the overfitting flag says about them.

Takes real per-epoch histories: the shipped model's (100 epochs, in the repository), fresh
trainings of the Quick preset on MNIST (12 epochs each, about a minute each, one per seed), and
runs that really overfit (784-1024-512-10 with no dropout on a few thousand training images,
for tens of epochs; seconds each). For each it prints the epoch-to-epoch noise of validation
loss, where it was lowest, how far it rose after that, and what the old rule (before issue 15)
and the rule in `mnist_core.runs.compare.overfitting_epoch` say.

    python bench/overfitting.py                          # trains the runs (5-6 min here)
    python bench/overfitting.py --seeds 0 1 2
    python bench/overfitting.py --histories /tmp/h.json  # keep the histories there, and
                                                         # train only the runs not in it

Noise, from epoch 6 on (the first epochs are the steep fall, a trend rather than noise):
"change" is the median of |v[n+1] - v[n]| / v[n], how much validation loss moves from one epoch
to the next; "noise" is `mnist_core.runs.compare.validation_noise`, which the rule uses: the median
of |v[n] - (v[n-1] + v[n+1]) / 2| / v[n], how far it strays from its neighbours' average, which a
steady rise (overfitting itself) does not inflate. Rises are
relative to the lowest validation loss v_min: "last 3" is the least of the last three epochs'
(v - v_min) / v_min (what the rule checks), "most" the largest after the lowest epoch, and
"needed" the rise the rule asks for in that run.
Nothing is written to the project's models/ folder: training goes through `train_model`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mnist_core.config import QUICK, TrainConfig  # noqa: E402
from mnist_core.runs.compare import (  # noqa: E402
    OVERFITTING_MIN_RISE,
    OVERFITTING_NOISE_MULTIPLE,
    OVERFITTING_PATIENCE,
    overfitting_epoch,
    validation_noise,
)

ROOT = Path(__file__).resolve().parent.parent

# Small training sets, no dropout: these overfit for real (validation loss makes a U).
OVERFITTING = {
    "no dropout, 2,000 images, 40 epochs": TrainConfig(
        dropout_rate=0.0, max_train_samples=2000, epochs=40),
    "no dropout, 5,000 images, 60 epochs": TrainConfig(
        dropout_rate=0.0, max_train_samples=5000, epochs=60),
    "no dropout, 60,000 images, 30 epochs": TrainConfig(dropout_rate=0.0, epochs=30),
}
# Quick's dropout on 1,000 images: only 100 watched, so validation loss is noisier.
SMALL_VALIDATION = {
    "Quick, 1,000 images (100 watched), 30 ep.": TrainConfig(max_train_samples=1000, epochs=30),
}


def old_rule(history: list[dict[str, Any]], patience: int = 2,
             tolerance: float = 0.02) -> int | None:
    """The rule before issue 15: every later epoch (at least 2) over 2% above the best."""
    losses = [(h["epoch"], h["val_loss"]) for h in history if h.get("val_loss") is not None]
    if len(losses) <= patience:
        return None
    best_epoch, best_loss = min(losses, key=lambda pair: pair[1])
    later = [loss for epoch, loss in losses if epoch > best_epoch]
    if len(later) >= patience and all(loss > best_loss * (1 + tolerance) for loss in later):
        return best_epoch
    return None


def train_histories(seeds: list[int], fast: bool,
                    known: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """name -> history, for the Quick preset per seed, a small validation set and the
    overfitting runs; runs already in `known` are taken from it, not trained again."""
    configs = {f"Quick, seed {seed}": dataclasses.replace(QUICK, seed=seed) for seed in seeds}
    configs.update(SMALL_VALIDATION)
    configs.update(OVERFITTING)
    if fast:
        configs.pop("no dropout, 60,000 images, 30 epochs")
    histories = {}
    for name, config in configs.items():
        if name in known:
            histories[name] = known[name]
            continue
        from mnist_core.training.engine import train_model  # imports TensorFlow

        started = time.perf_counter()
        result = train_model(config)
        print(f"trained {name}: {result.status}, {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
        histories[name] = result.history
    return histories


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--fast", action="store_true",
                        help="leave out the 60,000-image run without dropout (about 2 min)")
    parser.add_argument("--histories", type=Path,
                        help="read the trained histories from this JSON file if it exists, "
                             "else train and write them there")
    args = parser.parse_args()
    known = {}
    if args.histories and args.histories.exists():
        known = json.loads(args.histories.read_text())
    trained = train_histories(args.seeds, args.fast, known)
    if args.histories:
        args.histories.write_text(json.dumps(trained))
    shipped = json.loads((ROOT / "models" / "shipped" / "history.json").read_text())
    histories = {"shipped model (Best, 100 epochs)": shipped, **trained}

    header = (f"{'run':<42} {'epochs':>6} {'change':>6} {'noise':>6} {'lowest (epoch)':>15} "
              f"{'rise: last 3':>12} {'most':>6} {'needed':>6} {'old rule':>8} "
              f"{'new rule':>8}")
    print(header)
    print("-" * len(header))
    for name, history in histories.items():
        losses = np.array([h["val_loss"] for h in history], dtype=float)
        best = int(np.argmin(losses))
        last = float(losses[-OVERFITTING_PATIENCE:].min()) / losses[best] - 1
        most = float(losses[best:].max()) / losses[best] - 1
        tail = losses[5:]
        change = float(np.median(np.abs(np.diff(tail)) / tail[:-1]))
        noise = validation_noise(history)
        needed = max(OVERFITTING_MIN_RISE, OVERFITTING_NOISE_MULTIPLE * noise)
        old, new = old_rule(history), overfitting_epoch(history)
        print(f"{name:<42} {len(losses):>6} {change:>6.1%} {noise:>6.1%} "
              f"{losses[best]:>9.4f} ({best + 1:>2}) "
              f"{last:>12.1%} {most:>6.1%} {needed:>6.1%} {str(old or '-'):>8} "
              f"{str(new or '-'):>8}")
    print("\nrules: the epoch each flags as the one after which the model overfits, or -. "
          "Old: every later epoch over 2% above the lowest. New: the last "
          f"{OVERFITTING_PATIENCE} epochs all more than 'needed' above it "
          f"(max({OVERFITTING_MIN_RISE:.0%}, {OVERFITTING_NOISE_MULTIPLE:g} x noise)).")


if __name__ == "__main__":
    main()
