"""Bench (issue 5, target 4): reading a ~200 MB customer CSV with all the sniffing.

Generates a comma-separated export (3.9 million customers, nine columns: a zero-padded ID, gender,
age with ``NA`` markers, income, spending score, region with blanks, visits, a two-decimal balance
and a sign-up date; about 200 MB), then reads it in fresh processes, so each peak is its own:

* ``pd.read_csv(path)``, the baseline (types guessed, no raw text view);
* ``segmentation.load_table(path)``: encoding, separator, decimal mark, header and missing markers
  sniffed, every cell kept as written (``raw``) plus the typed view (``frame``).

Peak memory is the process's peak resident set (``getrusage``) minus what it held after its imports;
target: ``load_table`` in at most 10 s and at most 3x the file size. ``--stages`` also times each
stage of ``load_table`` and shows the resident memory after it.

    python bench/bench_load.py             # about a minute, plus ~15 s to write the file once
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
from _data import write_customer_csv

ROWS = 3_900_000


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
    return {"what": what, "seconds": seconds, "before": before / 1e6, "peak": peak / 1e6, "shape": list(shape)}


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
    parser.add_argument("--path", type=Path, help="an existing CSV to read instead of the generated one")
    parser.add_argument("--rows", type=int, default=ROWS, help="customers in the generated file")
    parser.add_argument("--stages", action="store_true", help="also time each stage of load_table")
    parser.add_argument("--measure", nargs=2, metavar=("WHAT", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--stages-of", metavar="PATH", help=argparse.SUPPRESS)
    parser.add_argument("--write", nargs=2, metavar=("ROWS", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.write:
        write_customer_csv(args.write[1], int(args.write[0]))
        return 0
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return 0
    if args.stages_of:
        print(json.dumps(stages(args.stages_of)))
        return 0

    path = args.path
    if path is None:
        path = Path(tempfile.gettempdir()) / f"segmentation-bench-{args.rows}.csv"
        if not path.exists():
            print(f"writing {path} ...", flush=True)
            # In its own process: Linux carries a process's peak memory over to the children it
            # starts, so the measuring processes must come from a parent that stayed small.
            subprocess.run([sys.executable, __file__, "--write", str(args.rows), str(path)], check=True, cwd=ROOT)
    size = os.path.getsize(path) / 1e6
    print(f"# Reading {path.name}: {size:,.1f} MB")
    print(machine())
    results = [in_fresh_process("--measure", what, str(path)) for what in ("read_csv", "load_table")]
    rows = []
    for r in results:
        grown = r["peak"] - r["before"]
        name = "pd.read_csv(path)" if r["what"] == "read_csv" else "segmentation.load_table(path)"
        rows.append(
            (name, f"{r['seconds']:.2f}", f"{r['peak']:,.0f}", f"{grown:,.0f}", f"{grown / size:.2f}x", r["shape"])
        )
    print()
    print(table(("reading", "seconds", "peak RSS MB", "peak - imports MB", "vs file size", "frame shape"), rows))
    ours = results[1]
    grown = (ours["peak"] - ours["before"]) / size
    print()
    print(f"load_table {ours['seconds']:.2f} s (target <= 10 s), {results[0]['seconds']:.2f} s for pd.read_csv")
    print(f"load_table peak {grown:.2f}x the file size (target <= 3x); pd.read_csv {rows[0][4]}")
    if args.stages:
        print()
        steps = in_fresh_process("--stages-of", str(path))
        print(
            table(
                ("stage of load_table", "seconds", "RSS after, MB", "peak so far, MB"),
                [(s, f"{t:.2f}", f"{m:,.0f}", f"{p:,.0f}") for s, t, m, p in steps],
            )
        )
    print(machine())
    met = ours["seconds"] <= 10 and grown <= 3
    print("TARGET MET" if met else "TARGET MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
