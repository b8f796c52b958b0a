"""Explain segments in the user's own units: sizes, averages, indexes, what sets each apart, names.

A segment is only useful if a marketer can say who is in it. :func:`describe` computes, per segment,
the number and share of customers, the mean and median of every number column (in the file's units,
not the scaled ones), the share of each value of every category column, and an index against the
all-customer average (100 = average). It ranks the columns by how strongly they separate the
segments (ANOVA F for numbers, chi-squared for categories, compared through their effect sizes) and
proposes a short name per segment from its strongest differences, e.g. "High Income, low Spending" (column names as written).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency
from scipy.stats import f as f_distribution

from .cells import number_text
from .columns import truth
from .fit import Segmentation
from .pipeline import code_feature

__all__ = ["Profile", "describe", "profile_table", "segment_names"]

#: A difference counts as notable from this many (overall) standard deviations.
NOTABLE_Z = 0.5
#: A category value "dominates" a segment from this share.
DOMINANT_SHARE = 0.75
#: Text columns with up to this many values are profiled as shares even when not segmented on.
PROFILE_CATEGORIES = 20

_UNITS = re.compile(r"\s*[\(\[].*?[\)\]]\s*")
_DAYS = " (days before latest)"
_CODE = " (code)"
#: The value standing for "not the code" in a number column's code share.
OTHER_VALUE = "other value"
_AGE = re.compile(r"\bage\b", re.IGNORECASE)
_TENURE = re.compile(r"since|joined|sign.?up|registered|first (order|purchase)|customer date|tenure", re.IGNORECASE)


@dataclass(frozen=True)
class Profile:
    """What each segment looks like, in the user's units.

    Attributes
    ----------
    names : tuple of str
        A short automatic name per segment, segment 1 first.
    summary : DataFrame
        One row per segment (index ``Segment`` 1..K): ``Name``, ``Customers``, ``Share of
        customers``, then the mean of every number column and the share of every category value
        (columns named ``"Gender = Female"``).
    medians : DataFrame
        Median of every number column per segment.
    index : DataFrame
        The ``summary`` values against the all-customer average, 100 = average (NaN where an
        index has no meaning, e.g. a column with negative values).
    overall : Series
        The all-customer averages and shares the index compares with.
    spread : Series
        The all-customer standard deviation of each ``overall`` entry (binomial for shares).
    importance : DataFrame
        One row per profiled column, strongest first: ``Column``, ``Used to segment``,
        ``Test``, ``Statistic``, ``p-value`` and ``Strength``: the correlation ratio eta for
        numbers, Cramér's V for categories, on one scale (for a 0/1 column the two are equal);
        0 = no difference between segments, 1 = segments fully different.
    shares : dict
        For each share column of ``summary``, the column and value it counts: ``"Gender =
        Female"`` -> ``("Gender", "Female")``.
    segmenting : frozenset of str
        The profiled columns the segments were formed on (the others are only described).
    """

    names: tuple[str, ...]
    summary: pd.DataFrame
    medians: pd.DataFrame
    index: pd.DataFrame
    overall: pd.Series
    spread: pd.Series
    importance: pd.DataFrame
    shares: dict[str, tuple[str, str]] = field(default_factory=dict)
    segmenting: frozenset[str] | None = None

    def with_names(self, names: list[str] | tuple[str, ...]) -> Profile:
        """The same profile with segment names replaced (e.g. typed by the user)."""
        names = tuple(str(n) for n in names)
        return replace(self, names=names, summary=self.summary.assign(Name=list(names)))

    @property
    def numbers(self) -> list[str]:
        """The profiled number columns (dates as ``"X (days before latest)"``), in file order."""
        return list(self.medians.columns)

    def source(self, column: str) -> str:
        """The file's column behind a profile column: ``"Gender = Female"`` -> ``"Gender"``,
        ``"Joined (days before latest)"`` -> ``"Joined"``, ``"pdays (code)"`` -> ``"pdays"``."""
        if column in self.shares:
            column = self.shares[column][0]
        return column.removesuffix(_DAYS).removesuffix(_CODE)

    def values_of(self, column: str) -> list[str]:
        """The share columns of a category column, in the summary's order: ``["Gender = Female", ...]``."""
        return [share for share, (source, _) in self.shares.items() if source == column]

    def yes_share(self, column: str) -> str | None:
        """For a yes/no column (Churn: Yes/No, SeniorCitizen: 0/1), the share column of its "yes" value."""
        values = {value: share for share, (source, value) in self.shares.items() if source == column}
        if len(values) == 2 and {truth(v) for v in values} == {False, True}:
            return next(share for value, share in values.items() if truth(value))
        return None

    def key_columns(self, n: int | None = None, *, min_strength: float = 0.0) -> list[str]:
        """The profiled columns that set the segments apart most (``importance`` order), at most ``n``.

        Columns as in ``importance["Column"]``: numbers by name, a category column once.
        """
        ranked = self.importance.loc[self.importance["Strength"] >= min_strength, "Column"].tolist()
        return ranked if n is None else ranked[:n]

    @property
    def described(self) -> list[str]:
        """The profiled columns the segments were not formed on (outcomes such as churn), strongest first."""
        if self.segmenting is None:
            return []
        return [c for c in self.importance["Column"] if self.source(c) not in self.segmenting]

    def by_column(self) -> pd.DataFrame:
        """The profile turned on its side, for reading: one row per number column (its average) and per
        category value (its share), ``All customers`` then one column per segment.

        The rows of the columns that set the segments apart most come first; ``Measure`` says whether
        a row is an ``"average"`` or a ``"share"`` (0..1).
        """
        order = {column: rank for rank, column in enumerate(self.importance["Column"])}
        rows = sorted(self.overall.index, key=lambda c: order.get(self._importance_name(c), len(order)))
        frame = self.summary[rows].T
        frame.columns = list(self.summary.index)
        frame.insert(0, "All customers", self.overall[rows])
        frame.insert(0, "Measure", ["average" if c in self.medians.columns else "share" for c in rows])
        frame.index.name = "Column"
        return frame

    def _importance_name(self, column: str) -> str:
        """The ``importance`` row of a profile column: a share counts under its category column."""
        return self.shares[column][0] if column in self.shares else column

    def top_differences(self, segment: int, n: int = 5) -> pd.DataFrame:
        """The ``n`` columns that set ``segment`` apart most, with its value, the average and the index."""
        z = _standardised_differences(self)
        row = z.loc[segment].dropna()
        order = row.abs().sort_values(ascending=False, kind="stable").index[:n]
        return pd.DataFrame(
            {
                "Feature": order,
                "Segment": [self.summary.loc[segment, c] for c in order],
                "All customers": [self.overall[c] for c in order],
                "Index": [self.index.loc[segment, c] for c in order],
                "Difference (SD)": [row[c] for c in order],
            }
        )


