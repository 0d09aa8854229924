"""Training-time distortions that teach the MLP what people's drawings look like.

One vectorised TensorFlow function distorts a whole batch in a single resampling pass: a random
affine map (rotation, scale, aspect, shear, shift) plus a smooth elastic displacement field
(Simard et al. 2003), followed by a random change of stroke width. It runs inside the tf.data
pipeline, in parallel with the training step.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import tensorflow as tf

__all__ = ["AugmentRanges", "DEFAULT_RANGES", "augment_batch"]

SIZE = 28
CENTRE = (SIZE - 1) / 2  # pixel-centre coordinates: the grid's middle is 13.5


class AugmentRanges(NamedTuple):
    """How strong each distortion can be; each is drawn uniformly per image."""

    rotation_degrees: float = 12.0  # +-
    scale: float = 0.12  # +- relative size
    aspect: float = 0.12  # +- relative width against height
    shear: float = 0.25  # +- horizontal shear (tan of the angle)
    shift_pixels: float = 2.0  # +- in each direction
    elastic_alpha: float = 2.0  # largest elastic displacement, pixels (after smoothing)
    elastic_sigma: float = 3.0  # smoothness: control points every 2 * sigma pixels
    stroke_change: float = 0.8  # +- fraction of one 3x3 dilation (thicker) or erosion (thinner)


DEFAULT_RANGES = AugmentRanges()


def augment_batch(images: tf.Tensor, seed: tf.Tensor,
                  ranges: AugmentRanges = DEFAULT_RANGES) -> tf.Tensor:
    """Distort a batch of digits, each differently.

    Args:
        images: (B, 28, 28) float32 in [0, 1], white digit on black.
        seed: shape (2,) int32 or int64, a stateless random seed; the same seed gives the same
            distortions.
        ranges: the strength of each distortion.
    Returns:
        (B, 28, 28) float32 in [0, 1].
    """
    batch = tf.shape(images)[0]
    seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), num=4)

    def uniform(shape, limit, index):
        return tf.random.stateless_uniform(shape, seeds[index], -limit, limit)

    # Affine map from output pixel to input pixel, about the image centre.
    params = tf.random.stateless_uniform((batch, 6), seeds[0], -1.0, 1.0)
    angle = params[:, 0] * ranges.rotation_degrees * math.pi / 180
    scale = 1 + params[:, 1] * ranges.scale
    aspect = 1 + params[:, 2] * ranges.aspect
    shear = params[:, 3] * ranges.shear
    shift = params[:, 4:6] * ranges.shift_pixels
    # Output = R * Shear * S * input; sample input = inverse applied to output coordinates.
    cos, sin = tf.cos(angle), tf.sin(angle)
    sx, sy = scale * aspect, scale / aspect
    # Forward matrix rows: [a b; c d] = R @ [[1, shear], [0, 1]] @ diag(sx, sy)
    a = cos * sx
    b = (cos * shear - sin) * sy
    c = sin * sx
    d = (sin * shear + cos) * sy
    det = a * d - b * c
    ia, ib, ic, id_ = d / det, -b / det, -c / det, a / det

    coords = tf.range(SIZE, dtype=tf.float32) - CENTRE
    grid_y, grid_x = tf.meshgrid(coords, coords, indexing="ij")  # (28, 28) each
    out_x = grid_x[None] - shift[:, 0, None, None]
    out_y = grid_y[None] - shift[:, 1, None, None]
    src_x = ia[:, None, None] * out_x + ib[:, None, None] * out_y + CENTRE
    src_y = ic[:, None, None] * out_x + id_[:, None, None] * out_y + CENTRE

    # Elastic field: random displacements on a coarse grid of control points, smoothly
    # interpolated (bicubic) to every pixel. As smooth as Simard's Gaussian-filtered noise at
    # a fraction of the cost.
    if ranges.elastic_alpha > 0:
        grid = max(2, round(SIZE / (2 * ranges.elastic_sigma)))
        coarse = tf.random.stateless_uniform((batch, grid, grid, 2), seeds[1], -1.0, 1.0)
        field = tf.image.resize(coarse, (SIZE, SIZE), method="bicubic")
        peak = tf.reduce_max(tf.abs(field), axis=(1, 2, 3), keepdims=True) + 1e-6
        strength = tf.random.stateless_uniform((batch, 1, 1, 1), seeds[2], 0.0, 1.0)
        field = field / peak * strength * ranges.elastic_alpha
        src_x += field[..., 0]
        src_y += field[..., 1]

    warped = _bilinear_sample(images, src_x, src_y)

    # Stroke width: blend towards a 3x3 dilation (thicker) or erosion (thinner).
    if ranges.stroke_change > 0:
        change = uniform((batch, 1, 1), ranges.stroke_change, 3)
        as_4d = warped[..., None]
        dilated = tf.nn.max_pool2d(as_4d, 3, 1, "SAME")[..., 0]
        eroded = -tf.nn.max_pool2d(-as_4d, 3, 1, "SAME")[..., 0]
        target = tf.where(change > 0, dilated, eroded)
        warped = warped + tf.abs(change) * (target - warped)
    return tf.clip_by_value(warped, 0.0, 1.0)


def _bilinear_sample(images: tf.Tensor, x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
    """Sample (B, 28, 28) images at float pixel positions x, y of shape (B, 28, 28); outside
    the image reads as 0 (background)."""
    batch = tf.shape(images)[0]
    padded = tf.pad(images, ((0, 0), (1, 1), (1, 1)))  # a border of background
    width = SIZE + 2
    flat = tf.reshape(padded, (batch, width * width))
    # Shift into padded coordinates and keep the 2x2 neighbourhood inside the padded image.
    x = tf.clip_by_value(x + 1, 0.0, width - 1.001)
    y = tf.clip_by_value(y + 1, 0.0, width - 1.001)
    x0, y0 = tf.floor(x), tf.floor(y)
    fx, fy = x - x0, y - y0
    x0 = tf.cast(x0, tf.int32)
    y0 = tf.cast(y0, tf.int32)

    def gather(yy, xx):
        index = tf.reshape(yy * width + xx, (batch, SIZE * SIZE))
        return tf.reshape(tf.gather(flat, index, batch_dims=1), (batch, SIZE, SIZE))

    top = gather(y0, x0) * (1 - fx) + gather(y0, x0 + 1) * fx
    bottom = gather(y0 + 1, x0) * (1 - fx) + gather(y0 + 1, x0 + 1) * fx
    return top * (1 - fy) + bottom * fy
