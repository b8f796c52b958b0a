"""The choices a user makes, with one line each: plain constants, so the command line's help needs no pandas.

Every module that acts on a choice imports it from here; the app shows the same lines.
"""

from __future__ import annotations

__all__ = [
    "DIALECTS",
    "K_LIMIT",
    "OUTLIERS",
    "SCALERS",
    "SCALER_NAMES",
    "TRANSACTIONS",
    "TRANSFORMS",
    "WEIGHTINGS",
]

#: The scalers a user can choose, with one line on what each is for.
SCALERS: dict[str, str] = {
    "standard": "Every feature gets the same spread (mean 0, standard deviation 1). The usual choice.",
    "robust": "Like standard, but based on the median and quartiles, so a few extreme customers matter less.",
    "minmax": "Every feature is squeezed into 0..1. Good when all features have natural bounds.",
    "none": "Use the values as they are. Only when all features share one unit, e.g. two scores out of 100.",
}


#: How each scaler is named on screen.
SCALER_NAMES: dict[str, str] = {"standard": "Standard", "robust": "Robust", "minmax": "Min-max", "none": "None"}


#: What can be done with extreme values, with one line each.
OUTLIERS: dict[str, str] = {
    "keep": "Use every customer as they are.",
    "clip": "Move values beyond the 1st/99th percentile of their column to that percentile.",
    "set-aside": (
        "Customers with an impossible or extreme value do not place the segments; they are counted and "
        "in the download with their nearest segment and the Unusual flag."
    ),
}


#: How skewed amounts are compared: automatically, never or always on a log scale.
TRANSFORMS: dict[str, str] = {
    "auto": "Heavily skewed amounts (a few customers with far more) are compared on a log scale.",
    "none": "Every number as it is.",
    "log": "Every number of 0 or more on a log scale.",
}

#: How much each column counts in the distance, with one line each for the screen.
WEIGHTINGS: dict[str, str] = {
    "balanced": (
        "Each number counts once, a category or yes/no column at most once, however rare its values: "
        "no column can make a segment on its own."
    ),
    "equal": (
        "Every encoded feature scaled alike, as scikit-learn does (the tutorial's way): a rare yes/no "
        "value or a category with many values can dominate the segments."
    ),
}

#: The largest K the sweep and fit accept.
K_LIMIT = 30

#: The SQL dialects :func:`segmentation.sql.scoring_sql` writes.
DIALECTS = ("duckdb", "postgres", "bigquery", "snowflake", "spark")

#: The choices of ``transactions`` in :func:`roll_up_if_log` (the command line's ``--transactions``).
TRANSACTIONS = {
    "auto": "roll up when the file looks like a log (repeated customer IDs beside dates)",
    "yes": "the file is a log: roll it up (name the columns when they are not found)",
    "no": "the file has one row per customer already",
}
