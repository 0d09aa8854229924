"""How the server runs: it watches only the project's own code for changes.

With Streamlit's default watcher (watchdog) the whole project folder is watched recursively,
so a virtual environment inside it (what most people make: .venv/) meant thousands of inotify
watches and "Inotify queue overflowed" in the log. The project's config polls the few files of
our own code instead; this starts the real server from a copy of the project with a large
.venv inside and counts the server's inotify watches after a page has been opened.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.serving import free_port, stop_server, wait_until_serving
from tests.conftest import PROJECT

pytestmark = pytest.mark.browser

VENV_FOLDERS = 2000


def inotify_watches(pid: int) -> int:
    """How many inotify watches process `pid` holds (Linux: /proc/<pid>/fdinfo)."""
    count = 0
    for info in Path(f"/proc/{pid}/fdinfo").iterdir():
        try:
            count += info.read_text().count("inotify wd:")
        except OSError:
            pass  # a descriptor closed meanwhile
    return count


def test_a_virtual_environment_inside_the_project_is_not_watched(browser, tmp_path):
    project = tmp_path / "project"
    anywhere = shutil.ignore_patterns(".git", "screenshots-tmp", "__pycache__", ".venv")

    def left_out(folder: str, names: list[str]) -> set[str]:
        """The copy leaves out caches, users' runs and saved drawings: the project's own
        data/ and models/runs/, not mnist_core/data/, which is code."""
        own = {"data"} if Path(folder) == PROJECT else set()
        own |= {"runs", ".training"} if Path(folder) == PROJECT / "models" else set()
        return set(anywhere(folder, names)) | (own & set(names))

    shutil.copytree(PROJECT, project, ignore=left_out)
    for index in range(VENV_FOLDERS):  # site-packages/<package>/ folders, as pip makes them
        (project / ".venv" / "lib" / "site-packages" / f"package{index}").mkdir(parents=True)
    port = free_port()
    log = open(tmp_path / "streamlit.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=project, env={**os.environ, "MNIST_MODELS_DIR": str(tmp_path / "m")},
        stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}", server, timeout=60)
        tab = browser.new_page()
        tab.goto(f"http://127.0.0.1:{port}")
        tab.get_by_text("Draw any digit").wait_for(timeout=60_000)
        tab.wait_for_timeout(2000)  # the session has registered its watchers
        # Polling needs none; watchdog held one per folder here (2,022 when tried).
        assert inotify_watches(server.pid) < 50
        tab.close()
    finally:
        stop_server(server, log)
