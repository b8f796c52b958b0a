"""From order lines to orders and customers: the roll-up's sums, on dense numbers.

Millions of order lines are summed into orders (same order ID, or same customer and day) and orders
into customers with ``np.bincount`` and ``np.minimum.at`` on dense numbers (no hashing of millions
of keys per aggregate, as a groupby would do). Amounts come in whole units of their smallest decimal
(cents), so the sums are exact. :func:`segmentation.roll_up` calls these; they know nothing of
column names or notes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["amount_decimals", "orders_of", "per_customer"]


def orders_of(
    order_codes: np.ndarray | None, *, customers: np.ndarray, days: np.ndarray, amounts: np.ndarray | None
) -> pd.DataFrame:
    """One row per order of the rows given: customer, day, amount (NaN if none known), lines, refund.

    The rows are the counted ones; ``order_codes`` numbers their order IDs (-1 where none),
    ``customers`` their customers (0..n-1). Sums run on dense order numbers with ``np.bincount``:
    no hashing of millions of keys per aggregate, as a groupby would do.
    """
    order = _order_numbers(order_codes, customers=customers, days=days)
    n = int(order.max()) + 1
    lines = np.bincount(order, minlength=n)
    day = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(day, order, days)  # an order's lines on several days: the order is from the first
    customer = np.zeros(n, dtype=np.int64)
    customer[order] = customers  # one customer per order, by construction of the order numbers
    if amounts is None:
        amount = np.full(n, np.nan)
    else:
        known = ~np.isnan(amounts)
        total = np.bincount(order, weights=np.where(known, amounts, 0.0), minlength=n)
        amount = np.where(np.bincount(order, weights=known, minlength=n) > 0, total, np.nan)
    kept = lines > 0  # order IDs whose every row was left out
    orders = pd.DataFrame({"customer": customer, "day": day, "amount": amount, "lines": lines})[kept]
    return orders.assign(refund=orders["amount"] < 0).reset_index(drop=True)


def _order_numbers(order_codes: np.ndarray | None, *, customers: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Each row's order, as a number: its order ID's, else its customer's purchase day's.

    An order ID shared by two customers (an export joining two tables, say) makes one order of
    each; rows without an order ID make one order per customer and day. Numbers may have gaps.
    """
    if order_codes is None:
        return pd.factorize(_purchase_day(customers, days))[0]
    has_id = order_codes >= 0
    ids, owners = order_codes[has_id], customers[has_id]
    n_ids = int(ids.max()) + 1 if has_id.any() else 0
    lowest, highest = np.full(n_ids, np.iinfo(np.int64).max), np.full(n_ids, -1)
    np.minimum.at(lowest, ids, owners)
    np.maximum.at(highest, ids, owners)
    used = highest >= 0
    numbers = np.empty(len(order_codes), dtype=np.int64)
    if (lowest[used] == highest[used]).all():
        numbers[has_id] = ids  # every ID is one customer's: the IDs number the orders as they are
    else:
        numbers[has_id] = pd.factorize(ids.astype(np.int64) * (int(customers.max()) + 1) + owners)[0]
    if not has_id.all():
        numbers[~has_id] = n_ids + pd.factorize(_purchase_day(customers[~has_id], days[~has_id]))[0]
    return numbers


def _purchase_day(customers: np.ndarray, days: np.ndarray) -> np.ndarray:
    """One number per customer and day."""
    first = int(days.min())
    return customers.astype(np.int64) * (int(days.max()) - first + 1) + (days - first)


def per_customer(orders: pd.DataFrame, *, n_ids: int, as_of_day: int) -> pd.DataFrame:
    """One row per customer (numbered 0..n_ids-1) with at least one purchase, in number order."""
    customer, day, amount = (orders[c].to_numpy() for c in ("customer", "day", "amount"))
    bought = ~orders["refund"].to_numpy()
    n_orders = np.bincount(customer[bought], minlength=n_ids)
    last = np.full(n_ids, np.iinfo(np.int64).min)
    np.maximum.at(last, customer[bought], day[bought])
    first = np.full(n_ids, np.iinfo(np.int64).max)
    np.minimum.at(first, customer[bought], day[bought])
    priced = np.bincount(customer[bought], weights=~np.isnan(amount[bought]), minlength=n_ids)
    # Refunds count in the spend of a customer who made a purchase.
    known = ~np.isnan(amount)
    spend = np.bincount(customer, weights=np.where(known, amount, 0.0), minlength=n_ids)
    spend = np.where(np.bincount(customer, weights=known, minlength=n_ids) > 0, spend, np.nan)
    kept = np.flatnonzero(n_orders > 0)
    return pd.DataFrame(
        {
            "last": last[kept],
            "first": first[kept],
            "orders": n_orders[kept],
            "priced": priced[kept],
            "spend": spend[kept],
            "recency": as_of_day - last[kept],
            "tenure": as_of_day - first[kept],
        },
        index=kept,
    )


def amount_decimals(amounts: np.ndarray) -> int:
    """Decimals the amounts need (at most 6): 2 for cents, 0 for whole amounts.

    Examples
    --------
    >>> amount_decimals(np.array([11.77, 12.0, np.nan])), amount_decimals(np.array([5.0, -3.0])), amount_decimals(np.array([0.125]))
    (2, 0, 3)
    """
    known = amounts[~np.isnan(amounts)]
    decimals = 0
    # Guessed on the first values, then checked on all: one pass over millions of amounts, not six.
    for values in (known[:10_000], known):
        while decimals < 6 and not _whole(values * 10**decimals):
            decimals += 1
    return decimals


def _whole(values: np.ndarray) -> bool:
    # 11.77 * 100 is 1176.9999999999998 in floats: whole up to the float's own error.
    return bool((np.abs(values - np.round(values)) <= 1e-9 * np.maximum(np.abs(values), 1)).all())
