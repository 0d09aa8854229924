"""Trained runs: the store of model folders, scoring on MNIST test, comparing runs.

store (run folders: model, config, history, metrics; the model in use), evaluate (accuracy,
confusion, how sure a figure is), compare (runs side by side, their curves and mistakes).

May import: the shared modules, mnist_core.reading and mnist_core.data.
"""
