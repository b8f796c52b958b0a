"""Transaction logs for the tests of detection, roll-up, RFM, the log downloads, the command line and the app.

:func:`generated_log` writes order lines of known customers (the answers are computed from it in
plain Python by the tests); :func:`cdnow` reads the real CDNOW log of the shared data folder once.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import numpy as np
import pandas as pd
from helpers import shared_file

import segmentation as sg
from segmentation import Table, load_table

#: The CDNOW log in ../shared/data (69,659 purchases by 23,570 customers).
CDNOW = "transactions/CDNOW_master.txt"

#: A small messy log: several lines per order, refunds, missing and unreadable amounts and dates,
#: rows without a customer or an order ID, dates in four layouts (see test_transactions for the answers).
MESSY = """Order ID,Customer,Order date,Amount
1001,C01,2024-03-01,$10.00
1001,C01,2024-03-01,5.50
1002,C02,05.03.2024,20
1003,C01,2024/03/10,
1004,C03,yesterday,7
1005,,2024-03-12,8
1006,C02,2024-03-15,-20
1007,C04,2024-03-16,-5
1008,C02,2024-03-20,abc
1009,C01,,3
,C03,2024-03-21,4
,C03,2024-03-21,6
1010,C05,20240330,1
"""


def csv_table(frame: pd.DataFrame, *, sep: str = ",") -> Table:
    """The frame as a file a marketer would upload, read by the real loader."""
    return load_table(frame.to_csv(index=False, sep=sep).encode(), name="orders.csv")


def generated_log(seed: int = 0, customers: int = 300) -> pd.DataFrame:
    """A log of order lines: every order 1-3 lines on one day, IDs zero-padded, rows shuffled."""
    rng = np.random.default_rng(seed)
    rows, order_id = [], 50_000
    for c in range(customers):
        start = date(2023, 1, 1) + timedelta(days=int(rng.integers(0, 300)))
        for _ in range(int(rng.integers(1, 7))):
            order_id += 1
            day = start + timedelta(days=int(rng.integers(0, 360)))
            for _ in range(int(rng.integers(1, 4))):
                rows.append(
                    {
                        "Order No": str(order_id),
                        "Customer ID": f"{c:05d}",
                        "Order Date": day.isoformat(),
                        "Quantity": int(rng.integers(1, 5)),
                        "Sales": f"{rng.uniform(1, 200):.2f}",
                    }
                )
    frame = pd.DataFrame(rows)
    return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)


def cdnow_table() -> Table:
    """The CDNOW log as loaded (skips the test when the shared data folder is absent)."""
    return _cdnow_table(str(shared_file(CDNOW)))


@cache
def _cdnow_table(path: str) -> Table:
    return load_table(path)


def cdnow() -> sg.Rollup:
    """The CDNOW log rolled up with the columns found (read and rolled up once per test process)."""
    table = cdnow_table()
    return _cdnow_rollup(table.file_hash)


@cache
def _cdnow_rollup(file_hash: str) -> sg.Rollup:
    table = cdnow_table()
    return sg.roll_up(table, **sg.detect_log(table).options())
