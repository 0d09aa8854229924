"""mnist_core.inside.explain: the parts add up, the gradients are the network's own, nothing
mutates."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_core.inside import explain as inside
from mnist_core.inside.explain import Breakage, WhatIf
from mnist_core.model import MlpWeights
from mnist_core.runs.store import ModelStore
from tests.conftest import synthetic_digits

ARCHITECTURES = [(64,), (48, 32), (40, 24, 16), (32, 32, 24, 24, 16, 16)]  # 1 to 6 hidden layers


def random_weights(hidden: tuple[int, ...], seed: int = 0, dtype=np.float32) -> MlpWeights:
    """He-initialised weights with small random biases: an untrained but lively MLP."""
    rng = np.random.default_rng(seed)
    sizes = (784, *hidden, 10)
    kernels = tuple((rng.standard_normal((a, b)) * np.sqrt(2 / a)).astype(dtype)
                    for a, b in zip(sizes[:-1], sizes[1:], strict=True))
    biases = tuple((rng.standard_normal(b) * 0.1).astype(dtype) for b in sizes[1:])
    return MlpWeights(kernels, biases)


def a_digit(seed: int = 0) -> np.ndarray:
    """(28, 28) float32 in [0, 1]: a bright bar with some grey around it."""
    images, _ = synthetic_digits(1, seed=seed)
    return images[0].astype(np.float32) / 255


@pytest.fixture(params=ARCHITECTURES, ids=lambda hidden: "-".join(map(str, hidden)))
def weights(request) -> MlpWeights:
    return random_weights(request.param)


def copies(weights: MlpWeights) -> list[np.ndarray]:
    return [array.copy() for array in (*weights.kernels, *weights.biases)]


def unchanged(weights: MlpWeights, before: list[np.ndarray]) -> bool:
    return all(np.array_equal(a, b) for a, b in
               zip((*weights.kernels, *weights.biases), before, strict=True))


# --- forward and explain -------------------------------------------------------------------

def test_forward_matches_predict_and_keeps_every_layer(weights):
    x = a_digit()
    run = inside.forward(weights, x)
    np.testing.assert_allclose(run.probabilities, weights.predict(x[None])[0], atol=1e-6)
    assert [a.shape for a in run.activations] == [(n,) for n in weights.hidden_units]
    for pre, post in zip(run.pre_activations, run.activations, strict=True):
        np.testing.assert_array_equal(post, np.maximum(pre, 0))
    assert len(run.active_shares) == len(weights.hidden_units)
    assert all(0 <= share <= 1 for share in run.active_shares)
    assert run.digit != run.runner_up


def test_contributions_plus_bias_equal_the_logits(weights):
    for seed in range(5):
        x = a_digit(seed)
        explanation = inside.explain(weights, x)
        logits = explanation.forward.logits
        for parts in (explanation.answer, explanation.runner_up):
            assert abs(parts.bias + parts.contributions.sum() - logits[parts.digit]) < 1e-5
            assert abs(sum(parts.groups) - logits[parts.digit]) < 1e-5
            assert parts.logit == pytest.approx(logits[parts.digit], abs=1e-5)
        assert explanation.answer.digit == explanation.forward.digit
        assert explanation.runner_up.digit == explanation.forward.runner_up
        assert explanation.layer == len(weights.hidden_units) - 1


def test_supporters_and_opponents_are_the_largest_parts_in_order(weights):
    parts = inside.explain(weights, a_digit(), top=5).answer
    c = parts.contributions
    assert len(parts.supporters) <= 5 and len(parts.opponents) <= 5
    assert all(c[u] > 0 for u in parts.supporters) and all(c[u] < 0 for u in parts.opponents)
    assert list(c[list(parts.supporters)]) == sorted(c[list(parts.supporters)], reverse=True)
    assert c[list(parts.supporters)].min() >= np.sort(c)[::-1][len(parts.supporters) - 1]
    assert list(c[list(parts.opponents)]) == sorted(c[list(parts.opponents)])


def test_switching_off_units_zeroes_them_and_never_changes_the_weights_given(weights):
    before = copies(weights)
    layer = len(weights.hidden_units) - 1
    off = [(layer, 0), (layer, 3), (0, 1)]
    dimmed = inside.switch_off(weights, off)
    assert unchanged(weights, before)
    run = inside.forward(dimmed, a_digit())
    assert run.activations[layer][[0, 3]].tolist() == [0, 0] and run.activations[0][1] == 0
    assert inside.switch_off(weights, []) is weights
    with pytest.raises(ValueError, match="Expected a unit"):
        inside.switch_off(weights, [(len(weights.hidden_units), 0)])


def test_switching_off_every_supporter_leaves_the_bias_and_the_opponents(weights):
    explanation = inside.explain(weights, a_digit(), top=10_000)
    answer = explanation.answer
    supporters = [(explanation.layer, unit) for unit in answer.supporters]
    after = inside.forward(inside.switch_off(weights, supporters), a_digit())
    # The other units of that layer are untouched: only the supporters' parts are gone.
    assert after.logits[answer.digit] == pytest.approx(
        answer.bias + answer.contributions[list(answer.opponents)].sum(), abs=1e-5)


# --- gradients ------------------------------------------------------------------------------

def finite_differences(function, x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """(28, 28): d function / d pixel by central differences."""
    gradient = np.zeros((28, 28))
    for row in range(28):
        for column in range(28):
            up, down = x.copy(), x.copy()
            up[row, column] += step
            down[row, column] -= step
            gradient[row, column] = (function(up) - function(down)) / (2 * step)
    return gradient


@pytest.mark.parametrize("hidden", ARCHITECTURES)
def test_saliency_equals_finite_differences_and_adds_up(hidden):
    weights = random_weights(hidden, dtype=np.float64)  # float64 so differences are exact
    x = a_digit().astype(np.float64)
    run = inside.forward(weights, x)
    digits = (run.digit, run.runner_up)
    result = inside.saliency(weights, x, digits)
    for index, digit in enumerate(digits):
        expected = finite_differences(lambda image, d=digit: inside.forward(
            weights, image).logits[d], x)
        np.testing.assert_allclose(result.gradients[index], expected, atol=1e-5)
        np.testing.assert_allclose(result.maps[index], expected * x, atol=1e-5)
        assert result.maps[index].sum() + result.bias_parts[index] == pytest.approx(
            run.logits[digit], abs=1e-5)
    np.testing.assert_allclose(result.difference(), result.maps[0] - result.maps[1])
    assert np.all(result.maps[:, x == 0] == 0)


def test_saliency_adds_up_for_the_float32_models_the_app_uses(weights):
    x = a_digit(3)
    run = inside.forward(weights, x)
    result = inside.saliency(weights, x, range(10))
    np.testing.assert_allclose(result.maps.sum(axis=(1, 2)) + result.bias_parts, run.logits,
                               atol=1e-4)


@pytest.mark.parametrize("hidden", ARCHITECTURES)
def test_unit_pictures_are_first_layer_weights_or_the_gradient_of_deeper_units(hidden):
    weights = random_weights(hidden, dtype=np.float64)
    x = a_digit().astype(np.float64)
    pictures = inside.unit_pictures(weights, x, 0, [2, 5])
    np.testing.assert_array_equal(pictures[1], weights.kernels[0][:, 5].reshape(28, 28))
    for layer in range(1, len(hidden)):
        [picture] = inside.unit_pictures(weights, x, layer, [1])
        expected = finite_differences(
            lambda image, k=layer: inside.forward(weights, image).pre_activations[k][1], x)
        np.testing.assert_allclose(picture, expected, atol=1e-5)


def test_the_gallery_shows_the_most_active_first_layer_units_first(weights):
    units, activations, pictures = inside.first_layer_pictures(weights, a_digit(), 6)
    everything = inside.forward(weights, a_digit()).activations[0]
    assert activations.tolist() == sorted(everything, reverse=True)[:6]
    np.testing.assert_array_equal(everything[units], activations)
    assert pictures.shape == (6, 28, 28)


# --- layout and rounding --------------------------------------------------------------------

@pytest.mark.parametrize(("units", "shape"), [(1024, (32, 32)), (512, (16, 32)), (256, (16, 16)),
                                               (128, (8, 16)), (16, (4, 4)), (2, (1, 2)),
                                               (1, (1, 1)), (100, (10, 10)), (300, (17, 18))])
def test_tile_grid_shapes(units, shape):
    grid = inside.tile_grid(np.arange(units))
    assert grid.shape == shape
    assert np.array_equal(grid.ravel()[:units], np.arange(units))
    assert np.isnan(grid.ravel()[units:]).all()


@pytest.mark.parametrize("parts", [[4.568, -0.0096, 10.142, -0.1897], [0.333] * 3,
                                   [1.005, 2.005, -3.001], [0.0]])
def test_rounded_parts_add_up_to_the_rounded_total(parts):
    rounded = inside.add_up_rounded(parts)
    assert round(sum(rounded), 2) == round(sum(parts), 2)
    assert all(abs(a - b) < 0.01 + 1e-9 for a, b in zip(rounded, parts, strict=True))


# --- what if --------------------------------------------------------------------------------

def test_no_changes_give_the_same_input():
    x = a_digit()
    np.testing.assert_array_equal(inside.what_if(x, WhatIf()), x)


def test_shift_moves_the_ink_by_whole_pixels():
    x = np.zeros((28, 28), np.float32)
    x[10:14, 12:15] = 1
    moved = inside.what_if(x, WhatIf(shift_x=5, shift_y=-3))
    np.testing.assert_array_equal(moved[7:11, 17:20], 1)
    assert moved.sum() == x.sum()
    assert inside.what_if(x, WhatIf(shift_x=20)).sum() == 0  # out of the frame: lost


def test_rotating_a_quarter_turn_anticlockwise_and_scaling():
    x = np.zeros((28, 28), np.float32)
    x[13:15, 14:24] = 1  # a bar to the right of the middle
    turned = inside.what_if(x, WhatIf(rotate=90))
    rows, columns = np.nonzero(turned > 0.5)
    assert rows.max() <= 14 and np.ptp(columns) <= 2  # now pointing up
    bigger = inside.what_if(x, WhatIf(scale=1.5))
    assert bigger.sum() > x.sum() * 1.3
    assert turned.min() >= 0 and turned.max() <= 1


def test_thicker_thinner_erase_and_noise():
    x = a_digit()
    thicker, thinner = (inside.what_if(x, WhatIf(thickness=t)) for t in (1, -1))
    assert thicker.sum() > x.sum() > thinner.sum()
    erased = inside.what_if(x, WhatIf(erase=(8, 14)))
    half = inside.ERASE_SIZE // 2
    assert erased[8 - half:8 + half, 14 - half:14 + half].max() == 0
    assert x[8 - half:8 + half, 14 - half:14 + half].max() > 0
    np.testing.assert_array_equal(erased[14:], x[14:])
    noisy = inside.what_if(x, WhatIf(noise=0.3, seed=4))
    np.testing.assert_array_equal(noisy, inside.what_if(x, WhatIf(noise=0.3, seed=4)))
    assert not np.array_equal(noisy, x) and noisy.min() >= 0 and noisy.max() <= 1
    assert noisy.dtype == np.float32


def test_the_shift_curve_at_zero_equals_predict(weights):
    x = a_digit()
    curve = inside.shift_curve(weights, x)
    assert curve.shifts.tolist() == list(range(-8, 9))
    assert curve.probabilities.shape == (17, 10)
    np.testing.assert_allclose(curve.at(0), weights.predict(x[None])[0], atol=1e-6)


def test_the_shift_curve_at_the_shift_chosen_equals_predict_of_the_changed_input(weights):
    x = a_digit()
    changes = WhatIf(shift_x=3, shift_y=-2, rotate=10, scale=0.9, thickness=1, noise=0.1)
    curve = inside.shift_curve(weights, x, changes)
    expected = weights.predict(inside.what_if(x, changes)[None])[0]
    np.testing.assert_allclose(curve.at(3), expected, atol=1e-6)


# --- break it -------------------------------------------------------------------------------

def test_breaking_never_changes_the_weights_given_and_intact_is_the_same(weights):
    before = copies(weights)
    assert inside.break_model(weights, Breakage()) is weights
    broken = inside.break_model(weights, Breakage(units_off=0.5, weight_noise=0.5,
                                                  zero_biases=True, seed=3))
    assert unchanged(weights, before)
    assert all(not bias.any() for bias in broken.biases)
    for layer, count in enumerate(weights.hidden_units):
        off = ~broken.kernels[layer].any(axis=0)
        assert off.sum() == round(0.5 * count)


def test_a_larger_share_switches_off_the_same_units_and_more(weights):
    def off(share):
        broken = inside.break_model(weights, Breakage(units_off=share, seed=1))
        return {(layer, int(unit)) for layer, kernel in enumerate(broken.kernels[:-1])
                for unit in np.flatnonzero(~kernel.any(axis=0))}
    assert off(0.2) < off(0.5) < off(0.9)


def test_break_it_at_zero_equals_the_stored_test_accuracy(tiny_shipped_dir, synthetic_split):
    """The tiny model's metrics.json was measured by Keras on the synthetic test split."""
    store = ModelStore(tiny_shipped_dir.parent / "none", tiny_shipped_dir)
    run = store.get_run("shipped")
    weights = store.load_weights("shipped")
    _, (x_test, y_test) = synthetic_split
    intact = inside.break_model(weights, Breakage(units_off=0, weight_noise=0))
    assert inside.accuracy(intact, x_test, y_test) == pytest.approx(run.test_accuracy, abs=1e-9)