def describe(segmentation: Segmentation, *, names: list[str] | tuple[str, ...] | None = None) -> Profile:
    """Profile each segment in original units and name it.

    Parameters
    ----------
    segmentation : Segmentation
        Output of :func:`segmentation.fit`.
    names : list of str, optional
        Segment names to use instead of the automatic ones (segment 1 first).

    Returns
    -------
    Profile

    Examples
    --------
    >>> from segmentation import load_table, prepare, fit
    >>> table = load_table(b"Income,Spending\\n15,80\\n16,82\\n17,79\\n90,10\\n95,12\\n99,15\\n")
    >>> profile = describe(fit(prepare(table), 2))
    >>> profile.summary["Income"].round(1).tolist(), profile.names
    ([16.0, 94.7], ('Low Income, high Spending', 'High Income, low Spending'))
    """
    k = segmentation.k
    segmented = segmentation.segmented  # customers set aside as unusual are not in the profile
    labels = segmentation.labels[segmented]
    numbers, categories, used = _profile_columns(segmentation)
    numbers = numbers.loc[segmented]
    categories = categories.loc[segmented]
    segment_index = pd.Index(range(1, k + 1), name="Segment")

    counts = np.bincount(labels, minlength=k + 1)[1:]
    summary = pd.DataFrame({"Customers": counts, "Share of customers": counts / counts.sum()}, index=segment_index)
    means = numbers.groupby(labels).mean().reindex(segment_index)
    medians = numbers.groupby(labels).median().reindex(segment_index)
    shares, share_of = _category_shares(categories, labels, segment_index)
    summary = pd.concat([summary, means, shares], axis=1)

    overall_shares = _category_shares(categories, np.zeros(len(categories), dtype=int), pd.Index([0]))[0].iloc[0]
    overall = pd.concat([numbers.mean(), overall_shares])
    spread = pd.concat([numbers.std(ddof=0), np.sqrt(overall_shares * (1 - overall_shares))])
    with np.errstate(divide="ignore", invalid="ignore"):
        index = 100 * summary[overall.index] / overall
    # An index (100 = average) only means something for quantities that cannot be negative.
    signed = [c for c in numbers.columns if (numbers[c].dropna() < 0).any() or not overall[c] > 0]
    index[signed] = np.nan
    importance = _importance(numbers, categories, labels, used)

    profile = Profile((), summary, medians, index, overall, spread, importance, share_of, frozenset(used))
    auto = segment_names(profile)
    chosen = tuple(names) if names is not None else auto
    if len(chosen) != k:
        raise ValueError(f"names must have {k} entries, not {len(chosen)}")
    summary.insert(0, "Name", list(chosen))
    return replace(profile, names=chosen, summary=summary)


