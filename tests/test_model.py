import keras
import numpy as np
import pytest

from mnist_core.config import TrainConfig
from mnist_core.errors import ModelLoadError
from mnist_core.model import MlpWeights, build_model, count_macs


def test_factory_builds_the_configured_layers_by_name():
    model = build_model(TrainConfig(hidden_units=(32, 16), dropout_rate=0.1))
    names = [layer.name for layer in model.layers]
    assert names == ["image", "flatten", "hidden_1", "dropout_1", "hidden_2", "dropout_2",
                     "probabilities"]
    assert model.output_shape == (None, 10)
    assert model.input_shape == (None, 28, 28)


def test_no_dropout_layers_when_rate_is_zero():
    model = build_model(TrainConfig(hidden_units=(8,), dropout_rate=0.0))
    assert not any(isinstance(layer, keras.layers.Dropout) for layer in model.layers)


def test_each_call_returns_a_fresh_model():
    config = TrainConfig(hidden_units=(8,))
    assert build_model(config) is not build_model(config)


def test_numpy_forward_pass_matches_keras():
    model = build_model(TrainConfig(hidden_units=(64, 32), dropout_rate=0.5))
    images = np.random.default_rng(0).random((20, 28, 28), dtype=np.float32)
    expected = model(images, training=False).numpy()
    actual = MlpWeights.from_model(model).predict(images)
    np.testing.assert_allclose(actual, expected, atol=1e-5)
    np.testing.assert_allclose(actual.sum(axis=1), 1, atol=1e-5)


@pytest.mark.parametrize("one_blas_thread", [False, True])
@pytest.mark.parametrize("rows", [1, 2, 3, 4, 5])
def test_every_batch_size_reads_the_same_in_every_setting(monkeypatch, rows, one_blas_thread):
    # A drawing, the digits of a number, a batch: each size takes its own product.
    monkeypatch.setattr("mnist_core.model._one_blas_thread", one_blas_thread)
    model = build_model(TrainConfig(hidden_units=(64, 32), dropout_rate=0.5))
    images = np.random.default_rng(rows).random((rows, 28, 28), dtype=np.float32)
    expected = model(images, training=False).numpy()
    np.testing.assert_allclose(MlpWeights.from_model(model).predict(images), expected,
                               atol=1e-5)


def test_hidden_units_are_read_back():
    weights = MlpWeights.from_model(build_model(TrainConfig(hidden_units=(12, 7))))
    assert weights.hidden_units == (12, 7)


def _cnn():
    inputs = keras.Input((28, 28))
    x = keras.layers.Reshape((28, 28, 1))(inputs)
    x = keras.layers.Conv2D(2, 3)(x)
    x = keras.layers.Flatten()(x)
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))


def _five_classes():
    inputs = keras.Input((28, 28))
    x = keras.layers.Flatten()(inputs)
    return keras.Model(inputs, keras.layers.Dense(5, activation="softmax")(x))


def _wrong_input():
    inputs = keras.Input((32, 32))
    x = keras.layers.Flatten()(inputs)
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))


def _sigmoid_hidden():
    inputs = keras.Input((28, 28))
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(8, activation="sigmoid")(x)
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))


@pytest.mark.parametrize(
    ("make", "message"),
    [(_cnn, "Reshape"), (_five_classes, "10 outputs"), (_wrong_input, "28x28"),
     (_sigmoid_hidden, "relu")],
)
def test_models_that_are_not_our_mlp_are_refused(make, message):
    with pytest.raises(ModelLoadError, match=message):
        MlpWeights.from_model(make())


def test_macs_count_every_dense_layer():
    assert count_macs((100,)) == 784 * 100 + 100 * 10


def test_the_server_keeps_numpys_blas_to_one_thread():
    from threadpoolctl import threadpool_info

    from mnist_core.model import use_one_blas_thread

    use_one_blas_thread()
    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas and all(pool["num_threads"] == 1 for pool in blas), blas
