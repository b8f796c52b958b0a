"""Customer segmentation: from any customer CSV to segments a marketer can trust and act on.

The stages, one module each, in the order data flows through them::

    load_table(bytes or path) -> Table          # sniff and read the file, keep every row
    roll_up(table, ...)       -> Rollup         # a log of orders: one row per customer (.table)
    rfm_scores(rollup)                          # R, F, M 1-5 and Putler's RFM cells; rfm_crosstab
    customers_csv / order_lines_csv             # a segmented log's downloads
    prepare(table, ...)       -> Prepared       # column roles, cleaning, encoding, scaling, audit
    sweep(prepared, ...)      -> Sweep          # criteria for a range of K, a suggested K
    fit(prepared, k)          -> Segmentation   # segments numbered by size
    describe(segmentation)    -> Profile        # sizes, averages, indexes, names
    stability(prepared, k)    -> Stability      # do the segments survive resampling?
    transitions(...)          -> Transitions    # where each segment's customers go at another K
    unusual_customers(segmentation)             # who fits worst
    segment_cards(profile)    -> list[Card]     # one card per segment, in plain words
    labelled_csv / summary_csv / cards_html     # downloads
    run_config / read_run_file / score          # the run file, and new customers into its segments

Plain Python (no Streamlit), so the same calls serve the app, the command line
(``python -m segmentation``) and notebooks.

The names below load their module on first use, so ``python -m segmentation --help`` starts at once
and a notebook pays only for the stages it calls.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING

__version__ = "0.1.0"

#: Every public name, and the module that defines it.
_EXPORTS = {
    "Card": "cards",
    "ColumnReport": "columns",
    "Customers": "customers",
    "DataError": "errors",
    "KINDS": "columns",
    "LogColumns": "transactions",
    "LogOptions": "customers",
    "OUTLIERS": "options",
    "Prepared": "prepare",
    "Profile": "describe",
    "ROLES": "columns",
    "Rollup": "transactions",
    "RunModel": "run_model",
    "DEMO_NAME": "demo",
    "SCALERS": "options",
    "SCALER_NAMES": "options",
    "Scored": "scoring",
    "Segmentation": "fit",
    "Stability": "stability",
    "Sweep": "sweep",
    "TRANSFORMS": "options",
    "Table": "load",
    "Transitions": "transitions",
    "WEIGHTINGS": "options",
    "cards_html": "export",
    "column_choices": "prepare",
    "compare_segmentations": "transitions",
    "customers_csv": "log_export",
    "customers_frame": "log_export",
    "describe": "describe",
    "detect_log": "transactions",
    "fit": "fit",
    "labelled_csv": "export",
    "labelled_frame": "export",
    "load": "load",
    "load_table": "load",
    "make_customers": "demo",
    "neutralise": "export",
    "order_lines_csv": "log_export",
    "order_lines_frame": "log_export",
    "scored_order_lines_csv": "log_export",
    "scored_order_lines_frame": "log_export",
    "prepare": "prepare",
    "prepare_customers": "customers",
    "read_run_file": "run_model",
    "rfm_crosstab": "rfm",
    "rfm_scores": "rfm",
    "roll_up": "transactions",
    "roll_up_if_log": "customers",
    "run_config": "runfile",
    "run_config_json": "runfile",
    "demo_csv": "demo",
    "score": "scoring",
    "scored_csv": "export",
    "segment_cards": "cards",
    "stability": "stability",
    "stability_sweep": "stability",
    "summary_csv": "export",
    "sweep": "sweep",
    "transitions": "transitions",
    "unusual_customers": "unusual",
    "worst_fits": "unusual",
}

__all__ = [
    "Card",
    "ColumnReport",
    "Customers",
    "DataError",
    "KINDS",
    "LogColumns",
    "LogOptions",
    "OUTLIERS",
    "Prepared",
    "Profile",
    "ROLES",
    "Rollup",
    "RunModel",
    "DEMO_NAME",
    "SCALERS",
    "SCALER_NAMES",
    "Scored",
    "Segmentation",
    "Stability",
    "Sweep",
    "TRANSFORMS",
    "Table",
    "Transitions",
    "WEIGHTINGS",
    "cards_html",
    "column_choices",
    "compare_segmentations",
    "customers_csv",
    "customers_frame",
    "describe",
    "detect_log",
    "fit",
    "labelled_csv",
    "labelled_frame",
    "load",
    "load_table",
    "make_customers",
    "neutralise",
    "order_lines_csv",
    "order_lines_frame",
    "prepare",
    "prepare_customers",
    "read_run_file",
    "rfm_crosstab",
    "rfm_scores",
    "roll_up",
    "roll_up_if_log",
    "run_config",
    "run_config_json",
    "demo_csv",
    "score",
    "scored_csv",
    "scored_order_lines_csv",
    "scored_order_lines_frame",
    "segment_cards",
    "stability",
    "stability_sweep",
    "summary_csv",
    "sweep",
    "transitions",
    "unusual_customers",
    "worst_fits",
]

if TYPE_CHECKING:  # for type checkers and editors: the same names, imported at once
    from .cards import Card, segment_cards
    from .columns import KINDS, ROLES, ColumnReport
    from .customers import Customers, LogOptions, prepare_customers, roll_up_if_log
    from .demo import DEMO_NAME, demo_csv, make_customers
    from .describe import Profile, describe
    from .errors import DataError
    from .export import cards_html, labelled_csv, labelled_frame, neutralise, scored_csv, summary_csv
    from .fit import Segmentation, fit
    from .load import Table, load, load_table
    from .log_export import (
        customers_csv,
        customers_frame,
        order_lines_csv,
        order_lines_frame,
        scored_order_lines_csv,
        scored_order_lines_frame,
    )
    from .options import OUTLIERS, SCALER_NAMES, SCALERS, TRANSFORMS, WEIGHTINGS
    from .prepare import Prepared, column_choices, prepare
    from .rfm import rfm_crosstab, rfm_scores
    from .runfile import RunModel, read_run_file, run_config, run_config_json
    from .scoring import Scored, score
    from .stability import Stability, stability, stability_sweep
    from .sweep import Sweep, sweep
    from .transactions import LogColumns, Rollup, detect_log, roll_up
    from .transitions import Transitions, compare_segmentations, transitions
    from .unusual import unusual_customers, worst_fits


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        try:  # a stage module itself, e.g. segmentation.runfile
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError:
            raise AttributeError(f"module 'segmentation' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


class _Package(types.ModuleType):
    """The package, whose stage functions keep their names when their modules are imported.

    Importing ``segmentation.prepare`` binds the module as the package's ``prepare``, over the
    function of that name; the function is what ``segmentation.prepare`` has always been.
    """

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name) == name:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
