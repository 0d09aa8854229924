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
        ("hidden_units", (), "Hidden layers: there must be from 1 to 6 layers. "
                             "Received: no layers"),
        ("hidden_units", (8,) * 7, "from 1 to 6 layers. Received: 7 layers (8, 8, 8, 8, 8, 8, 8)"),
        ("hidden_units", (10_000,), "Hidden layers: each must have from 1 to 4,096 units. "
                                    "Received: 10,000"),
        ("hidden_units", (64, 0), "each must have from 1 to 4,096 units. Received: 64, 0"),
        ("hidden_units", (64.5,), "Hidden layers must be whole numbers of units, one per layer, "
                                  "e.g. 512, 256. Received: 64.5"),
        ("epochs", 0, "Epochs must be a whole number from 1 to 500. Received: 0"),
        ("epochs", 2.5, "Epochs must be a whole number from 1 to 500. Received: 2.5"),
        ("learning_rate", -1, "Learning rate must be above 0 and at most 1, e.g. 0.002. "
                              "Received: -1"),
        ("learning_rate", 0, "Learning rate must be above 0 and at most 1"),
        ("dropout_rate", 0.95, "Dropout must be from 0 to 0.89 (below 0.9). Received: 0.95"),
        ("dropout_rate", 0.9, "Dropout must be from 0 to 0.89 (below 0.9). Received: 0.9"),
        ("batch_size", 0, "Batch size must be a whole number from 1 to 8,192. Received: 0"),
        ("batch_size", True, "Batch size must be a whole number from 1 to 8,192"),
        ("validation_split", 0.0, "Validation share must be from 0.01 to 0.5 (1% to 50% of the "
                                  "training images). Received: 0"),
        ("validation_split", 0.9, "Validation share must be from 0.01 to 0.5"),
        ("seed", -1, "Seed must be a whole number from 0 to 2,147,483,647. Received: -1"),
        ("augment", "yes", "Distort training images: must be on or off (True or False). "
                           "Received: 'yes'"),
        ("drawn_fraction", 1.0, "Share shown as mouse drawings must be from 0 to 0.9. "
                                "Received: 1"),
        ("max_train_samples", 50, "Training images: 0 or empty for all 60,000, or a whole "
                                  "number from 100 to 60,000. Received: 50"),
        ("max_train_samples", 60_001, "from 100 to 60,000. Received: 60,001"),
        ("include_drawings", 1, "Also train on our saved drawings: must be on or off"),
        ("drawings_weight", 0, "Each drawing must count as a whole number of MNIST images "
                               "from 1 to 1,000. Received: 0"),
        ("drawings_weight", 2.5, "Each drawing must count as a whole number"),
        ("tuned_from", "../shipped", "Tuned from must name a saved run, e.g. shipped or "
                                     "2026-11-21_081502, or be empty for a run trained from "
                                     "scratch. Received: '../shipped'"),
        ("tuned_from", "", "Tuned from must name a saved run"),
        ("tuned_from", ".tmp-1", "Tuned from must name a saved run"),
        ("tuned_from", 5, "Tuned from must name a saved run"),
    ],
)
def test_bad_values_are_refused_with_a_message_naming_the_setting(field, value, expected):
    with pytest.raises(ConfigError) as caught:
        TrainConfig(**{field: value})
    message = caught.value.problems[field]
    assert expected in message
    assert field not in message  # the setting as a person names it, not the field
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("samples", [None, 0])
def test_no_limit_or_zero_training_images_both_mean_all(samples):
    assert config_problems(max_train_samples=samples) == {}
    assert TrainConfig(max_train_samples=samples).max_train_samples is None


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


def test_real_writers_share_is_checked_described_and_sized():
    assert "Share of real writers' digits must be from 0 to 0.5. Received: 0.7" in \
        config_problems(pen_fraction=0.7)["pen_fraction"]
    config = TrainConfig(pen_fraction=0.2)
    assert "20% real writers" in config.describe()
    assert config.pen_images(54_000) == 13_500  # a fifth of the 67,500 fitted
    assert TrainConfig().pen_images(54_000) == 0


def test_which_real_writers_files_a_run_learns_from_is_saved_checked_and_described():
    config = TrainConfig(pen_fraction=0.4, pen_sources=["pendigits", "unipen"])
    assert config.pen_sources == ("pendigits", "unipen")
    assert TrainConfig.from_json(config.to_json()) == config
    assert "40% real writers (pendigits + UNIPEN)" in config.describe()
    # A run saved before UNIPEN was read learnt from pendigits' writers only, and says so.
    older = TrainConfig.from_dict({"pen_fraction": 0.3})
    assert older.pen_sources == ("pendigits",)
    assert "30% real writers (pendigits)" in older.describe()
    for bad, shown in ((["emnist"], "'emnist'"), ([], "none"),
                       (["unipen", "unipen"], "'unipen', 'unipen'")):
        assert config_problems(pen_sources=bad)["pen_sources"] == (
            "Real writers' files must be one or both of pendigits and unipen. Received: "
            + shown)


def test_a_fine_tuned_run_says_what_it_was_tuned_from_and_older_files_say_nothing():
    config = TrainConfig(tuned_from="2026-11-21_081502", include_drawings=True,
                         max_train_samples=6000, epochs=3)
    assert TrainConfig.from_json(config.to_json()) == config
    assert config.to_dict()["tuned_from"] == "2026-11-21_081502"
    text = config.describe()
    assert text.startswith("tuned from 2026-11-21_081502: 784-1024-512-10")
    assert "our drawings x20" in text and "6,000 MNIST digits replayed" in text
    older = config.to_dict()
    del older["tuned_from"]  # a config.json written before fine-tuning existed
    assert TrainConfig.from_dict(older).tuned_from is None
    assert "tuned" not in TrainConfig().describe()
