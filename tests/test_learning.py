"""The MLP learning in plain numpy (mnist_core.learning): its gradients against finite
differences and against Keras, its optimizer steps against the arithmetic and Keras' Adam,
divergence named, and a fresh network that learns."""

import numpy as np
import pytest

from mnist_core.learning import MlpLearner

SIZES = (7, 5, 4, 3)  # small enough to check every weight by finite differences


def tiny(dropout: float = 0.0, optimizer: str = "adam"
         ) -> tuple[MlpLearner, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    learner = MlpLearner.fresh(SIZES, rng, dropout=dropout, optimizer=optimizer)
    learner.kernels = [k.astype(np.float64) for k in learner.kernels]
    learner.biases = [rng.normal(0, 0.1, b.shape) for b in learner.biases]
    images = rng.random((6, 7))
    labels = np.array([0, 1, 2, 0, 1, 2])
    return learner, images, labels


@pytest.mark.parametrize("dropout", [0.0, 0.4])
def test_every_gradient_matches_finite_differences(dropout):
    learner, images, labels = tiny(dropout)

    def loss() -> float:  # the same dropout masks every time: the same seed
        return learner.gradients(images, labels, np.random.default_rng(3) if dropout else None)[0]

    _, _, grads = learner.gradients(images, labels, np.random.default_rng(3) if dropout else None)
    for params, analytic in ((learner.kernels, grads.kernels), (learner.biases, grads.biases)):
        for param, gradient in zip(params, analytic, strict=True):
            numeric = np.zeros_like(param)
            for index in np.ndindex(param.shape):
                kept = param[index]
                param[index] = kept + 1e-6
                up = loss()
                param[index] = kept - 1e-6
                down = loss()
                param[index] = kept
                numeric[index] = (up - down) / 2e-6
            np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-8)


def keras_twin(learner: MlpLearner):
    from mnist_core.config import TrainConfig
    from mnist_core.model import build_model

    model = build_model(TrainConfig(hidden_units=tuple(k.shape[1] for k in learner.kernels[:-1]),
                                    dropout_rate=0.0))
    model.set_weights([array for pair in zip(learner.kernels, learner.biases, strict=True)
                       for array in pair])
    return model


def mnist_like_batch(count: int = 32):
    rng = np.random.default_rng(1)
    return rng.random((count, 28, 28), dtype=np.float32), rng.integers(0, 10, count)


def test_the_loss_and_gradients_are_keras_own_on_the_same_weights_and_batch():
    import tensorflow as tf

    learner = MlpLearner.fresh((784, 32, 16, 10), np.random.default_rng(2))
    images, labels = mnist_like_batch()
    model = keras_twin(learner)
    with tf.GradientTape() as tape:
        probabilities = model(images, training=False)
        loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(labels,
                                                                              probabilities))
    expected = tape.gradient(loss, model.trainable_weights)
    ours, our_probabilities, grads = learner.gradients(images, labels)
    assert ours == pytest.approx(float(loss), rel=1e-5)
    np.testing.assert_allclose(our_probabilities, probabilities.numpy(), atol=1e-6)
    for theirs, mine in zip(expected, [a for pair in zip(grads.kernels, grads.biases,
                                                          strict=True) for a in pair],
                            strict=True):
        np.testing.assert_allclose(mine, theirs.numpy(), rtol=1e-3, atol=1e-6)


def test_an_sgd_step_moves_each_weight_by_the_rate_times_its_gradient():
    learner, images, labels = tiny(optimizer="sgd")
    before = [k.copy() for k in learner.kernels] + [b.copy() for b in learner.biases]
    _, _, grads = learner.gradients(images, labels)
    result = learner.step(images, labels, learning_rate=0.5)
    after = learner.kernels + learner.biases
    for old, new, gradient in zip(before, after, grads.kernels + grads.biases, strict=True):
        np.testing.assert_allclose(new, old - 0.5 * gradient, rtol=1e-12)
    assert result.finite and learner.steps == 1