def profile_table(profile: Profile, *, statistic: str = "mean") -> pd.DataFrame:
    """The profile as text to read: each number in its column's units, each share as a percentage.

    One row per number column and per category value, the columns that set the segments apart most
    first (see :meth:`Profile.by_column`); ``Measure`` says what a row holds, then ``All customers``
    and one column per segment, headed ``"1 · name"``.

    Parameters
    ----------
    profile : Profile
    statistic : {"mean", "median"}, default "mean"
        ``"median"`` gives the medians of the number columns only.

    Returns
    -------
    DataFrame of str

    Examples
    --------
    >>> from segmentation import load_table, prepare, fit
    >>> table = load_table(b"Income,Club\\n15,yes\\n16,yes\\n17,no\\n90,no\\n95,no\\n9999,no\\n")
    >>> profile_table(describe(fit(prepare(table), 2))).iloc[:, :3].to_numpy().tolist()
    [['average', '1,705', '47'], ['share', '67%', '60%'], ['share', '33%', '40%']]
    """
    from .units import amount, percent

    labels = [f"{segment} · {name}" for segment, name in zip(profile.summary.index, profile.names, strict=True)]
    if statistic == "median":
        frame = profile.medians.T.map(amount)
        frame.columns = labels
        frame.index.name = "Column"
        return frame
    if statistic != "mean":
        raise ValueError(f"statistic must be 'mean' or 'median', not {statistic!r}")
    wide = profile.by_column()
    text = wide.drop(columns="Measure").astype(object)
    for row, measure in wide["Measure"].items():
        text.loc[row] = [amount(v) if measure == "average" else percent(v) for v in wide.loc[row].drop("Measure")]
    text.columns = ["All customers", *labels]
    text.insert(0, "Measure", wide["Measure"])
    return text


def segment_names(profile: Profile) -> tuple[str, ...]:
    """Short names from each segment's strongest differences, unique across segments."""
    z = _standardised_differences(profile)
    phrases = [_phrases(profile, z, segment) for segment in profile.summary.index]
    names = [_join(p[:2]) if p else "Average customers" for p in phrases]
    # Segments that would share a name get their third-strongest difference, then their number.
    shared = {name for name, count in Counter(names).items() if count > 1}
    names = [_join(p[:3]) if name in shared and len(p) >= 3 else name for name, p in zip(names, phrases, strict=True)]
    counts = Counter(names)
    return tuple(name if counts[name] == 1 else f"{name} ({i})" for i, name in enumerate(names, start=1))


# --------------------------------------------------------------------------------------------------


def _profile_columns(segmentation: Segmentation) -> tuple[pd.DataFrame, pd.DataFrame, set[str]]:
    """Number and category columns to profile: those segmented on and those described.

    A number column's codes (``-1`` for "never") are profiled as the share of customers holding
    each, beside the column's mean without them.
    """
    prepared = segmentation.prepared
    used = set(prepared.columns)
    numbers, categories = {}, {}
    for report in prepared.reports:
        column = report.column
        if report.role == "ignore" or column not in prepared.values.columns:
            continue  # identifiers, free text, constant and left-out columns say nothing about segments
        series = prepared.values[column]
        if report.kind == "date":
            numbers[f"{column} (days before latest)"] = (series.max() - series).dt.total_seconds() / 86_400
        elif report.kind == "number":
            numbers[column] = series.astype("float64")
            if report.codes:
                # Who holds which code ("never contacted"), as shares beside the column's mean.
                held = pd.Series(OTHER_VALUE, index=series.index, dtype="str")
                for code in report.codes:
                    held = held.mask(prepared.values[code_feature(column, code)] == 1.0, number_text(code))
                categories[code_column(column)] = held
                if column in used:
                    used.add(code_column(column))
        else:
            categories[column] = series
    index = prepared.table.raw.index
    return pd.DataFrame(numbers, index=index), pd.DataFrame(categories, index=index), used


