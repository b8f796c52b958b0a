"""The command line: the same calls as the app, for scripts and pipelines.

::

    python -m segmentation sweep FILE [prep options] [--k-min 2] [--k-max 10] [--seed 0] [--json]
    python -m segmentation segment FILE --k K [prep options] [--seed 0] [--out LABELLED.csv]
                                   [--summary SUMMARY.csv] [--config RUN.json] [--json]
    python -m segmentation score NEW.csv --model RUN.json [--out LABELLED.csv] [--json]

    prep options: [--features COL [COL ...]] [--scaler standard|robust|minmax|none]
                  [--outliers keep|clip] [--sep SEP] [--encoding ENC]

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

from .describe import describe
from .errors import DataError
from .export import labelled_csv, run_config_json, scored_csv, summary_csv
from .fit import fit
from .load import load_table
from .model import read_run_file, score
from .prepare import SCALERS, prepare
from .sweep import K_LIMIT, sweep

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
    _add_common_options(sweep_parser)

    segment_parser = commands.add_parser("segment", help="segment customers at one K and write the results")
    _add_input_options(segment_parser)
    segment_parser.add_argument("--k", type=int, required=True, help="number of segments")
    segment_parser.add_argument("--out", type=Path, help="write every customer with its segment to this CSV")
    segment_parser.add_argument("--summary", type=Path, help="write the per-segment summary to this CSV")
    segment_parser.add_argument(
        "--config", type=Path, help="write the run (options, fitted preparation, centres) to this JSON"
    )
    _add_common_options(segment_parser)

    score_parser = commands.add_parser("score", help="put new customers into the segments of a run file")
    score_parser.add_argument("file", type=Path, help="new customers (CSV or .xlsx)")
    score_parser.add_argument("--model", type=Path, required=True, help="run file written by 'segment --config'")
    score_parser.add_argument("--out", type=Path, help="write every new customer with its segment to this CSV")
    score_parser.add_argument("--sep", help="field separator (default: detected)")
    score_parser.add_argument("--encoding", help="text encoding (default: detected)")
    score_parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
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
        return _segment(args, stdout, stderr)
    except DataError as error:
        print(f"error: {_one_line(str(error))}", file=stderr)
        return EXIT_BAD_INPUT
    except OSError as error:
        print(f"error: {error.strerror or error}: {error.filename}", file=stderr)
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
        "--outliers", choices=["keep", "clip"], default="keep", help="clip values beyond the 1st/99th percentile"
    )
    prep.add_argument("--sep", help="field separator (default: detected); 'tab' or '\\t' for tabs")
    prep.add_argument("--encoding", help="text encoding (default: detected)")


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0); same seed, same result")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def _separator(sep: str | None) -> str | None:
    return {"tab": "\t", "\\t": "\t", "pipe": "|", "semicolon": ";", "comma": ","}.get(sep, sep)


def _prepared(args: argparse.Namespace):
    table = load_table(args.file, sep=_separator(args.sep), encoding=args.encoding)
    return prepare(table, features=args.features, scaler=args.scaler, outliers=args.outliers)


def _sweep(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    prepared = _prepared(args)
    progress = None if args.json else _progress_printer(stderr, f"Trying K={args.k_min}..{args.k_max}")
    result = sweep(prepared, k_min=args.k_min, k_max=args.k_max, random_state=args.seed, on_progress=progress)
    if args.json:
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
            },
            stdout,
        )
        return EXIT_OK
    print(f"{prepared.n_rows:,} customers, features: {', '.join(prepared.columns)}", file=stdout)
    table = result.frame().to_string(index=False, float_format=lambda v: f"{v:,.4f}", na_rep="-")
    print(table, file=stdout)
    for note in result.notes:
        print(f"Note: {note}", file=stdout)
    print(f"Suggested K: {result.suggested_k}. {result.advice()}", file=stdout)
    return EXIT_OK


def _segment(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    prepared = _prepared(args)
    segmentation = fit(prepared, args.k, random_state=args.seed)
    profile = describe(segmentation)
    written = []
    if args.out:
        args.out.write_bytes(labelled_csv(segmentation, profile=profile))
        written.append(f"customers with segments: {args.out}")
    if args.summary:
        args.summary.write_bytes(summary_csv(profile))
        written.append(f"segment summary: {args.summary}")
    if args.config:
        args.config.write_text(run_config_json(segmentation, profile=profile), encoding="utf-8")
        written.append(f"run file: {args.config}")
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
                "not_segmented": int(len(prepared.skipped)),
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
    silhouette = "-" if segmentation.silhouette is None else f"{segmentation.silhouette:.4f}"
    print(f"SSE (inertia): {segmentation.inertia:,.4f}   silhouette: {silhouette}", file=stdout)
    for line in written:
        print(f"Wrote {line}", file=stdout)
    return EXIT_OK


def _score(args: argparse.Namespace, stdout: TextIO) -> int:
    model = read_run_file(args.model)
    table = load_table(args.file, sep=_separator(args.sep), encoding=args.encoding)
    scored = score(table, model)
    if args.out:
        args.out.write_bytes(scored_csv(scored))
    if args.json:
        _print_json(
            {
                "rows": table.n_rows,
                "k": model.k,
                "features": list(model.columns),
                "sizes": list(scored.sizes),
                "names": list(model.names),
                "not_segmented": int((scored.labels == 0).sum()),
                "notes": list(scored.notes),
            },
            stdout,
        )
        return EXIT_OK
    print(f"{table.n_rows:,} new customers put into {model.k} segments", file=stdout)
    for i, (name, size) in enumerate(zip(model.names, scored.sizes, strict=True), start=1):
        print(f"{i:>3}  {name:<45} {size:>10,}", file=stdout)
    for note in scored.notes:
        print(f"Note: {note}", file=stdout)
    if args.out:
        print(f"Wrote customers with segments: {args.out}", file=stdout)
    return EXIT_OK


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
