"""The server the students talk to: `streamlit run app.py` from a snapshot of the checkout.

A real `streamlit run app.py` (headless, a free localhost port, its own temporary models and
drawings folders, so nothing of the project's changes; from a snapshot of the checkout, so
edits made meanwhile are not reloaded mid-run). With --profile or --switch-interval it starts
through profiling.LAUNCHER instead of `python -m streamlit`.

Import it with the project's root on sys.path (class_load.py puts it there): it uses
tests/browser/serving.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.browser.serving import free_port, stop_server, wait_until_serving

from .profiling import LAUNCHER

PROJECT = Path(__file__).resolve().parents[2]  # the checkout: bench/classload/server.py


def snapshot(folder: Path) -> tuple[Path, str]:
    """Copy the project's files as they are now (committed or not: `git ls-files`) into
    `folder`, and say which version it is. Other people may edit the checkout during a run:
    the server's file watcher would then reload the changed modules mid-measurement."""
    import shutil

    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                             "-z"], cwd=PROJECT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = PROJECT / name
        if source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    head = subprocess.run(["git", "log", "-1", "--format=%h"], cwd=PROJECT,
                          capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                           cwd=PROJECT, capture_output=True, text=True).stdout.strip()
    return folder, f"{head}{' with uncommitted changes' if dirty else ''}"


class Server:
    """`streamlit run app.py` in `app_dir` (a snapshot of the project, see `snapshot`) on a free
    localhost port, with its own models and drawings folders in `folder`.

    As tests/browser/conftest.py's Server (same flags, the same tests/browser/serving.py),
    without importing the test suite, which loads TensorFlow: this client shares the machine
    with the server it measures. The file watcher is the project's own setting unless
    `file_watcher` is given.
    """

    def __init__(self, folder: Path, app_dir: Path, file_watcher: str | None = None,
                 profile: bool = False, nice: int = 0, switch_interval: float | None = None):
        self.folder = folder
        self.app_dir = app_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.models = folder / "models"
        self.models.mkdir()
        env = {**os.environ, "MNIST_MODELS_DIR": str(self.models),
               "MNIST_DRAWINGS_DIR": str(folder / "drawings"), "TF_CPP_MIN_LOG_LEVEL": "2"}
        self.log_path = folder / "streamlit.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115
        launcher = [sys.executable, "-m", "streamlit"]
        if profile or switch_interval:
            (folder / "launcher.py").write_text(LAUNCHER)
            launcher = [sys.executable, str(folder / "launcher.py")]
            env["CLASS_LOAD_PROFILE"] = "1" if profile else ""
            env["CLASS_LOAD_SWITCH_INTERVAL"] = str(switch_interval or "")
        command = [*launcher, "run", "app.py", "--server.headless",
                   "true", "--server.port", str(self.port), "--server.address", "127.0.0.1",
                   "--browser.gatherUsageStats", "false"]
        if file_watcher:
            command += ["--server.fileWatcherType", file_watcher]
        # Niceness is per thread on Linux: set before exec, every thread of the server has it.
        self.process = subprocess.Popen(command, cwd=self.app_dir, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT,
                                        preexec_fn=(lambda: os.nice(nice)) if nice else None)
        if not wait_until_serving(self.url, self.process, timeout=90):
            self.stop()
            raise RuntimeError(f"streamlit did not start; see {self.log_path}")

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the server process so far, or None without /proc."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        stop_server(self.process, self.log)
