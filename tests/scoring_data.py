"""New customers that exercise every corner of scoring, shared by the SQL and Spark engine tests.

Each engine must put every row into the same segment as :func:`segmentation.score`, so the rows
carry what real exports carry: empty cells, the loader's missing markers, category values never seen
in the fit, spaces around values, non-finite numbers, unreadable dates and rows with no value at all.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

import segmentation as sg


def customers(n: int = 600, *, random_state: int = 0) -> bytes:
    """The built-in sample (numbers, yes/no, a category, a date, an ID, some missing values)."""
    return sg.demo_csv(n, random_state=random_state)


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


def run_file(data: bytes, *, k: int = 4, scaler: str = "standard", outliers: str = "keep", **options) -> dict:
    """A run file fitted by the default engine, through JSON as it travels (``options`` go to prepare)."""
    import json

    segmentation = sg.fit(sg.prepare(sg.load_table(data), scaler=scaler, outliers=outliers, **options), k)
    return json.loads(sg.run_config_json(segmentation))


def mixed_customers(n: int = 800, *, random_state: int = 0) -> bytes:
    """A bank-like export with every kind the preparation tells apart, for the engine parity tests.

    ``Days since contact`` holds -1 for "never contacted" (a code: missing plus a 0/1 feature);
    ``Balance`` is a heavily skewed amount (log scale); ``Senior`` is a 0/1 flag stored as numbers;
    ``Newsletter`` a Yes/No text flag; ``Region`` codes 1..12 stored as numbers (a category whose
    values sort as text, "10" before "2"); ``Churn`` an outcome (described, not segmented on);
    ``Age`` a plain number. A few cells are empty.
    """
    rng = np.random.default_rng(random_state)
    group = rng.integers(0, 3, n)
    contacted = rng.random(n) < np.array([0.2, 0.5, 0.8])[group]
    frame = pd.DataFrame(
        {
            "CustomerID": [f"C{i:05d}" for i in range(n)],
            "Age": np.clip(rng.normal(40, 6, n) + 12 * group, 18, 90).round(),
            "Days since contact": np.where(contacted, rng.integers(1, 400, n), -1),
            "Balance": (rng.lognormal(3, 1.2, n) * np.array([1, 4, 12])[group]).round(2),
            "Senior": (rng.random(n) < np.array([0.05, 0.2, 0.6])[group]).astype(int),
            "Newsletter": np.where(rng.random(n) < np.array([0.3, 0.5, 0.8])[group], "Yes", "No"),
            "Region": rng.integers(1, 13, n),
            "Churn": np.where(rng.random(n) < 0.2, "Yes", "No"),
        }
    )
    frame["Age"] = frame["Age"].astype(int).astype(object)
    frame.loc[::53, "Age"] = ""
    frame["Balance"] = frame["Balance"].astype(object)
    frame.loc[7::61, "Balance"] = ""
    frame["Newsletter"] = frame["Newsletter"].astype(object)
    frame.loc[3::71, "Newsletter"] = ""
    return frame.to_csv(index=False).encode("utf-8")


def awkward_mixed(data: bytes) -> bytes:
    """:func:`mixed_customers` with the corner cases of codes, log scales, number codes and flags."""
    raw = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    cases = [
        ("Days since contact", ["-1.0", " -1 ", "-2", "", "n/a", "0"]),
        ("Balance", ["-5", "0", "", "1e6", "inf", "abc"]),
        ("Region", ["1.0", " 3 ", "13", "x", "", "010"]),
        ("Senior", ["1.0", "TRUE", "yes", "false", "2", "", "1.00"]),
        ("Newsletter", ["TRUE", "y", "1", "0.0", "maybe", "NA", " No "]),
    ]
    row = 0
    for column, values in cases:
        for value in values:
            raw.loc[row, column] = value
            row += 1
    # A customer whose only value is the code ("never contacted") is still segmented; one with no
    # value at all is not.
    others = [c for c in raw.columns if c not in {"CustomerID", "Days since contact"}]
    raw.loc[row, others] = ""
    raw.loc[row, "Days since contact"] = "-1"
    raw.loc[row + 1, [c for c in raw.columns if c != "CustomerID"]] = ""
    return raw.to_csv(index=False).encode("utf-8")
