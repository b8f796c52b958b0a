"""The demo data the app opens on (called "the built-in sample" on screen): customers with planted segments, generated, never copied.

The app opens on it so every page works before any upload. It has the Mall tutorial's columns
(Gender, Age, Annual Income (k$), Spending Score (1-100)) plus a region, a visit frequency and a
sign-up date, five planted segments, an ID column and a little realistic mess (a few missing values),
so the upload page's audit has something to show. It is deterministic: the same seed gives the same
bytes.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

__all__ = ["DEMO_NAME", "make_customers", "demo_csv"]

#: How the sample is named in the app and in downloads.
DEMO_NAME = "sample_customers.csv"

# Per segment: share, age mean/sd, income mean/sd, spending mean/sd, visits per month, share female,
# mean days as a member, and region weights (North, South, East, West).
_SEGMENTS = (
    (0.30, 42, 6, 58, 7, 50, 6, 4.0, 0.50, 700, (0.25, 0.25, 0.25, 0.25)),  # steady mainstream
    (0.20, 25, 4, 30, 7, 80, 6, 9.0, 0.85, 250, (0.20, 0.30, 0.30, 0.20)),  # young enthusiasts
    (0.18, 35, 5, 100, 9, 84, 6, 7.0, 0.65, 500, (0.15, 0.15, 0.20, 0.50)),  # affluent big spenders
    (0.17, 47, 6, 96, 9, 17, 6, 2.0, 0.15, 900, (0.25, 0.20, 0.15, 0.40)),  # affluent but careful
    (0.15, 64, 5, 34, 7, 28, 7, 3.0, 0.55, 1_500, (0.45, 0.25, 0.15, 0.15)),  # thrifty seniors
)
_REGIONS = ("North", "South", "East", "West")


def make_customers(n: int = 3_000, *, random_state: int = 0) -> pd.DataFrame:
    """Generate a customer table with planted segments.

    Parameters
    ----------
    n : int, default 3000
        Number of customers.
    random_state : int, default 0
        Seed; the same seed gives the same table.

    Returns
    -------
    DataFrame
        Columns ``CustomerID``, ``Gender``, ``Age``, ``Annual Income (k$)``,
        ``Spending Score (1-100)``, ``Region``, ``Visits per Month``, ``Member Since``. About 1% of
        ages and incomes and 2% of regions are missing.

    Examples
    --------
    >>> make_customers(5).columns.tolist()[:3]
    ['CustomerID', 'Gender', 'Age']
    """
    rng = np.random.default_rng(random_state)
    shares = np.array([s[0] for s in _SEGMENTS])
    segment = rng.choice(len(_SEGMENTS), size=n, p=shares / shares.sum())
    params = np.array([s[1:10] for s in _SEGMENTS], dtype=np.float64)[segment]
    age = np.clip(rng.normal(params[:, 0], params[:, 1]), 18, 85).round()
    income = np.clip(rng.normal(params[:, 2], params[:, 3]), 12, 180).round()
    spending = np.clip(rng.normal(params[:, 4], params[:, 5]), 1, 100).round()
    visits = rng.poisson(params[:, 6])
    female = rng.random(n) < params[:, 7]
    days_ago = np.clip(rng.gamma(4.0, params[:, 8] / 4.0), 0, 3_650).round()
    joined = pd.Timestamp("2026-06-30") - pd.to_timedelta(days_ago, unit="D")
    region_weights = np.array([s[10] for s in _SEGMENTS])
    cumulative = region_weights.cumsum(axis=1)[segment]
    region = np.array(_REGIONS, dtype=object)[(rng.random(n)[:, None] > cumulative).sum(axis=1)]

    frame = pd.DataFrame(
        {
            "CustomerID": [f"C{i:05d}" for i in range(1, n + 1)],
            "Gender": np.where(female, "Female", "Male"),
            "Age": pd.array(age.astype(int), dtype="Int64"),
            "Annual Income (k$)": pd.array(income.astype(int), dtype="Int64"),
            "Spending Score (1-100)": spending.astype(int),
            "Region": region,
            "Visits per Month": visits.astype(int),
            "Member Since": joined.strftime("%Y-%m-%d"),
        }
    )
    # A little realistic mess: missing values, as in any CRM export.
    for column, share in (("Age", 0.01), ("Annual Income (k$)", 0.01), ("Region", 0.02)):
        missing = rng.random(n) < share
        frame.loc[missing, column] = pd.NA
    return frame


def demo_csv(n: int = 3_000, *, random_state: int = 0) -> bytes:
    """The sample as CSV bytes, exactly as a user would upload it."""
    buffer = io.StringIO()
    make_customers(n, random_state=random_state).to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")
