import pytest

from mnist_core.config import BEST, PRESETS, QUICK, TrainConfig, config_problems
from mnist_core.errors import ConfigError


def test_default_is_valid_and_round_trips_through_json():
    config = TrainConfig(hidden_units=(64, 32), augment=True, max_train_samples=500)
    assert TrainConfig.from_json(config.to_json()) == config


def test_lists_become_tuples_so_configs_stay_hashable():
    config = TrainConfig(hidden_units=[64, 32])
    assert config.hidden_units == (64, 32)
    assert hash(config) == hash(TrainConfig(hidden_units=(64, 32)))


def test_reader_tolerates_older_and_newer_files():
    assert TrainConfig.from_dict({"epochs": 3, "added_in_v9": "x"}) == TrainConfig(epochs=3)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("hidden_units", (), "1 to 6 hidden layers"),
        ("hidden_units", (10_000,), "1 to 4096 units"),
        ("hidden_units", (64, 0), "1 to 4096 units"),
        ("hidden_units", (64.5,), "whole numbers"),
        ("hidden_units", (8,) * 7, "1 to 6 hidden layers"),
        ("epochs", 0, "epochs a whole number from 1"),
        ("epochs", 2.5, "epochs a whole number"),
        ("learning_rate", -1, "learning_rate in (0, 1]"),
        ("learning_rate", 0, "learning_rate in (0, 1]"),
        ("dropout_rate", 0.95, "dropout_rate in [0, 0.9)"),
        ("batch_size", 0, "batch_size a whole number"),
        ("batch_size", True, "batch_size a whole number"),
        ("validation_split", 0.0, "validation_split in [0.01, 0.5]"),
        ("validation_split", 0.9, "validation_split in [0.01, 0.5]"),
        ("seed", -1, "seed a whole number"),
        ("augment", "yes", "augment True or False"),
        ("max_train_samples", 10, "max_train_samples empty (all) or"),
        ("include_drawings", 1, "include_drawings True or False"),
        ("drawings_weight", 0, "drawings_weight a whole number from 1 to 1000"),
        ("drawings_weight", 2.5, "drawings_weight a whole number"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(field, value, expected):
    with pytest.raises(ConfigError) as caught:
        TrainConfig(**{field: value})
    assert expected in caught.value.problems[field]
    assert "Received" in caught.value.problems[field]
    assert isinstance(caught.value, ValueError)


def test_every_bad_field_is_reported_at_once():
    problems = config_problems(epochs=0, learning_rate=-1, hidden_units=())
    assert set(problems) == {"epochs", "learning_rate", "hidden_units"}


def test_unknown_setting_is_reported():
    assert "colour" in config_problems(colour="red")


def test_bad_json_is_a_config_error():
    with pytest.raises(ConfigError):
        TrainConfig.from_json("[1, 2")


def test_presets_are_valid_and_distinct():
    assert PRESETS == {"Quick": QUICK, "Best": BEST}
    assert QUICK != BEST
    assert BEST.augment


def test_describe_reads_like_an_architecture():
    text = TrainConfig(hidden_units=(512, 256), epochs=3, augment=True).describe()
    assert text.startswith("784-512-256-10")
    assert "3 epochs" in text and "augmented" in text
