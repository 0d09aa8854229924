"""The class: drawings people saved, what the projector shows, the teacher's lock.

drawings (the saved-drawings store: add, relabel, hide, export, import), summary (the class's
counts, mix-ups and join address), lock (the teacher's password and the pace of guesses),
ratelimit (how fast one device may save).

May import: the shared modules, mnist_core.reading, mnist_core.data and mnist_core.runs.
"""