def test_accuracy_takes_uint8_or_float_images(weights):
    images, labels = synthetic_digits(20)
    assert inside.accuracy(weights, images, labels) == inside.accuracy(
        weights, images.astype(np.float32) / 255, labels)
    with pytest.raises(ValueError, match="at least one image"):
        inside.accuracy(weights, images[:0], labels[:0])


def test_a_wrong_input_shape_is_refused(weights):
    with pytest.raises(ValueError, match=r"Expected a \(28, 28\) model input"):
        inside.forward(weights, np.zeros((784,)))


# --- the shipped model on real MNIST -------------------------------------------------------

@pytest.fixture(scope="module")
def shipped():
    return ModelStore().load_weights("shipped")


@pytest.fixture(scope="module")
def real_test_digits(mnist_dir):
    from mnist_core import load_mnist

    _, (x_test, y_test) = load_mnist()
    return x_test, y_test


def test_break_it_at_zero_equals_the_shipped_models_stored_test_accuracy(shipped,
                                                                         real_test_digits):
    run = ModelStore().get_run("shipped")
    x_test, y_test = real_test_digits
    assert inside.accuracy(inside.break_model(shipped, Breakage()), x_test, y_test) == \
        pytest.approx(run.test_accuracy, abs=1e-9)


def test_switching_off_all_supporters_changes_the_answer_on_real_digits(shipped,
                                                                        real_test_digits):
    x_test, _ = real_test_digits
    changed = 0
    for image in x_test[:100]:
        x = image.astype(np.float32) / 255
        explanation = inside.explain(shipped, x, top=10_000)
        supporters = [(explanation.layer, unit) for unit in explanation.answer.supporters]
        changed += inside.forward(inside.switch_off(shipped, supporters), x).digit != \
            explanation.forward.digit
    # 98 of these 100 with the first shipped model, 95 with the one also trained on real
    # writers: the rest keep their answer on the bias and the other digits' opponents.
    assert changed >= 90


