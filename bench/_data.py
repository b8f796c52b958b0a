"""Generated data for the benches: customers with planted segments, deterministic by seed.

Nothing here is committed as data: every bench builds what it needs from a seed, so anyone can
reproduce the figures in ``bench/README.md`` on their own machine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

__all__ = ["customer_csv", "plain_customers", "planted_matrix", "write_customer_csv"]

#: Planted segments in the customer files: share, age, income (k$), spending score, visits/month.
_SEGMENTS = np.array(
    [
        (0.30, 42, 58, 50, 4.0),
        (0.20, 25, 30, 80, 9.0),
        (0.18, 35, 100, 84, 7.0),
        (0.17, 47, 96, 17, 2.0),
        (0.15, 64, 34, 28, 3.0),
    ]
)
_REGIONS = np.array(["North", "South", "East", "West", "Central"])


def planted_matrix(n: int, *, n_features: int = 6, segments: int = 7, random_state: int = 0) -> np.ndarray:
    """A standardised matrix with ``segments`` planted Gaussian segments of unequal size and spread.

    Parameters
    ----------
    n : int
        Rows (customers).
    n_features : int, default 6
        Columns.
    segments : int, default 7
        Planted segments; their centres are uniform in a cube, so some overlap (as real ones do).
    random_state : int, default 0
        Seed; the same seed gives the same matrix.

    Returns
    -------
    ndarray of shape (n, n_features), float64, each column with mean 0 and standard deviation 1.
    """
    rng = np.random.default_rng(random_state)
    centres = rng.uniform(-4.0, 4.0, size=(segments, n_features))
    shares = rng.dirichlet(np.full(segments, 3.0))
    segment = rng.choice(segments, size=n, p=shares)
    spread = rng.uniform(0.6, 1.4, size=(segments, n_features))
    X = centres[segment] + rng.standard_normal((n, n_features)) * spread[segment]
    return (X - X.mean(axis=0)) / X.std(axis=0)


def customer_csv(n: int, *, random_state: int = 0) -> pa.Table:
    """A customer export with planted segments and the usual mess, as an Arrow table of text.

    Columns: ``CustomerID`` (zero-padded text), ``Gender``, ``Age``, ``Annual Income (k$)``,
    ``Spending Score (1-100)``, ``Region``, ``Visits per Month``, ``Balance`` (two decimals) and
    ``Member Since`` (ISO dates). About 1% of ages are written ``NA`` and 1% of regions are blank.
    """
    rng = np.random.default_rng(random_state)
    shares = _SEGMENTS[:, 0]
    segment = rng.choice(len(_SEGMENTS), size=n, p=shares / shares.sum())
    params = _SEGMENTS[segment]
    age = np.clip(rng.normal(params[:, 1], 6), 18, 85).round().astype(np.int64)
    income = np.clip(rng.normal(params[:, 2], 8), 12, 180).round().astype(np.int64)
    spending = np.clip(rng.normal(params[:, 3], 6), 1, 100).round().astype(np.int64)
    visits = rng.poisson(params[:, 4])
    balance = np.round(rng.gamma(2.0, 400.0 + 10 * params[:, 2]), 2)
    days = rng.integers(0, 3_650, size=n)
    joined = (np.datetime64("2026-06-30") - days.astype("timedelta64[D]")).astype("datetime64[D]")

    ids = pc.utf8_lpad(pa.array(np.arange(1, n + 1)).cast(pa.string()), width=8, padding="0")
    age_text = pa.array(age).cast(pa.string())
    age_text = pc.if_else(pa.array(rng.random(n) < 0.01), pa.scalar("NA"), age_text)
    region = _REGIONS[rng.choice(len(_REGIONS), size=n)]
    region[rng.random(n) < 0.01] = ""
    gender = np.where(rng.random(n) < 0.5, "Female", "Male")
    return pa.table(
        {
            "CustomerID": pc.binary_join_element_wise("C", ids, ""),
            "Gender": pa.array(gender),
            "Age": age_text,
            "Annual Income (k$)": pa.array(income).cast(pa.string()),
            "Spending Score (1-100)": pa.array(spending).cast(pa.string()),
            "Region": pa.array(region),
            "Visits per Month": pa.array(visits).cast(pa.string()),
            "Balance": _two_decimals(balance),
            "Member Since": pa.array(joined).cast(pa.string()),
        }
    )


def plain_customers(rows: int, seed: int = 0) -> pd.DataFrame:
    """A plain numeric export: customers in seven groups of unequal size, ID, Gender and four numbers."""
    rng = np.random.default_rng(seed)
    group = rng.choice(7, size=rows, p=[0.25, 0.2, 0.15, 0.15, 0.1, 0.1, 0.05])
    centres = rng.uniform(10, 90, size=(7, 4))
    # Clipped at 0: a rounded -0.3 is written '-0.0', which no export of ages or incomes holds.
    values = np.clip(centres[group] + rng.normal(0, 6, size=(rows, 4)), 0, None)
    return pd.DataFrame(
        {
            "CustomerID": np.arange(1, rows + 1),
            "Gender": np.where(rng.random(rows) < 0.5, "Female", "Male"),
            "Age": values[:, 0].round(),
            "Annual Income (k$)": values[:, 1].round(),
            "Spending Score (1-100)": values[:, 2].round(),
            "Visits": values[:, 3].round(1),
        }
    )


def write_customer_csv(path: str | Path, n: int, *, random_state: int = 0) -> int:
    """Write :func:`customer_csv` to ``path`` (comma-separated, no quotes: no value holds a comma); return its size."""
    options = pa_csv.WriteOptions(include_header=True, quoting_style="none")
    pa_csv.write_csv(customer_csv(n, random_state=random_state), str(path), write_options=options)
    return Path(path).stat().st_size


def _two_decimals(values: np.ndarray) -> pa.Array:
    cents = np.round(values * 100).astype(np.int64)
    whole = pa.array(cents // 100).cast(pa.string())
    fraction = pc.utf8_lpad(pa.array(cents % 100).cast(pa.string()), width=2, padding="0")
    return pc.binary_join_element_wise(whole, fraction, ".")