def test_adam_steps_are_keras_adam_steps():
    import keras
    import tensorflow as tf

    learner = MlpLearner.fresh((784, 32, 10), np.random.default_rng(4))
    model = keras_twin(learner)
    optimizer = keras.optimizers.Adam(0.01)
    images, labels = mnist_like_batch()
    for _ in range(3):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(
                labels, model(images, training=False)))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_weights),
                                      model.trainable_weights, strict=True))
        learner.step(images, labels, learning_rate=0.01)
    for theirs, mine in zip(model.get_weights(), [a for pair in zip(
            learner.kernels, learner.biases, strict=True) for a in pair], strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-5)


def test_a_learning_rate_so_large_it_diverges_is_caught():
    learner = MlpLearner.fresh((784, 32, 10), np.random.default_rng(5), optimizer="sgd")
    images, labels = mnist_like_batch()
    results = [learner.step(images, labels, learning_rate=1e6) for _ in range(20)]
    assert not results[0].diverged and results[-1].diverged
    calm = MlpLearner.fresh((784, 32, 10), np.random.default_rng(5), optimizer="sgd")
    assert not any(calm.step(images, labels, learning_rate=0.1).diverged for _ in range(20))


def test_weights_all_starting_at_zero_make_every_hidden_unit_learn_the_same_thing():
    learner = MlpLearner.fresh((784, 8, 10), np.random.default_rng(6), zeros=True)
    images, labels = mnist_like_batch()
    for _ in range(5):
        learner.step(images, labels, learning_rate=0.01)
    first = learner.kernels[0]
    assert np.allclose(first, first[:, :1])  # every unit's 784 weights alike


def test_a_fresh_network_learns_digits_and_reads_with_the_apps_arithmetic(synthetic_split):
    (x_train, y_train), (x_test, y_test) = synthetic_split
    rng = np.random.default_rng(7)
    learner = MlpLearner.fresh((784, 32, 10), rng, dropout=0.1)
    x = x_train.astype(np.float32) / 255
    before = np.mean(learner.weights.predict(x_test / 255).argmax(axis=1) == y_test)
    for _ in range(15):
        order = rng.permutation(len(x))
        for start in range(0, len(x), 32):
            batch = order[start:start + 32]
            learner.step(x[batch], y_train[batch], learning_rate=0.003, rng=rng)
    after = np.mean(learner.weights.predict(x_test / 255).argmax(axis=1) == y_test)
    assert before < 0.3 and after > 0.9, (before, after)


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="at least an input and an output"):
        MlpLearner.fresh((784,), np.random.default_rng(0))
    with pytest.raises(ValueError, match="dropout rate"):
        MlpLearner.fresh((784, 10), np.random.default_rng(0), dropout=1.0)
    learner = MlpLearner.fresh((784, 8, 10), np.random.default_rng(0), dropout=0.2)
    with pytest.raises(ValueError, match="random generator"):
        learner.step(*mnist_like_batch(), learning_rate=0.1)


def test_adam_on_big_weights_in_slices_on_every_core_is_the_same_update(monkeypatch):
    from mnist_core import learning

    images, labels = mnist_like_batch()
    whole, sliced = (MlpLearner.fresh((784, 32, 10), np.random.default_rng(8)) for _ in "ab")
    monkeypatch.setattr(learning.os, "cpu_count", lambda: 2)
    for _ in range(3):
        whole.step(images, labels, learning_rate=0.01)
    monkeypatch.setattr(learning, "_SPLIT_SIZE", 100)  # every array here is cut in two
    assert len(learning._slices(*[sliced.kernels[0]] * 4)) == 2
    for _ in range(3):
        sliced.step(images, labels, learning_rate=0.01)
    for a, b in zip(whole.kernels + whole.biases, sliced.kernels + sliced.biases, strict=True):
        np.testing.assert_array_equal(a, b)
