"""Re-draw MNIST digits the way a person draws them with a mouse on the app's canvas.

The app's canvas (streamlit-drawable-canvas, freedraw mode, 280x280) returns an RGBA uint8
image: a transparent background (all four channels 0) and strokes of one colour, alpha 255
inside a stroke and anti-aliased at its edges. Mouse strokes are smooth polylines drawn with a
round brush of one width and no pressure. MNIST digits are scanned pen strokes instead: thick,
blurred and of varying width. To measure whether a model reads mouse drawings, this module
turns each MNIST test digit back into pen paths and renders them like the canvas would:

    strokes_from_digit   (28, 28) MNIST digit -> list of polylines in 28x28 pixel coordinates
    render_strokes       polylines -> (280, 280, 4) canvas image, at a given size, place, slant
    redraw_digit         both, with random size, place, slant, brush width, colour, tremor
    redraw_digits        (N, 28, 28) -> (N, 280, 280, 4), deterministic for a seed
    iter_redrawn         the same sequence one canvas at a time (10,000 canvases are 3 GB)
    sketch               hand-made strokes of a 0, 1 or 7, for tests that need a known drawing

A stroke ("polyline") is an (N, 2) float32 array of (x, y) points, x to the right and y down,
in the 28x28 pixel frame (pixel centres at integers 0..27). N >= 1; a stroke of one point is a
dot; a closed loop repeats its first point at the end.

How strokes are recovered: upsample 4x (cubic), threshold at half ink (pieces that fainter ink
links are joined by its skeleton: a light touch of the pen), give the ink exactly the
holes of the digit's loops (cut out darker dips inside fat strokes, close faint rims, fill specks:
a fat 8 whose loops are only grey must stay an 8), thin to a one-pixel skeleton (Zhang-Suen,
vectorised with a lookup table), trace the skeleton graph into branches, drop short spurs that
stay inside the ink of their junction (keeping tips that reach out of it, like the arm of a 4),
merge junctions that lie within a stroke width of each other, join branches that continue
straight through a junction (so an "X" is two strokes and an "8" one
loop), then smooth and simplify each path.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import cv2
import numpy as np

__all__ = [
    "CANVAS_SIZE",
    "iter_redrawn",
    "redraw_digit",
    "redraw_digits",
    "render_strokes",
    "sketch",
    "strokes_from_digit",
]

CANVAS_SIZE = 280
"""Side of the app's drawing canvas in px."""

_DIGIT_SIZE = 28
_UPSAMPLE = 4  # skeletons are traced on a 112x112 image: 1 px there = 0.25 px in MNIST
_INK_THRESHOLD = 128  # half ink: where the edge of an MNIST stroke is
# A quarter ink: a pen touching lightly. Pieces of half ink joined by ink this bright are one
# stroke (a 9 whose loop fades between two strokes, a 7 whose stem thins out).
_FAINT_THRESHOLD = 64
_PIECE_MIN_AREA = 16  # px at 112x112 (1 px in MNIST): a smaller piece of ink is not joined
_HOLE_DEPTH = 64  # grey levels a hole must lie below the ink around it to be a loop's hole
_HOLE_MIN_AREA = 8  # px at 112x112 (0.5 px in MNIST): a darker dip smaller than this is noise
# px at 112x112 (1 px in MNIST): a hole of the half-ink mask with a circle this wide inside is a
# loop even when its rim is not _HOLE_DEPTH brighter than it (a 9 whose loop closes through a
# faint pixel); a narrower one is a speck where strokes cross.
_SPECK_RADIUS = 4.0
_SPUR_A, _SPUR_B = 1.0, 2.0
# A short branch to a junction is still a stroke of the digit (the arm of a 4 past its stem, a
# serif, the middle cusp of a 3) when its ink reaches this many half stroke widths beyond the
# junction's ink; side bumps of thinning reach less (measured on MNIST: bumps 0.5-0.75, tips
# mostly above 0.75).
_SPUR_REACH = 0.75
_SHIFT = 4  # cv2 fixed-point bits: coordinates are drawn to 1/16 px
_AA_WIDENING = 1.4  # px that cv2's LINE_AA adds to the width of thick lines and discs
_INK_COLOURS = ((255, 255, 255), (0, 0, 0))

# Ranges a person plausibly uses on the canvas (redraw_digit).
_HEIGHT_RANGE = (90, 250)  # digit height in px
_BRUSH_RANGE = (8, 36)  # streamlit-drawable-canvas stroke widths in px
_SLANT_RANGE = (-15.0, 15.0)  # degrees, positive leans right
_JITTER_RANGE = (0.0, 1.5)  # hand tremor in px (std)
_MIN_HEIGHT_PER_BRUSH = 5.0  # px of height per px of brush: thicker and loops fill in
_MARGIN = 4  # px kept free between the ink and the canvas border
# A person keeps a loop's hole (and a gap between strokes) open: the clear space left by the
# brush must be at least half a brush width (less reads as a blob or a pinhole, and hand
# tremor closes it) and at least 1/20 of the digit's height, which is 1 px once the app's
# preprocess fits the digit into 20x20 (narrower and it is gone at 28x28).
_CLEAR_PER_BRUSH = 0.5
_CLEAR_PER_HEIGHT = 1 / 20
# Below this pen width (as a share of the path height) the strokes' own topology is read: thin
# enough for every loop of the digit to be open (an MNIST pen is 2.5/20 = 0.125), thick enough
# to close the slivers that smoothing leaves where strokes meet at a junction.
_REFERENCE_PEN = 0.06
_TOPOLOGY_GRID = 128  # px across the larger side of the paths when the topology is checked

# Neighbour offsets (dy, dx) in Zhang-Suen order P2..P9: N, NE, E, SE, S, SW, W, NW. Bit k of a
# pixel's neighbour code is set when neighbour k is ink.
_OFFSETS = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))
_CODE_KERNEL = np.zeros((3, 3), np.float32)  # weight 2**k at neighbour k, for cv2.filter2D
_CODE_KERNEL[tuple(np.array(_OFFSETS).T + 1)] = 2.0 ** np.arange(8)
_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
# How far from a hole its rim is looked for: 3 px in MNIST, a stroke width and a half.
_RIM_KERNEL = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (25, 25))


