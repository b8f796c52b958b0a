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
"""

from .cards import Card, segment_cards
from .columns import KINDS, ROLES, ColumnReport
from .customers import Customers, LogOptions, prepare_customers, roll_up_if_log
from .describe import Profile, describe
from .errors import DataError
from .export import (
    cards_html,
    labelled_csv,
    labelled_frame,
    neutralise,
    scored_csv,
    summary_csv,
)
from .fit import Segmentation, fit
from .load import Table, load, load_table
from .log_export import customers_csv, customers_frame, order_lines_csv, order_lines_frame
from .prepare import OUTLIERS, SCALER_NAMES, SCALERS, TRANSFORMS, WEIGHTINGS, Prepared, column_choices, prepare
from .rfm import rfm_crosstab, rfm_scores
from .runfile import RunModel, read_run_file, run_config, run_config_json
from .sample import SAMPLE_NAME, make_customers, sample_csv
from .scoring import Scored, score
from .stability import Stability, stability, stability_sweep
from .sweep import Sweep, sweep
from .transactions import LogColumns, Rollup, detect_log, roll_up
from .transitions import Transitions, compare_segmentations, transitions
from .unusual import unusual_customers, worst_fits

__version__ = "0.1.0"

__all__ = [
    "KINDS",
    "OUTLIERS",
    "ROLES",
    "TRANSFORMS",
    "WEIGHTINGS",
    "column_choices",
    "SAMPLE_NAME",
    "Card",
    "Stability",
    "Transitions",
    "cards_html",
    "compare_segmentations",
    "segment_cards",
    "stability",
    "stability_sweep",
    "transitions",
    "unusual_customers",
    "worst_fits",
    "LogColumns",
    "Rollup",
    "detect_log",
    "rfm_crosstab",
    "rfm_scores",
    "roll_up",
    "roll_up_if_log",
    "Customers",
    "LogOptions",
    "prepare_customers",
    "customers_csv",
    "customers_frame",
    "order_lines_csv",
    "order_lines_frame",
    "SCALERS",
    "SCALER_NAMES",
    "ColumnReport",
    "DataError",
    "Prepared",
    "Profile",
    "RunModel",
    "Scored",
    "Segmentation",
    "Sweep",
    "Table",
    "describe",
    "fit",
    "labelled_csv",
    "labelled_frame",
    "load",
    "load_table",
    "make_customers",
    "neutralise",
    "prepare",
    "read_run_file",
    "run_config",
    "run_config_json",
    "sample_csv",
    "score",
    "scored_csv",
    "summary_csv",
    "sweep",
]
