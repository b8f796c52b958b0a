"""The command line's transaction logs: the flags, reading a file as customers, the JSON key, the downloads.

``sweep``, ``segment`` and ``compare`` roll a log up to one row per customer first (by
:func:`segmentation.roll_up_if_log`, the app's rule), then work on customers: ``"rows"`` counts
customers and the JSON adds ``"transactions"``. Without a log nothing changes.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from .cli_files import write_whole
from .customers import Customers, LogOptions
from .describe import Profile
from .errors import DataError
from .export import labelled_csv
from .fit import Segmentation
from .load import load_table
from .log_export import customers_csv, order_lines_csv, scored_order_lines_csv
from .rfm import rfm_crosstab, rfm_scores
from .runfile import RunModel
from .scoring import Scored

__all__ = [
    "check_score_options",
    "log_json",
    "print_log",
    "print_rfm",
    "read_customers",
    "print_rollup",
    "refuse_out_transactions",
    "write_customers",
    "write_scored_lines",
]

_COLUMN_FLAGS = ("customer", "date", "amount", "order")


def refuse_out_transactions(args: argparse.Namespace) -> None:
    """For the Spark engine, which rolls logs up but writes no order lines: refuse the flag rather than ignore it."""
    if getattr(args, "out_transactions", None) is not None:
        raise DataError(
            "--out-transactions runs with --engine python only (Spark writes the customers with their segments "
            "with --out); drop one of the two."
        )


def log_options(args: argparse.Namespace) -> LogOptions:
    """The command's log flags (``--transactions``, the four columns, ``--as-of``), for either engine."""
    columns = {flag: getattr(args, flag) for flag in _COLUMN_FLAGS}
    return LogOptions(transactions=args.transactions, as_of=args.as_of, **columns)


def read_customers(args: argparse.Namespace, *, sep: str | None) -> Customers:
    """The command's file, rolled up when it is a log (as the flags say).

    Raises
    ------
    DataError
        As :func:`segmentation.roll_up_if_log`, or when ``--out-transactions`` is given for a file
        that is not a log.
    """
    table = load_table(args.file, sep=sep, encoding=args.encoding)
    customers = Customers.of(table, log_options(args))
    if customers.rollup is None and getattr(args, "out_transactions", None) is not None:
        raise DataError(
            f"--out-transactions writes the order lines of a transaction log, but '{table.name}' was read as one "
            "row per customer. Use --out, or name the log's columns (--customer, --date)."
        )
    return customers


def log_json(customers: Customers | None) -> dict[str, Any]:
    """``{"transactions": {"rows", "customers", "customer", "date", "amount", "order", "as_of"}}``, or ``{}``."""
    return {} if customers is None or customers.rollup is None else {"transactions": customers.rollup.definitions()}


def print_log(customers: Customers, stdout: TextIO) -> None:
    """Say that the file was rolled up, and how (nothing for a customer table)."""
    if customers.rollup is not None:
        print_rollup(customers.rollup.notes, stdout)


def print_rollup(notes: tuple[str, ...], stdout: TextIO) -> None:
    """A roll-up's notes (any engine's), the first as the headline."""
    print(f"Transaction log rolled up to one row per customer: {notes[0]}", file=stdout)
    for note in notes[1:]:
        print(f"Note: {note}", file=stdout)
    print("Below, rows are customers, numbered as in the customer file --out writes.", file=stdout)


def write_customers(
    args: argparse.Namespace,
    customers: Customers,
    segmentation: Segmentation,
    profile: Profile,
    written: list[str],
) -> None:
    """``--out`` (one row per customer; for a log with RFM scores and cell) and ``--out-transactions``."""
    rollup = customers.rollup
    if args.out:
        if rollup is None:
            data = labelled_csv(segmentation, profile=profile, unusual=args.unusual)
        else:
            data = customers_csv(segmentation, rollup, profile=profile, unusual=args.unusual)
        write_whole(args.out, data)
        written.append(f"customers with segments: {args.out}")
    if rollup is not None and args.out_transactions:
        write_whole(args.out_transactions, order_lines_csv(customers.file, rollup, segmentation, profile=profile))
        written.append(f"order lines with their customer's segment: {args.out_transactions}")


def print_rfm(customers: Customers, segmentation: Segmentation, stdout: TextIO) -> None:
    """A log's customers by RFM cell and segment (nothing for a customer table)."""
    if customers.rollup is not None:
        table = rfm_crosstab(rfm_scores(customers.rollup)["RFM cell"], segmentation.labels)
        print("Customers by RFM cell (rows) and segment (columns):", file=stdout)
        print(table.to_string(), file=stdout)


def check_score_options(args: argparse.Namespace, model: RunModel) -> None:
    """``score``'s log flags against the run file, before any work: refused where they cannot apply."""
    if model.transactions is None:
        given = ["--as-of"] * (args.as_of is not None) + ["--out-transactions"] * (args.out_transactions is not None)
        if given:
            raise DataError(
                f"{' and '.join(given)}: these segments were made from a customer file (one row per customer), "
                "not a transaction log, so there are no days to count nor order lines to write. Drop them."
            )
    elif args.engine == "spark":
        refuse_out_transactions(args)


def write_scored_lines(args: argparse.Namespace, scored: Scored) -> None:
    """``score --out-transactions``: every order line of the new log with its customer's segment."""
    if args.out_transactions:
        write_whole(args.out_transactions, scored_order_lines_csv(scored))