def _zhang_suen_tables() -> tuple[np.ndarray, np.ndarray]:
    """Which neighbour codes (0..255) let a pixel be deleted in Zhang-Suen pass 1 and pass 2."""
    codes = np.arange(256)
    bits = (codes[:, None] >> np.arange(8)) & 1  # (256, 8): P2..P9
    count = bits.sum(axis=1)
    transitions = ((bits == 0) & (np.roll(bits, -1, axis=1) == 1)).sum(axis=1)
    p2, _, p4, _, p6, _, p8, _ = bits.T
    base = (count >= 2) & (count <= 6) & (transitions == 1)
    first = base & (p2 * p4 * p6 == 0) & (p4 * p6 * p8 == 0)
    second = base & (p2 * p4 * p8 == 0) & (p2 * p6 * p8 == 0)
    return first, second


_ZS_FIRST, _ZS_SECOND = _zhang_suen_tables()


def _neighbour_codes(mask: np.ndarray) -> np.ndarray:
    """(H, W) uint8 code of each pixel's 8 neighbours in a 0/1 (H, W) uint8 mask."""
    # One correlation with powers of two; the largest sum is 255, so uint8 is exact.
    return cv2.filter2D(mask, -1, _CODE_KERNEL, borderType=cv2.BORDER_CONSTANT)


