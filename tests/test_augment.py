import numpy as np
import pytest
import tensorflow as tf

from mnist_core.data.augment import AugmentRanges, augment_batch
from tests.conftest import synthetic_digits


@pytest.fixture(scope="module")
def batch():
    images, _ = synthetic_digits(64)
    return tf.constant(images.astype(np.float32) / 255.0)


def test_shape_and_range_are_kept(batch):
    out = augment_batch(batch, tf.constant([1, 2])).numpy()
    assert out.shape == (64, 28, 28) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1


def test_same_seed_same_distortion_other_seed_other(batch):
    first = augment_batch(batch, tf.constant([3, 4])).numpy()
    again = augment_batch(batch, tf.constant([3, 4])).numpy()
    other = augment_batch(batch, tf.constant([5, 6])).numpy()
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - other).mean() > 0.01


def test_no_distortion_at_zero_strength_is_the_identity(batch):
    still = AugmentRanges(0, 0, 0, 0, 0, 0, 3.0, 0)
    out = augment_batch(batch, tf.constant([1, 1]), still).numpy()
    np.testing.assert_allclose(out, batch.numpy(), atol=1e-5)


def test_each_image_is_distorted_differently(batch):
    same = tf.repeat(batch[:1], 8, axis=0)
    out = augment_batch(same, tf.constant([7, 8])).numpy()
    assert np.abs(out[0] - out[1]).mean() > 0.005


def test_a_digit_stays_a_digit_near_the_centre():
    image = np.zeros((1, 28, 28), np.float32)
    image[0, 6:22, 12:16] = 1.0  # a "1", centred
    out = augment_batch(tf.constant(np.repeat(image, 32, axis=0)), tf.constant([9, 9])).numpy()
    rows, cols = np.mgrid[:28, :28]
    mass = out.sum(axis=(1, 2))
    centre_row = (out * rows).sum(axis=(1, 2)) / mass
    centre_col = (out * cols).sum(axis=(1, 2)) / mass
    # Shifts are at most 2 px; elastic and rotation about the centre add a little more.
    assert np.all(np.abs(centre_row - 13.5) < 4) and np.all(np.abs(centre_col - 13.5) < 4)
    # Ink is neither lost nor doubled (stroke changes are at most one dilation or erosion).
    assert np.all(mass > 0.3 * image.sum()) and np.all(mass < 2.5 * image.sum())
