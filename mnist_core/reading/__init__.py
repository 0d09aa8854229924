"""Reading a drawing: from the canvas's pixels, or an uploaded picture, to the network's input.

preprocessing (crop, scale and centre the ink as MNIST was made), shape (is the ink a digit at
all: a dot, a dash, a scribble?), numbers (several digits side by side cut apart), images
(uploaded picture files, safely opened) and visualize (pictures of those steps for pages).

May import: the shared modules (mnist_core.errors, wording, config, model) only.
"""