def code_column(column: str) -> str:
    """The name under which a number column's codes are profiled, e.g. ``"pdays (code)"``."""
    return f"{column} (code)"


def share_name(column: str, value: str) -> str:
    """The summary's name for the share of customers with ``value`` in ``column``: ``"Gender = Female"``."""
    return f"{column} = {value}"


def _category_shares(
    categories: pd.DataFrame, labels: np.ndarray, segment_index: pd.Index
) -> tuple[pd.DataFrame, dict[str, tuple[str, str]]]:
    """Per segment, the share of each value of each category column (missing not counted)."""
    frames, share_of = [], {}
    for column in categories.columns:
        series = categories[column]
        dummies = pd.get_dummies(series.astype("str"), dtype=float).drop(columns="nan", errors="ignore")
        share_of.update({share_name(column, value): (column, value) for value in dummies.columns})
        dummies.columns = [share_name(column, value) for value in dummies.columns]
        dummies = dummies.where(series.notna(), axis=0)  # missing is not a value
        frames.append(dummies.groupby(labels).mean().reindex(segment_index))
    if not frames:
        return pd.DataFrame(index=segment_index), share_of
    return pd.concat(frames, axis=1), share_of


def _importance(numbers: pd.DataFrame, categories: pd.DataFrame, labels: np.ndarray, used: set[str]) -> pd.DataFrame:
    rows = []
    k = len(np.unique(labels))
    for column in numbers.columns:
        values = numbers[column]
        filled = values.fillna(values.median()).to_numpy()
        if k < 2 or np.ptp(filled) == 0:
            continue
        source = column.split(" (days before latest)")[0]
        rows.append((column, source in used, "ANOVA F", *one_way_anova(filled, labels)))
    for column in categories.columns:
        table = _counts_by_segment(labels, categories[column])
        if k < 2 or table.shape[1] < 2:
            continue
        rows.append((column, column in used, "chi-squared", *category_strength(table)))
    return importance_table(rows)


def one_way_anova(values: np.ndarray, labels: np.ndarray) -> tuple[float, float, float]:
    """F, its p-value and eta (the share of the spread between segments, square-rooted) of a number column.

    scikit-learn's ``f_classif`` gives the same F and p-value to rounding, but goes over the rows once
    per segment and does not give eta; the segments' counts and sums give all three in one pass (0.1 s
    a column less on a million rows). On values far from 0 (1e9 + a few units) ``f_classif`` loses
    the spread to cancellation and gives F = 0; this stays with ``scipy.stats.f_oneway``.
    """
    sizes = np.bincount(labels)
    present = sizes > 0
    means = np.bincount(labels, weights=values)[present] / sizes[present]
    grand = values.mean()
    return anova_from_sums(sizes[present], means, grand, float(((values - grand) ** 2).sum()))


