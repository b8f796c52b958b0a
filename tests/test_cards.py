"""Segment cards on the planted customers: each card names what sets its segment apart."""

from __future__ import annotations

import html.parser

import numpy as np
import pandas as pd
import pytest

from segmentation import describe, fit, prepare
from segmentation.cards import segment_cards
from segmentation.charts import SEGMENT_COLOURS, card_figure
from segmentation.export import cards_html


def test_cards_name_the_features_that_set_each_segment_apart(planted_four):
    profile = describe(planted_four)
    cards = segment_cards(profile)
    assert [c.segment for c in cards] == [1, 2, 3, 4]
    assert [c.customers for c in cards] == list(planted_four.sizes)
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


def test_card_figure(planted_four):
    card = segment_cards(describe(planted_four))[0]
    fig = card_figure(card)
    assert list(fig.data[0].x) == pytest.approx([f.index for f in card.features])
    assert fig.data[0].marker.color == SEGMENT_COLOURS[0]


def test_each_card_line_quotes_the_values_in_the_columns_units(planted_four):
    profile = describe(planted_four)
    for card in segment_cards(profile):
        by_feature = {f.feature: f for f in card.features}
        income = by_feature.get("Income")
        if income is not None:
            segment_mean = profile.summary.loc[card.segment, "Income"]
            overall = profile.overall["Income"]
            assert income.quote == f"Average Income {segment_mean:,.0f} (all customers {overall:,.0f})"
        for feature in card.features:
            if feature.is_share:
                column, value = feature.feature.split(" = ")
                assert feature.quote == f"{feature.value:.0%} {column} = {value} (all customers {feature.average:.0%})"
                assert feature.column == column
        # Channel is described, not segmented on: every card gives it as an outcome.
        assert [f.column for f in card.outcomes] == ["Channel"]
        assert card.quotes()[0] == card.outcomes[0].quote
        assert sum(q.startswith(f"{card.outcomes[0].value:.0%} Channel = ") for q in card.quotes()) == 1


def test_a_yes_no_outcome_reads_as_a_rate():
    rows = pd.DataFrame(
        {
            "Age": [22, 25, 24, 23, 61, 64, 66, 59],
            "Churn": ["Yes", "Yes", "Yes", "No", "No", "No", "No", "No"],
            "SeniorCitizen": [0, 0, 0, 0, 1, 1, 1, 0],
        }
    )
    profile = describe(fit(prepare(rows, describe=["Churn"]), 2))
    young = int(profile.summary["Age"].idxmin())
    card = segment_cards(profile)[young - 1]
    (churn,) = card.outcomes
    assert churn.quote == "Churn rate 75% (all customers 38%)"
    assert card.quotes()[0] == churn.quote
    assert any(q.startswith("Average Age 24 (all customers 43)") for q in card.quotes())
    old = segment_cards(profile)[2 - young]
    assert "75% SeniorCitizen = 1 (all customers 38%)" in old.quotes()


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


def test_cards_html_is_self_contained_and_escaped(planted_four):
    evil = "<script>alert(1)</script>"
    profile = describe(planted_four).with_names([evil, "Big & <b>bold</b>", "C", "D"])
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


def test_a_card_does_not_repeat_a_value_held_by_the_same_customers():
    rng = np.random.default_rng(0)
    service = rng.choice(["DSL", "Fiber optic", "No"], 300)
    rows = pd.DataFrame(
        {
            "InternetService": service,
            "OnlineSecurity": np.where(service == "No", "No internet service", rng.choice(["Yes", "No"], 300)),
            "TechSupport": np.where(service == "No", "No internet service", rng.choice(["Yes", "No"], 300)),
            "Charges": np.where(service == "No", 20, 80) + rng.normal(0, 5, 300),
        }
    )
    profile = describe(fit(prepare(rows), 3))
    for card in segment_cards(profile):
        shares = [f.feature for f in card.features if f.is_share]
        vectors = [tuple(profile.summary[f].round(9)) for f in shares]
        assert len(vectors) == len(set(vectors)), shares
    none = [c for c in segment_cards(profile) if any(f.feature == "InternetService = No" for f in c.features)]
    assert none and not any("No internet service" in f.feature for f in none[0].features)
