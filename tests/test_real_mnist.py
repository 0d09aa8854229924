"""Real MNIST: a short real training run, and the shipped model's measured quality."""

import numpy as np
import pytest

from mnist_core.config import TrainConfig
from mnist_core.data import load_mnist
from mnist_core.evaluate import evaluate_weights
from mnist_core.store import SHIPPED_ID, ModelStore
from mnist_core.workflow import train_and_save


@pytest.mark.slow
def test_a_short_real_training_reaches_a_sensible_accuracy(mnist_dir, tmp_path):
    config = TrainConfig(hidden_units=(128,), epochs=2, batch_size=128, learning_rate=0.002,
                         max_train_samples=12000, seed=3)
    run, result = train_and_save(config, store=ModelStore(tmp_path))
    assert result.status == "completed"
    assert run.metrics["test_count"] == 10000
    assert run.test_accuracy > 0.93  # 12,000 images, 2 epochs: ~95% is typical
    assert run.history[-1]["val_accuracy"] > 0.9


def test_the_shipped_model_scores_what_its_metrics_say(mnist_dir):
    store = ModelStore()
    run = store.get_run(SHIPPED_ID)
    _, (x_test, y_test) = load_mnist()
    accuracy = evaluate_weights(store.load_weights(SHIPPED_ID), x_test, y_test).accuracy
    assert accuracy >= 0.99
    assert accuracy == pytest.approx(run.test_accuracy, abs=1e-9)


def test_the_shipped_model_reads_redrawn_digits(mnist_dir):
    from mnist_core.quality import drawn_accuracy_metrics

    weights = ModelStore().load_weights(SHIPPED_ID)
    assert drawn_accuracy_metrics(weights)["drawn_accuracy"] >= 0.985


def test_the_shipped_model_is_a_few_megabytes():
    path = ModelStore().get_run(SHIPPED_ID).model_path
    assert path.stat().st_size < 6_000_000
    assert np.isfinite(ModelStore().get_run(SHIPPED_ID).test_accuracy)
