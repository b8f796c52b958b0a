"""What sets each segment apart, on one slide? One card per segment: size, share, the features that
differ most (value, average, index) and a one-line description generated from those numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .describe import DOMINANT_SHARE, NOTABLE_Z, Profile

__all__ = ["Card", "CardFeature", "segment_cards"]


@dataclass(frozen=True)
class CardFeature:
    """One feature that sets a segment apart.

    Attributes
    ----------
    feature : str
        The profile column, e.g. ``"Annual Income (k$)"`` or ``"Gender = Female"``.
    value : float
        The segment's mean, or its share for a category value (0..1).
    average : float
        The same over all customers.
    index : float
        ``100 * value / average`` (100 = average); NaN where an index has no meaning.
    difference : float
        ``value - average`` in all-customer standard deviations.
    is_share : bool
        True for a category value (``value`` and ``average`` are shares).
    phrase : str
        The difference in words, e.g. ``"annual income 1.8x the average"``.
    """

    feature: str
    value: float
    average: float
    index: float
    difference: float
    is_share: bool
    phrase: str


@dataclass(frozen=True)
class Card:
    """One segment on one card: who they are, how many, and what sets them apart.

    Attributes
    ----------
    segment : int
        Segment number (1 = largest).
    name : str
        The segment's name.
    customers : int
        Customers in the segment.
    share : float
        Share of the segmented customers (0..1).
    features : tuple of CardFeature
        The features that set the segment apart most, strongest first.
    description : str
        One line generated from those numbers, e.g. ``"30% of customers. Annual income 1.8x the
        average, spending score half the average, mostly Female."``
    """

    segment: int
    name: str
    customers: int
    share: float
    features: tuple[CardFeature, ...]
    description: str


def segment_cards(profile: Profile, *, n_features: int = 5, n_described: int = 3) -> list[Card]:
    """One card per segment: name, size, share, top features and a plain-language line.

    Features are ranked by how far the segment's value is from the average, in standard deviations
    (as :meth:`Profile.top_differences`); a category column appears once, with its most telling
    value. The description names the ``n_described`` strongest differences of at least half a
    standard deviation.

    Parameters
    ----------
    profile : Profile
        Output of :func:`segmentation.describe`.
    n_features : int, default 5
        At most this many features per card.
    n_described : int, default 3
        At most this many features in the description.

    Returns
    -------
    list of Card
        Segment 1 first.

    Examples
    --------
    >>> from segmentation import describe, fit, load_table, prepare
    >>> table = load_table(b"Income,Spending\\n15,80\\n16,82\\n17,79\\n90,10\\n95,12\\n99,15\\n")
    >>> segment_cards(describe(fit(prepare(table), 2)))[1].description
    '50% of customers. Spending 27% of the average, income 1.7x the average.'
    """
    cards = []
    numbers = set(profile.medians.columns)
    for segment in profile.summary.index:
        ranked = profile.top_differences(segment, n=len(profile.overall))
        # Among equally strong differences, a value the segment has more of reads better.
        ranked = ranked.assign(_key=-ranked["Difference (SD)"].abs().round(9), _negative=ranked["Difference (SD)"] < 0)
        ranked = ranked.sort_values(["_key", "_negative"], kind="stable")
        features, seen = [], set()
        columns = ("Feature", "Segment", "All customers", "Index", "Difference (SD)")
        for name, value, average, index, difference in zip(*(ranked[c] for c in columns), strict=True):
            is_share = name not in numbers
            source = name.split(" = ", 1)[0] if is_share else name
            if source in seen:
                continue
            seen.add(source)
            feature = CardFeature(name, float(value), float(average), float(index), float(difference), is_share, "")
            features.append(_with_phrase(feature))
            if len(features) == n_features:
                break
        notable = [f.phrase for f in features if abs(f.difference) >= NOTABLE_Z][:n_described]
        share = float(profile.summary.loc[segment, "Share of customers"])
        line = _capitalise(", ".join(notable)) + "." if notable else "Close to the average customer on every feature."
        cards.append(
            Card(
                segment=int(segment),
                name=str(profile.names[segment - 1]),
                customers=int(profile.summary.loc[segment, "Customers"]),
                share=share,
                features=tuple(features),
                description=f"{share:.0%} of customers. {line}",
            )
        )
    return cards


_UNITS = re.compile(r"\s*[\(\[].*?[\)\]]\s*")
_YES_NO = {"yes", "no", "true", "false", "y", "n", "0", "1"}


def _with_phrase(feature: CardFeature) -> CardFeature:
    return CardFeature(**{**feature.__dict__, "phrase": _phrase(feature)})


def _phrase(feature: CardFeature) -> str:
    if feature.is_share:
        column, value = feature.feature.split(" = ", 1)
        if value.strip().lower() in _YES_NO:
            return f"{_plain(column)} {value} for {feature.value:.0%} (average {feature.average:.0%})"
        if feature.value >= DOMINANT_SHARE:
            return f"mostly {value}"
        if feature.value == 0:
            return f"no {value}"
        more = "more" if feature.difference > 0 else "fewer"
        return f"{more} {value} ({feature.value:.0%} vs {feature.average:.0%})"
    name = feature.feature
    ratio = feature.index / 100
    if name.endswith(" (days before latest)") and np.isfinite(ratio):
        # "Member Since" 2.4x the days before the latest date reads as "2.4x as long ago".
        when = _plain(name.removesuffix(" (days before latest)"))
        if 0.95 < ratio < 1.05:
            return f"{when} about as long ago as the average"
        return (
            f"{when} {ratio:.1f}x as long ago as the average"
            if ratio >= 1.05
            else f"{when} more recent than the average ({ratio:.0%} as long ago)"
        )
    name = _plain(name)
    if not np.isfinite(ratio):
        side = "higher" if feature.difference > 0 else "lower"
        return f"{name} {side} than average ({_number(feature.value)} vs {_number(feature.average)})"
    return f"{name} {_ratio(ratio)}"


def _ratio(ratio: float) -> str:
    """An index as words: "1.8x the average", "28% above the average", "half the average"."""
    if ratio >= 1.5:
        return f"{ratio:.1f}x the average"
    if ratio >= 1.05:
        return f"{ratio - 1:.0%} above the average"
    if ratio > 0.95:
        return "about average"
    if ratio > 0.6:
        return f"{1 - ratio:.0%} below the average"
    if 0.45 <= ratio < 0.55:
        return "half the average"
    return f"{ratio:.0%} of the average"


def _plain(column: str) -> str:
    """A column name inside a sentence: units dropped, Title-case words in lower case, acronyms kept."""
    short = _UNITS.sub(" ", column).strip() or column
    return " ".join(w.lower() if w[:1].isupper() and w[1:].islower() else w for w in short.split())


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"
