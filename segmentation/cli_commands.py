"""The commands of ``python -m segmentation``: each reads its files, calls the core and prints."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from . import cli_spark as spark
from . import cli_transactions as logs
from .cards import segment_cards
from .cli import EXIT_OK
from .cli_files import write_whole
from .cli_parser import separator
from .describe import describe
from .errors import DataError
from .export import cards_html, scored_csv, summary_csv
from .fit import fit
from .load import load_table
from .options import K_LIMIT
from .report import report_html, reproduce_command
from .runfile import read_run_file, run_config_json
from .score_log import roll_up_new_log
from .scoring import score
from .sql import scoring_sql
from .stability import stability, stability_by_default, stability_ks, stability_sweep
from .sweep import sweep
from .transitions import transitions
from .unusual import unusual_customers

__all__ = ["run"]


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Run a parsed command; problems in the data raise DataError (``main`` words them)."""
    if args.command == "sweep":
        return _sweep(args, stdout, stderr)
    if args.command == "score":
        return _score(args, stdout)
    if args.command == "sql":
        return _sql(args, stdout)
    if args.command == "compare":
        return _compare(args, stdout)
    return _segment(args, stdout, stderr)


def prep_options(args: argparse.Namespace) -> dict[str, Any]:
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
    """The command's customers (a log rolled up) and their preparation."""
    customers = logs.read_customers(args, sep=separator(args.sep))
    return customers, customers.prepare(**prep_options(args))


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
    customers = rollup = None
    if args.engine == "spark":
        with spark.session(args) as session:
            engine = spark.engine()
            prepared, rollup = spark.prepared(args, session, prep_options(args))
            result = engine.sweep(prepared, **options)
    else:
        customers, prepared = _prepared(args)
        result = sweep(prepared, **options)
    stable = None
    checked = stability_ks(result.k)  # K=1 always agrees with itself: nothing to measure
    if args.stability and checked:
        printer = (
            None if args.json else _progress_printer(stderr, f"Checking stability of K={result.k[0]}..{result.k[-1]}")
        )

        def progress(done: int, total: int) -> None:
            # One line per K, not per resample.
            if printer is not None and done % args.resamples == 0:
                printer(done // args.resamples, total // args.resamples)

        stable = stability_sweep(
            prepared,
            k_min=checked[0],
            k_max=checked[-1],
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
                **logs.log_json(customers),
                **spark.log_json(rollup),
                **extra,
            },
            stdout,
        )
        return EXIT_OK
    if customers is not None:
        logs.print_log(customers, stdout)
    if rollup is not None:
        logs.print_rollup(rollup.notes, stdout)
    print(f"{prepared.n_rows:,} customers, features: {', '.join(prepared.columns)}", file=stdout)
    for warning in _sweep_warnings(prepared, result):
        print(f"Warning: {warning}", file=stdout)
    frame = result.frame()
    if stable is not None:
        by_k = {s.k: s for s in stable}
        frame["Stability (ARI)"] = [
            f"{by_k[k].ari_mean:.2f} ± {by_k[k].ari_std:.2f}" if k in by_k else "-" for k in result.k
        ]
        frame["Unstable segments"] = [
            (", ".join(map(str, by_k[k].unstable_segments)) or "-") if k in by_k else "-" for k in result.k
        ]
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
        logs.refuse_out_transactions(args)  # before Spark takes its half minute to start
        with spark.session(args) as session:
            return _segment_with_spark(args, session, stdout)
    customers, prepared = _prepared(args)
    segmentation = fit(prepared, args.k, random_state=args.seed)
    profile = describe(segmentation)
    written = []
    extra = logs.log_json(customers)
    if args.unusual:
        extra["unusual"] = int(unusual_customers(segmentation).sum())
    logs.write_customers(args, customers, segmentation, profile, written)
    if args.summary:
        write_whole(args.summary, summary_csv(profile))
        written.append(f"segment summary: {args.summary}")
    if args.config:
        write_whole(args.config, run_config_json(segmentation, profile=profile, rollup=customers.rollup))
        written.append(f"run file: {args.config}")
    _write_cards(args, profile, written)
    _write_report(args, segmentation, profile, written, stderr)
    if not args.json:
        logs.print_log(customers, stdout)
    _print_segments(args, prepared, segmentation, profile, written, stdout, extra=extra)
    if not args.json:
        logs.print_rfm(customers, segmentation, stdout)
    return EXIT_OK


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
    write_whole(args.report, page)
    written.append(f"report: {args.report}")


