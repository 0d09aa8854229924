import subprocess
import sys

import mnist_core
from tests.conftest import PROJECT


def fresh_python(code: str) -> subprocess.CompletedProcess:
    """Run `code` in a new interpreter in the project: only what it imports is loaded."""
    return subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True,
                          text=True, timeout=120)


def test_the_library_never_imports_streamlit():
    code = "import sys, mnist_core, mnist_core.train; print('streamlit' in sys.modules)"
    result = fresh_python(code)
    assert result.stdout.strip() == "False", result.stderr
    sources = [path.read_text() for path in (PROJECT / "mnist_core").rglob("*.py")]
    assert len(sources) > 30  # every part's modules, not the top level alone
    assert not any("import streamlit" in text for text in sources)


def test_public_api_is_exported():
    for name in mnist_core.__all__:
        assert hasattr(mnist_core, name), name


def test_the_readme_recognizer_example_runs_without_tensorflow():
    """Other tools use exactly these names: `from mnist_core import Recognizer` and
    `mnist_core.preprocess(image)` (the function, not the module it lives in)."""
    code = (
        "import sys, numpy as np\n"
        "import mnist_core\n"
        "from mnist_core import Recognizer\n"
        "canvas = np.zeros((280, 280, 4), np.uint8)\n"
        "canvas[40:240, 130:150, 3] = 255  # a 1 on a transparent canvas\n"
        "recognizer = Recognizer.load()\n"
        "result = recognizer.predict(canvas)\n"
        "batch = recognizer.predict_batch([canvas, canvas])\n"
        "model_input = mnist_core.preprocess(canvas)\n"
        "assert np.array_equal(model_input, result.model_input)\n"
        "print(result.digit, round(float(result.probabilities.sum()), 4), model_input.shape,\n"
        "      [r.digit for r in batch], 'tensorflow' in sys.modules)\n"
    )
    result = fresh_python(code)
    assert result.stdout.strip() == "1 1.0 (28, 28) [1, 1] False", result.stderr[-2000:]


def test_the_pages_never_load_keras_or_tensorflow():
    """Streamlit clears the Keras session after every rerun when Keras is loaded, which
    stalled each page update by up to half a second; training runs in its own process."""
    code = (
        "import sys\n"
        "from mnist_core import MnistCoreError, ModelStore, PRESETS, config_problems\n"
        "import mnist_core.recognizer, mnist_core.reading.images, mnist_core.reading.visualize\n"
        "import mnist_core.training.jobs, mnist_core.runs.compare, mnist_core.training.estimate\n"
        "import mnist_core.training.drawn_cache\n"
        "from mnist_core import DrawingStore; import mnist_core.classroom.drawings\n"
        "from mnist_core.recognizer import Recognizer\n"
        "Recognizer.load(run_id='shipped').predict(__import__('numpy').eye(28))\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'keras', 'tensorflow'}))\n"
    )
    result = fresh_python(code)
    assert result.stdout.strip() == "[]", result.stderr[-2000:]
