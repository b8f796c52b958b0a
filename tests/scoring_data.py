"""New customers that exercise every corner of scoring, shared by the SQL and Spark engine tests.

Each engine must put every row into the same segment as :func:`segmentation.score`, so the rows
carry what real exports carry: empty cells, the loader's missing markers, category values never seen
in the fit, spaces around values, non-finite numbers, unreadable dates and rows with no value at all.
"""

from __future__ import annotations

import io

import pandas as pd

import segmentation as sg


def customers(n: int = 600, *, random_state: int = 0) -> bytes:
    """The built-in sample (numbers, yes/no, a category, a date, an ID, some missing values)."""
    return sg.sample_csv(n, random_state=random_state)


def awkward_customers(n: int = 300, *, random_state: int = 1) -> bytes:
    """New customers in the sample's columns, with the corner cases every engine must agree on."""
    raw = pd.read_csv(io.BytesIO(customers(n, random_state=random_state)), dtype=str, keep_default_na=False)
    cases = [
        ("Region", ["Atlantis", " North ", "north", "\u00a0West\u00a0", "NA", "?", "", "null", "N/A"]),
        ("Gender", ["", "unknown", "Male ", "none"]),
        ("Age", ["", "n/a", "abc", "inf", "-inf", "1e2", " 45 ", "nan"]),
        ("Annual Income (k$)", ["", "-", "1e9", "0", "250"]),
        ("Member Since", ["", "someday", "2026-02-30", "1999-01-01", "2030-12-31"]),
    ]
    row = 0
    for column, values in cases:
        for value in values:
            raw.loc[row, column] = value
            row += 1
    # Two rows with no value in any model column: they get no segment in every engine.
    for blank in (n - 1, n - 2):
        for column in raw.columns:
            if column != "CustomerID":
                raw.loc[blank, column] = ""
    return raw.to_csv(index=False).encode("utf-8")


def run_file(data: bytes, *, k: int = 4, scaler: str = "standard", outliers: str = "keep") -> dict:
    """A run file fitted by the default engine, through JSON as it travels."""
    import json

    segmentation = sg.fit(sg.prepare(sg.load_table(data), scaler=scaler, outliers=outliers), k)
    return json.loads(sg.run_config_json(segmentation))
