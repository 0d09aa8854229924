import numpy as np
import pytest

from mnist_core.model import MlpWeights
from mnist_core.runs.evaluate import (
    evaluate_predictions,
    evaluate_weights,
    share_interval,
    writer_interval,
)


def one_hot(digits, confidence=0.91):
    probabilities = np.full((len(digits), 10), (1 - confidence) / 9, dtype=np.float32)
    probabilities[np.arange(len(digits)), digits] = confidence
    return probabilities


def test_known_predictions_give_known_scores():
    labels = np.array([0, 1, 2, 3, 3, 9])
    probabilities = one_hot([0, 1, 2, 3, 5, 4])
    probabilities[5] = one_hot([4], confidence=0.99)[0]
    result = evaluate_predictions(probabilities, labels)
    assert result.accuracy == pytest.approx(4 / 6)
    assert result.confusion[3, 3] == 1 and result.confusion[3, 5] == 1
    assert result.confusion[9, 4] == 1
    assert result.confusion.sum() == 6
    # The most confident mistake comes first.
    assert result.misclassified.tolist() == [5, 4]
    assert result.per_class_accuracy[3] == pytest.approx(0.5)
    assert np.isnan(result.per_class_accuracy[7])  # no 7s at all
    expected_loss = -np.mean(np.log([0.91, 0.91, 0.91, 0.91, 0.01, 0.01 / 9]))
    assert result.loss == pytest.approx(expected_loss, rel=1e-4)


def test_summary_is_json_ready():
    summary = evaluate_predictions(one_hot([1, 2]), np.array([1, 1])).summary()
    assert summary["errors"] == 1 and summary["count"] == 2
    assert summary["per_class_accuracy"][0] is None
    assert summary["confusion"][1][2] == 1


def test_a_certain_mistake_has_finite_loss():
    probabilities = np.zeros((1, 10), np.float32)
    probabilities[0, 3] = 1
    assert np.isfinite(evaluate_predictions(probabilities, np.array([4])).loss)


@pytest.mark.parametrize(
    ("probabilities", "labels", "message"),
    [
        (np.zeros((3, 9)), np.zeros(3), "shape (N, 10)"),
        (np.zeros((3, 10)), np.zeros(4), "labels of shape (3,)"),
        (np.zeros((1, 10)), np.array([10]), "labels in 0-9"),
        (np.zeros((0, 10)), np.zeros(0), "at least one image"),
    ],
)
def test_bad_inputs_are_refused(probabilities, labels, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        evaluate_predictions(probabilities, labels)


def test_weights_are_scored_on_uint8_and_float_images_alike():
    rng = np.random.default_rng(0)
    weights = MlpWeights((rng.normal(size=(784, 10)).astype(np.float32),),
                         (np.zeros(10, np.float32),))
    images = rng.integers(0, 256, (50, 28, 28)).astype(np.uint8)
    labels = rng.integers(0, 10, 50)
    from_uint8 = evaluate_weights(weights, images, labels)
    from_float = evaluate_weights(weights, images / 255.0, labels)
    assert from_uint8.accuracy == from_float.accuracy
    assert from_uint8.predictions.tolist() == from_float.predictions.tolist()


def test_writers_who_all_read_alike_leave_no_doubt_about_the_accuracy():
    writers = np.repeat(np.arange(8), 10)
    right = np.tile([True] * 9 + [False], 8)
    assert writer_interval(right, writers) == pytest.approx((0.9, 0.9))


def test_one_hard_writer_makes_the_figure_far_less_certain_than_its_digit_count_suggests():
    # 8 writers of 250 digits: 7 read perfectly, 1 at 80%, so 97.5% overall. Counting 2,000
    # independent digits would give about +-0.6% at 90%; resampling writers cannot tell
    # whether the next class has no such writer (100%) or two (95%).
    writers = np.repeat(np.arange(8), 250)
    right = np.ones(2000, bool)
    right[writers == 3] = np.arange(250) % 5 != 0
    low, high = writer_interval(right, writers)
    assert right.mean() == pytest.approx(0.975)
    assert low < 0.955 and high == 1.0
    assert writer_interval(right, writers) == (low, high)


@pytest.mark.parametrize(
    ("right", "writers", "options", "message"),
    [
        (np.ones(3, bool), np.zeros(4), {}, "same shape"),
        (np.ones(0, bool), np.zeros(0), {}, "N >= 1"),
        (np.ones(3, bool), np.zeros(3), {"level": 1.0}, "0 < level < 1"),
        (np.ones(3, bool), np.zeros(3), {"draws": 10}, "draws >= 100"),
    ],
)
def test_a_writer_interval_refuses_bad_inputs(right, writers, options, message):
    with pytest.raises(ValueError, match=message):
        writer_interval(right, writers, **options)


@pytest.mark.parametrize(("right", "count"), [(0, 1), (1, 1), (3, 4), (4, 4), (0, 4), (45, 50),
                                              (9_900, 10_000)])
def test_the_share_interval_holds_the_share_and_narrows_with_more_drawings(right, count):
    low, high = share_interval(right, count)
    assert 0 <= low <= right / count <= high <= 1
    more_low, more_high = share_interval(right * 10, count * 10)
    assert more_high - more_low < high - low


def test_four_of_four_is_not_called_certain():
    low, high = share_interval(4, 4)
    assert high == 1 and 0.5 < low < 0.7


@pytest.mark.parametrize(("right", "count", "level"), [(5, 4, 0.9), (-1, 4, 0.9), (1, 0, 0.9),
                                                       (1, 4, 1.0), (1, 4, 0.0)])
def test_impossible_counts_are_refused(right, count, level):
    with pytest.raises(ValueError):
        share_interval(right, count, level=level)