def _thin(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a 0/1 (H, W) uint8 mask to a one-pixel-wide 0/1 skeleton."""
    skeleton = mask.copy()
    while True:
        changed = False
        for table in (_ZS_FIRST, _ZS_SECOND):
            delete = table[_neighbour_codes(skeleton)] & (skeleton == 1)
            if delete.any():
                skeleton[delete] = 0
                changed = True
        if not changed:
            return skeleton


def _enclosing_level(image: np.ndarray) -> np.ndarray:
    """The grey level of the ink that encloses each pixel, (H, W) uint8 like image.

    Greyscale hole filling (morphological reconstruction by erosion from the border): a pixel's
    level is the highest threshold at which ink at least that bright still cuts it off from the
    border (or its own value, if higher). Level minus value is how deep a pixel lies in a hole:
    0 outside the digit; inside a loop, the darkest point of its rim minus the pixel's value,
    even when a fat pen left the loop only a darker grey and not black.

    Args:
        image: (H, W) uint8 whose border pixels are background (0).
    """
    level = np.full_like(image, 255)
    level[[0, -1], :] = image[[0, -1], :]
    level[:, [0, -1]] = image[:, [0, -1]]
    while True:
        # The cross keeps the background 4-connected: a loop closed only through a diagonal
        # step of ink (8-connected, as the skeleton counts it) is still closed.
        eroded = np.maximum(cv2.erode(level, _CROSS), image)
        if np.array_equal(eroded, level):
            return level
        level = eroded


def _open_holes(mask: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Give a 0/1 uint8 ink mask exactly the holes of the digit's loops.

    A dip at least _HOLE_DEPTH grey levels below the ink around it and _HOLE_MIN_AREA px large
    is a loop's hole: it is cut out of the mask even inside solid ink (a fat pen fills the
    loops of an 8 with grey), and its rim is closed where it is fainter than the ink threshold
    (a loop drawn with a light touch). A hole of the mask with no such dip is filled if it is
    narrow (a speck where strokes cross) and kept if it is wide (a loop closed through a faint
    pixel, so its grey rim is not _HOLE_DEPTH above it).

    Args:
        mask: (H, W) 0/1 uint8 ink.
        image: (H, W) uint8 grey levels the mask was thresholded from, border pixels 0.
    """
    level = _enclosing_level(image)
    dips = (level.astype(np.int16) - image >= _HOLE_DEPTH).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(dips, connectivity=4)
    mask = mask.copy()
    for label in range(1, count):
        inside = labels == label
        if stats[label, cv2.CC_STAT_AREA] < _HOLE_MIN_AREA:
            dips[inside] = 0
            continue
        # Ink at least as bright as the rim's darkest point encloses the dip; add the part of
        # it near the dip to the mask, which closes a faint rim (and changes nothing else).
        rim_level = int(level[inside].min())
        if rim_level < _INK_THRESHOLD:
            near = cv2.dilate(inside.astype(np.uint8), _RIM_KERNEL) > 0
            mask[near & (image >= rim_level)] = 1
    mask &= 1 - dips
    contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    if hierarchy is None:
        return mask
    specks = []
    for contour, (_, _, _, parent) in zip(contours, hierarchy[0], strict=True):
        if parent < 0:
            continue
        x, y, width, height = cv2.boundingRect(contour)
        if not dips[y : y + height, x : x + width].any() and _is_speck(contour, mask):
            specks.append(contour)
    if specks:
        cv2.drawContours(mask, specks, -1, 1, thickness=cv2.FILLED)
    return mask


def _join_faint(mask: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Join pieces of a 0/1 uint8 ink mask that fainter ink connects, as one stroke.

    The pen drew on where its ink fell below half (a light touch): where ink of at least
    _FAINT_THRESHOLD links two or more pieces of the mask, the skeleton of that faint ink (one
    px wide, so the strokes' width and holes barely change) is added to the mask.

    Args:
        mask: (H, W) 0/1 uint8 ink at half ink.
        image: (H, W) uint8 grey levels the mask was thresholded from.
    Returns: (H, W) 0/1 uint8, the mask with its faint links.
    """
    piece_count, pieces, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if piece_count <= 2:
        return mask  # one piece of ink (or none): nothing to join
    faint = (image >= _FAINT_THRESHOLD).astype(np.uint8)
    count, labels = cv2.connectedComponents(faint, connectivity=8)
    big = stats[:, cv2.CC_STAT_AREA] >= _PIECE_MIN_AREA
    big[0] = False  # the background
    joined = mask.copy()
    for label in range(1, count):
        inside = labels == label
        if np.count_nonzero(big[np.unique(pieces[inside])]) >= 2:
            joined |= _thin(inside.astype(np.uint8))
    return joined


def _is_speck(contour: np.ndarray, mask: np.ndarray) -> bool:
    """True if the hole of a 0/1 uint8 mask inside `contour` (an inner contour from
    cv2.findContours, RETR_CCOMP) is narrower than a loop: its largest inscribed circle has a
    radius under _SPECK_RADIUS px."""
    x, y, width, height = cv2.boundingRect(contour)
    region = np.zeros((height, width), np.uint8)
    cv2.drawContours(region, [contour], -1, 1, cv2.FILLED, offset=(-x, -y))
    # The contour runs along the ink round the hole; the hole is what it encloses minus ink.
    hole = np.pad(region & (1 - mask[y : y + height, x : x + width]), 1)
    return float(cv2.distanceTransform(hole, cv2.DIST_L2, 3).max()) < _SPECK_RADIUS


def _skeleton_graph(skeleton: np.ndarray) -> tuple[np.ndarray, list[list[int]]]:
    """Pixels of a skeleton and each one's neighbours.

    A diagonal neighbour is dropped when the two pixels already touch through a shared
    4-neighbour, so a staircase is a chain and not a row of triangles (false junctions).

    Returns: (P, 2) int array of (y, x) pixels and, per pixel, the indices of its neighbours.
    """
    code = _neighbour_codes(skeleton).astype(np.int32)
    for diagonal, (side_a, side_b) in ((1, (0, 2)), (3, (2, 4)), (5, (4, 6)), (7, (6, 0))):
        redundant = ((code >> side_a) & 1) | ((code >> side_b) & 1)
        code &= ~(redundant << diagonal)
    pixels = np.argwhere(skeleton)
    index = np.full(skeleton.shape, -1, np.int64)
    index[pixels[:, 0], pixels[:, 1]] = np.arange(len(pixels))
    neighbours = []
    for y, x in pixels:
        pixel_code = code[y, x]
        neighbours.append(
            [
                int(index[y + dy, x + dx])
                for bit, (dy, dx) in enumerate(_OFFSETS)
                if pixel_code >> bit & 1
            ]
        )
    return pixels, neighbours


def _trace_branches(
    neighbours: list[list[int]],
) -> tuple[list[tuple[int, int, list[int]]], list[list[int]]]:
    """Split a skeleton graph into branches between nodes, and node-free loops.

    A node is a pixel with other than two neighbours (an end, a junction or a lone dot).

    Returns: branches as (start node, end node, pixel indices from start to end), and loops as
    pixel indices (first pixel not repeated).
    """
    degree = [len(n) for n in neighbours]
    visited_edges: set[tuple[int, int]] = set()
    branches: list[tuple[int, int, list[int]]] = []
    on_branch = [False] * len(neighbours)
    for node, node_degree in enumerate(degree):
        if node_degree == 2:
            continue
        on_branch[node] = True
        if node_degree == 0:
            branches.append((node, node, [node]))
        for first in neighbours[node]:
            if (min(node, first), max(node, first)) in visited_edges:
                continue
            path = [node]
            previous, current = node, first
            visited_edges.add((min(previous, current), max(previous, current)))
            while True:
                path.append(current)
                on_branch[current] = True
                if degree[current] != 2:
                    break
                a, b = neighbours[current]
                following = b if a == previous else a
                edge = (min(current, following), max(current, following))
                if edge in visited_edges:  # a loop closing back on its own start
                    break
                visited_edges.add(edge)
                previous, current = current, following
            branches.append((node, path[-1], path))
    loops = []
    for start in range(len(neighbours)):
        if on_branch[start]:
            continue
        loop = [start]
        on_branch[start] = True
        previous, current = start, neighbours[start][0]
        while current != start:
            loop.append(current)
            on_branch[current] = True
            a, b = neighbours[current]
            previous, current = current, (b if a == previous else a)
        loops.append(loop)
    return branches, loops


def _path_length(points: np.ndarray) -> float:
    """Length of an (N, 2) polyline in its own units."""
    return float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum()) if len(points) > 1 else 0.0


def _direction_from(points: np.ndarray, reach: float) -> np.ndarray:
    """Unit vector from points[0] towards the first point at least `reach` away (or the last)."""
    offsets = points - points[0]
    distances = np.linalg.norm(offsets, axis=1)
    far = np.nonzero(distances >= reach)[0]
    vector = offsets[far[0]] if len(far) else offsets[-1]
    norm = np.linalg.norm(vector)
    return vector / norm if norm > 0 else vector


def _smooth_path(points: np.ndarray, closed: bool, window: int = 5) -> np.ndarray:
    """Moving average of an (N, 2) float path; the ends of an open path stay put."""
    if len(points) < window:
        return points
    kernel = np.ones(window) / window
    half = window // 2
    if closed:
        padded = np.concatenate([points[-half:], points, points[:half]])
    else:
        # Reflecting through the end points keeps them fixed and the path straight there.
        padded = np.concatenate(
            [
                2 * points[0] - points[half:0:-1],
                points,
                2 * points[-1] - points[-2 : -half - 2 : -1],
            ]
        )
    return np.stack(
        [np.convolve(padded[:, 0], kernel, "valid"), np.convolve(padded[:, 1], kernel, "valid")],
        axis=1,
    )


def _chaikin(points: np.ndarray, closed: bool, iterations: int = 2) -> np.ndarray:
    """Round the corners of an (N, 2) polyline by corner cutting; open ends stay put."""
    for _ in range(iterations):
        if len(points) < 3:
            return points
        ring = np.concatenate([points, points[:1]]) if closed else points
        start, end = ring[:-1], ring[1:]
        cut = np.empty((2 * len(start), 2))
        cut[0::2] = 0.75 * start + 0.25 * end
        cut[1::2] = 0.25 * start + 0.75 * end
        points = cut if closed else np.concatenate([points[:1], cut[1:-1], points[-1:]])
    return points


def _finish_stroke(points: np.ndarray, closed: bool) -> np.ndarray:
    """Smooth, simplify and round a traced (N, 2) path at 112x112 scale; return it in 28x28."""
    if len(points) > 1:
        points = _smooth_path(points, closed)
        # approxPolyDP keeps the shape within 0.75 px at 112x112 (0.2 px in MNIST).
        simple = cv2.approxPolyDP(points.astype(np.float32).reshape(-1, 1, 2), 0.75, closed)
        points = _chaikin(simple.reshape(-1, 2).astype(np.float64), closed)
        if closed:
            points = np.concatenate([points, points[:1]])
    # Pixel centres: pixel i of the 4x image is centred at (i + 0.5) / 4 - 0.5 in MNIST pixels.
    return ((points + 0.5) / _UPSAMPLE - 0.5).astype(np.float32)


def _check_digit(image: np.ndarray) -> None:
    """Raise ValueError unless image is a (28, 28) uint8 array."""
    image = np.asarray(image)
    if image.shape != (_DIGIT_SIZE, _DIGIT_SIZE) or image.dtype != np.uint8:
        raise ValueError(
            f"Expected a (28, 28) uint8 image. Received: shape={image.shape}, dtype={image.dtype}"
        )


def strokes_from_digit(image: np.ndarray) -> list[np.ndarray]:
    """Recover the pen paths of one MNIST digit.

    Args:
        image: (28, 28) uint8 in [0, 255], white ink (255) on black (0), as in MNIST.

    Returns:
        A list of strokes, each an (N, 2) float32 array of (x, y) points in the 28x28 pixel
        frame (x right, y down, pixel centres at 0..27); a closed loop repeats its first point.
        Every connected piece of ink (pixels >= 128) is covered by some stroke; a blank image
        gives an empty list. Drawn with a round brush about as wide as the digit's strokes
        (2-3 px), the strokes cover the digit's ink. Each loop of the digit (a region at least
        64 grey levels darker than the ink around it, even a grey dip inside a fat stroke) is a
        loop of the strokes, however small; no other loops are made.

    Raises:
        ValueError: if image is not a (28, 28) uint8 array.
    """
    _check_digit(image)
    image = np.asarray(image)
    ink_rows, ink_cols = np.nonzero(image >= _INK_THRESHOLD)
    if len(ink_rows) == 0:
        return []
    # Work on the ink's bounding box (plus a blank border for the cubic kernel): 4x faster.
    top, left = max(ink_rows.min() - 2, 0), max(ink_cols.min() - 2, 0)
    bottom = min(ink_rows.max() + 3, _DIGIT_SIZE)
    right = min(ink_cols.max() + 3, _DIGIT_SIZE)
    crop = image[top:bottom, left:right]
    size = (crop.shape[1] * _UPSAMPLE, crop.shape[0] * _UPSAMPLE)
    upsampled = cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC)
    smooth = upsampled >= _INK_THRESHOLD
    # Cubic interpolation can dim a lone pixel below threshold; OR-ing in the blocky upsample
    # keeps every piece of ink the digit has.
    blocky = cv2.resize(crop, size, interpolation=cv2.INTER_NEAREST) >= _INK_THRESHOLD
    mask = _join_faint((smooth | blocky).astype(np.uint8), upsampled)
    mask = _open_holes(mask, upsampled)
    distance = cv2.distanceTransform(mask, cv2.DIST_L2, 3)  # px to the nearest background
    skeleton = _thin(mask)
    # The skeleton runs along the middle of the strokes, where the distance is half a width.
    stroke_width = max(2.0 * float(np.median(distance[skeleton > 0])), 4.0)  # px at 112x112

    pixels, neighbours = _skeleton_graph(skeleton)
    branches, loops = _trace_branches(neighbours)
    points = pixels[:, ::-1].astype(np.float64)  # (x, y)

    strokes_112 = _assemble(branches, loops, points, distance, pixels, stroke_width)

    # Safety net: any piece of ink the skeleton lost (a tiny dot) gets a dot stroke at its
    # thickest point.
    count, labels = cv2.connectedComponents(mask, connectivity=8)
    covered = np.zeros(count, bool)
    for stroke, _ in strokes_112:
        xs = np.clip(np.round(stroke[:, 0]).astype(int), 0, mask.shape[1] - 1)
        ys = np.clip(np.round(stroke[:, 1]).astype(int), 0, mask.shape[0] - 1)
        covered[labels[ys, xs]] = True
    for label in range(1, count):
        if not covered[label]:
            inside = np.where(labels == label, distance, -1.0)
            y, x = np.unravel_index(np.argmax(inside), inside.shape)
            strokes_112.append((np.array([[x, y]], np.float64), False))

    offset = np.array([left, top], np.float32)
    return [_finish_stroke(stroke, closed) + offset for stroke, closed in strokes_112]


def _assemble(
    branches: list[tuple[int, int, list[int]]],
    loops: list[list[int]],
    points: np.ndarray,
    distance: np.ndarray,
    pixels: np.ndarray,
    stroke_width: float,
) -> list[tuple[np.ndarray, bool]]:
    """Turn skeleton branches into pen strokes at 112x112 scale.

    Drops spurs, merges nearby junctions, and joins branches that run on through a junction.

    Returns: (stroke points (N, 2) float64 (x, y), closed) pairs; a closed stroke's first
    point is not repeated.
    """
    paths = [points[path] for _, _, path in branches]
    ends = [[start, end] for start, end, _ in branches]
    lengths = [_path_length(path) for path in paths]
    alive = [True] * len(branches)

    def degrees() -> dict[int, int]:
        counted: dict[int, int] = {}
        for branch, (start, end) in enumerate(ends):
            if alive[branch]:
                counted[start] = counted.get(start, 0) + 1
                counted[end] = counted.get(end, 0) + 1
        return counted

    # 1. Spurs: a short branch from a free end to a junction is a thinning artefact (a bump
    # or a forked tip) if its ink stays within the junction's: the brush drawn at the junction
    # covers it. One whose ink reaches out of the junction's is a tip of the digit: a thinner
    # brush than the digit's pen would lose it (a 4 without the arm past its stem reads as 9).
    degree = degrees()
    for branch, (start, end) in enumerate(ends):
        if start == end:
            continue
        for free, junction in ((start, end), (end, start)):
            if degree[free] == 1 and degree[junction] >= 3:
                y, x = pixels[junction]
                tip_y, tip_x = pixels[free]
                # How far the tip's disc of ink reaches beyond the junction's disc, in px.
                reach = (float(np.linalg.norm(points[free] - points[junction]))
                         + distance[tip_y, tip_x] - distance[y, x])
                if (lengths[branch] < _SPUR_A * distance[y, x] + _SPUR_B
                        and reach < _SPUR_REACH * stroke_width / 2):
                    alive[branch] = False
                    degree[free] -= 1
                    degree[junction] -= 1
                    break

    # 2. Junctions closer than a stroke width are one junction (an "X" thins to two "Y"s
    # joined by a short bridge): merge them, dropping the bridge.
    cluster = {node: node for node in degree}

    def find(node: int) -> int:
        while cluster[node] != node:
            cluster[node] = cluster[cluster[node]]
            node = cluster[node]
        return node

    for branch, (start, end) in enumerate(ends):
        short = alive[branch] and start != end and lengths[branch] < stroke_width
        if short and degree[start] >= 3 and degree[end] >= 3:
            alive[branch] = False
            cluster[find(start)] = find(end)
    members: dict[int, list[int]] = {}
    for node in degree:
        members.setdefault(find(node), []).append(node)
    centre = {root: points[nodes].mean(axis=0) for root, nodes in members.items()}

    # Re-attach branches to merged junctions. Every loop left goes round a hole of the digit
    # (_open_holes filled the specks), so even a small one is kept: it is a loop of an 8 or a 2.
    for branch in range(len(branches)):
        if not alive[branch]:
            continue
        start, end = find(ends[branch][0]), find(ends[branch][1])
        ends[branch] = [start, end]
        path = paths[branch]
        if len(members[start]) > 1:
            path = np.concatenate([centre[start][None], path])
        if len(members[end]) > 1:
            path = np.concatenate([path, centre[end][None]])
        paths[branch] = path
    if not any(alive) and branches:
        # Everything was a spur of one blob: keep its longest branch.
        alive[int(np.argmax(lengths))] = True

    # 3. At each junction, pair the branch ends that run on most straight (a bar through a
    # "4", the crossing of an "8"); a junction of two ends always joins them.
    reach = 1.5 * stroke_width
    partner: dict[tuple[int, int], tuple[int, int]] = {}
    at_node: dict[int, list[tuple[int, int]]] = {}
    for branch in range(len(branches)):
        if alive[branch] and len(paths[branch]) > 1:
            at_node.setdefault(ends[branch][0], []).append((branch, 0))
            at_node.setdefault(ends[branch][1], []).append((branch, 1))
    for end_list in at_node.values():
        if len(end_list) == 2:
            partner[end_list[0]], partner[end_list[1]] = end_list[1], end_list[0]
            continue
        if len(end_list) < 3:
            continue
        directions = [
            _direction_from(paths[b] if side == 0 else paths[b][::-1], reach)
            for b, side in end_list
        ]
        candidates = sorted(
            (float(directions[i] @ directions[j]), i, j)
            for i in range(len(end_list))
            for j in range(i + 1, len(end_list))
        )
        used: set[int] = set()
        for cosine, i, j in candidates:
            if cosine > -0.7:  # turning by more than 45 degrees: a new stroke starts here
                break
            if i in used or j in used:
                continue
            used.update((i, j))
            partner[end_list[i]], partner[end_list[j]] = end_list[j], end_list[i]

    # 4. Follow the pairings into strokes: open chains from free ends first, then cycles.
    strokes: list[tuple[np.ndarray, bool]] = []
    done = [not a for a in alive]

    def follow(branch: int, side: int) -> tuple[np.ndarray, bool]:
        pieces = []
        first = (branch, side)
        while True:
            done[branch] = True
            path = paths[branch] if side == 0 else paths[branch][::-1]
            pieces.append(path if not pieces else path[1:])
            other = (branch, 1 - side)
            if other not in partner:
                return np.concatenate(pieces), False
            branch, side = partner[other]
            if (branch, side) == first:
                joined = np.concatenate(pieces)
                return joined[:-1], True
            if done[branch]:
                return np.concatenate(pieces), False

    for branch in range(len(branches)):
        for side in (0, 1):
            if not done[branch] and (branch, side) not in partner:
                strokes.append(follow(branch, side))
    for branch in range(len(branches)):
        if not done[branch]:
            strokes.append(follow(branch, 0))
    strokes.extend((points[loop], True) for loop in loops)
    return strokes


def _check_strokes(strokes: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Strokes as float64 (N, 2) arrays; raise ValueError unless there is one and all are finite."""
    if isinstance(strokes, np.ndarray) or len(strokes) == 0:
        raise ValueError(
            "Expected a non-empty list of (N, 2) stroke arrays. "
            f"Received: {type(strokes).__name__} of length {len(strokes)}"
        )
    checked = []
    for stroke in strokes:
        stroke = np.asarray(stroke, np.float64)
        if stroke.ndim != 2 or stroke.shape[0] < 1 or stroke.shape[1] != 2:
            raise ValueError(
                f"Expected each stroke of shape (N, 2), N >= 1. Received: shape={stroke.shape}"
            )
        if not np.isfinite(stroke).all():
            raise ValueError("Expected finite stroke coordinates. Received: NaN or infinity")
        checked.append(stroke)
    return checked


def _shear(strokes: list[np.ndarray], slant: float) -> list[np.ndarray]:
    """Lean (N, 2) strokes by `slant` degrees about the middle of their height (y down)."""
    everything = np.concatenate(strokes)
    middle_y = (everything[:, 1].min() + everything[:, 1].max()) / 2
    shear = np.tan(np.radians(slant))
    # y grows downwards, so points above the middle move right when slant > 0.
    return [
        np.stack([stroke[:, 0] + shear * (middle_y - stroke[:, 1]), stroke[:, 1]], axis=1)
        for stroke in strokes
    ]


def _place(
    strokes: list[np.ndarray],
    *,
    brush_width: int,
    scale: float,
    centre: tuple[float, float],
    slant: float,
) -> list[np.ndarray]:
    """Shear, scale and move strokes so their ink (brush included) is `scale` px tall at `centre`.

    Returns: the strokes as (N, 2) float64 canvas coordinates in px.
    """
    sheared = _shear(strokes, slant)
    everything = np.concatenate(sheared)
    low, high = everything.min(axis=0), everything.max(axis=0)
    width, height = high - low
    path_height = scale - brush_width  # round caps add half a brush above and below the path
    if height > 1e-6:
        factor = path_height / height
    elif width > 1e-6:  # a flat stroke (a dash): fit its length instead
        factor = path_height / width
    else:  # a dot
        factor = 1.0
    box_centre = (low + high) / 2
    return [(stroke - box_centre) * factor + np.asarray(centre, np.float64) for stroke in sheared]


def _tremble(stroke: np.ndarray, jitter: float, rng: np.random.Generator) -> np.ndarray:
    """Add hand tremor: smooth random wobble of standard deviation `jitter` px along a stroke."""
    if len(stroke) > 1:
        # Resample every 4 px so the wobble does not depend on how many points the path has.
        steps = np.linalg.norm(np.diff(stroke, axis=0), axis=1)
        arc = np.concatenate([[0.0], np.cumsum(steps)])
        samples = np.linspace(0.0, arc[-1], max(int(arc[-1] / 4.0), 1) + 1)
        stroke = np.stack(
            [np.interp(samples, arc, stroke[:, 0]), np.interp(samples, arc, stroke[:, 1])], 1
        )
    noise = rng.normal(0.0, 1.0, stroke.shape)
    if len(stroke) >= 5:
        # A 5-tap moving average makes the wobble slow (a hand), not per-point (sand paper);
        # multiplying by sqrt(5) restores the standard deviation.
        kernel = np.ones(5) / np.sqrt(5)
        noise = np.stack([np.convolve(noise[:, k], kernel, "same") for k in range(2)], 1)
    return stroke + jitter * noise


def render_strokes(
    strokes: Sequence[np.ndarray],
    *,
    canvas_size: int = CANVAS_SIZE,
    brush_width: int,
    scale: float,
    centre: tuple[float, float],
    slant: float = 0.0,
    ink: tuple[int, int, int] = (255, 255, 255),
    jitter: float = 0.0,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Draw strokes with a round brush like the app's canvas returns them.

    Args:
        strokes: non-empty list of (N, 2) arrays of (x, y) points in any frame (e.g. 28x28).
        canvas_size: side of the square canvas in px.
        brush_width: brush diameter in px, 1..canvas_size.
        scale: height of the drawn ink in px, brush included (brush_width < scale). A flat
            stroke set (no height) is fitted by its length instead; a single dot is drawn as
            one brush dab.
        centre: (x, y) of the centre of the ink's bounding box on the canvas, in px.
        slant: shear in degrees, -60..60; positive leans the digit to the right.
        ink: RGB colour of the ink, each 0..255.
        jitter: hand tremor in px (standard deviation of a smooth wobble), >= 0.
        rng: random generator for the tremor; None uses a fresh unseeded one.

    Returns:
        (canvas_size, canvas_size, 4) uint8 RGBA: all four channels 0 outside the strokes;
        alpha 255 inside and anti-aliased (0..255) at the edges; RGB = ink wherever alpha > 0.

    Raises:
        ValueError: on empty or malformed strokes or an out-of-range setting.
    """
    checked = _check_strokes(strokes)
    if int(canvas_size) != canvas_size or canvas_size < 1:
        raise ValueError(
            f"Expected canvas_size to be a positive integer. Received: canvas_size={canvas_size}"
        )
    if int(brush_width) != brush_width or not 1 <= brush_width <= canvas_size:
        raise ValueError(
            f"Expected brush_width to be an integer in [1, {canvas_size}]. "
            f"Received: brush_width={brush_width}"
        )
    if not np.isfinite(scale) or scale <= brush_width:
        raise ValueError(
            "Expected scale (ink height in px) to be larger than brush_width. "
            f"Received: scale={scale}, brush_width={brush_width}"
        )
    if len(centre) != 2 or not np.isfinite(centre).all():
        raise ValueError(
            f"Expected centre to be an (x, y) pair of numbers. Received: centre={centre}"
        )
    if not -60.0 <= slant <= 60.0:
        raise ValueError(f"Expected slant in degrees in [-60, 60]. Received: slant={slant}")
    if len(ink) != 3 or not all(int(c) == c and 0 <= c <= 255 for c in ink):
        raise ValueError(f"Expected ink as 3 integers in [0, 255]. Received: ink={ink}")
    if not jitter >= 0.0:
        raise ValueError(f"Expected jitter >= 0 (px). Received: jitter={jitter}")
    if jitter > 0 and rng is None:
        rng = np.random.default_rng()

    placed = _place(checked, brush_width=int(brush_width), scale=scale, centre=centre, slant=slant)
    alpha = np.zeros((canvas_size, canvas_size), np.uint8)
    # cv2's anti-aliased thick lines come out 1.4 px wider than `thickness`, which it also
    # rounds up to even; circles come out 1.4 px wider than their diameter. Compensate, so
    # the ink is brush_width wide to within 0.6 px (the canvas's brush is exact).
    thickness = max(2 * round((brush_width - _AA_WIDENING) / 2), 1)
    radius = max(round((brush_width - _AA_WIDENING) / 2 * (1 << _SHIFT)), 1)  # fixed-point px
    for stroke in placed:
        if jitter > 0:
            stroke = _tremble(stroke, jitter, rng)
        fixed = np.round(stroke * (1 << _SHIFT)).astype(np.int32)
        if len(fixed) > 1:
            # cv2 draws thick polylines with round joins; anti-aliasing only ever raises a
            # pixel's alpha, so overlapping strokes merge like one layer of paint.
            cv2.polylines(alpha, [fixed], False, 255, thickness, cv2.LINE_AA, _SHIFT)
        for point in (fixed[0], fixed[-1]):  # round caps, and the dab of a one-point stroke
            cv2.circle(
                alpha, (int(point[0]), int(point[1])), radius, 255, cv2.FILLED, cv2.LINE_AA, _SHIFT
            )
    canvas = np.zeros((canvas_size, canvas_size, 4), np.uint8)
    canvas[alpha > 0, :3] = np.asarray(ink, np.uint8)
    canvas[..., 3] = alpha
    return canvas


class _PenLimit:
    """Which brush widths draw a set of paths with the loops and gaps the paths have.

    A round brush of width t covers every point within t/2 of a path, so one distance map of
    the thin paths gives the ink of every brush: a loop whose largest inscribed circle (about
    the paths) has radius R keeps a hole while t < 2R, and two parts of the paths a distance D
    apart that are not joined along the paths stay apart while t < D. The map is computed once
    per drawing on a grid _TOPOLOGY_GRID px across; widths are then checked by thresholding it.
    """

    def __init__(self, sheared: list[np.ndarray]) -> None:
        """sheared: the strokes as placed on the canvas up to scale and offset, (N, 2) float."""
        everything = np.concatenate(sheared)
        low, high = everything.min(axis=0), everything.max(axis=0)
        self.width_units, self.height_units = (float(v) for v in high - low)
        self.grid_per_unit = _TOPOLOGY_GRID / max(self.width_units, self.height_units, 1e-6)
        pad = 8  # grid px of background round the paths, so the outside is one region
        size = np.ceil((high - low) * self.grid_per_unit).astype(int) + 2 * pad + 1
        paths = np.zeros((size[1], size[0]), np.uint8)
        for stroke in sheared:
            grid = (stroke - low) * self.grid_per_unit + pad
            fixed = np.round(grid * (1 << _SHIFT)).astype(np.int32)
            cv2.polylines(paths, [fixed], False, 1, 1, cv2.LINE_8, _SHIFT)
            x, y = np.round(grid[0]).astype(int)
            paths[y, x] = 1  # a one-point stroke (a dot) is a path too
        # Grid px from each pixel to the nearest path.
        self.distance = cv2.distanceTransform(1 - paths, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        height_grid = self.height_units * self.grid_per_unit
        self.reference_pen = _REFERENCE_PEN * height_grid
        self.clear_min = _CLEAR_PER_HEIGHT * height_grid
        labels, holes = self._holes(self.reference_pen)
        # One witness per loop of the digit: its hole's deepest point, the centre of its
        # largest inscribed circle.
        self.loop_points = []
        for hole in holes:
            depth = np.where(labels == hole, self.distance, 0.0)
            self.loop_points.append(np.unravel_index(np.argmax(depth), depth.shape))

    def _holes(self, pen: float) -> tuple[np.ndarray, set[int]]:
        """Background labels (4-connected) and the labels of the holes, for a pen in grid px."""
        background = (self.distance > pen / 2).astype(np.uint8)
        _, labels = cv2.connectedComponents(background, connectivity=4)
        border = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
        holes = set(np.unique(labels[background > 0]).tolist()) - set(border.tolist())
        return labels, holes

    def keeps_topology(self, brush_width: float, scale: float) -> bool:
        """True if a brush of brush_width px, the ink scale px tall, leaves loops and gaps open.

        Open means a hole or gap clear of ink by at least max(_CLEAR_PER_BRUSH brush widths,
        _CLEAR_PER_HEIGHT of the height): the loops of the paths (as a _REFERENCE_PEN pen shows
        them) keep their holes, and no new hole appears, for every pen from the brush to the
        brush plus that clearance.
        """
        if self.height_units <= 1e-6 or scale <= brush_width:
            return True  # a flat stroke or a dot has no loops and no gaps across it
        # Canvas px per unit, as _place scales: the path is scale - brush_width px tall.
        grid_per_px = self.height_units * self.grid_per_unit / (scale - brush_width)
        pen = max(brush_width * grid_per_px, self.reference_pen)
        clear = max(_CLEAR_PER_BRUSH * pen, self.clear_min)
        for extra in (0.0, clear / 2, clear):
            labels, holes = self._holes(pen + extra)
            if len(holes) != len(self.loop_points):
                return False
            if {int(labels[point]) for point in self.loop_points} != holes:
                return False
        return True

    def fit(self, brush_width: int, scale: float, max_scale: float) -> tuple[int, float]:
        """The brush and size a careful person uses: (brush width px, ink height px).

        The widest brush up to brush_width that keeps the topology at this scale; if even the
        thinnest brush closes a loop or gap, the thinnest brush on the smallest larger scale up
        to max_scale that keeps it; if none does, the thinnest brush at the scale given.
        """
        if self.keeps_topology(brush_width, scale):
            return brush_width, scale
        thinnest = _BRUSH_RANGE[0]
        if brush_width > thinnest and self.keeps_topology(thinnest, scale):
            # Bisect for the widest brush that keeps it (thinner brushes keep more).
            good, bad = thinnest, brush_width
            while bad - good > 1:
                middle = (good + bad) // 2
                if self.keeps_topology(middle, scale):
                    good = middle
                else:
                    bad = middle
            return good, scale
        brush_width = min(brush_width, thinnest)
        if max_scale <= scale or not self.keeps_topology(brush_width, max_scale):
            return brush_width, scale  # last resort: a loop too small for any brush
        good, bad = max_scale, scale
        while good - bad > 2.0:  # px of height
            middle = (good + bad) / 2
            if self.keeps_topology(brush_width, middle):
                good = middle
            else:
                bad = middle
        return brush_width, good


def _random_ink(rng: np.random.Generator) -> tuple[int, int, int]:
    """White or black ink (the usual choices) 80% of the time, else any colour."""
    choice = rng.random()
    if choice < 0.4:
        return _INK_COLOURS[0]
    if choice < 0.8:
        return _INK_COLOURS[1]
    red, green, blue = rng.integers(0, 256, 3)
    return int(red), int(green), int(blue)


def redraw_digit(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Re-draw one MNIST digit as a person might with a mouse on the app's canvas.

    The digit's strokes (strokes_from_digit) are drawn with settings drawn from `rng`: brush
    width 8..36 px, digit height 90..250 px (at least 5 brush widths, so loops stay open),
    slant -15..+15 degrees, a place anywhere on the canvas that keeps the digit whole, white,
    black or (20%) random ink, and a tremor of 0..1.5 px. Like a careful person, it then
    keeps every loop's hole and every gap between strokes open (see _PenLimit): a brush that
    would fill them in is made thinner, down to 8 px; below that the digit is drawn bigger (up
    to 250 px and the canvas's width); a loop too small even for that is drawn with 8 px.

    Args:
        image: (28, 28) uint8 in [0, 255], white ink on black, as in MNIST.
        rng: the random generator; the same generator state gives the same drawing.

    Returns:
        (280, 280, 4) uint8 RGBA, as render_strokes. A blank image gives a blank canvas.

    Raises:
        ValueError: if image is not a (28, 28) uint8 array.
    """
    strokes = strokes_from_digit(image)
    # Draw every setting even for a blank digit, so later digits see the same random stream.
    brush_width = int(rng.integers(_BRUSH_RANGE[0], _BRUSH_RANGE[1] + 1))
    low_height = max(_HEIGHT_RANGE[0], _MIN_HEIGHT_PER_BRUSH * brush_width)
    scale = float(rng.uniform(low_height, _HEIGHT_RANGE[1]))
    slant = float(rng.uniform(*_SLANT_RANGE))
    ink = _random_ink(rng)
    jitter = float(rng.uniform(*_JITTER_RANGE))
    place = rng.random(2)
    tremor_rng = np.random.default_rng(rng.integers(2**63))
    if not strokes:
        return np.zeros((CANVAS_SIZE, CANVAS_SIZE, 4), np.uint8)

    room = CANVAS_SIZE - 2 * _MARGIN
    sheared = _shear(strokes, slant)
    # Keep loops and gaps open as a person would: a thinner brush, else a bigger digit. A
    # bigger digit must stay narrower than the canvas (ink width = path width + brush).
    limit = _PenLimit(sheared)
    max_scale = float(_HEIGHT_RANGE[1])
    if limit.width_units > 1e-6 and limit.height_units > 1e-6:
        thinnest = _BRUSH_RANGE[0]
        widest = thinnest + (room - thinnest) * limit.height_units / limit.width_units
        max_scale = min(max_scale, widest)
    brush_width, scale = limit.fit(brush_width, scale, max_scale)

    # Shrink a digit that would be wider than the canvas (a wide, slanted 2 at 250 px).
    placed = _place(strokes, brush_width=brush_width, scale=scale, centre=(0.0, 0.0), slant=slant)
    everything = np.concatenate(placed)
    ink_width = float(np.ptp(everything[:, 0])) + brush_width
    if ink_width > room:
        scale = brush_width + (scale - brush_width) * (room - brush_width) / (
            ink_width - brush_width
        )
        ink_width = room
    ink_height = scale
    # Tremor can push the ink out by a few px, so keep it off the edge by the margin.
    centre_x = _MARGIN + ink_width / 2 + place[0] * (room - ink_width)
    centre_y = _MARGIN + ink_height / 2 + place[1] * (room - ink_height)
    return render_strokes(
        strokes,
        brush_width=brush_width,
        scale=scale,
        centre=(centre_x, centre_y),
        slant=slant,
        ink=ink,
        jitter=jitter,
        rng=tremor_rng,
    )


def _check_digits(images: np.ndarray) -> np.ndarray:
    """Raise ValueError unless images is an (N, 28, 28) uint8 array."""
    images = np.asarray(images)
    if (
        images.ndim != 3
        or images.shape[1:] != (_DIGIT_SIZE, _DIGIT_SIZE)
        or images.dtype != np.uint8
    ):
        raise ValueError(
            "Expected (N, 28, 28) uint8 images. "
            f"Received: shape={images.shape}, dtype={images.dtype}"
        )
    return images


def iter_redrawn(images: np.ndarray, seed: int = 0) -> Iterator[np.ndarray]:
    """Yield redraw_digit of each image in turn, one (280, 280, 4) uint8 canvas at a time.

    Same sequence as redraw_digits(images, seed), without holding them all (313 KB each).

    Raises:
        ValueError: if images is not an (N, 28, 28) uint8 array (raised on the first next()).
    """
    images = _check_digits(images)
    rng = np.random.default_rng(seed)
    for image in images:
        yield redraw_digit(image, rng)


def redraw_digits(images: np.ndarray, seed: int = 0) -> np.ndarray:
    """Re-draw MNIST digits as mouse drawings on the app's canvas.

    Each digit gets its own brush width, size, place, slant, ink colour and tremor (see
    redraw_digit), all drawn from np.random.default_rng(seed), so a seed gives the same
    canvases on every call.

    Memory: each canvas is 280 * 280 * 4 bytes = 313 KB, so 10,000 digits take 3.1 GB; iterate
    with iter_redrawn instead (it yields the same canvases in the same order).

    Args:
        images: (N, 28, 28) uint8 in [0, 255], white ink on black, as in MNIST.
        seed: seed of the random settings.

    Returns:
        (N, 280, 280, 4) uint8 RGBA canvases, as render_strokes returns them.

    Raises:
        ValueError: if images is not an (N, 28, 28) uint8 array.
    """
    images = _check_digits(images)
    canvases = np.empty((len(images), CANVAS_SIZE, CANVAS_SIZE, 4), np.uint8)
    for index, canvas in enumerate(iter_redrawn(images, seed)):
        canvases[index] = canvas
    return canvases


def _arc(
    centre: tuple[float, float], radii: tuple[float, float], start: float, stop: float, count: int
) -> np.ndarray:
    """(count, 2) points of an elliptic arc from angle `start` to `stop` in degrees (y down)."""
    angles = np.radians(np.linspace(start, stop, count))
    return np.stack(
        [centre[0] + radii[0] * np.cos(angles), centre[1] + radii[1] * np.sin(angles)], 1
    )


def sketch(digit: int, *, flag: bool = False) -> list[np.ndarray]:
    """Hand-made strokes of a 0, 1 or 7, laid out like an MNIST digit (20 px tall, centred).

    Args:
        digit: 0 (an upright ellipse, one closed stroke), 1 (a vertical line; with `flag`, a
            short up-stroke into its top) or 7 (a top bar and a diagonal, one stroke).
        flag: give the 1 its flag; ignored for 0 and 7.

    Returns:
        A list of (N, 2) float32 strokes of (x, y) points in the 28x28 pixel frame, in
        strokes_from_digit's format.

    Raises:
        ValueError: for any other digit.
    """
    if digit == 0:
        ellipse = _arc((14.0, 14.0), (6.0, 10.0), -90.0, 270.0, 49)  # closed: last = first
        return [ellipse.astype(np.float32)]
    if digit == 1:
        line = [[11.0, 7.5], [14.0, 4.0], [14.0, 24.0]] if flag else [[14.0, 4.0], [14.0, 24.0]]
        return [np.array(line, np.float32)]
    if digit == 7:
        return [np.array([[8.0, 5.0], [20.0, 5.0], [12.0, 24.0]], np.float32)]
    raise ValueError(f"Expected digit 0, 1 or 7 (the sketched ones). Received: digit={digit}")