def test_moving_a_real_digit_sideways_loses_it(shipped, real_test_digits):
    """What the shift chart shows a class: an MLP has no translation invariance."""
    x_test, y_test = real_test_digits
    at_zero, at_eight = [], []
    for image, label in zip(x_test[:50], y_test[:50], strict=True):
        curve = inside.shift_curve(shipped, image.astype(np.float32) / 255)
        at_zero.append(curve.at(0)[label])
        at_eight.append(min(curve.at(-8)[label], curve.at(8)[label]))
    assert np.mean(at_zero) > 0.95 and np.mean(at_eight) < 0.5


# --- switching supporters off until it changes its mind ------------------------------------

def answer_with_off(weights: MlpWeights, x: np.ndarray, units) -> int:
    return inside.forward(inside.switch_off(weights, units), x).digit


@pytest.mark.parametrize("seed", range(6))
def test_the_count_reported_is_the_first_that_changes_the_answer(weights, seed):
    x = a_digit(seed)
    before = copies(weights)
    change = inside.change_of_mind(weights, x)
    assert unchanged(weights, before)
    explanation = inside.explain(weights, x, top=10_000)
    assert change.digit == change.before == explanation.forward.digit
    assert change.supporters == explanation.answer.supporters  # all of them, strongest first
    assert change.layer == explanation.layer
    if change.count is None:  # then even all of them leave the answer as it was
        assert answer_with_off(weights, x, change.units) == change.before == change.after
        return
    # Checked with the network itself: switched off for real, the answer changes at the
    # count reported, to the digit reported, and at no smaller count.
    assert change.units == tuple((change.layer, u) for u in change.supporters[:change.count])
    assert answer_with_off(weights, x, change.units) == change.after != change.before
    for fewer in range(change.count):
        units = [(change.layer, u) for u in change.supporters[:fewer]]
        assert answer_with_off(weights, x, units) == change.before


