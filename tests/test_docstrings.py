"""Every `>>>` example in the project's docstrings runs and prints what it shows."""

import doctest
import importlib

import pytest

from keras_models.paths import REPO_ROOT

PACKAGES = ("keras_models", "convert", "board_tests", "experiments")


def modules_with_examples() -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            if ">>>" in path.read_text(encoding="utf-8"):
                found.append(".".join(path.relative_to(REPO_ROOT).with_suffix("").parts))
    return found


def test_examples_are_found():
    assert {"keras_models.layers.first_token", "board_tests.protocol", "keras_models.paths"} <= set(
        modules_with_examples())


@pytest.mark.parametrize("name", modules_with_examples())
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    # each module's examples run in that module's own namespace: they use only what it imports
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted > 0, f"{name}: no example ran"
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed (see the output above)"
