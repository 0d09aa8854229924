"""Inside the network: what its units respond to and why it gave its answer.

explain (each unit's part in a reading, switching units off, what-ifs) and pictures (weights
and activations as pictures).

May import: the shared modules and mnist_core.reading.
"""
