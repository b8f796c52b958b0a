"""The layout a newcomer can read (issue 16): short files, and no private name used across modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 600
CODE = sorted(
    [*ROOT.glob("segmentation/**/*.py"), *ROOT.glob("pages/*.py"), *ROOT.glob("app*.py")],
)


def test_the_layout_is_found():
    names = {path.relative_to(ROOT).as_posix() for path in CODE}
    assert {"app.py", "app_state.py", "segmentation/prepare.py", "segmentation/run_model.py"} <= names


@pytest.mark.parametrize("path", CODE, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_file_is_over_600_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines: split it along a seam"


@pytest.mark.parametrize("path", CODE, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_private_name_is_imported_from_another_module(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    crossing = [
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module is not None
        for alias in node.names
        if alias.name.startswith("_")
        and not alias.name.startswith("__")
        and (node.level > 0 or node.module.split(".")[0] in {"segmentation", "app_state", "app_options"})
    ]
    assert not crossing, f"{path.relative_to(ROOT)} imports private names: {crossing}"
