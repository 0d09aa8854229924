import subprocess
import sys

import pytest

import mnist_core.train as cli
from mnist_core.runs.store import SHIPPED_ID, ModelStore
from tests.conftest import PROJECT


@pytest.fixture
def cli_store(monkeypatch, tmp_path, tiny_shipped_dir, synthetic_split):
    """The CLI's default store moved to a temporary folder, and MNIST replaced by tiny data."""
    monkeypatch.setenv("MNIST_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setattr("mnist_core.runs.store.PROJECT_MODELS_DIR", tiny_shipped_dir.parent)
    monkeypatch.setattr(ModelStore, "shipped_dir", tiny_shipped_dir)
    monkeypatch.setattr("mnist_core.training.workflow.load_mnist", lambda: synthetic_split)
    x_test, y_test = synthetic_split[1]

    def drawn_test_inputs(on_progress=None):
        if on_progress is not None:
            on_progress(len(y_test), len(y_test))
        return x_test.astype("float32") / 255, y_test

    monkeypatch.setattr("mnist_core.training.quality.drawn_test_inputs", drawn_test_inputs)
    return ModelStore()


def test_help_explains_every_option():
    result = subprocess.run([sys.executable, "-m", "mnist_core.train", "--help"], cwd=PROJECT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    for option in ("--preset", "--hidden", "--dropout", "--learning-rate", "--batch-size",
                   "--epochs", "--validation-split", "--augment", "--seed",
                   "--max-train-samples", "--drawings", "--drawings-weight", "--activate"):
        assert option in result.stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["--epochs", "0"], "Epochs must be a whole number from 1 to 500. Received: 0"),
     (["--learning-rate", "-1"], "Learning rate must be above 0 and at most 1"),
     (["--hidden", "0"], "each must have from 1 to 4,096 units. Received: 0"),
     (["--validation-split", "0.9"], "Validation share must be from 0.01 to 0.5"),
     (["--max-train-samples", "50"], "Training images: 0 or empty for all 60,000, or a whole "
                                     "number from 100 to 60,000. Received: 50")],
)
def test_bad_settings_stop_before_training(argv, message):
    with pytest.raises(SystemExit) as caught:
        cli.main(argv)
    assert message in str(caught.value)


def test_options_override_the_preset():
    args = cli._parser().parse_args(["--preset", "best", "--epochs", "3", "--no-augment"])
    config = cli.config_from_args(args)
    assert config.epochs == 3 and config.augment is False
    assert config.hidden_units == cli.PRESETS["Best"].hidden_units


def test_trains_saves_reports_and_activates(cli_store, capsys):
    code = cli.main(["--hidden", "16", "--epochs", "2", "--batch-size", "32",
                     "--learning-rate", "0.01", "--activate", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0
    runs, _ = cli_store.list_runs()
    new = [run for run in runs if run.run_id != SHIPPED_ID]
    assert len(new) == 1 and new[0].config.hidden_units == (16,)
    assert f"Test accuracy: {new[0].test_accuracy:.2%}" in out
    assert f"Drawn-digit accuracy: {new[0].drawn_accuracy:.2%}" in out
    assert cli_store.active_run_id() == new[0].run_id


def test_without_activate_the_active_model_stays(cli_store, capsys):
    assert cli.main(["--hidden", "8", "--epochs", "1", "--quiet"]) == 0
    assert cli_store.active_run_id() == SHIPPED_ID


def test_missing_mnist_is_a_clear_error_and_exit_1(cli_store, monkeypatch, capsys):
    from mnist_core.errors import DataNotFoundError

    def missing():
        raise DataNotFoundError("MNIST was not found. Tried: ...")

    monkeypatch.setattr("mnist_core.training.workflow.load_mnist", missing)
    assert cli.main(["--epochs", "1", "--quiet"]) == 1
    assert "MNIST was not found" in capsys.readouterr().err


def test_trains_on_saved_drawings_and_reports_the_held_out_score(cli_store, capsys):
    from mnist_core.classroom.drawings import DrawingStore
    from tests.conftest import save_new_kind_of_nine

    drawings = DrawingStore()  # $MNIST_DRAWINGS_DIR: a temporary folder in every test
    save_new_kind_of_nine(drawings, 80)
    code = cli.main(["--hidden", "16", "--epochs", "2", "--batch-size", "32", "--learning-rate",
                     "0.01", "--drawings", "--drawings-weight", "20", "--quiet"])
    assert code == 0
    new = [run for run in cli_store.list_runs()[0] if run.run_id != SHIPPED_ID][0]
    assert new.config.include_drawings and new.config.drawings_weight == 20
    assert new.metrics["drawings_trained"] == drawings.counts().for_training
    assert (f"Our drawings: {new.metrics['drawings_accuracy']:.2%} on the "
            f"{drawings.counts().held_out} held-out saved drawings") in capsys.readouterr().out


def test_asking_for_drawings_when_none_are_saved_is_a_clear_error(cli_store, capsys):
    assert cli.main(["--epochs", "1", "--drawings", "--quiet"]) == 1
    assert "no saved drawings to train on" in capsys.readouterr().err


def test_progress_shows_the_estimate_the_time_left_and_each_scoring_step(cli_store, capsys):
    assert cli.main(["--hidden", "16", "--epochs", "3", "--batch-size", "32"]) == 0
    err = capsys.readouterr().err
    assert "Estimated time on this machine: about" in err
    assert "Epoch 2/3 · about" in err and "left" in err  # from the run's own pace
    for step in ("test set", "re-drawn digits 200/200", "held-out drawings", "saving"):
        assert f"Scoring the model: {step} · about" in err


def test_fine_tunes_the_model_in_use_on_the_saved_drawings(cli_store, capsys):
    from mnist_core.classroom.drawings import DrawingStore
    from tests.conftest import save_new_kind_of_nine

    save_new_kind_of_nine(DrawingStore(), 80)
    code = cli.main(["--fine-tune", "--learning-rate", "0.01", "--batch-size", "32",
                     "--max-train-samples", "0", "--pen-fraction", "0", "--quiet", "--activate"])
    assert code == 0
    new = [run for run in cli_store.list_runs()[0] if run.run_id != SHIPPED_ID][0]
    assert new.config.tuned_from == SHIPPED_ID and new.config.include_drawings
    assert cli_store.active_run_id() == new.run_id
    out = capsys.readouterr().out
    assert f"Tuned from shipped on {new.metrics['drawings_trained']} saved drawings: " \
           "held-out drawings " in out
    assert "MNIST test" in out and "Drawn-digit accuracy" not in out  # scored quickly


def test_a_fine_tune_without_drawings_gets_every_score(cli_store, capsys):
    # How the shipped model was made: the Best run fine-tuned on MNIST and real writers. It is
    # judged like any model people will use, on the re-drawn digits too.
    code = cli.main(["--fine-tune", SHIPPED_ID, "--no-drawings", "--learning-rate", "0.01",
                     "--batch-size", "32", "--max-train-samples", "0", "--pen-fraction", "0",
                     "--quiet"])
    assert code == 0
    new = [run for run in cli_store.list_runs()[0] if run.run_id != SHIPPED_ID][0]
    assert new.config.tuned_from == SHIPPED_ID and not new.config.include_drawings
    assert f"Drawn-digit accuracy: {new.drawn_accuracy:.2%}" in capsys.readouterr().out


def test_fine_tuning_a_run_that_does_not_exist_is_a_clear_error(cli_store):
    with pytest.raises(SystemExit, match="No run named 'nope'"):
        cli.main(["--fine-tune", "nope", "--quiet"])
