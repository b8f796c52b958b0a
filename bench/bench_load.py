"""Bench (issue 13, target 4): loading a customer CSV against pandas' C reader, time and memory.

Two generated files, each read in fresh processes (so each peak is its own), alternating, the
median of ``--rounds`` kept:

* **plain**: 1,000,000 customers x 6 (ID, Gender, four numbers; 33 MB), as ``pd.DataFrame.to_csv``
  writes them; target: ``load_table`` within 2x ``pd.read_csv``;
* **messy**: 3,900,000 customers x 9 (a zero-padded ID, gender, age with ``NA`` markers, income,
  spending score, region with blanks, visits, a two-decimal balance and a sign-up date; 202 MB);
  target: within 3x ``pd.read_csv``.

Memory: the peak resident set (``getrusage``) minus what the process held after its imports, as a
multiple of the file's size; target 2.5x. ``pd.read_csv(path)`` types the cells as it splits them
and keeps no text; ``load_table`` keeps every cell as written (for the download) besides its typed
view. ``--stages`` also times each stage of ``load_table`` on each file and shows the resident
memory after it; ``--path FILE`` reads a file of your own instead (target 3x).

    python bench/bench_load.py             # about a minute, plus ~20 s to write the files once
    python bench/bench_load.py --stages
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, machine, table
from _data import plain_customers, write_customer_csv

ROWS = 3_900_000
PLAIN_ROWS = 1_000_000
#: Peak memory over the imports, as a multiple of the file's size.
MEMORY_TARGET = 2.5


def measure(what: str, path: str) -> dict:
    """Run one reading in this (fresh) process; return seconds and memory in MB."""
    import pandas as pd
    import psutil

    import segmentation

    before = psutil.Process().memory_info().rss
    start = time.perf_counter()
    if what == "read_csv":
        result = pd.read_csv(path)
        shape = result.shape
    else:
        result = segmentation.load_table(path)
        shape = result.frame.shape
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    # The typed view alone (numbers as float64, text in Arrow): what any typed reader holds at the end.
    typed = (result if what == "read_csv" else result.frame).memory_usage(deep=True, index=False).sum()
    return {
        "what": what,
        "seconds": seconds,
        "before": before / 1e6,
        "peak": peak / 1e6,
        "shape": list(shape),
        "typed": typed / 1e6,
    }


def stages(path: str) -> list[tuple[str, float, float, float]]:
    """``load_table``'s CSV path stage by stage: (stage, seconds, resident MB after, peak MB so far)."""
    import psutil

    import segmentation

    rows, process = [], psutil.Process()
    clock = time.perf_counter()

    def mark(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        rows.append((stage, now - clock, process.memory_info().rss / 1e6, peak / 1e6))
        clock = now

    mark("imports")
    segmentation.load_table(path, on_stage=mark)
    return rows


def in_fresh_process(*args: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", type=Path, help="an existing CSV to read instead of the generated ones")
    parser.add_argument("--rounds", type=int, default=3, help="fresh-process readings of each; the median is kept")
    parser.add_argument("--stages", action="store_true", help="also time each stage of load_table")
    parser.add_argument("--measure", nargs=2, metavar=("WHAT", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--stages-of", metavar="PATH", help=argparse.SUPPRESS)
    parser.add_argument("--write", nargs=3, metavar=("KIND", "ROWS", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.write:
        kind, rows, path = args.write
        if kind == "plain":
            plain_customers(int(rows)).to_csv(path, index=False)
        else:
            write_customer_csv(path, int(rows))
        return 0
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return 0
    if args.stages_of:
        print(json.dumps(stages(args.stages_of)))
        return 0

    files = (
        [("your file", args.path, 3.0)]
        if args.path
        else [
            ("plain", _generated("plain", PLAIN_ROWS), 2.0),
            ("messy", _generated("messy", ROWS), 3.0),
        ]
    )
    print(machine())
    rows, met = [], True
    for label, path, target in files:
        size = os.path.getsize(path) / 1e6
        runs: dict[str, list[dict]] = {"read_csv": [], "load_table": []}
        for _ in range(args.rounds):
            for what in runs:
                runs[what].append(in_fresh_process("--measure", what, str(path)))
        theirs, ours = (_median(runs[what]) for what in ("read_csv", "load_table"))
        ratio = ours["seconds"] / theirs["seconds"]
        grown = {what: (r["peak"] - r["before"]) / size for what, r in (("read_csv", theirs), ("load_table", ours))}
        met = met and ratio <= target and grown["load_table"] <= MEMORY_TARGET
        rows.append(
            (
                f"{label}: {ours['shape'][0]:,} x {ours['shape'][1]} ({size:,.1f} MB)",
                f"{theirs['seconds']:.2f}",
                f"{ours['seconds']:.2f}",
                f"{ratio:.1f} ({target:g})",
                f"{grown['read_csv']:.1f}x",
                f"{grown['load_table']:.1f}x ({MEMORY_TARGET:g}x)",
                f"{ours['typed'] / size:.1f}x + 1.0x = {ours['typed'] / size + 1:.1f}x",
            )
        )
    print()
    print(
        table(
            (
                "file",
                "pd.read_csv s",
                "load_table s",
                "ratio (target)",
                "peak, read_csv",
                "peak, load_table (target)",
                "floor: typed view + the file's bytes",
            ),
            rows,
        )
    )
    print(f"(medians of {args.rounds} fresh processes each; peak = resident memory over the imports, x the file)")
    print(
        "floor: what a loader that gives every cell back as uploaded must hold at the end, before any "
        "working memory: the typed view (numbers as float64, text in Arrow) plus the file's own bytes "
        "(kept for the download, with row offsets); where it passes the memory target, no loader meets it."
    )
    if args.stages:
        for label, path, _ in files:
            print()
            steps = in_fresh_process("--stages-of", str(path))
            print(
                table(
                    (f"stage of load_table, {label}", "seconds", "RSS after, MB", "peak so far, MB"),
                    [(s, f"{t:.2f}", f"{m:,.0f}", f"{p:,.0f}") for s, t, m, p in steps],
                )
            )
    print(machine())
    print("TARGET MET" if met else "TARGET MISSED")
    return 0 if met else 1


def _generated(kind: str, rows: int) -> Path:
    path = Path(tempfile.gettempdir()) / f"segmentation-bench-{kind}-{rows}.csv"
    if not path.exists():
        print(f"writing {path} ...", flush=True)
        # In its own process: Linux carries a process's peak memory over to the children it
        # starts, so the measuring processes must come from a parent that stayed small.
        subprocess.run([sys.executable, __file__, "--write", kind, str(rows), str(path)], check=True, cwd=ROOT)
    return path


def _median(runs: list[dict]) -> dict:
    """The run of median time (its memory with it)."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


if __name__ == "__main__":
    raise SystemExit(main())
