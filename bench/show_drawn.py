"""Render MNIST test digits next to their mouse-style re-drawings, for people to look at.

Each cell shows, left to right: the MNIST digit, its re-drawn 280x280 canvas (over grey, so
white and black ink both show), and that canvas cropped to its ink and shrunk back to 28x28
(a naive INTER_AREA resize of alpha), all enlarged to 140x140. The label is in the corner.

    python bench/show_drawn.py /tmp/drawn_grid.png [--data-dir DIR] [--seed 0] [--count 40]

DIR holds t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (default: $MNIST_DATA_DIR).
Uses only numpy, cv2 and PIL.
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

# Run as a script from anywhere: make the repository's mnist_core importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mnist_core.data.drawn import redraw_digit  # noqa: E402

_CELL = 140  # px per panel
_GAP = 8  # px between cells
_COLUMNS = 4  # cells per row
_BACKGROUND = 128  # grey under the canvas: white and black ink both show


def _read_idx(path: Path, header_bytes: int) -> np.ndarray:
    """The uint8 payload of a gzip IDX file after its header."""
    with gzip.open(path, "rb") as file:
        return np.frombuffer(file.read(), np.uint8, offset=header_bytes)


def _load_test_set(data_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """(10000, 28, 28) uint8 MNIST test images and (10000,) uint8 labels."""
    images = _read_idx(data_dir / "t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    labels = _read_idx(data_dir / "t10k-labels-idx1-ubyte.gz", 8)
    return images, labels


def _over_grey(canvas: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB of an RGBA canvas composited over grey."""
    alpha = canvas[..., 3:].astype(np.float32) / 255
    rgb = canvas[..., :3].astype(np.float32) * alpha + _BACKGROUND * (1 - alpha)
    return rgb.round().astype(np.uint8)


def _back_to_28(canvas: np.ndarray) -> np.ndarray:
    """(28, 28) uint8 alpha of the canvas cropped to its ink's square box and area-resized."""
    alpha = canvas[..., 3]
    rows, cols = np.nonzero(alpha)
    if len(rows) == 0:
        return np.zeros((28, 28), np.uint8)
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    side = max(bottom - top, right - left)
    square = np.zeros((side, side), np.uint8)
    y0, x0 = (side - (bottom - top)) // 2, (side - (right - left)) // 2
    square[y0 : y0 + bottom - top, x0 : x0 + right - left] = alpha[top:bottom, left:right]
    # MNIST fits the digit in 20x20 inside 28x28.
    small = cv2.resize(square, (20, 20), interpolation=cv2.INTER_AREA)
    return np.pad(small, 4)


def _grey_panel(image: np.ndarray) -> np.ndarray:
    """A (28, 28) uint8 image enlarged to a (_CELL, _CELL, 3) RGB panel, pixels kept square."""
    big = cv2.resize(image, (_CELL, _CELL), interpolation=cv2.INTER_NEAREST)
    return np.repeat(big[..., None], 3, axis=2)


def main() -> None:
    """Parse arguments, re-draw the digits and save the grid."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="PNG file to write")
    parser.add_argument("--data-dir", type=Path, default=os.environ.get("MNIST_DATA_DIR"))
    parser.add_argument("--seed", type=int, default=0, help="seed of the re-drawing")
    parser.add_argument("--count", type=int, default=40, help="how many test digits")
    parser.add_argument("--start", type=int, default=0, help="index of the first test digit")
    arguments = parser.parse_args()
    if arguments.data_dir is None:
        parser.error("no MNIST folder: pass --data-dir or set MNIST_DATA_DIR")

    images, labels = _load_test_set(arguments.data_dir)
    chosen = range(arguments.start, arguments.start + arguments.count)
    rng = np.random.default_rng(arguments.seed)
    rows = -(-len(chosen) // _COLUMNS)
    cell_width = 3 * _CELL + _GAP
    grid = np.full((rows * (_CELL + _GAP), _COLUMNS * cell_width, 3), 255, np.uint8)
    for position, index in enumerate(chosen):
        canvas = redraw_digit(images[index], rng)
        panels = [
            _grey_panel(images[index]),
            cv2.resize(_over_grey(canvas), (_CELL, _CELL), interpolation=cv2.INTER_AREA),
            _grey_panel(_back_to_28(canvas)),
        ]
        cell = np.concatenate(panels, axis=1)
        cv2.putText(
            cell,
            str(labels[index]),
            (4, 18),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.6,
            (255, 0, 0),
            2,
            cv2.LINE_AA,
        )
        row, column = divmod(position, _COLUMNS)
        top, left = row * (_CELL + _GAP), column * cell_width
        grid[top : top + _CELL, left : left + 3 * _CELL] = cell
    Image.fromarray(grid).save(arguments.output)
    print(f"wrote {arguments.output}: {len(chosen)} digits, seed {arguments.seed}")


if __name__ == "__main__":
    main()
