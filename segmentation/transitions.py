"""What happens to my segments if I pick 5 instead of 6? Crosstab the customers' segments at two K
and say in one sentence which segment splits or which segments merge."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .describe import describe
from .fit import Segmentation, fit
from .prepare import Prepared
from .wording import and_joined

__all__ = ["Transitions", "compare_segmentations", "transitions"]

#: A destination taking at least this share of a segment's customers counts as part of a split.
_SPLIT_SHARE = 0.15
#: A segment "stays together" when at least this share of it ends in one segment.
_KEPT_SHARE = 0.9


@dataclass(frozen=True)
class Transitions:
    """How customers move between the segments at two K.

    Attributes
    ----------
    k_from, k_to : int
        The two K.
    crosstab : DataFrame
        Customers in each pair of segments: rows are the segments at ``k_from`` (index named
        ``"Segment at K=<k_from>"``, 1..k_from), columns the segments at ``k_to``.
    names_from, names_to : tuple of str
        Segment names at each K, segment 1 first.
    moves : tuple of str
        One sentence per segment that splits or per group of segments that merge, biggest first.
    summary : str
        The main move, and which segments stay together, in plain words.
    """

    k_from: int
    k_to: int
    crosstab: pd.DataFrame
    names_from: tuple[str, ...]
    names_to: tuple[str, ...]
    moves: tuple[str, ...]
    summary: str

    @property
    def shares(self) -> pd.DataFrame:
        """The crosstab as shares of each row (where the customers of a ``k_from`` segment go)."""
        return self.crosstab.div(self.crosstab.sum(axis=1).replace(0, np.nan), axis=0).fillna(0.0)


def transitions(
    prepared: Prepared,
    k_from: int,
    k_to: int,
    *,
    random_state: int = 0,
    names_from: Sequence[str] | None = None,
    names_to: Sequence[str] | None = None,
) -> Transitions:
    """Where the customers of each segment at ``k_from`` go at ``k_to``.

    Parameters
    ----------
    prepared : Prepared
        Output of :func:`segmentation.prepare`.
    k_from, k_to : int
        The two K to compare (any two; usually K and K + 1).
    random_state : int, default 0
        Seed of both fits (the segments are those of :func:`segmentation.fit`).
    names_from, names_to : sequence of str, optional
        Segment names; by default the automatic names of :func:`segmentation.describe`.

    Returns
    -------
    Transitions

    Raises
    ------
    DataError
        If either K is out of range for the data.

    Examples
    --------
    >>> from segmentation import load_table, prepare
    >>> table = load_table(b"Spend\\n1\\n2\\n3\\n50\\n52\\n90\\n")
    >>> result = transitions(prepare(table), 2, 3, names_from=["Low", "High"])
    >>> result.crosstab.to_numpy().tolist()
    [[3, 0, 0], [0, 2, 1]]
    >>> result.summary.split(".")[0]
    'At K=3, segment 2 "High" splits into 2 (67%) and 3 (33%)'
    """
    before = fit(prepared, k_from, random_state=random_state)
    after = fit(prepared, k_to, random_state=random_state)
    return compare_segmentations(before, after, names_from=names_from, names_to=names_to)


def compare_segmentations(
    before: Segmentation,
    after: Segmentation,
    *,
    names_from: Sequence[str] | None = None,
    names_to: Sequence[str] | None = None,
) -> Transitions:
    """:func:`transitions` for two segmentations already fitted on the same customers.

    Parameters
    ----------
    before, after : Segmentation
        Fits of the same prepared data (e.g. cached by the app).
    names_from, names_to : sequence of str, optional
        Segment names; by default the automatic names of :func:`segmentation.describe`.

    Returns
    -------
    Transitions
    """
    if len(before.labels) != len(after.labels) or not np.array_equal(before.labels > 0, after.labels > 0):
        raise ValueError("both segmentations must cover the same customers")
    names_from = tuple(str(n) for n in (names_from if names_from is not None else describe(before).names))
    names_to = tuple(str(n) for n in (names_to if names_to is not None else describe(after).names))
    if len(names_from) != before.k or len(names_to) != after.k:
        raise ValueError(f"names must have {before.k} and {after.k} entries")
    segmented = before.labels > 0
    a, b = before.labels[segmented] - 1, after.labels[segmented] - 1
    counts = np.bincount(a * after.k + b, minlength=before.k * after.k).reshape(before.k, after.k)
    crosstab = pd.DataFrame(
        counts,
        index=pd.Index(range(1, before.k + 1), name=f"Segment at K={before.k}"),
        columns=pd.Index(range(1, after.k + 1), name=f"Segment at K={after.k}"),
    )
    moves = _moves(counts, names_from, names_to, before.k, after.k)
    return Transitions(
        k_from=before.k,
        k_to=after.k,
        crosstab=crosstab,
        names_from=names_from,
        names_to=names_to,
        moves=tuple(text for _, text in moves),
        summary=_transition_summary(counts, moves, before.k, after.k),
    )


def _moves(
    counts: np.ndarray, names_from: tuple[str, ...], names_to: tuple[str, ...], k_from: int, k_to: int
) -> list[tuple[int, str]]:
    """Splits (one segment into several) and merges (several into one), with the customers moved."""
    moves = []
    out_shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    in_shares = counts / np.maximum(counts.sum(axis=0, keepdims=True), 1)
    for s in range(counts.shape[0]):
        parts = [t for t in np.argsort(-counts[s], kind="stable") if out_shares[s, t] >= _SPLIT_SHARE]
        if len(parts) >= 2:
            listed = and_joined([f"{t + 1} ({out_shares[s, t]:.0%})" for t in parts])
            moved = int(counts[s].sum() - counts[s, parts[0]])
            moves.append((moved, f'At K={k_to}, segment {s + 1} "{names_from[s]}" splits into {listed}.'))
    for t in range(counts.shape[1]):
        # Segments that send most of their customers to t, and make up a real part of it.
        parts = [
            s
            for s in np.argsort(-counts[:, t], kind="stable")
            if out_shares[s].argmax() == t and in_shares[s, t] >= _SPLIT_SHARE
        ]
        if len(parts) >= 2:
            listed = and_joined([f"{s + 1}" for s in parts])
            moved = int(counts[parts, t].sum() - counts[parts[0], t])
            moves.append((moved, f'At K={k_to}, segments {listed} merge into {t + 1} "{names_to[t]}".'))
    moves.sort(key=lambda move: -move[0])
    return moves


def _transition_summary(counts: np.ndarray, moves: list[tuple[int, str]], k_from: int, k_to: int) -> str:
    out_shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    kept = [(s, int(out_shares[s].argmax())) for s in range(k_from) if out_shares[s].max() >= _KEPT_SHARE]
    if moves:
        text = moves[0][1]
    elif k_from == k_to:
        text = f"At K={k_to} the segments are the same as at K={k_from}."
    else:
        text = f"No segment splits or merges cleanly between K={k_from} and K={k_to}: customers reshuffle."
    if kept and len(kept) < k_from:
        pairs = and_joined([f"{s + 1} → {t + 1}" for s, t in kept])
        text += f" Segments {pairs} stay together ({_KEPT_SHARE:.0%} or more of their customers)."
    elif kept and moves:
        text += " The other segments stay together."
    return text
