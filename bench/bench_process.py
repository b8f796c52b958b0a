"""Whole processes, as a person waits for them: our command line against the plain pandas + scikit-learn script.

Issue 13's targets 1 and 2: import, load, preparation and the work together, each in a fresh
process, side by side in one run, on a generated CSV of customers (an ID, a yes/no column, numbers):

* ``sweep --k-min 1 --k-max 19`` against the tutorial's script (``read_csv``, drop the ID, label-encode
  the yes/no column, ``StandardScaler``, ``KMeans(n_clusters=k)`` for K=1..19, print the SSE);
* ``segment --k 6 --out`` against the plain script (the same preparation, ``KMeans(n_clusters=6,
  n_init=10)``, ``to_csv`` of every row with its segment).

Printed: seconds and peak memory (``/usr/bin/time``'s maximum resident set size) of each, our
ratio to the plain script, and the plain script's floor: the same process without its clustering
(importing, reading, scaling and writing), below which no tool reading and writing with pandas goes.

    python bench/bench_process.py --rows 1000000     # a few minutes on 2 cores
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import ROOT, machine, table
from _data import plain_customers

TUTORIAL_SWEEP = """
import sys
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler
frame = pd.read_csv(sys.argv[1]).drop(columns="CustomerID")
frame["Gender"] = (frame["Gender"] == "Male").astype(int)
X = StandardScaler().fit_transform(frame)
print([KMeans(n_clusters=k, random_state=0).fit(X).inertia_ for k in range(1, 20)])
"""

PLAIN_SEGMENT = """
import sys
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler
frame = pd.read_csv(sys.argv[1])
features = frame.drop(columns="CustomerID")
features["Gender"] = (features["Gender"] == "Male").astype(int)
X = StandardScaler().fit_transform(features)
frame["Segment"] = KMeans(n_clusters=6, n_init=10, random_state=0).fit(X).labels_ + 1
frame.to_csv(sys.argv[2], index=False)
"""

# What the plain scripts spend before and after the clustering itself: importing pandas and
# scikit-learn, reading the CSV, scaling and (for segment) writing every row back. No tool that reads
# and writes with pandas can take less, so each target's ratio can go no lower than floor / plain.
FLOOR_SWEEP = """
import sys
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler
frame = pd.read_csv(sys.argv[1]).drop(columns="CustomerID")
frame["Gender"] = (frame["Gender"] == "Male").astype(int)
X = StandardScaler().fit_transform(frame)
"""

FLOOR_SEGMENT = """
import sys
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler
frame = pd.read_csv(sys.argv[1])
features = frame.drop(columns="CustomerID")
features["Gender"] = (features["Gender"] == "Male").astype(int)
X = StandardScaler().fit_transform(features)
frame["Segment"] = 1
frame.to_csv(sys.argv[2], index=False)
"""


def measured(command: list[str]) -> tuple[float, float]:
    """Seconds and peak resident megabytes of one process."""
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%e %M", *command], capture_output=True, text=True, cwd=ROOT, check=True
    )
    seconds, kilobytes = done.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kilobytes) / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the best is kept")
    args = parser.parse_args(argv)
    python = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "customers.csv"
        plain_customers(args.rows).to_csv(path, index=False)
        print(f"{args.rows:,} customers, {path.stat().st_size / 1e6:,.0f} MB; {machine()}")
        pairs = {
            "sweep K=1..19": (
                [python, "-c", FLOOR_SWEEP, str(path)],
                [python, "-c", TUTORIAL_SWEEP, str(path)],
                [python, "-m", "segmentation", "sweep", str(path), "--k-min", "1", "--k-max", "19", "--json"],
            ),
            "segment K=6 with --out": (
                [python, "-c", FLOOR_SEGMENT, str(path), str(Path(folder) / "floor.csv")],
                [python, "-c", PLAIN_SEGMENT, str(path), str(Path(folder) / "plain.csv")],
                [
                    python,
                    "-m",
                    "segmentation",
                    "segment",
                    str(path),
                    "--k",
                    "6",
                    "--out",
                    str(Path(folder) / "ours.csv"),
                ],
            ),
        }
        rows = []
        for what, (floor, plain, ours) in pairs.items():
            floor_s, _ = min(measured(floor) for _ in range(args.repeat))
            plain_s, plain_mb = min(measured(plain) for _ in range(args.repeat))
            ours_s, ours_mb = min(measured(ours) for _ in range(args.repeat))
            rows.append(
                (
                    what,
                    f"{ours_s:.1f}",
                    f"{plain_s:.1f}",
                    f"{ours_s / plain_s:.2f}",
                    f"{floor_s:.1f}",
                    f"{floor_s / plain_s:.2f}",
                    f"{ours_mb:,.0f}",
                    f"{plain_mb:,.0f}",
                    f"{ours_mb / plain_mb:.2f}",
                )
            )
        print(
            "floor: the plain script without its clustering (import, read, scale, and for segment the write):"
            " no ratio can go below floor / plain"
        )
        print(
            table(
                [
                    "work",
                    "ours s",
                    "plain s",
                    "ratio",
                    "floor s",
                    "floor / plain",
                    "ours MB",
                    "plain MB",
                    "memory ratio",
                ],
                rows,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