def test_the_probabilities_are_the_networks_at_each_step(weights):
    x = a_digit(1)
    change = inside.change_of_mind(weights, x)
    assert change.probabilities.shape == (len(change.supporters) + 1, 10)
    for step in (0, len(change.supporters) // 2, len(change.supporters)):
        units = [(change.layer, u) for u in change.supporters[:step]]
        np.testing.assert_allclose(change.probabilities[step],
                                   inside.forward(inside.switch_off(weights, units), x)
                                   .probabilities, atol=1e-9)


def test_the_runner_up_variant_switches_off_the_runner_ups_supporters(weights):
    x = a_digit(2)
    explanation = inside.explain(weights, x, top=10_000)
    runner_up = explanation.runner_up
    change = inside.change_of_mind(weights, x, runner_up.digit)
    assert change.digit == runner_up.digit and change.before == explanation.forward.digit
    assert change.supporters == runner_up.supporters
    assert set(change.supporters).isdisjoint(
        np.flatnonzero(runner_up.contributions <= 0).tolist())
    # Off for real, they take exactly their parts out of the runner-up's score.
    units = [(change.layer, u) for u in change.supporters]
    after = inside.forward(inside.switch_off(weights, units), x)
    assert after.logits[runner_up.digit] == pytest.approx(
        runner_up.logit - runner_up.contributions[list(change.supporters)].sum(), abs=1e-5)


def test_when_no_count_changes_the_answer_it_says_so():
    weights = random_weights((24, 16), seed=3)
    x = a_digit()
    digit = inside.forward(weights, x).digit
    # A bias so large that the answer stands on it alone, every supporter off or not.
    biases = list(weights.biases)
    biases[-1] = biases[-1].copy()
    biases[-1][digit] += 1000
    sure = MlpWeights(weights.kernels, tuple(biases))
    for whose in (None, inside.forward(sure, x).runner_up):
        change = inside.change_of_mind(sure, x, whose)
        assert change.count is None and not change.changed
        assert change.after == change.before == digit
        assert len(change.units) == len(change.supporters) > 0  # all of them were tried
        assert answer_with_off(sure, x, change.units) == digit


def test_a_runner_up_whose_supporters_also_hold_up_the_answer_can_change_it():
    """Units are shared: switching off the runner-up's supporters can topple the answer too,
    when they support both. Built by hand: 2 is the answer, 5 the runner-up, and the units
    that support 5 carry 2 as well."""
    kernels = [np.zeros((784, 4), np.float32), np.zeros((4, 10), np.float32)]
    kernels[0][:, :] = 0.01  # every unit on, each with activation 0.01 x the ink
    biases = [np.zeros(4, np.float32), np.zeros(10, np.float32)]
    kernels[1][:, 2] = [3, 3, 0, 0]  # 2: held up by units 0 and 1
    kernels[1][:, 5] = [2, 2.5, 0, 0]  # 5: by the same units, a little less
    kernels[1][:, 7] = [0, 0, 1, 1]  # 7: by units 2 and 3 alone
    weights = MlpWeights(tuple(kernels), tuple(biases))
    x = np.ones((28, 28), np.float32)
    run = inside.forward(weights, x)
    assert (run.digit, run.runner_up) == (2, 5)
    change = inside.change_of_mind(weights, x, 5)
    assert change.supporters == (1, 0)  # 5's strongest supporter first
    assert change.count == 2 and change.after == 7
    assert answer_with_off(weights, x, change.units) == 7


def test_a_digit_outside_0_to_9_is_refused(weights):
    with pytest.raises(ValueError, match="Expected a digit 0-9"):
        inside.change_of_mind(weights, a_digit(), 10)
