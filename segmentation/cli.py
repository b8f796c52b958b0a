"""The command line: the same calls as the app, for scripts and pipelines.

::

    python -m segmentation sweep FILE [prep options] [--k-min 2] [--k-max 10] [--seed 0] [--json]
                                 [--stability [--resamples 10]]
    python -m segmentation segment FILE --k K [prep options] [--seed 0] [--out LABELLED.csv]
                                   [--summary SUMMARY.csv] [--config RUN.json] [--json]
                                   [--unusual] [--cards CARDS.html] [--report REPORT.html]
    python -m segmentation compare FILE --k K --k2 K2 [prep options] [--seed 0] [--json]
    python -m segmentation score NEW.csv --model RUN.json [--out LABELLED.csv] [--json]
                                 [--as-of DATE] [--out-transactions LINES.csv]
    python -m segmentation sql --model RUN.json --table TABLE [--dialect duckdb|postgres|bigquery|snowflake|spark]
                               [--as-of DATE]

    prep options: [--features COL [COL ...]] [--scaler standard|robust|minmax|none]
                  [--outliers keep|clip] [--sep SEP] [--encoding ENC]
    engine options (sweep, segment, score): [--engine python|spark] [--spark-master URL]
    transaction log options (sweep, segment, compare): [--transactions auto|yes|no] [--customer COL]
                  [--date COL] [--amount COL] [--order COL] [--as-of DATE]; segment: [--out-transactions FILE]
                  (a run file made from a log carries its columns: score and sql roll a new log up the same way)

With ``--engine spark`` the same flags print the same JSON; the input may be CSV or Parquet (a local
path or any URI Spark reads) and ``--out`` is written by Spark as Parquet (or CSV when it ends in
``.csv``), a folder of part files, never over an existing path.

These flags, the JSON printed with ``--json`` and the exit codes are a contract other tools rely on:
0 on success, 2 on bad data or bad arguments (one ``error: <message>`` line on stderr, never a
traceback). Keys may be added to the JSON; none is removed or renamed. An output path that names
an input (or another output) is refused before any work, and every output is written whole or not
at all.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Sequence
from typing import TextIO

from .cli_files import check_outputs
from .cli_parser import EXIT_BAD_INPUT, build_parser
from .errors import DataError
from .wording import clipped, one_line

__all__ = ["EXIT_BAD_INPUT", "EXIT_OK", "build_parser", "main"]

#: The exit code of success (bad data or bad arguments: :data:`EXIT_BAD_INPUT`, 2).
EXIT_OK = 0


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
        # Libraries' warnings (openpyxl's about a workbook's extensions, ...) would add lines to
        # stderr, which carries progress and one error line only.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_outputs(args)
            from . import cli_commands  # the core's heavy imports, only once a command runs

            return cli_commands.run(args, stdout, stderr)
    except DataError as error:
        print(f"error: {one_line(error)}", file=stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader went away (e.g. `... | head`): nothing more to say, and nothing went wrong here.
        return EXIT_OK
    except OSError as error:
        where = f"'{clipped(error.filename, 200)}': " if error.filename else ""
        print(f"error: {one_line(f'{where}{error.strerror or error}')}", file=stderr)
        return EXIT_BAD_INPUT
    except MemoryError:
        print(
            "error: this machine ran out of memory on this data. Leave out columns (--features), use a sample of "
            "the customers, or use the Spark engine (--engine spark).",
            file=stderr,
        )
        return EXIT_BAD_INPUT
