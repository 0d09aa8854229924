"""mnist_core's layout: parts in folders, imports running one way between them, no cycles.

The parts, from the bottom up; a module may import from its own part and the parts below it
(each part's `__init__` says the same in words). The shared modules at the top level (errors,
wording, the training recipe in config, the MLP's weights in model) are below every part; the
entry points (the package's public API, the Recognizer, the training command line) above.
"""

import ast
from pathlib import Path

from tests.conftest import PROJECT

PACKAGE = PROJECT / "mnist_core"
ORDER = ["shared", "reading", "inside", "data", "runs", "classroom", "training", "entry"]
SHARED = {"errors", "wording", "config", "model", "learning"}
ENTRY = {"__init__", "recognizer", "train"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str:
    """'mnist_core.reading.numbers' -> 'reading'; top-level modules are shared or entry."""
    names = module.split(".")[1:] or ["__init__"]
    if len(names) == 1 and not (PACKAGE / names[0]).is_dir():
        return "shared" if names[0] in SHARED else "entry"
    return names[0]


def imports_of(path: Path) -> set[str]:
    """Every mnist_core module `path` imports, at any depth (a function's lazy import too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("mnist_core")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mnist_core"):
            for alias in node.names:  # `from mnist_core.data import pendigits`: a module
                inner = f"{node.module}.{alias.name}"
                is_module = (PROJECT / Path(*inner.split("."))).with_suffix(".py").exists()
                found.add(inner if is_module else node.module)
    return found


MODULES = {module_name(path): imports_of(path) for path in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_is_in_a_part_folder_or_named_shared_or_entry():
    top_level = {name.split(".")[1] for name in MODULES if name.count(".") == 1}
    assert top_level - {path.name for path in PACKAGE.iterdir() if path.is_dir()} \
        == SHARED | ENTRY - {"__init__"}
    assert {part_of(name) for name in MODULES} == set(ORDER)
    for part in set(ORDER) - {"shared", "entry"}:  # each part says what it holds and imports
        assert "May import:" in (PACKAGE / part / "__init__.py").read_text(), part


def upward(modules: dict[str, set[str]]) -> list[str]:
    """Each import of a module from a part above its own, as 'a (part) imports b (part)'."""
    return [f"{module} ({part_of(module)}) imports {imported} ({part_of(imported)})"
            for module, imported_ in sorted(modules.items()) for imported in sorted(imported_)
            if ORDER.index(part_of(imported)) > ORDER.index(part_of(module))]


def find_cycle(modules: dict[str, set[str]]) -> list[str] | None:
    """An import cycle as the modules along it, first and last the same; None if none."""
    done: set[str] = set()

    def walk(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return path[path.index(module):] + [module]
        if module in done:
            return None
        for imported in sorted(modules.get(module, ())):
            if cycle := walk(imported, path + [module]):
                return cycle
        done.add(module)
        return None

    return next((cycle for module in sorted(modules) if (cycle := walk(module, []))), None)


def test_no_module_imports_from_a_part_above_its_own():
    assert upward(MODULES) == []


def test_there_are_no_import_cycles():
    assert find_cycle(MODULES) is None


def test_the_checks_catch_an_upward_import_and_a_cycle():
    """What the two tests above would say of a reading module importing the job runner, and of
    two modules importing each other."""
    bad = {**MODULES, "mnist_core.reading.numbers": {"mnist_core.training.jobs"}}
    assert upward(bad) == ["mnist_core.reading.numbers (reading) imports "
                           "mnist_core.training.jobs (training)"]
    looped = {**MODULES, "mnist_core.runs.store": MODULES["mnist_core.runs.store"]
              | {"mnist_core.runs.compare"}}
    cycle = find_cycle(looped)
    assert cycle[0] == cycle[-1] and set(cycle) == {"mnist_core.runs.compare",
                                                    "mnist_core.runs.store"}, cycle
    assert part_of("mnist_core.errors") == "shared" and part_of("mnist_core") == "entry"


def test_the_training_set_is_put_together_in_one_module():
    """What a run fits (real writers' digits drawn for it, MNIST re-drawn, the saved drawings
    it learns) is chosen in mnist_core.training.training_set alone: a recipe changes there."""
    builders = {"pen_training_set", "redrawn_images", "saved_drawings", "training_set",
                "split_training_data", "add_redrawn"}
    callers = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                if name in builders:
                    callers.add(module_name(path))
    assert callers == {"mnist_core.training.training_set", "mnist_core.training.engine",
                       "mnist_core.training.workflow"}
