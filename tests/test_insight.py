"""The questions asked after the first segmentation, checked with numbers on planted data.

The planted customers: four well-separated groups in (Income, Spend), one of which ("A", the
largest) is itself two close sub-groups, plus ten customers placed far from every group. So K=4 is
the true, stable answer; K=5 splits exactly group A; K=7 has to cut round groups arbitrarily.
"""

from __future__ import annotations

import dataclasses
import html.parser
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from segmentation import DataError, describe, fit, labelled_frame, prepare
from segmentation.charts import SEGMENT_COLOURS, card_figure, sankey_figure, stability_figure
from segmentation.cli import main
from segmentation.export import cards_html
from segmentation.insight import (
    UNSTABLE_JACCARD,
    _matched_jaccard,
    segment_cards,
    stability,
    stability_sweep,
    transitions,
    unusual_customers,
    worst_fits,
)

#: (name, income, spend, customers, share buying online)
GROUPS = (
    ("A1", 25, 30, 160, 0.5),
    ("A2", 35, 30, 140, 0.5),
    ("B", 90, 30, 250, 0.3),
    ("C", 30, 90, 200, 0.5),
    ("D", 90, 90, 150, 1.0),
)
N_OUTLIERS = 10
FEATURES = ["Income", "Spend"]


def planted(seed: int = 0) -> pd.DataFrame:
    """The planted customers; the last ten rows are the far-away ones, column Group says who is who."""
    rng = np.random.default_rng(seed)
    parts = []
    for name, income, spend, n, online in GROUPS:
        parts.append(
            pd.DataFrame(
                {
                    "Income": rng.normal(income, 2, n),
                    "Spend": rng.normal(spend, 2, n),
                    "Channel": np.where(rng.random(n) < online, "Online", "Store"),
                    "Group": name,
                }
            )
        )
    # 8 to 10 standard deviations from a group's centre: far from it, still nearer it than any other.
    centres = np.array([[30, 30], [90, 30], [30, 90], [90, 90]])[np.arange(N_OUTLIERS) % 4]
    angle = rng.uniform(0, 2 * np.pi, N_OUTLIERS)
    radius = rng.uniform(16, 20, N_OUTLIERS)
    parts.append(
        pd.DataFrame(
            {
                "Income": centres[:, 0] + radius * np.cos(angle),
                "Spend": centres[:, 1] + radius * np.sin(angle),
                "Channel": "Store",
                "Group": "far",
            }
        )
    )
    frame = pd.concat(parts, ignore_index=True).round(2)
    frame.insert(0, "CustomerID", np.arange(1, len(frame) + 1))
    return frame


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return planted()


@pytest.fixture(scope="module")
def prepared(frame):
    return prepare(frame.drop(columns="Group"), features=FEATURES)


@pytest.fixture(scope="module")
def four(prepared):
    return fit(prepared, 4)


@pytest.fixture(scope="module")
def stable_four(prepared):
    return stability(prepared, 4)


