"""What sets each segment apart, on one slide? One card per segment: size, share, the features that
differ most (value, average, index), each as a line a marketer can quote ("Average Age 54 (all
customers 39)", "62% SeniorCitizen = 1 (all customers 16%)"), the outcomes the segments were not
formed on ("Churn rate 42% (all customers 27%)") and a one-line description generated from those
numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .describe import DOMINANT_SHARE, NOTABLE_Z, Profile
from .units import amount, percent

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
    quote : str
        The values in the column's units, e.g. ``"Average Annual Income (k$) 88 (all customers 61)"``,
        ``"62% SeniorCitizen = 1 (all customers 16%)"`` or, for an outcome, ``"Churn rate 42% (all
        customers 27%)"``.
    column : str
        The file's column it is about (``"Gender"`` for ``"Gender = Female"``).
    """

    feature: str
    value: float
    average: float
    index: float
    difference: float
    is_share: bool
    phrase: str
    quote: str = ""
    column: str = ""


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
    outcomes : tuple of CardFeature
        The columns profiled but not segmented on (outcomes such as churn), strongest first, each
        with its quote.
    """

    segment: int
    name: str
    customers: int
    share: float
    features: tuple[CardFeature, ...]
    description: str
    outcomes: tuple[CardFeature, ...] = ()

    def quotes(self) -> list[str]:
        """What to read out about the segment: the outcomes first, then what sets it apart, in units."""
        shown = {f.column for f in self.outcomes}
        return [f.quote for f in self.outcomes] + [f.quote for f in self.features if f.column not in shown]


def segment_cards(profile: Profile, *, n_features: int = 5, n_described: int = 3, n_outcomes: int = 3) -> list[Card]:
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
    n_outcomes : int, default 3
        At most this many outcomes (columns profiled but not segmented on) per card.

    Returns
    -------
    list of Card
        Segment 1 first.

    Examples
    --------
    >>> from segmentation import describe, fit, load_table, prepare
    >>> table = load_table(b"Income,Spending\\n15,80\\n16,82\\n17,79\\n90,10\\n95,12\\n99,15\\n")
    >>> card = segment_cards(describe(fit(prepare(table), 2)))[1]
    >>> card.description
    '50% of customers. Spending 27% of the average, income 1.7x the average.'
    >>> card.quotes()
    ['Average Spending 12 (all customers 46)', 'Average Income 95 (all customers 55)']
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
            if source in seen or (is_share and _echoes(profile, name, [f.feature for f in features if f.is_share])):
                continue
            seen.add(source)
            feature = CardFeature(name, float(value), float(average), float(index), float(difference), is_share, "")
            features.append(_with_words(feature, profile))
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
                outcomes=tuple(_outcomes(profile, segment, n_outcomes)),
            )
        )
    return cards


def _echoes(profile: Profile, share: str, chosen: list[str]) -> bool:
    """Whether a share says again what a chosen one says: the same share in every segment, as
    "OnlineSecurity = No internet service" repeats "InternetService = No" (the same customers)."""
    values = profile.summary[share].to_numpy(dtype=float)
    return any(np.allclose(values, profile.summary[other].to_numpy(dtype=float), equal_nan=True) for other in chosen)


def _outcomes(profile: Profile, segment: int, n: int) -> list[CardFeature]:
    """A feature per column profiled but not segmented on: a yes/no outcome's rate, a number's average,
    a category's value that differs most from all customers."""
    found = []
    z = profile.top_differences(segment, n=len(profile.overall)).set_index("Feature")
    for column in profile.described[:n]:
        if column in profile.numbers:
            feature = column
        else:
            feature = profile.yes_share(column)
            if feature is None:
                candidates = [f for f in profile.values_of(column) if f in z.index]
                if not candidates:
                    continue
                feature = max(candidates, key=lambda f: abs(z.loc[f, "Difference (SD)"]))
        if feature not in z.index:
            continue
        row = z.loc[feature]
        found.append(
            _with_words(
                CardFeature(
                    feature,
                    float(row["Segment"]),
                    float(row["All customers"]),
                    float(row["Index"]),
                    float(row["Difference (SD)"]),
                    feature not in profile.numbers,
                    "",
                ),
                profile,
                outcome=True,
            )
        )
    return found


_UNITS = re.compile(r"\s*[\(\[].*?[\)\]]\s*")
_YES_NO = {"yes", "no", "true", "false", "y", "n", "0", "1"}


def _with_words(feature: CardFeature, profile: Profile, *, outcome: bool = False) -> CardFeature:
    column = profile.source(feature.feature)
    return CardFeature(
        **{
            **feature.__dict__,
            "phrase": _phrase(feature),
            "quote": _quote(feature, profile, outcome=outcome),
            "column": column,
        }
    )


def _quote(feature: CardFeature, profile: Profile, *, outcome: bool) -> str:
    """The feature's values in units: what a marketer would write on a slide."""
    if not feature.is_share:
        name = feature.feature
        if name.endswith(" (days before latest)"):
            column = name.removesuffix(" (days before latest)")
            return (
                f"{column}: on average {amount(feature.value)} days before the latest date "
                f"(all customers {amount(feature.average)})"
            )
        return f"Average {name} {amount(feature.value)} (all customers {amount(feature.average)})"
    column, value = profile.shares.get(feature.feature) or feature.feature.rsplit(" = ", 1)
    column = profile.source(column) if column.endswith(" (code)") else column
    if outcome and profile.yes_share(column) == feature.feature:
        return f"{column} rate {percent(feature.value)} (all customers {percent(feature.average)})"
    return f"{percent(feature.value)} {column} = {value} (all customers {percent(feature.average)})"


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
