"""The role a column gets unless the user says otherwise: segment on it, or only describe it per segment.

Two judgements keep a column out of the distance by default, each with its reason: an outcome
(segmenting on the answer hides the question) and a mostly missing column (its gaps, filled with
one made-up value, would split customers by whether a cell was filled).
"""

from __future__ import annotations

from .amounts import words

__all__ = ["AS_IT_IS", "BLANK_FOR", "MOSTLY_BLANK", "default_role", "described"]

# Flags and categories under these names are what a campaign wants to explain, not who the customer is.
_OUTCOME_WORDS = frozenset(
    """churn churned churner churners attrition attrited exited target label outcome response responded
    converted conversion subscribed cancelled canceled fraud fraudulent""".split()
)
_OUTCOME_FLAG_WORDS = frozenset({"revenue", "purchase", "purchased", "bought", "default"})
#: Missing for more than this share of customers, a column is described by default: filled with one
#: made-up value, it would split customers by whether a cell was filled (codes are not missing).
MOSTLY_BLANK = 0.5
BLANK_FOR = "Missing for"  # how that reason starts (a chosen role replaces it)
AS_IT_IS = ", used as it is."  # a number not on a log scale; said only of columns segmented on


def described(reason: str) -> str:
    """A column's reason once it is shown per segment: a number is then not compared "as it is"."""
    return reason.replace(AS_IT_IS, ".", 1)


def default_role(column: str, kind: str, *, blank: float = 0.0) -> tuple[str, str]:
    """The role a column gets unless the user says otherwise, with the reason when it is not "segment".

    Flags and categories named like an outcome (churn, target, response, converted ...; revenue or
    purchase as a yes/no) are described per segment rather than segmented on: segmenting on the
    answer hides the question. So is a column missing for more than :data:`MOSTLY_BLANK` of the
    customers (``blank``, the share: empty, a missing-value marker or unreadable).

    Examples
    --------
    >>> default_role("Churn", "flag")[0], default_role("Revenue", "number")[0], default_role("Revenue", "flag")[0]
    ('describe', 'segment', 'describe')
    """
    if kind not in {"number", "category", "flag", "date"}:
        return "ignore", ""
    names = set(words(column))
    outcome = names & _OUTCOME_WORDS or column.strip().lower() == "y"
    if kind == "flag":
        outcome = outcome or bool(names & _OUTCOME_FLAG_WORDS)
    if outcome and kind in {"flag", "category"}:
        return "describe", (
            "It looks like an outcome, so it is shown per segment instead of forming them (segmenting on "
            "the answer hides the question). Give it the role 'segment' (--features on the command line) to "
            "use it anyway."
        )
    if blank > MOSTLY_BLANK:
        return "describe", (
            f"{BLANK_FOR} {blank:.0%} of customers (empty, or marked like 'n/a'): filling that many with one value "
            "would make them look alike on it, so it is shown per segment instead of forming them. Give it the "
            "role 'segment' (--features on the command line) to use it anyway."
        )
    return "segment", ""