def _write_cards(args: argparse.Namespace, profile, written: list[str]) -> None:
    if args.cards:
        title = f"{Path(str(args.file)).name}: {len(profile.names)} customer segments"
        write_whole(args.cards, cards_html(segment_cards(profile), title=title))
        written.append(f"segment cards: {args.cards}")


def _segment_with_spark(args: argparse.Namespace, session, stdout: TextIO) -> int:
    engine = spark.engine()
    prepared, rollup = spark.prepared(args, session, prep_options(args))
    segmentation = engine.fit(prepared, args.k, random_state=args.seed)
    profile = engine.describe(segmentation)
    transactions = None if rollup is None else rollup.definitions()
    config = engine.run_config(segmentation, profile=profile, transactions=transactions)
    written = []
    if args.out:
        engine.write(engine.score(prepared.table.frame, config), args.out)
        written.append(f"customers with segments: {args.out}")
    if args.summary:
        write_whole(args.summary, summary_csv(profile))
        written.append(f"segment summary: {args.summary}")
    if args.config:
        write_whole(args.config, json.dumps(config, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
        written.append(f"run file: {args.config}")
    _write_cards(args, profile, written)
    if rollup is not None and not args.json:
        logs.print_rollup(rollup.notes, stdout)
    return _print_segments(args, prepared, segmentation, profile, written, stdout, extra=spark.log_json(rollup))


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
    logs.check_score_options(args, model)
    rollup = None
    if args.engine == "spark":
        log_notes: list[str] = []
        with spark.session(args) as session:
            engine = spark.engine()
            table = engine.read(session, args.file, sep=separator(args.sep), encoding=args.encoding)
            if model.transactions is not None:
                # A new log, rolled up in Spark with the run file's definitions, as the default engine does.
                rollup, log_notes = roll_up_new_log(
                    table,
                    model.transactions,
                    model_columns=model.columns,
                    as_of=args.as_of,
                    spec=model.spec,
                    roll_up_with=engine.roll_up,
                )
                table = rollup.table
            summary = engine.score_summary(table.frame, model)
            if args.out:
                engine.write(engine.score(table.frame, model), args.out)
        rows, sizes, not_segmented, notes = (
            summary["rows"],
            summary["sizes"],
            summary["not_segmented"],
            [*log_notes, *summary["notes"]],
        )
    else:
        table = load_table(args.file, sep=separator(args.sep), encoding=args.encoding, min_rows=1)
        scored = score(table, model, as_of=args.as_of)
        if args.out:
            write_whole(args.out, scored_csv(scored))
        logs.write_scored_lines(args, scored)
        rollup = scored.rollup
        rows, sizes, not_segmented = scored.table.n_rows, scored.sizes, int((scored.labels == 0).sum())
        notes = scored.notes
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
                **({} if rollup is None else {"transactions": rollup.definitions()}),
            },
            stdout,
        )
        return EXIT_OK
    if rollup is not None:
        print(f"New transaction log rolled up to one row per customer: {notes[0]}", file=stdout)
        notes = notes[1:]
    print(f"{rows:,} new customers put into {model.k} segments", file=stdout)
    for i, (name, size) in enumerate(zip(model.names, sizes, strict=True), start=1):
        print(f"{i:>3}  {name:<45} {size:>10,}", file=stdout)
    for note in notes:
        print(f"Note: {note}", file=stdout)
    if args.out:
        print(f"Wrote customers with segments: {args.out}", file=stdout)
    if args.out_transactions:
        print(f"Wrote order lines with their customer's segment: {args.out_transactions}", file=stdout)
    return EXIT_OK


def _compare(args: argparse.Namespace, stdout: TextIO) -> int:
    customers, prepared = _prepared(args)
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
                **logs.log_json(customers),
            },
            stdout,
        )
        return EXIT_OK
    logs.print_log(customers, stdout)
    print(f"Customers by segment at K={args.k} (rows) and at K={args.k2} (columns):", file=stdout)
    print(result.crosstab.to_string(), file=stdout)
    print(result.summary, file=stdout)
    for move in result.moves[1:]:
        print(move, file=stdout)
    return EXIT_OK


def _sql(args: argparse.Namespace, stdout: TextIO) -> int:
    model = read_run_file(args.model)
    print(scoring_sql(model, args.table, dialect=args.dialect, as_of=args.as_of) + ";", file=stdout)
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