def anova_from_sums(sizes: np.ndarray, means: np.ndarray, grand: float, total: float) -> tuple[float, float, float]:
    """F, its p-value and eta from each segment's size and mean, the overall mean and the total sum
    of squares: all the Spark engine has of a column, and all :func:`one_way_anova` needs."""
    groups, n = len(sizes), int(sizes.sum())
    between = float((sizes * (means - grand) ** 2).sum())
    within = max(total - between, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Segments of identical customers have no spread inside: F is infinite (or undefined with
        # one customer per segment), which is the right answer, not a problem to warn of.
        f_stat = np.float64(between / (groups - 1)) / np.float64(within / (n - groups) if n > groups else np.nan)
    return float(f_stat), float(f_distribution.sf(f_stat, groups - 1, n - groups)), float(np.sqrt(between / total))


def _counts_by_segment(labels: np.ndarray, values: pd.Series) -> pd.DataFrame:
    """Customers per segment (rows) and value (columns), missing values not counted: ``pd.crosstab``
    of the two, by one ``bincount`` (ten times faster on a million rows)."""
    codes, uniques = pd.factorize(values, sort=True)
    known = codes >= 0
    width = max(len(uniques), 1)
    counts = np.bincount(labels[known] * width + codes[known], minlength=(labels.max() + 1) * width)
    table = pd.DataFrame(counts.reshape(-1, width)[:, : len(uniques)], columns=uniques)
    return table.loc[table.sum(axis=1) > 0]


def category_strength(crosstab: pd.DataFrame) -> tuple[float, float, float]:
    """Chi-squared, its p-value and Cramér's V of a segments x values table of counts."""
    # No continuity correction: with it a 2 x 2 table's V would not equal eta of the same 0/1 column.
    chi2, p_value, _, _ = chi2_contingency(crosstab.to_numpy(), correction=False)
    n = crosstab.to_numpy().sum()
    return float(chi2), float(p_value), float(np.sqrt(chi2 / (n * (min(crosstab.shape) - 1))))


def importance_table(rows: list[tuple]) -> pd.DataFrame:
    """The importance rows as the table :class:`Profile` carries, strongest first."""
    frame = pd.DataFrame(rows, columns=["Column", "Used to segment", "Test", "Statistic", "p-value", "Strength"])
    return frame.sort_values("Strength", ascending=False, kind="stable").reset_index(drop=True)


def _standardised_differences(profile: Profile) -> pd.DataFrame:
    """Each segment's value minus the overall value, in overall standard deviations."""
    columns = profile.overall.index
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (profile.summary[columns] - profile.overall) / profile.spread.replace(0, np.nan)
    return z


def _phrases(profile: Profile, z: pd.DataFrame, segment: int) -> list[str]:
    row = z.loc[segment].dropna()
    row = row[row.abs() >= NOTABLE_Z]
    phrases = []
    # Strongest first; differences of about the same size keep the file's column order.
    order = sorted(row.index, key=lambda c: (-round(abs(row[c]), 1), list(z.columns).index(c)))
    segmenting = profile.segmenting
    named_shares: list[str] = []
    for column in order:
        value = row[column]
        if column not in profile.medians.columns:  # a category share
            source, category = profile.shares.get(column) or column.rsplit(" = ", 1)
            if segmenting is not None and source not in segmenting:
                continue  # described only (an outcome): shown in the profile, not in the name
            if any(_same_shares(profile, column, named) for named in named_shares):
                # "OnlineSecurity: No internet service" after "InternetService: No": the same customers.
                continue
            share = profile.summary.loc[segment, column]
            if value > 0 and share >= DOMINANT_SHARE:
                phrases.append(_share_phrase(profile, source, category))
                named_shares.append(column)
            continue
        source = column.removesuffix(" (days before latest)")
        if segmenting is None or source in segmenting:
            phrases.append(_number_phrase(column, high=value > 0))
    return list(dict.fromkeys(phrases))


def _same_shares(profile: Profile, column: str, other: str) -> bool:
    """Whether two values are held by the same share of customers in every segment and overall."""
    ours = [profile.overall[column], *profile.summary[column]]
    theirs = [profile.overall[other], *profile.summary[other]]
    return bool(np.allclose(ours, theirs, rtol=0, atol=1e-9, equal_nan=True))


def _share_phrase(profile: Profile, column: str, value: str) -> str:
    """A dominant value in words: ``"Contract: Month-to-month"``, ``"Partner"``, ``"no Dependents"``."""
    if column.endswith(" (code)"):
        source = column.removesuffix(" (code)")
        codes = sorted(v for c, v in profile.shares.values() if c == column and v != OTHER_VALUE)
        return f"{source}: {value}" if value != OTHER_VALUE else f"{source}: not {' or '.join(codes)}"
    values = {v for c, v in profile.shares.values() if c == column}
    if len(values) == 2 and {truth(v) for v in values} == {False, True}:
        return column if truth(value) else f"no {column}"
    return f"{column}: {value}"


def _number_phrase(column: str, *, high: bool) -> str:
    if column.endswith(" (days before latest)"):
        short = column.removesuffix(" (days before latest)").strip()
        if _TENURE.search(short):
            return "long-time customers" if high else "new customers"
        return f"early {short}" if high else f"recent {short}"
    short = _UNITS.sub(" ", column).strip() or column
    if _AGE.search(short) and len(short.split()) <= 2:
        return "older" if high else "younger"
    return f"{'high' if high else 'low'} {short}"


def _join(phrases: list[str]) -> str:
    text = ", ".join(phrases)
    return text[:1].upper() + text[1:]
