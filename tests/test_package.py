import subprocess
import sys

import mnist_core
from tests.conftest import PROJECT


def test_the_library_never_imports_streamlit():
    code = "import sys, mnist_core, mnist_core.train; print('streamlit' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True,
                            text=True, timeout=120)
    assert result.stdout.strip() == "False", result.stderr
    sources = [path.read_text() for path in (PROJECT / "mnist_core").glob("*.py")]
    assert not any("import streamlit" in text for text in sources)


def test_public_api_is_exported():
    for name in mnist_core.__all__:
        assert hasattr(mnist_core, name), name
