"""The same file gives the same output, byte for byte, in a new process on one core or on several.

The search, the sweep's silhouettes and the stability resamples spread work over one thread per core
(``segmentation.threads.cores``, the process's CPU affinity). The numbers must not depend on it: a
marketer re-running yesterday's command on a laptop, a server or a CI runner gets the same segments.
Each run is a fresh ``python -m segmentation`` process, so nothing is shared but the file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from helpers import ROOT

import segmentation as sg

pytestmark = pytest.mark.slow  # twelve fresh processes, each importing scikit-learn: 25 s to a minute

#: A stand-in for ``python`` whose process sees N cores, for where ``taskset`` cannot give it them (not
#: installed, or fewer cores here): ``claimed_cores.py N -m module args...`` or ``claimed_cores.py N -c
#: code``. It works because ``segmentation.threads.cores`` counts ``os.sched_getaffinity``.
CLAIMED_CORES = """
import os, runpy, sys
os.sched_getaffinity = lambda pid, claimed=frozenset(range(int(sys.argv.pop(1)))): set(claimed)
if sys.argv[1] == "-c":
    exec(sys.argv[2], {"__name__": "__main__"})
else:
    sys.argv = [sys.argv[2], *sys.argv[3:]]
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
"""


@pytest.fixture(scope="module")
def customers(tmp_path_factory):
    # Above the small-data limit (2,500 rows), so the sweep runs one K per thread and the
    # silhouettes in blocks over the cores.
    path = tmp_path_factory.mktemp("determinism") / "customers.csv"
    path.write_bytes(sg.demo_csv(4_000, random_state=7))
    return path


@pytest.fixture(scope="module")
def pythons(tmp_path_factory) -> dict[str, list[str]]:
    """How to start python on one core (by ``taskset`` where it is installed, and always by the
    wrapper, so the way used without ``taskset`` is tested too) and on several (two at least)."""
    wrapper = tmp_path_factory.mktemp("wrapper") / "claimed_cores.py"
    wrapper.write_text(CLAIMED_CORES)
    mine = sorted(os.sched_getaffinity(0))
    pythons = {"one core (claimed)": [sys.executable, str(wrapper), "1"]}
    if shutil.which("taskset"):
        pythons["one core (taskset)"] = ["taskset", "-c", str(mine[0]), sys.executable]
    pythons["several cores"] = [sys.executable] if len(mine) > 1 else [sys.executable, str(wrapper), "2"]
    return pythons


def run(python: list[str], arguments: list[str]) -> bytes:
    # The clone on the path: the wrapper's own folder, not the working directory, comes first there.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([*python, *arguments], capture_output=True, cwd=ROOT, env=env, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def test_one_core_is_one_and_several_are_several(pythons):
    code = "from segmentation.threads import cores; print(cores())"
    seen = {name: int(run(python, ["-c", code])) for name, python in pythons.items()}
    several = seen.pop("several cores")
    assert set(seen.values()) == {1} and several >= 2, (seen, several)


def test_the_sweep_prints_the_same_bytes_on_one_core_and_on_several(customers, pythons):
    outputs = {
        name: run(python, ["-m", "segmentation", "sweep", str(customers), "--json"]) for name, python in pythons.items()
    }
    several = outputs.pop("several cores")
    assert json.loads(several)["k"] == list(range(2, 11))  # a real result, not the same error twice
    for name, output in outputs.items():
        assert output == several, name


def test_the_stability_check_prints_the_same_bytes_on_one_core_and_on_several(customers, pythons):
    # Resamples of 3,200 customers (80%): spread over a thread per core.
    stability = ["sweep", str(customers), "--k-max", "5", "--stability", "--json"]
    outputs = {name: run(python, ["-m", "segmentation", *stability]) for name, python in pythons.items()}
    several = outputs.pop("several cores")
    assert len(json.loads(several)["stability"]) == 4
    for name, output in outputs.items():
        assert output == several, name


def test_every_customer_in_the_same_segment_on_one_core_and_on_several(customers, pythons, tmp_path):
    outputs, files = {}, {}
    for name, python in pythons.items():
        files[name] = tmp_path / f"{name}.csv"
        segment = ["segment", str(customers), "--k", "4", "--json", "--out", str(files[name])]
        outputs[name] = run(python, ["-m", "segmentation", *segment])
    several, several_file = outputs.pop("several cores"), files.pop("several cores").read_bytes()
    assert json.loads(several)["rows"] == 4_000 and several_file.count(b"\n") == 4_001
    for name, output in outputs.items():
        assert output == several, name
        assert files[name].read_bytes() == several_file, name
