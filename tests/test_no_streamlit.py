"""The core is a plain library: no module of segmentation/ imports streamlit."""

from __future__ import annotations

import subprocess
import sys

from helpers import ROOT


def test_no_module_imports_streamlit():
    modules = sorted(p.stem for p in (ROOT / "segmentation").glob("*.py") if p.stem != "__main__")
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module('segmentation.' + name if name != '__init__' else 'segmentation')\n"
        "assert 'streamlit' not in sys.modules, 'streamlit was imported'\n"
        "print(len(sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_no_streamlit_in_the_source():
    for path in (ROOT / "segmentation").rglob("*.py"):
        for line in path.read_text().splitlines():
            stripped = line.strip()
            assert not stripped.startswith(("import streamlit", "from streamlit")), path
