"""Starting `streamlit run` for the browser tests and the benchmarks: a free localhost port,
waiting until the server answers, and stopping it. Imports nothing heavy:
bench/classload/server.py uses it without loading the test suite (and TensorFlow) on the
machine it measures."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request


def free_port() -> int:
    """A localhost TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_server(process: subprocess.Popen, log) -> None:
    """Stop a server started with `subprocess.Popen`: terminate, then kill if it has not
    exited within 10 s; close its log file."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def wait_until_serving(url: str, process: subprocess.Popen, timeout: float) -> bool:
    """Wait until the Streamlit server at `url` answers its health check: True; False when
    `process` exits first or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as reply:
                if reply.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
        if process.poll() is not None:
            return False
    return False
