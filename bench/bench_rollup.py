"""Bench (issue 15): rolling a log of 10,000,000 order lines up to one row per customer.

Generates a log once (seed 0) and keeps it as Parquet in the temp folder: 10,000,000 order lines of
about 4,000,000 orders by 1,000,000 customers over two years, sorted by date as exports are. Order
IDs and customer IDs are text (``"C0012345"``), dates ISO text (``"2024-03-05"``), amounts with two
decimals, 1% of lines refunds (negative), 0.5% without an amount. Each measuring process builds the
:class:`segmentation.Table` directly from those columns, as the loader leaves them (text columns as
Arrow-backed ``str``, the amount as float64): the figures are the roll-up's, not the CSV reading's
(``bench_load.py`` measures that).

Then, each in a fresh process:

* the baseline, a plain pandas roll-up as a tutorial writes it: ``pd.to_datetime`` on the dates,
  then ``groupby(customer).agg(last=max, first=min, orders=nunique, spend=sum)`` and the days;
* ``segmentation.roll_up`` (and, timed apart, ``segmentation.detect_log``).

Peak memory is the process's peak resident set during the call alone: the peak is reset just
before it (``/proc/self/clear_refs``) and read after it with ``getrusage`` (``ru_maxrss``), minus the
resident set before the call (the log itself).

    python bench/bench_rollup.py             # about 3 minutes, plus ~30 s to write the log once
    python bench/bench_rollup.py --lines 1000000
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, machine, table

LINES = 10_000_000


def write_log(path: Path, lines: int, *, random_state: int = 0) -> None:
    """The generated log as Parquet: order lines of orders of customers, sorted by date."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    rng = np.random.default_rng(random_state)
    n_orders, n_customers = lines * 2 // 5, lines // 10
    # Every line belongs to an order, every order to a customer and a day; a few customers buy often.
    order_of_line = np.sort(rng.integers(0, n_orders, lines))
    customer_of_order = (rng.pareto(1.5, n_orders) * n_customers / 20).astype(np.int64) % n_customers
    day_of_order = rng.integers(0, 730, n_orders) + np.datetime64("2023-01-01", "D").astype(np.int64)
    by_day = np.argsort(day_of_order[order_of_line], kind="stable")
    order_of_line = order_of_line[by_day]
    amount = np.round(rng.gamma(2.0, 20.0, lines), 2)
    amount = np.where(rng.random(lines) < 0.01, -amount, amount)
    amount[rng.random(lines) < 0.005] = np.nan

    def ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
        return pc.binary_join_element_wise(prefix, pc.utf8_lpad(pa.array(numbers).cast(pa.string()), width, "0"), "")

    log = pa.table(
        {
            "Order ID": ids("O", order_of_line, 8),
            "Customer ID": ids("C", customer_of_order[order_of_line], 7),
            "Order Date": pa.array(day_of_order[order_of_line].astype("datetime64[D]")).cast(pa.string()),
            "Amount": pa.array(amount, from_pandas=True),
        }
    )
    pq.write_table(log, path)


def read_log(path: str):
    """The log as a Table, as the loader would leave it: text columns as ``str``, the amount typed."""
    import pyarrow.parquet as pq

    from segmentation import Table

    frame = pq.read_table(path).to_pandas()
    raw = frame.assign(Amount=frame["Amount"].astype("str").where(frame["Amount"].notna(), ""))
    return Table(raw=raw, frame=frame, name="bench-log.csv")


def baseline(log) -> tuple[int, int]:
    """A plain pandas roll-up: parse the dates, one groupby per customer."""
    import pandas as pd

    frame = log.frame.assign(Date=pd.to_datetime(log.frame["Order Date"], format="%Y-%m-%d"))
    customers = frame.groupby("Customer ID").agg(
        last=("Date", "max"), first=("Date", "min"), orders=("Order ID", "nunique"), spend=("Amount", "sum")
    )
    as_of = frame["Date"].max()
    customers = customers.assign(
        recency=(as_of - customers["last"]).dt.days,
        tenure=(as_of - customers["first"]).dt.days,
        order_value=customers["spend"] / customers["orders"],
    )
    return len(customers), int(customers["orders"].sum())


def measure(what: str, path: str) -> dict:
    """One measurement in this (fresh) process: seconds, and peak memory above the log, in MB."""
    import psutil

    import segmentation

    log = read_log(path)
    detect_seconds = None
    if what == "roll_up":
        start = time.perf_counter()
        found = segmentation.detect_log(log)
        detect_seconds = time.perf_counter() - start
        assert found is not None and found.options() == {
            "customer": "Customer ID",
            "date": "Order Date",
            "amount": "Amount",
            "order": "Order ID",
        }, found
    gc.collect()
    before = psutil.Process().memory_info().rss
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak: what follows is the call's own
    start = time.perf_counter()
    if what == "roll_up":
        rollup = segmentation.roll_up(log, customer="Customer ID", date="Order Date", amount="Amount", order="Order ID")
        customers, orders = rollup.n_customers, rollup.n_orders
    else:
        customers, orders = baseline(log)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    return {
        "what": what,
        "seconds": seconds,
        "detect_seconds": detect_seconds,
        "log_mb": before / 1e6,
        "peak_mb": peak / 1e6,
        "grown_mb": (peak - before) / 1e6,
        "customers": customers,
        "orders": orders,
        "notes": list(rollup.notes) if what == "roll_up" else [],
    }


def in_fresh_process(*args: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=LINES, help="order lines in the generated log")
    parser.add_argument("--repeat", type=int, default=1, help="measurements of each, alternating")
    parser.add_argument("--measure", nargs=2, metavar=("WHAT", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--write", nargs=2, metavar=("LINES", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.write:
        write_log(Path(args.write[1]), int(args.write[0]))
        return 0
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return 0

    path = Path(tempfile.gettempdir()) / f"segmentation-bench-rollup-{args.lines}.parquet"
    if not path.exists():
        print(f"writing {path} ...", flush=True)
        subprocess.run([sys.executable, __file__, "--write", str(args.lines), str(path)], check=True, cwd=ROOT)
    print(f"# Rolling up {args.lines:,} order lines ({path.name}, built as a Table in memory)")
    print(machine())
    runs = {"baseline": [], "roll_up": []}
    for _ in range(args.repeat):
        for what in runs:
            runs[what].append(in_fresh_process("--measure", what, str(path)))
    best = {what: min(results, key=lambda r: r["seconds"]) for what, results in runs.items()}
    rows = []
    for what, name in (("baseline", "pandas groupby (baseline)"), ("roll_up", "segmentation.roll_up")):
        r = best[what]
        rows.append(
            (
                name,
                f"{r['seconds']:.2f}",
                f"{r['log_mb']:,.0f}",
                f"{r['peak_mb']:,.0f}",
                f"{r['grown_mb']:,.0f}",
                f"{r['customers']:,}",
                f"{r['orders']:,}",
            )
        )
    print()
    print(
        table(("roll-up", "seconds", "log in memory MB", "peak RSS MB", "peak - log MB", "customers", "orders"), rows)
    )
    ours, base = best["roll_up"], best["baseline"]
    print()
    print(
        f"roll_up / baseline: time {ours['seconds'] / base['seconds']:.2f}x, peak memory above the log "
        f"{ours['grown_mb'] / base['grown_mb']:.2f}x"
    )
    print(f"detect_log: {ours['detect_seconds']:.2f} s")
    print("notes:", *ours["notes"], sep="\n  ")
    print(machine())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
