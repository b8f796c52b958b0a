"""Scoring throughput of the three engines on the same 10,000,000 customers and the same run file.

    python bench/score_throughput.py                 # 10,000,000 rows; about 10 minutes on 2 cores
    python bench/score_throughput.py --rows 1000000  # a quicker look

It generates the customers (the built-in sample's generator, written once to
``bench/out/customers_<rows>.parquet``), fits a run file on 20,000 of them with the default
engine, then scores every row with each engine in its own process:

* ``python``: the default engine, :func:`segmentation.score` on chunks of 1,000,000 rows read
  with pyarrow;
* ``duckdb``: the query of ``python -m segmentation sql --dialect duckdb`` run by DuckDB;
* ``spark``: :func:`segmentation.spark.score` in Spark ``local[2]`` (needs pyspark and Java).

Each engine reports rows per second (reading included, nothing written) and the peak memory of its
process tree (the JVM included), sampled with psutil. The per-segment sizes and a checksum of
every row's segment (the sum of row id x segment) must agree across engines; a mismatch exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ENGINES = ("python", "duckdb", "spark")
CHUNK_ROWS = 1_000_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--engine", choices=ENGINES, help=argparse.SUPPRESS)  # one engine, in a child process
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--model", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:
        print(json.dumps(_score(args.engine, args.data, args.model)))
        return 0

    args.out.mkdir(parents=True, exist_ok=True)
    data = _generate(args.out / f"customers_{args.rows}.parquet", args.rows)
    model = _fit(args.out / "run.json")
    results = {}
    for engine in args.engines:
        print(f"scoring {args.rows:,} rows with {engine} ...", file=sys.stderr, flush=True)
        results[engine] = _measured(engine, data, model)
    _print_table(args.rows, results)
    reference = next(iter(results.values()))
    same = all(r["sizes"] == reference["sizes"] and r["checksum"] == reference["checksum"] for r in results.values())
    print(f"\nSame segment for every row in every engine: {'yes' if same else 'NO'}")
    return 0 if same else 1


def _generate(path: Path, rows: int) -> Path:
    """The customers as Parquet, generated once in chunks (a stable RowID, unique customer ids)."""
    if path.exists():
        return path
    import pyarrow as pa
    import pyarrow.parquet as pq

    from segmentation import make_customers

    writer = None
    try:
        for start in range(0, rows, CHUNK_ROWS):
            n = min(CHUNK_ROWS, rows - start)
            frame = make_customers(n, random_state=1 + start // CHUNK_ROWS)
            frame["CustomerID"] = [f"C{start + i + 1:09d}" for i in range(n)]
            frame.insert(0, "RowID", range(start, start + n))
            table = pa.Table.from_pandas(frame, preserve_index=False)
            writer = writer or pq.ParquetWriter(path, table.schema)
            writer.write_table(table, row_group_size=256_000)
    finally:
        if writer is not None:
            writer.close()
    return path


def _fit(path: Path) -> Path:
    import segmentation as sg

    table = sg.load_table(sg.demo_csv(20_000, random_state=7))
    segmentation = sg.fit(sg.prepare(table), 5)
    path.write_text(sg.run_config_json(segmentation), encoding="utf-8")
    return path


def _measured(engine: str, data: Path, model: Path) -> dict:
    """Run one engine in a child process; sample the RSS of its process tree for the peak."""
    import psutil

    command = [sys.executable, __file__, "--engine", engine, "--data", str(data), "--model", str(model)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    process = psutil.Process(child.pid)
    peak = 0
    while child.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.1)
    output = child.stdout.read()
    if child.returncode != 0:
        raise SystemExit(f"{engine} failed (exit {child.returncode}): {output[-2000:]}")
    result = json.loads(output.strip().splitlines()[-1])
    result["peak_mb"] = peak / 1e6
    return result


def _score(engine: str, data: Path, model_path: Path) -> dict:
    """Score every row with one engine; return rows, seconds, sizes and the checksum."""
    import numpy as np

    model = json.loads(model_path.read_text(encoding="utf-8"))
    k = model["options"]["k"]
    start = time.perf_counter()
    if engine == "python":
        import pyarrow.parquet as pq

        import segmentation as sg

        sizes, checksum, rows = np.zeros(k + 1, dtype=np.int64), 0, 0
        for batch in pq.ParquetFile(data).iter_batches(batch_size=CHUNK_ROWS):
            frame = batch.to_pandas()
            labels = sg.score(frame, model).labels
            sizes += np.bincount(labels, minlength=k + 1)
            checksum += int((frame["RowID"].to_numpy(dtype=np.int64) * labels).sum())
            rows += len(frame)
        sizes_list = [int(s) for s in sizes[1:]]
    elif engine == "duckdb":
        import duckdb

        from segmentation.sql import scoring_sql

        con = duckdb.connect()
        con.execute(f"CREATE VIEW customers AS SELECT * FROM read_parquet('{data}')")
        query = scoring_sql(model, "customers", dialect="duckdb")
        found = con.execute(
            f'SELECT "Segment", count(*), sum("RowID" * coalesce("Segment", 0)) FROM ({query}) GROUP BY 1'
        ).fetchall()
        counts = {s: (n, c) for s, n, c in found}
        rows = sum(n for n, _ in counts.values())
        sizes_list = [int(counts.get(j, (0, 0))[0]) for j in range(1, k + 1)]
        checksum = int(sum(c for _, c in counts.values()))
    else:
        from pyspark.sql import SparkSession
        from pyspark.sql import functions as F

        from segmentation import spark as sgs

        spark = (
            SparkSession.builder.master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.driver.memory", "2g")
            .getOrCreate()
        )
        start = time.perf_counter()  # the JVM's start-up is not scoring
        frame = spark.read.parquet(str(data))
        scored = sgs.score(frame, model)
        found = (
            scored.groupBy("Segment")
            .agg(F.count(F.lit(1)).alias("n"), F.sum(F.col("RowID") * F.coalesce(F.col("Segment"), F.lit(0))))
            .collect()
        )
        counts = {r[0]: (r[1], r[2]) for r in found}
        rows = sum(n for n, _ in counts.values())
        sizes_list = [int(counts.get(j, (0, 0))[0]) for j in range(1, k + 1)]
        checksum = int(sum(c for _, c in counts.values()))
        spark.stop()
    seconds = time.perf_counter() - start
    return {"rows": int(rows), "seconds": seconds, "sizes": sizes_list, "checksum": checksum}


def _print_table(rows: int, results: dict) -> None:
    print(f"\nScoring {rows:,} customers ({os.cpu_count()} cores), reading included:\n")
    print("| engine | seconds | rows per second | peak memory |")
    print("| --- | ---: | ---: | ---: |")
    names = {"python": "default engine (chunks of 1M)", "duckdb": "DuckDB SQL", "spark": "Spark local[2]"}
    for engine, r in results.items():
        print(f"| {names[engine]} | {r['seconds']:,.1f} | {r['rows'] / r['seconds']:,.0f} | {r['peak_mb']:,.0f} MB |")


if __name__ == "__main__":
    sys.exit(main())
