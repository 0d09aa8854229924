"""The parts of bench/class_load.py, the class load benchmark, one job each.

- drawings: the drawings the students send (MNIST digits re-drawn as canvas states).
- server: a `streamlit run app.py` from a snapshot of the checkout, as the students' server.
- training: a training job beside the server, started and steered as the Train page does.
- profiling: what the server runs to profile its script runs, and the report of it.
- students: a student speaking Streamlit's websocket protocol, and one level's measurement.

They import each other one way only: students uses drawings, server and profiling; server
uses profiling; drawings, training and profiling use none of the others.
"""
