"""Bench (issue 5, target 5): how the whole pipeline's cost grows with the number of customers.

For each size, in a fresh process (so each peak is its own): write a generated customer CSV (not
timed; see ``_data.write_customer_csv``), then time ``load_table(path)``, ``prepare``,
``sweep(k_min=2, k_max=10)`` and ``fit(K)`` at the suggested K, and record the peak resident memory.
The cost should grow about linearly: ten times the customers, about ten times the time (less at
the small end, where fixed costs such as the 10,000-row silhouette sample dominate).

    python bench/bench_scaling.py                      # 10k, 100k, 1M, 5M rows: about 4 minutes
    python bench/bench_scaling.py --sizes 10000 100000 # quicker
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


def csv_path(rows: int) -> Path:
    return Path(tempfile.gettempdir()) / f"segmentation-scaling-{rows}.csv"


def run_one(rows: int) -> dict:
    """The pipeline on ``rows`` generated customers, in this (fresh) process."""
    import psutil

    import segmentation

    path = csv_path(rows)
    before = psutil.Process().memory_info().rss
    seconds = {}
    start = time.perf_counter()
    table_ = segmentation.load_table(path)
    seconds["load"] = time.perf_counter() - start
    start = time.perf_counter()
    prepared = segmentation.prepare(table_)
    seconds["prepare"] = time.perf_counter() - start
    start = time.perf_counter()
    result = segmentation.sweep(prepared, k_min=2, k_max=10)
    seconds["sweep 2..10"] = time.perf_counter() - start
    start = time.perf_counter()
    segments = segmentation.fit(prepared, result.suggested_k)
    seconds["fit"] = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "rows": rows,
        "megabytes": path.stat().st_size / 1e6,
        "features": len(prepared.feature_names),
        "k": segments.k,
        "seconds": seconds,
        "before": before / 1e6,
        "peak": peak / 1e6,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000, 5_000_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--write", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one)))
        return 0
    if args.write:
        write_customer_csv(csv_path(args.write), args.write, random_state=1)
        return 0

    print("# Scaling: load_table + prepare + sweep(2..10) + fit, generated customers (9 columns)")
    print(machine())
    rows = []
    for size in args.sizes:
        if not csv_path(size).exists():
            # Written by its own process: Linux carries a process's peak memory over to the children
            # it starts, and the measuring process must not inherit the generator's.
            subprocess.run([sys.executable, __file__, "--write", str(size)], check=True, cwd=ROOT)
        done = subprocess.run(
            [sys.executable, __file__, "--one", str(size)], capture_output=True, text=True, cwd=ROOT, check=False
        )
        if done.returncode != 0:
            print(f"{size:,} rows failed:\n{done.stderr[-2000:]}")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        t = r["seconds"]
        rows.append(
            (
                f"{r['rows']:,}",
                f"{r['megabytes']:,.1f}",
                *(f"{t[s]:.2f}" for s in ("load", "prepare", "sweep 2..10", "fit")),
                f"{sum(t.values()):.2f}",
                f"{r['peak']:,.0f}",
                f"{r['peak'] - r['before']:,.0f}",
            )
        )
        print(f"  {size:,} rows done ({sum(t.values()):.1f} s)", flush=True)
    print()
    headers = ("rows", "CSV MB", "load s", "prepare s", "sweep s", "fit s", "total s", "peak RSS MB", "peak - start MB")
    print(table(headers, rows))
    print(machine())
    print(f"(the generated CSV files stay in {tempfile.gettempdir()} for the next run; delete them when done)")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
