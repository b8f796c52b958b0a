"""The command line's flags: what each command takes, with its help (only light imports, so --help is instant)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .options import DIALECTS, K_LIMIT, OUTLIERS, SCALERS, TRANSACTIONS, TRANSFORMS, WEIGHTINGS
from .wording import clipped, one_line

__all__ = ["EXIT_BAD_INPUT", "Parser", "build_parser", "separator"]

#: The exit code of bad data or bad arguments (0 is success).
EXIT_BAD_INPUT = 2


class Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one ``error:`` line and exit code 2."""

    def error(self, message: str):  # noqa: D102 - argparse's own hook
        self.exit(EXIT_BAD_INPUT, f"error: {one_line(message)} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m segmentation``."""
    parser = Parser(prog="python -m segmentation", description="Segment customers from a CSV or Excel file.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    sweep_parser = commands.add_parser("sweep", help="try a range of K and suggest one")
    add_input_options(sweep_parser)
    add_log_options(sweep_parser)
    sweep_parser.add_argument("--k-min", type=int, default=2, help="smallest K to try (default 2)")
    sweep_parser.add_argument("--k-max", type=int, default=10, help=f"largest K to try (default 10, at most {K_LIMIT})")
    sweep_parser.add_argument(
        "--stability",
        action="store_true",
        help="also re-segment resamples of the customers and report how well each K's segments come back",
    )
    sweep_parser.add_argument(
        "--resamples", type=positive, default=10, help="resamples per K for --stability (default 10)"
    )
    add_common_options(sweep_parser)
    add_engine_options(sweep_parser)

    segment_parser = commands.add_parser("segment", help="segment customers at one K and write the results")
    add_input_options(segment_parser)
    add_log_options(segment_parser, out=True)
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
    add_common_options(segment_parser)
    add_engine_options(segment_parser)

    score_parser = commands.add_parser("score", help="put new customers into the segments of a run file")
    score_parser.add_argument("file", type=Path, help="new customers (CSV or .xlsx)")
    score_parser.add_argument("--model", type=Path, required=True, help="run file written by 'segment --config'")
    score_parser.add_argument("--out", type=Path, help="write every new customer with its segment to this CSV")
    score_parser.add_argument("--sep", help="field separator (default: detected)")
    score_parser.add_argument("--encoding", help="text encoding (default: detected)")
    score_parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    new_log = score_parser.add_argument_group(
        "transaction log options", "For segments made from a log: the new log is rolled up with the same columns."
    )
    add_as_of(new_log, default="the new log's last date")
    add_out_transactions(new_log, what="every order line of the new log with its customer's segment and status")
    add_engine_options(score_parser)

    sql_parser = commands.add_parser("sql", help="print one SQL SELECT that scores a table where it lives")
    sql_parser.add_argument("--model", type=Path, required=True, help="run file written by 'segment --config'")
    sql_parser.add_argument("--table", required=True, help="the table to score, e.g. crm.customers")
    sql_parser.add_argument("--dialect", choices=DIALECTS, default="duckdb", help="SQL dialect (default duckdb)")
    add_as_of(
        sql_parser.add_argument_group(
            "transaction log options", "For segments made from a log: --table holds order lines, rolled up in SQL."
        ),
        default="the run file's as-of date",
    )

    compare_parser = commands.add_parser("compare", help="show how customers move between the segments at two K")
    add_input_options(compare_parser)
    add_log_options(compare_parser)
    compare_parser.add_argument("--k", type=int, required=True, help="first number of segments")
    compare_parser.add_argument("--k2", type=int, required=True, help="second number of segments, e.g. K + 1")
    add_common_options(compare_parser)
    return parser


def add_input_options(parser: argparse.ArgumentParser) -> None:
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


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seed", type=seed, default=0, help="random seed (default 0, any whole number from 0); same seed, same result"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def add_engine_options(parser: argparse.ArgumentParser) -> None:
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


def separator(sep: str | None) -> str | None:
    return {"tab": "\t", "\\t": "\t", "pipe": "|", "semicolon": ";", "comma": ","}.get(sep, sep)


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


#: Seeds run from 0 to Spark's largest (a 64-bit signed number): NumPy takes no negative seed.
MAX_SEED = 2**63 - 1


def seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to {MAX_SEED:,}, not '{clipped(text, 40)}'")
    return value


def add_log_options(parser: argparse.ArgumentParser, *, out: bool = False) -> None:
    """The transaction-log flags (``out``: also ``--out-transactions``, for ``segment``)."""
    log = parser.add_argument_group(
        "transaction log options",
        "A log of orders (repeated customer IDs beside dates) is rolled up to one row per customer first: days "
        "since the last and first purchase, orders, total spend, average order value, average days between orders.",
    )
    log.add_argument(
        "--transactions",
        choices=list(TRANSACTIONS),
        default="auto",
        help="; ".join(f"{choice}: {what}" for choice, what in TRANSACTIONS.items()) + " (default auto)",
    )
    log.add_argument("--customer", metavar="COL", help="the customer ID column (default: found)")
    log.add_argument("--date", metavar="COL", help="the purchase date column (default: found)")
    log.add_argument("--amount", metavar="COL", help="the amount column (default: found; '' for none)")
    log.add_argument("--order", metavar="COL", help="the order ID column (default: found; '' for none)")
    add_as_of(log, default="the log's last date")
    if out:
        add_out_transactions(log, what="every order line with its customer's segment, RFM cell and status")


def add_as_of(group: argparse._ArgumentGroup, *, default: str) -> None:
    """``--as-of DATE`` (one flag for every command that rolls a log up)."""
    group.add_argument("--as-of", metavar="DATE", help=f"count days to this date, e.g. 2024-06-30 (default: {default})")


def add_out_transactions(group: argparse._ArgumentGroup, *, what: str) -> None:
    """``--out-transactions FILE`` (one flag for every command that writes a log's order lines)."""
    group.add_argument("--out-transactions", type=Path, metavar="FILE", help=f"write {what} to this CSV")
