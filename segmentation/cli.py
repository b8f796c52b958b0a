"""The command line: the same calls as the app, for scripts and pipelines.

::

    python -m segmentation sweep FILE [prep options] [--k-min 2] [--k-max 10] [--seed 0] [--json]
                                 [--stability [--resamples 10]]
    python -m segmentation segment FILE --k K [prep options] [--seed 0] [--out LABELLED.csv]
                                   [--summary SUMMARY.csv] [--config RUN.json] [--json]
                                   [--unusual] [--cards CARDS.html] [--report REPORT.html]
    python -m segmentation compare FILE --k K --k2 K2 [prep options] [--seed 0] [--json]
    python -m segmentation score NEW.csv --model RUN.json [--out LABELLED.csv] [--json]
    python -m segmentation sql --model RUN.json --table TABLE [--dialect duckdb|postgres|bigquery|snowflake|spark]

    prep options: [--features COL [COL ...]] [--scaler standard|robust|minmax|none]
                  [--outliers keep|clip] [--sep SEP] [--encoding ENC]
    engine options (sweep, segment, score): [--engine python|spark] [--spark-master URL]

With ``--engine spark`` the same flags print the same JSON; the input may be CSV or Parquet (a local
path or any URI Spark reads) and ``--out`` is written by Spark as Parquet (or CSV when it ends in
``.csv``), a folder of part files, never over an existing path.

These flags, the JSON printed with ``--json`` and the exit codes are a contract other tools rely on:
0 on success, 2 on bad data or bad arguments (one ``error: <message>`` line on stderr, never a
traceback). Keys may be added to the JSON; none is removed or renamed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from .cards import segment_cards
from .describe import describe
from .errors import DataError
from .export import cards_html, labelled_csv, scored_csv, summary_csv
from .fit import fit
from .load import load_table
from .prepare import OUTLIERS, SCALERS, TRANSFORMS, WEIGHTINGS, prepare
from .report import report_html, reproduce_command
from .runfile import read_run_file, run_config_json
from .scoring import score
from .sql import scoring_sql
from .sql_dialects import DIALECTS
from .stability import stability, stability_by_default, stability_sweep
from .sweep import K_LIMIT, sweep
from .transitions import transitions
from .unusual import unusual_customers

__all__ = ["main"]

EXIT_OK = 0
EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one ``error:`` line and exit code 2."""

    def error(self, message: str):  # noqa: D102 - argparse's own hook
        self.exit(EXIT_BAD_INPUT, f"error: {message} (see 'python -m segmentation {self.prog.split()[-1]} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m segmentation``."""
    parser = _Parser(prog="python -m segmentation", description="Segment customers from a CSV or Excel file.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sweep_parser = commands.add_parser("sweep", help="try a range of K and suggest one")
    _add_input_options(sweep_parser)
    sweep_parser.add_argument("--k-min", type=int, default=2, help="smallest K to try (default 2)")
    sweep_parser.add_argument("--k-max", type=int, default=10, help=f"largest K to try (default 10, at most {K_LIMIT})")
    sweep_parser.add_argument(
        "--stability",
        action="store_true",
        help="also re-segment resamples of the customers and report how well each K's segments come back",
    )
    sweep_parser.add_argument(
        "--resamples", type=_positive, default=10, help="resamples per K for --stability (default 10)"
    )
    _add_common_options(sweep_parser)
    _add_engine_options(sweep_parser)

    segment_parser = commands.add_parser("segment", help="segment customers at one K and write the results")
    _add_input_options(segment_parser)
    segment_parser.add_argument("--k", type=int, required=True, help="number of segments")
    segment_parser.add_argument("--out", type=Path, help="write every customer with its segment to this CSV")
    segment_parser.add_argument("--summary", type=Path, help="write the per-segment summary to this CSV")
    segment_parser.add_argument(
        "--config", type=Path, help="write the run (options, fitted preparation, centres) to this JSON"
    )
    segment_parser.add_argument(
        "--unusual",
        action="store_true",
        help="flag the customers who fit their segment worst (adds 'Fit score' and 'Unusual' to --out)",
    )
    segment_parser.add_argument(
        "--cards", type=Path, metavar="CARDS.html", help="write one card per segment to this HTML page"
    )
    segment_parser.add_argument(
        "--report",
        type=Path,
        metavar="REPORT.html",
        help="write a self-contained report to this HTML file: the columns, how K compares with K=2..10 "
        "(and stability), each segment in the file's units, the unusual customers and the settings",
    )
    _add_common_options(segment_parser)
    _add_engine_options(segment_parser)

    score_parser = commands.add_parser("score", help="put new customers into the segments of a run file")
    score_parser.add_argument("file", type=Path, help="new customers (CSV or .xlsx)")
    score_parser.add_argument("--model", type=Path, required=True, help="run file written by 'segment --config'")
    score_parser.add_argument("--out", type=Path, help="write every new customer with its segment to this CSV")
    score_parser.add_argument("--sep", help="field separator (default: detected)")
    score_parser.add_argument("--encoding", help="text encoding (default: detected)")
    score_parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    _add_engine_options(score_parser)

    sql_parser = commands.add_parser("sql", help="print one SQL SELECT that scores a table where it lives")
    sql_parser.add_argument("--model", type=Path, required=True, help="run file written by 'segment --config'")
    sql_parser.add_argument("--table", required=True, help="the table to score, e.g. crm.customers")
    sql_parser.add_argument("--dialect", choices=DIALECTS, default="duckdb", help="SQL dialect (default duckdb)")

    compare_parser = commands.add_parser("compare", help="show how customers move between the segments at two K")
    _add_input_options(compare_parser)
    compare_parser.add_argument("--k", type=int, required=True, help="first number of segments")
    compare_parser.add_argument("--k2", type=int, required=True, help="second number of segments, e.g. K + 1")
    _add_common_options(compare_parser)
    return parser


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the command line; return the exit code."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = build_parser()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        if args.command == "sweep":
            return _sweep(args, stdout, stderr)
        if args.command == "score":
            return _score(args, stdout)
        if args.command == "sql":
            return _sql(args, stdout)
        if args.command == "compare":
            return _compare(args, stdout)
        return _segment(args, stdout, stderr)
    except DataError as error:
        print(f"error: {_one_line(str(error))}", file=stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader went away (e.g. `... | head`): nothing more to say, and nothing went wrong here.
        return EXIT_OK
    except OSError as error:
        where = f": {error.filename}" if error.filename else ""
        print(f"error: {error.strerror or error}{where}", file=stderr)
        return EXIT_BAD_INPUT


def _add_input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="customer file (CSV or .xlsx)")
    prep = parser.add_argument_group("prep options")
    prep.add_argument(
        "--features", nargs="+", metavar="COL", help="columns to segment on (default: every usable column)"
    )
    prep.add_argument(
        "--scaler", choices=sorted(SCALERS), default="standard", help="feature scaling (default standard)"
    )
    prep.add_argument(
        "--outliers",
        choices=list(OUTLIERS),
        default="keep",
        help="keep (default); clip values beyond the 1st/99th percentile; set-aside: customers with an "
        "impossible or extreme value do not place the segments and are flagged Unusual",
    )
    prep.add_argument(
        "--weighting",
        choices=list(WEIGHTINGS),
        default="balanced",
        help="balanced (default): each number counts once, a category or yes/no column at most once; "
        "equal: every encoded feature scaled alike, the tutorial's space",
    )
    prep.add_argument(
        "--transform",
        choices=list(TRANSFORMS),
        default="auto",
        help="auto (default): heavily skewed amounts on a log scale; none; log: every number of 0 or more",
    )
    for flag, what in (
        ("--categorical", "columns to read as categories (e.g. codes stored as numbers)"),
        ("--numeric", "columns to read as numbers (e.g. a score the tool took for codes)"),
        ("--describe", "columns to show per segment without forming them (e.g. an outcome)"),
        ("--ignore", "columns to leave out"),
    ):
        prep.add_argument(flag, nargs="+", metavar="COL", default=[], help=what)
    prep.add_argument("--sep", help="field separator (default: detected); 'tab' or '\\t' for tabs")
    prep.add_argument("--encoding", help="text encoding (default: detected)")


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0); same seed, same result")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def _add_engine_options(parser: argparse.ArgumentParser) -> None:
    engine = parser.add_argument_group("engine options")
    engine.add_argument(
        "--engine",
        choices=["python", "spark"],
        default="python",
        help="python (default): this machine; spark: Apache Spark, for tables of any size (CSV or Parquet)",
    )
    engine.add_argument(
        "--spark-master", metavar="URL", help="Spark master, e.g. local[*] (default: from spark-submit or local)"
    )


def _separator(sep: str | None) -> str | None:
    return {"tab": "\t", "\\t": "\t", "pipe": "|", "semicolon": ";", "comma": ","}.get(sep, sep)


def _prep_options(args: argparse.Namespace) -> dict[str, Any]:
    """The preparation options of a command, as :func:`segmentation.prepare` takes them."""
    return dict(
        features=args.features,
        scaler=args.scaler,
        outliers=args.outliers,
        weighting=args.weighting,
        transform=args.transform,
        categorical=args.categorical,
        numeric=args.numeric,
        describe=args.describe,
        ignore=args.ignore,
    )


def _prepared(args: argparse.Namespace):
    table = load_table(args.file, sep=_separator(args.sep), encoding=args.encoding)
    return prepare(table, **_prep_options(args))


def _columns_json(prepared) -> list[dict[str, Any]]:
    """Every column of the file, in file order: what it is, what it is for, and why."""
    return [
        {
            "name": r.column,
            "role": r.role,
            "kind": r.kind,
            "transform": r.transform,
            "codes": list(r.codes),
            "extremes": r.extremes,
            "note": r.summary(),
        }
        for r in prepared.reports
    ]


def _sweep(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if args.stability and args.engine == "spark":
        raise DataError("--stability runs with --engine python only; drop one of the two.")
    progress = None if args.json else _progress_printer(stderr, f"Trying K={args.k_min}..{args.k_max}")
    options = dict(k_min=args.k_min, k_max=args.k_max, random_state=args.seed, on_progress=progress)
    if args.engine == "spark":
        with _spark_session(args) as session:
            engine = _spark_engine()
            prepared = _spark_prepared(args, session)
            result = engine.sweep(prepared, **options)
    else:
        prepared = _prepared(args)
        result = sweep(prepared, **options)
    stable = None
    if args.stability:
        printer = (
            None if args.json else _progress_printer(stderr, f"Checking stability of K={result.k[0]}..{result.k[-1]}")
        )

        def progress(done: int, total: int) -> None:
            # One line per K, not per resample.
            if printer is not None and done % args.resamples == 0:
                printer(done // args.resamples, total // args.resamples)

        stable = stability_sweep(
            prepared,
            k_min=result.k[0],
            k_max=result.k[-1],
            random_state=args.seed,
            resamples=args.resamples,
            on_progress=progress,
        )
    if args.json:
        extra = {} if stable is None else {"stability": [_stability_json(s) for s in stable]}
        _print_json(
            {
                "rows": prepared.n_rows,
                "features": list(prepared.columns),
                "k": list(result.k),
                "inertia": list(result.inertia),
                "silhouette": list(result.silhouette),
                "calinski_harabasz": list(result.calinski_harabasz),
                "davies_bouldin": list(result.davies_bouldin),
                "suggested_k": result.suggested_k,
                "knee_k": result.knee_k,
                "best_silhouette_k": result.best_silhouette_k,
                "silhouette_rows": result.silhouette_rows,
                "notes": list(result.notes),
                "columns": _columns_json(prepared),
                "warnings": _sweep_warnings(prepared, result),
                "smallest_segment": list(result.smallest),
                **extra,
            },
            stdout,
        )
        return EXIT_OK
    print(f"{prepared.n_rows:,} customers, features: {', '.join(prepared.columns)}", file=stdout)
    for warning in _sweep_warnings(prepared, result):
        print(f"Warning: {warning}", file=stdout)
    frame = result.frame()
    if stable is not None:
        frame["Stability (ARI)"] = [f"{s.ari_mean:.2f} ± {s.ari_std:.2f}" for s in stable]
        frame["Unstable segments"] = [", ".join(map(str, s.unstable_segments)) or "-" for s in stable]
    table = frame.to_string(index=False, float_format=lambda v: f"{v:,.4f}", na_rep="-")
    print(table, file=stdout)
    for note in result.notes:
        print(f"Note: {note}", file=stdout)
    print(f"Suggested K: {result.suggested_k}. {result.advice()}", file=stdout)
    if stable is not None:
        print(
            "Stability: agreement of segments found on resamples with the full solution (adjusted Rand "
            "index, 1 = identical); a segment is unstable when its mean Jaccard is below 0.6.",
            file=stdout,
        )
    return EXIT_OK


def _sweep_warnings(prepared, result) -> list[str]:
    warnings = list(prepared.warnings())
    size = result.small_segments(result.suggested_k)
    if size:
        warnings.append(
            f"At the suggested K={result.suggested_k} the smallest segment holds {size:,} customer(s) "
            f"({size / result.n_rows:.1%}), too few to act on."
        )
    return warnings


def _segment_warnings(prepared, segmentation) -> list[str]:
    return list(prepared.warnings()) + segmentation.warnings()


def _stability_json(result) -> dict[str, Any]:
    return {
        "k": result.k,
        "ari_mean": result.ari_mean,
        "ari_std": result.ari_std,
        "ari_min": result.ari_min,
        "segment_jaccard": list(result.segment_jaccard),
        "unstable_segments": list(result.unstable_segments),
    }


def _segment(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if args.engine == "spark":
        if args.unusual:
            raise DataError("--unusual runs with --engine python only; drop one of the two.")
        if args.report:
            raise DataError("--report runs with --engine python only; drop one of the two.")
        with _spark_session(args) as session:
            return _segment_with_spark(args, session, stdout)
    prepared = _prepared(args)
    segmentation = fit(prepared, args.k, random_state=args.seed)
    profile = describe(segmentation)
    written = []
    extra = {}
    if args.unusual:
        extra["unusual"] = int(unusual_customers(segmentation).sum())
    if args.out:
        args.out.write_bytes(labelled_csv(segmentation, profile=profile, unusual=args.unusual))
        written.append(f"customers with segments: {args.out}")
    if args.summary:
        args.summary.write_bytes(summary_csv(profile))
        written.append(f"segment summary: {args.summary}")
    if args.config:
        args.config.write_text(run_config_json(segmentation, profile=profile), encoding="utf-8")
        written.append(f"run file: {args.config}")
    _write_cards(args, profile, written)
    _write_report(args, segmentation, profile, written, stderr)
    return _print_segments(args, prepared, segmentation, profile, written, stdout, extra=extra)


def _write_report(args: argparse.Namespace, segmentation, profile, written: list[str], stderr: TextIO) -> None:
    """The HTML report, with the criteria of K=2..10 (or up to K) around the chosen K, and its stability."""
    if not args.report:
        return
    k = segmentation.k
    progress = None if args.json else _progress_printer(stderr, "Report: trying K for comparison")
    k_min, k_max = min(2, k), min(max(10, k), K_LIMIT)
    compared = sweep(segmentation.prepared, k_min=k_min, k_max=k_max, random_state=args.seed, on_progress=progress)
    checked = []
    if k > 1 and stability_by_default(segmentation.prepared.n_segmented):
        checked = [stability(segmentation.prepared, k, random_state=args.seed, reference=segmentation)]
    page = report_html(
        segmentation,
        profile=profile,
        sweep=compared,
        stability=checked,
        command=reproduce_command(segmentation, file=str(args.file)),
    )
    args.report.write_text(page, encoding="utf-8")
    written.append(f"report: {args.report}")


def _write_cards(args: argparse.Namespace, profile, written: list[str]) -> None:
    if args.cards:
        title = f"{Path(str(args.file)).name}: {len(profile.names)} customer segments"
        args.cards.write_text(cards_html(segment_cards(profile), title=title), encoding="utf-8")
        written.append(f"segment cards: {args.cards}")


def _segment_with_spark(args: argparse.Namespace, session, stdout: TextIO) -> int:
    engine = _spark_engine()
    prepared = _spark_prepared(args, session)
    segmentation = engine.fit(prepared, args.k, random_state=args.seed)
    profile = engine.describe(segmentation)
    config = engine.run_config(segmentation, profile=profile)
    written = []
    if args.out:
        engine.write(engine.score(prepared.table.frame, config), args.out)
        written.append(f"customers with segments: {args.out}")
    if args.summary:
        args.summary.write_bytes(summary_csv(profile))
        written.append(f"segment summary: {args.summary}")
    if args.config:
        text = json.dumps(config, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        args.config.write_text(text, encoding="utf-8")
        written.append(f"run file: {args.config}")
    _write_cards(args, profile, written)
    return _print_segments(args, prepared, segmentation, profile, written, stdout)


def _print_segments(
    args: argparse.Namespace,
    prepared,
    segmentation,
    profile,
    written: list[str],
    stdout: TextIO,
    *,
    extra: dict[str, Any] | None = None,
) -> int:
    """The segment command's output, the same for every engine; ``extra`` adds keys to the JSON."""
    extra = extra or {}
    not_segmented = prepared.n_rows - sum(segmentation.sizes)
    if args.json:
        _print_json(
            {
                "rows": prepared.n_rows,
                "k": segmentation.k,
                "features": list(prepared.columns),
                "sizes": list(segmentation.sizes),
                "inertia": segmentation.inertia,
                "silhouette": segmentation.silhouette,
                "names": list(profile.names),
                "not_segmented": int(not_segmented),
                "columns": _columns_json(prepared),
                "warnings": _segment_warnings(prepared, segmentation),
                **extra,
            },
            stdout,
        )
        return EXIT_OK
    print(
        f"{prepared.n_rows:,} customers in {segmentation.k} segments (features: {', '.join(prepared.columns)})",
        file=stdout,
    )
    sizes = profile.summary[["Name", "Customers", "Share of customers"]].copy()
    sizes["Share of customers"] = (sizes["Share of customers"] * 100).map(lambda v: f"{v:.1f}%")
    print(sizes.to_string(), file=stdout)
    for warning in _segment_warnings(prepared, segmentation):
        print(f"Warning: {warning}", file=stdout)
    silhouette = "-" if segmentation.silhouette is None else f"{segmentation.silhouette:.4f}"
    print(f"SSE (inertia): {segmentation.inertia:,.4f}   silhouette: {silhouette}", file=stdout)
    if "unusual" in extra:
        print(
            f"Unusual customers: {extra['unusual']:,} (fit their segment worst or sit far from its centre)",
            file=stdout,
        )
    for line in written:
        print(f"Wrote {line}", file=stdout)
    return EXIT_OK


def _score(args: argparse.Namespace, stdout: TextIO) -> int:
    model = read_run_file(args.model)
    if args.engine == "spark":
        with _spark_session(args) as session:
            engine = _spark_engine()
            table = engine.read(session, args.file, sep=_separator(args.sep), encoding=args.encoding)
            summary = engine.score_summary(table.frame, model)
            if args.out:
                engine.write(engine.score(table.frame, model), args.out)
        rows, sizes, not_segmented, notes = (
            summary["rows"],
            summary["sizes"],
            summary["not_segmented"],
            summary["notes"],
        )
    else:
        table = load_table(args.file, sep=_separator(args.sep), encoding=args.encoding, min_rows=1)
        scored = score(table, model)
        if args.out:
            args.out.write_bytes(scored_csv(scored))
        rows, sizes, not_segmented, notes = table.n_rows, scored.sizes, int((scored.labels == 0).sum()), scored.notes
    if args.json:
        _print_json(
            {
                "rows": rows,
                "k": model.k,
                "features": list(model.columns),
                "sizes": list(sizes),
                "names": list(model.names),
                "not_segmented": not_segmented,
                "notes": list(notes),
            },
            stdout,
        )
        return EXIT_OK
    print(f"{rows:,} new customers put into {model.k} segments", file=stdout)
    for i, (name, size) in enumerate(zip(model.names, sizes, strict=True), start=1):
        print(f"{i:>3}  {name:<45} {size:>10,}", file=stdout)
    for note in notes:
        print(f"Note: {note}", file=stdout)
    if args.out:
        print(f"Wrote customers with segments: {args.out}", file=stdout)
    return EXIT_OK


def _compare(args: argparse.Namespace, stdout: TextIO) -> int:
    prepared = _prepared(args)
    result = transitions(prepared, args.k, args.k2, random_state=args.seed)
    if args.json:
        _print_json(
            {
                "rows": prepared.n_rows,
                "k": args.k,
                "k2": args.k2,
                "crosstab": result.crosstab.to_numpy().tolist(),
                "names": list(result.names_from),
                "names2": list(result.names_to),
                "summary": result.summary,
                "moves": list(result.moves),
            },
            stdout,
        )
        return EXIT_OK
    print(f"Customers by segment at K={args.k} (rows) and at K={args.k2} (columns):", file=stdout)
    print(result.crosstab.to_string(), file=stdout)
    print(result.summary, file=stdout)
    for move in result.moves[1:]:
        print(move, file=stdout)
    return EXIT_OK


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _sql(args: argparse.Namespace, stdout: TextIO) -> int:
    model = read_run_file(args.model)
    print(scoring_sql(model, args.table, dialect=args.dialect) + ";", file=stdout)
    return EXIT_OK


def _spark_engine():
    """:mod:`segmentation.spark`, or a DataError saying how to install it."""
    import warnings

    # PySpark 4.3 warns that pandas 3 is "not fully supported"; the engine converts nothing with pandas.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    try:
        import pyspark  # noqa: F401 - only to tell a missing install apart
    except ImportError:
        raise DataError(
            "The Spark engine needs pyspark and Java: pip install -r requirements-spark.txt "
            "(and a Java runtime, e.g. apt-get install openjdk-17-jre-headless)."
        ) from None
    from . import spark

    return spark


def _spark_prepared(args: argparse.Namespace, session):
    engine = _spark_engine()
    table = engine.read(session, args.file, sep=_separator(args.sep), encoding=args.encoding)
    return engine.prepare(table, **_prep_options(args))


@contextlib.contextmanager
def _spark_session(args: argparse.Namespace):
    """The active SparkSession (e.g. under spark-submit or in tests), or a new one stopped at the end."""
    # Said before Spark takes its half minute to start.
    location = str(getattr(args, "file", ""))
    if location and "://" not in location and not Path(location).exists():
        raise DataError(f"There is no file at '{location}'. Check the path and try again.")
    out = getattr(args, "out", None)
    if out is not None and "://" not in str(out) and Path(out).exists():
        raise DataError(f"'{out}' already exists; choose a new path for the results (Spark writes a folder).")
    _spark_engine()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    builder = SparkSession.builder.appName("segmentation").config("spark.ui.showConsoleProgress", "false")
    if args.spark_master:
        builder = builder.master(args.spark_master)
    try:
        with _java_output_silenced():
            session = builder.getOrCreate()
    except Exception as error:  # noqa: BLE001 - pyspark raises a generic error when Java cannot start
        raise DataError(f"Spark could not start ({_one_line(str(error))[:200]}). Is Java installed?") from None
    try:
        yield session
    finally:
        session.stop()


@contextlib.contextmanager
def _java_output_silenced():
    """Start the Spark JVM with its stdout and stderr on /dev/null.

    The CLI's stdout carries the JSON and its stderr only ``error:`` lines; Spark's JVM prints start-up
    notices and log lines to both. The JVM inherits the file descriptors open when it starts, so
    they point to /dev/null for just that moment (Spark's own errors still reach Python as exceptions).
    """
    import os

    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)


def _print_json(payload: dict[str, Any], stdout: TextIO) -> None:
    print(json.dumps(payload, ensure_ascii=False, allow_nan=False), file=stdout)


def _progress_printer(stream: TextIO, label: str):
    interactive = hasattr(stream, "isatty") and stream.isatty()

    def report(done: int, total: int) -> None:
        end = "\n" if done == total or not interactive else ""
        prefix = "\r" if interactive else ""
        print(f"{prefix}{label}: {done}/{total}", end=end, file=stream, flush=True)

    return report


def _one_line(message: str) -> str:
    return " ".join(message.split())
