"""The digits the network learns from and is measured on.

mnist (the real MNIST, found and checked), pendigits (real writers' pen trajectories, the UCI
file, drawn on the canvas), unipen (UNIPEN's 256 writers, as the same PenDigit), writers (the
three writer-disjoint splits), drawn (re-drawing digits as pen strokes on a canvas), augment
(distortions for training).

May import: the shared modules and mnist_core.reading (re-drawn digits are read as the app
reads a drawing).
"""