@pytest.fixture(scope="module")
def planted_file(frame, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("insight") / "planted.csv"
    frame.drop(columns="Group").to_csv(path, index=False)
    return path


def run(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


# --------------------------------------------------------------------------------------------------
# Stability


def test_true_k_is_stable(stable_four, four):
    assert stable_four.ari_mean > 0.9
    assert stable_four.ari_min > 0.9
    assert len(stable_four.ari) == 10
    assert min(stable_four.segment_jaccard) > 0.85
    assert stable_four.unstable_segments == ()
    assert stable_four.verdicts() == ("highly stable",) * 4
    # Numbered like fit's segments.
    assert stable_four.sizes == four.sizes
    assert stable_four.frame()["Customers"].tolist() == list(four.sizes)
    assert "Every segment is stable" in stable_four.summary()


def test_wrong_k_is_visibly_less_stable(prepared, stable_four):
    seven = stability(prepared, 7)
    assert seven.ari_mean < stable_four.ari_mean - 0.03
    assert seven.ari_std > stable_four.ari_std
    assert min(seven.segment_jaccard) < 0.85
    # The segments that are whole planted groups stay; only the cut-up groups waver.
    assert max(seven.segment_jaccard) > 0.95


def test_stability_is_deterministic_and_reuses_a_fit(prepared, four):
    first = stability(prepared, 4, resamples=3, random_state=5)
    again = stability(prepared, 4, resamples=3, random_state=5, reference=fit(prepared, 4, random_state=5))
    assert first.ari == again.ari
    np.testing.assert_array_equal(first.jaccard, again.jaccard)
    with pytest.raises(ValueError, match="segments"):
        stability(prepared, 3, reference=four)


def test_progress_and_sweep(prepared):
    calls = []
    results = stability_sweep(
        prepared.matrix, k_min=3, k_max=4, resamples=2, on_progress=lambda d, t: calls.append((d, t))
    )
    assert [r.k for r in results] == [3, 4]
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert results[1].ari == stability(prepared, 4, resamples=2).ari  # a K gives the same alone or in a sweep


def test_large_data_is_compared_on_a_fixed_sample():
    rng = np.random.default_rng(1)
    X = np.r_[rng.normal(0, 1, (3000, 3)), rng.normal(8, 1, (3000, 3))]
    result = stability(X, 2, resamples=2, sample_rows=1000)
    assert result.sampled and result.compared_rows == 1000
    assert sum(result.sizes) == 6000
    assert result.ari_mean > 0.99


def test_matched_jaccard_ignores_label_names():
    truth = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    relabelled = np.array([2, 2, 2, 0, 0, 1, 1, 1, 1])
    np.testing.assert_allclose(_matched_jaccard(truth, relabelled, 3), [1, 1, 1])
    # Segment 3 loses one customer to segment 1: Jaccard 3/4 for it, 3/4 for segment 1.
    moved = np.array([2, 2, 2, 0, 0, 1, 1, 1, 2])
    np.testing.assert_allclose(_matched_jaccard(truth, moved, 3), [0.75, 1, 0.75])


def test_stability_refuses_bad_k(prepared):
    with pytest.raises(DataError, match="K must be between"):
        stability(prepared, 0)
    with pytest.raises(ValueError, match="resamples"):
        stability(prepared, 2, resamples=0)


def test_stability_figure(stable_four, prepared):
    two = stability(prepared, 2, resamples=2)
    fig = stability_figure([two, stable_four], selected_k=4)
    assert list(fig.data[0].x) == [2, 4]
    assert fig.data[0].y[1] == pytest.approx(stable_four.ari_mean)
    assert fig.data[1].y[1] == pytest.approx(min(stable_four.segment_jaccard))
    assert any(shape.y0 == UNSTABLE_JACCARD for shape in fig.layout.shapes)


# --------------------------------------------------------------------------------------------------
# K against K + 1


def test_k_plus_one_splits_exactly_the_planted_group(prepared, frame):
    result = transitions(prepared, 4, 5)
    crosstab = result.crosstab
    assert crosstab.shape == (4, 5)
    assert crosstab.to_numpy().sum() == len(frame)
    shares = result.shares.to_numpy()
    splitting = [s for s in range(4) if (shares[s] >= 0.15).sum() >= 2]
    assert splitting == [0]  # segment 1, the largest: group A
    assert all(shares[s].max() > 0.97 for s in range(1, 4))  # the others map one to one
    # The two pieces are the two planted sub-groups.
    after = fit(prepared, 5).labels
    groups = frame["Group"].to_numpy()
    a1, a2 = np.bincount(after[groups == "A1"]).argmax(), np.bincount(after[groups == "A2"]).argmax()
    assert a1 != a2
    assert (after[groups == "A1"] == a1).mean() > 0.97 and (after[groups == "A2"] == a2).mean() > 0.97
    assert len(result.moves) == 1
    assert re.match(
        rf'At K=5, segment 1 "{re.escape(result.names_from[0])}" splits into \d \(\d+%\) and \d', result.summary
    )
    assert "stay together" in result.summary


def test_fewer_segments_show_a_merge(prepared):
    result = transitions(prepared, 5, 4, names_to=["W", "X", "Y", "Z"])
    assert result.crosstab.shape == (5, 4)
    assert 'merge into 1 "W"' in result.summary
    same = transitions(prepared, 4, 4)
    np.testing.assert_array_equal(np.diag(same.crosstab.to_numpy()), fit(prepared, 4).sizes)
    assert "the same" in same.summary


def test_sankey_figure(prepared):
    result = transitions(prepared, 4, 5)
    fig = sankey_figure(result)
    sankey = fig.data[0]
    assert sankey.type == "sankey"
    assert len(sankey.node.label) == 9
    assert sankey.node.label[0].startswith("1 · ") and sankey.node.label[4].startswith("1 · ")
    assert [a.text for a in fig.layout.annotations] == ["<b>K=4</b>", "<b>K=5</b>"]  # which side is which K
    assert sum(sankey.link.value) == result.crosstab.to_numpy().sum()
    assert list(sankey.node.color[:4]) == SEGMENT_COLOURS[:4]
    assert list(sankey.node.y[:4]) == sorted(sankey.node.y[:4])  # segment 1 on top


# --------------------------------------------------------------------------------------------------
# Customers who fit worst


def test_planted_outliers_are_unusual_with_few_false_flags(four, frame):
    flags = unusual_customers(four)
    far = (frame["Group"] == "far").to_numpy()
    assert flags[far].all()
    assert flags[~far].sum() <= 0.01 * (~far).sum()
    np.testing.assert_array_equal(flags, unusual_customers(four))


def test_lowest_fit_scores_below_zero_are_flagged(four):
    scores = np.abs(four.fit_score)  # every customer fits; then five fit another segment better
    scores[[3, 50, 400, 600, 700]] = [-0.5, -0.4, -0.3, -0.2, -0.1]
    worse = dataclasses.replace(four, fit_score=scores, distance=np.zeros_like(four.distance))
    assert np.flatnonzero(unusual_customers(worse)).tolist() == [3, 50, 400, 600, 700]
    # At most `share` of the customers: 0.4% of 910 is 3, the three lowest.
    assert np.flatnonzero(unusual_customers(worse, share=0.004)).tolist() == [3, 50, 400]


def test_rows_not_segmented_are_never_unusual():
    rows = pd.DataFrame(
        {"Spend": [1, 2, 3, 2, 1, np.nan, 50, 51, 52, 49], "Visits": [1, 2, 1, 2, 1, np.nan, 9, 8, 9, 8]}
    )
    segmentation = fit(prepare(rows), 2)
    assert segmentation.labels[5] == 0
    flags = unusual_customers(segmentation, share=0.5, mads=0.1)
    assert not flags[5] and flags.any()


def test_worst_fits_lists_the_unusual_first_with_original_values(four, frame):
    table = worst_fits(four, n=15, names=["a", "b", "c", "d"])
    assert len(table) == 15
    assert list(table.columns[:7]) == [
        "Row",
        "Segment",
        "Segment name",
        "Fit score",
        "Distance to centre",
        "Unusual",
        "Why",
    ]
    flagged = int(unusual_customers(four).sum())
    assert table["Unusual"].tolist() == [True] * flagged + [False] * (15 - flagged)
    far_rows = set(np.flatnonzero(frame["Group"] == "far") + 1)
    assert far_rows <= set(table["Row"])
    first = table.iloc[0]
    assert first["Income"] == four.prepared.table.raw.iloc[first["Row"] - 1]["Income"]
    assert first["Segment name"] == "abcd"[first["Segment"] - 1]
    assert table.loc[table["Row"].isin(far_rows), "Why"].str.contains("Far from").all()


def test_labelled_frame_adds_fit_score_and_unusual(four):
    out = labelled_frame(four, unusual=True)
    assert (out["Unusual"] == "yes").sum() == unusual_customers(four).sum()
    np.testing.assert_allclose(out["Fit score"].to_numpy(dtype=float), four.fit_score, atol=1e-4)
    assert "Unusual" not in labelled_frame(four).columns


# --------------------------------------------------------------------------------------------------
# Segment cards


def test_cards_name_the_features_that_set_each_segment_apart(four):
    profile = describe(four)
    cards = segment_cards(profile)
    assert [c.segment for c in cards] == [1, 2, 3, 4]
    assert [c.customers for c in cards] == list(four.sizes)
    assert sum(c.share for c in cards) == pytest.approx(1.0)
    income = profile.summary["Income"]
    spend = profile.summary["Spend"]
    rich_saver = int(((income > 80) & (spend < 40)).idxmax())  # planted group B
    card = cards[rich_saver - 1]
    assert {f.feature for f in card.features[:2]} == {"Income", "Spend"}
    first = {f.feature: f for f in card.features}
    assert first["Income"].index == pytest.approx(100 * income[rich_saver] / profile.overall["Income"])
    assert f"income {first['Income'].index / 100:.1f}x the average" in card.description.lower()
    assert "spend" in card.description.lower()
    assert card.description.startswith(f"{card.share:.0%} of customers. ")
    # Group D buys online only: the card says so.
    online = int(((income > 80) & (spend > 80)).idxmax())
    assert "mostly Online" in cards[online - 1].description
    for card in cards:
        assert len(card.features) <= 5
        columns = [f.feature.split(" = ")[0] for f in card.features]
        assert len(columns) == len(set(columns))  # a category column appears once


def test_card_figure(four):
    card = segment_cards(describe(four))[0]
    fig = card_figure(card)
    assert list(fig.data[0].x) == pytest.approx([f.index for f in card.features])
    assert fig.data[0].marker.color == SEGMENT_COLOURS[0]


class _Tags(html.parser.HTMLParser):
    VOID = {"meta", "br", "hr", "img", "input", "link"}

    def __init__(self):
        super().__init__()
        self.open, self.seen, self.attributes, self.balanced = [], set(), set(), True

    def handle_starttag(self, tag, attrs):
        self.seen.add(tag)
        self.attributes.update(name for name, _ in attrs)
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        self.balanced &= bool(self.open) and self.open.pop() == tag


def test_cards_html_is_self_contained_and_escaped(four):
    evil = "<script>alert(1)</script>"
    profile = describe(four).with_names([evil, "Big & <b>bold</b>", "C", "D"])
    page = cards_html(segment_cards(profile), title="Q3 <img src=x onerror=alert(1)>", note="from 'planted.csv'")
    parser = _Tags()
    parser.feed(page)
    assert parser.balanced and not parser.open
    assert "script" not in parser.seen and "img" not in parser.seen and "b" not in parser.seen
    assert parser.attributes <= {"lang", "charset", "name", "content", "class", "style"}  # no src, href, on*
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Big &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "Q3 &lt;img src=x onerror=alert(1)&gt;" in page
    for external in ("http:", "https:", "//", "@import", "url(", "@font-face"):
        assert external not in page
    assert page.count('<section class="card"') == 4


def test_cards_html_escapes_column_names():
    rows = pd.DataFrame({"<i>Spend</i>": [1, 2, 3, 40, 42, 44], "Visits": [9, 8, 9, 1, 2, 1]})
    page = cards_html(segment_cards(describe(fit(prepare(rows), 2))))
    assert "<i>" not in page and "&lt;i&gt;Spend&lt;/i&gt;" in page


# --------------------------------------------------------------------------------------------------
# The command line


def test_cli_sweep_stability(planted_file):
    args = ("sweep", planted_file, "--features", *FEATURES, "--k-min", "3", "--k-max", "5")
    code, out, err = run(*args, "--stability", "--resamples", "3", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["k"] == [3, 4, 5] and "suggested_k" in payload  # the contract is kept
    assert [s["k"] for s in payload["stability"]] == [3, 4, 5]
    four = payload["stability"][1]
    assert set(four) >= {"k", "ari_mean", "ari_std", "unstable_segments"}
    assert four["ari_mean"] > 0.9 and four["unstable_segments"] == []
    assert "stability" not in json.loads(run(*args, "--json")[1])
    code, out, err = run(*args, "--stability", "--resamples", "2")
    assert code == 0 and "Stability (ARI)" in out and "Unstable segments" in out
    assert "Checking stability of K=3..5: 3/3" in err


def test_cli_segment_unusual_and_cards(planted_file, tmp_path, four):
    labelled, cards = tmp_path / "labelled.csv", tmp_path / "cards.html"
    args = ("segment", planted_file, "--features", *FEATURES, "--k", "4", "--json")
    code, out, err = run(*args, "--unusual", "--out", labelled, "--cards", cards)
    assert code == 0, err
    payload = json.loads(out)
    assert payload["unusual"] == int(unusual_customers(four).sum())
    written = pd.read_csv(labelled, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert (written["Unusual"] == "yes").sum() == payload["unusual"]
    assert set(range(len(written) - N_OUTLIERS, len(written))) <= set(np.flatnonzero(written["Unusual"] == "yes"))
    page = cards.read_text(encoding="utf-8")
    assert "planted.csv: 4 customer segments" in page
    assert all(f">{name}</h2>" in page for name in payload["names"])
    plain = json.loads(run(*args)[1])
    assert "unusual" not in plain
    code, out, _ = run("segment", planted_file, "--features", *FEATURES, "--k", "4", "--unusual")
    assert code == 0 and f"Unusual customers: {payload['unusual']}" in out


def test_cli_compare(planted_file, prepared):
    code, out, err = run("compare", planted_file, "--features", *FEATURES, "--k", "4", "--k2", "5", "--json")
    assert code == 0, err
    payload = json.loads(out)
    expected = transitions(prepared, 4, 5)
    assert payload["k"] == 4 and payload["k2"] == 5
    assert payload["crosstab"] == expected.crosstab.to_numpy().tolist()
    assert payload["summary"] == expected.summary and "splits into" in payload["summary"]
    code, out, _ = run("compare", planted_file, "--features", *FEATURES, "--k", "4", "--k2", "5")
    assert code == 0 and "Segment at K=5" in out and expected.summary in out


@pytest.mark.parametrize(
    "argv",
    [
        ("compare", "{empty}", "--k", "2", "--k2", "3"),
        ("compare", "{file}", "--k", "0", "--k2", "3"),
        ("compare", "{file}", "--k", "2"),
        ("sweep", "{file}", "--stability", "--engine", "spark"),
        ("sweep", "{file}", "--stability", "--resamples", "0"),
        ("segment", "{file}", "--k", "2", "--unusual", "--engine", "spark"),
    ],
)
def test_cli_bad_input_exits_2_with_one_error_line(argv, planted_file, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    code, out, err = run(*(a.format(empty=empty, file=planted_file) for a in argv))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
