"""Real MNIST: a short real training run, and the shipped model's measured quality."""

import numpy as np
import pytest

from mnist_core.config import TrainConfig
from mnist_core.data.mnist import load_mnist
from mnist_core.runs.evaluate import evaluate_weights
from mnist_core.runs.store import SHIPPED_ID, ModelStore
from mnist_core.training.workflow import train_and_save


@pytest.mark.slow
def test_a_short_real_training_reaches_a_sensible_accuracy(mnist_dir, tmp_path):
    config = TrainConfig(hidden_units=(128,), dropout_rate=0.1, epochs=3, batch_size=128,
                         learning_rate=0.002, max_train_samples=12000, seed=3)
    run, result = train_and_save(config, store=ModelStore(tmp_path))
    assert result.status == "completed"
    assert run.metrics["test_count"] == 10000
    assert run.test_accuracy > 0.9  # 12,000 images, 3 epochs (253 steps): 92.6% measured
    assert run.history[-1]["val_accuracy"] > 0.9


def test_the_shipped_model_scores_what_its_metrics_say(mnist_dir):
    store = ModelStore()
    run = store.get_run(SHIPPED_ID)
    _, (x_test, y_test) = load_mnist()
    accuracy = evaluate_weights(store.load_weights(SHIPPED_ID), x_test, y_test).accuracy
    assert accuracy >= 0.99
    assert accuracy == pytest.approx(run.test_accuracy, abs=1e-9)


def test_the_shipped_model_reads_redrawn_digits(mnist_dir):
    from mnist_core.training.quality import drawn_accuracy_metrics

    store = ModelStore()
    recorded = store.get_run(SHIPPED_ID).metrics
    # Measured on all 10,000 re-drawn test digits by `bench/drawn_digits.py --record shipped`.
    # 98.40% for the model shipped 2026-12-07 (98.53% before it, which read real writers worse:
    # 97.79% of the report split against 98.34%); the target is 98.5% (docs/results.md), not
    # met. This guards against a worse model shipping.
    assert recorded["drawn_count"] == 10000 and recorded["drawn_accuracy"] >= 0.983
    # The first 2,000 test digits are the harder ones; re-measure them here: the recorded
    # figure must be this model's, not a stale one.
    assert drawn_accuracy_metrics(store.load_weights(SHIPPED_ID))["drawn_accuracy"] >= 0.975


def test_the_shipped_model_is_a_few_megabytes():
    path = ModelStore().get_run(SHIPPED_ID).model_path
    assert path.stat().st_size < 6_000_000
    assert np.isfinite(ModelStore().get_run(SHIPPED_ID).test_accuracy)
