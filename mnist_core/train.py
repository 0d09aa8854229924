"""Train an MLP on MNIST from the command line and save it as a run.

    python -m mnist_core.train                      # the Quick preset
    python -m mnist_core.train --preset best --activate
    python -m mnist_core.train --hidden 256 --epochs 3 --max-train-samples 5000
    python -m mnist_core.train --drawings --drawings-weight 50   # with the class's drawings
    python -m mnist_core.train --fine-tune --activate   # teach the model in use the drawings
"""

from __future__ import annotations

import argparse
import sys
import time

from mnist_core.config import PEN_SOURCES, PRESETS, TrainConfig, config_problems
from mnist_core.errors import MnistCoreError
from mnist_core.runs.store import ModelStore
from mnist_core.training.engine import Progress
from mnist_core.training.estimate import TimeEstimate, describe_seconds, seconds_left


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mnist_core.train",
        description="Train an MLP on MNIST, score it on the 10,000 test images and save the "
                    "run in the models folder ($MNIST_MODELS_DIR, default ./models). MNIST is "
                    "read from $MNIST_DATA_DIR, else the Keras cache.",
    )
    parser.add_argument("--preset", choices=[name.lower() for name in PRESETS], default="quick",
                        help="start from a preset; the options below override its settings "
                             "(default: quick)")
    parser.add_argument("--hidden", type=int, nargs="+", metavar="UNITS",
                        help="sizes of the hidden layers, e.g. --hidden 512 256")
    parser.add_argument("--dropout", type=float, help="dropout rate after each hidden layer, "
                                                      "from 0 to 0.89")
    parser.add_argument("--learning-rate", type=float, help="Adam's initial learning rate, "
                                                            "decayed along a cosine to 0")
    parser.add_argument("--batch-size", type=int, help="images per gradient step")
    parser.add_argument("--epochs", type=int, help="passes over the training images")
    parser.add_argument("--validation-split", type=float,
                        help="share of training images held out to watch, 0.01 to 0.5")
    parser.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                        help="distort training images (shift, rotate, scale, shear, stroke "
                             "width, elastic) so the model reads drawings better")
    parser.add_argument("--drawn-fraction", type=float,
                        help="share of training images shown as mouse drawings (re-drawn "
                             "strokes), 0 to 0.9; the first run renders them (~1 min)")
    parser.add_argument("--pen-fraction", type=float,
                        help="share of training images that are real people's pen digits "
                             "(of the training writers of --pen-sources), 0 to 0.5")
    parser.add_argument("--pen-sources", nargs="+", choices=PEN_SOURCES, metavar="FILE",
                        help="real writers' files to learn from: pendigits ($PENDIGITS_DATA_DIR"
                             ", 22 training writers) and/or unipen ($UNIPEN_DATA_DIR, 135)")
    parser.add_argument("--seed", type=int, help="random seed (same seed, same result)")
    parser.add_argument("--max-train-samples", type=int,
                        help="train on only this many MNIST training images, 100 to 60000 "
                             "(quick trials); 0 for all")
    parser.add_argument("--drawings", dest="include_drawings",
                        action=argparse.BooleanOptionalAction, default=None,
                        help="also train on the drawings saved from the app ($MNIST_DRAWINGS_DIR,"
                             " default ./data), except the held-out ones every run is scored on")
    parser.add_argument("--drawings-weight", type=int,
                        help="how many MNIST images each saved drawing counts as (default 20)")
    parser.add_argument("--fine-tune", nargs="?", const="active", metavar="RUN",
                        help="instead of training from scratch, fine-tune the model in use (or "
                             "the run named) on the saved drawings, as the Class page's 'Teach "
                             "it now' does (mnist_core.training.finetune: a few short passes "
                             "mixed with MNIST and real writers' digits); the options above "
                             "override its "
                             "recipe, --preset is ignored; saved only if it completes")
    parser.add_argument("--activate", action="store_true",
                        help="make the new run the model the app uses (if it completed)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def config_from_args(args: argparse.Namespace, store: ModelStore | None = None) -> TrainConfig:
    """The preset named by `--preset` (or with `--fine-tune`, the fine-tune of that run in
    `store`), with every option given on the command line applied."""
    if getattr(args, "fine_tune", None):
        values = _fine_tune_values(args.fine_tune, store or ModelStore())
    else:
        preset = {name.lower(): config for name, config in PRESETS.items()}[args.preset]
        values = preset.to_dict()
    overrides = {
        "hidden_units": args.hidden, "dropout_rate": args.dropout,
        "learning_rate": args.learning_rate, "batch_size": args.batch_size,
        "epochs": args.epochs, "validation_split": args.validation_split,
        "augment": args.augment, "drawn_fraction": args.drawn_fraction, "seed": args.seed,
        "max_train_samples": args.max_train_samples,
        "include_drawings": args.include_drawings, "drawings_weight": args.drawings_weight,
        "pen_fraction": args.pen_fraction, "pen_sources": args.pen_sources,
    }
    values.update({key: value for key, value in overrides.items() if value is not None})
    problems = config_problems(**values)
    if problems:
        raise SystemExit("error: " + "\n       ".join(problems.values()))
    config = TrainConfig.from_dict(values)
    if args.pen_fraction is None and args.pen_sources is None and not args.fine_tune:
        # The preset's real writers' digits, not asked for by name: without a file on this
        # machine it trains without it (as the Train page does) rather than not at all.
        from mnist_core.data.writers import trainable
        config, why = trainable(config)
        if why is not None:
            print(f"Training without {why}", file=sys.stderr)
    return config


def _fine_tune_values(run_id: str, store: ModelStore) -> dict:
    from mnist_core.training.finetune import fine_tune_config

    try:
        base = store.get_run(store.active_run_id() if run_id == "active" else run_id)
    except MnistCoreError as error:
        raise SystemExit(f"error: {error}") from None
    return fine_tune_config(base).to_dict()  # without real writers' digits if not here


class _ProgressBar:
    """A Keras progress bar per epoch, fed by the training callback; each epoch's line and
    the scoring steps say the time left (`mnist_core.training.estimate.seconds_left`)."""

    def __init__(self, estimate: TimeEstimate) -> None:
        import keras

        self._keras = keras
        self._bar = None
        self._estimate = estimate
        self._step = ""

    def _left(self, progress: Progress) -> str:
        return f"about {describe_seconds(seconds_left(self._estimate, progress))} left"

    def __call__(self, progress: Progress) -> None:
        if progress.stage == "preparing":
            print(f"\r{progress.preparing_text} · {self._left(progress)}   ", end="",
                  file=sys.stderr)
            if progress.batch == progress.batches:
                print(file=sys.stderr)
            return
        if progress.stage == "scoring":
            if self._step and progress.step != self._step:
                print(file=sys.stderr)
            self._step = progress.step
            count = f" {progress.batch:,}/{progress.batches:,}" if progress.batches > 1 else ""
            print(f"\rScoring the model: {progress.step}{count} · {self._left(progress)}   ",
                  end="", file=sys.stderr)
            if progress.step == "saving":
                print(file=sys.stderr)
            return
        if self._bar is None:
            left = (f" · {self._left(progress)}" if progress.epoch > 1 else "")
            print(f"Epoch {progress.epoch}/{progress.epochs}{left}", file=sys.stderr)
            self._bar = self._keras.utils.Progbar(progress.batches, stateful_metrics=None)
        values = [(key, value) for key, value in progress.metrics.items()]
        self._bar.update(progress.batch, values=values, finalize=progress.epoch_end)
        if progress.epoch_end:
            self._bar = None


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    started_at = time.time()
    args = _parser().parse_args(argv)
    store = ModelStore()
    config = config_from_args(args, store)
    print(f"Training {config.describe()} (batch {config.batch_size}, learning rate "
          f"{config.learning_rate:g}, seed {config.seed})", file=sys.stderr)
    from mnist_core.training.jobs import estimate_job

    estimate = estimate_job(config, store)
    print(f"Estimated time on this machine: about {describe_seconds(estimate.total, about=True)} "
          f"(from {estimate.basis})", file=sys.stderr)

    from mnist_core.training.finetune import scored_quickly
    from mnist_core.training.quality import drawn_accuracy_metrics, pen_metrics
    from mnist_core.training.workflow import train_and_save

    quickly = scored_quickly(config)
    try:
        run, result = train_and_save(
            config, store=store, on_progress=None if args.quiet else _ProgressBar(estimate),
            extra_metrics=None if quickly else drawn_accuracy_metrics,
            pen_metrics=None if quickly else pen_metrics, started_at=started_at)
    except KeyboardInterrupt:
        print("\nStopped: nothing was saved.", file=sys.stderr)
        return 130
    except MnistCoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if run is None:  # a fine-tune that did not complete
        print(f"Fine-tuning {result.status}: nothing was saved."
              + (f" {result.error}" if result.error else ""), file=sys.stderr)
        return 1
    print(f"Saved run {run.run_id} ({run.status}) in {run.path}")
    if result.status == "failed":
        print(f"Training failed: {result.error}", file=sys.stderr)
        return 1
    print(f"Test accuracy: {run.test_accuracy:.2%} on {run.metrics['test_count']} images; "
          f"trained in {run.metrics['train_seconds']:.1f} s, "
          f"{time.time() - started_at:.1f} s in all")
    if run.drawn_accuracy is not None:
        print(f"Drawn-digit accuracy: {run.drawn_accuracy:.2%} on "
              f"{run.metrics['drawn_count']} re-drawn test digits")
    if (writers := run.real_writers) is not None:
        accuracy, digits, people = writers
        print(f"Real writers: {accuracy:.2%} on {digits:,} pen digits by {people} people it "
              "never saw" + (f" (pendigits' 8 alone: {run.pen_accuracy:.2%})"
                             if people != 8 and run.pen_accuracy is not None else ""))
    if "drawings_accuracy" in run.metrics:
        print(f"Our drawings: {run.metrics['drawings_accuracy']:.2%} on the "
              f"{run.metrics['drawings_count']} held-out saved drawings")
    _print_before_and_after(run)
    if args.activate:
        try:
            store.activate(run.run_id)
        except MnistCoreError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"Run {run.run_id} is now the active model.")
    return 0


def _print_before_and_after(run) -> None:
    from mnist_core.training.finetune import before_and_after

    scores = before_and_after(run)
    if scores is None:
        return
    print(f"Tuned from {scores.tuned_from} on {scores.drawings_trained:,} saved drawings: "
          + (f"held-out drawings {scores.drawings_before:.2%} -> {scores.drawings_after:.2%}, "
             if scores.drawings_after is not None and scores.drawings_before is not None
             else "")
          + f"MNIST test {scores.test_before:.2%} -> {scores.test_after:.2%}")


if __name__ == "__main__":
    raise SystemExit(main())
