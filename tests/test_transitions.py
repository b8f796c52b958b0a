"""K against another K on the planted customers: K=5 splits exactly the planted group A."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from planted_data import FEATURES, run

from segmentation import fit
from segmentation.charts import SEGMENT_COLOURS, sankey_figure
from segmentation.transitions import transitions


def test_k_plus_one_splits_exactly_the_planted_group(planted_prepared, planted_frame):
    result = transitions(planted_prepared, 4, 5)
    crosstab = result.crosstab
    assert crosstab.shape == (4, 5)
    assert crosstab.to_numpy().sum() == len(planted_frame)
    shares = result.shares.to_numpy()
    splitting = [s for s in range(4) if (shares[s] >= 0.15).sum() >= 2]
    assert splitting == [0]  # segment 1, the largest: group A
    assert all(shares[s].max() > 0.97 for s in range(1, 4))  # the others map one to one
    # The two pieces are the two planted sub-groups.
    after = fit(planted_prepared, 5).labels
    groups = planted_frame["Group"].to_numpy()
    a1, a2 = np.bincount(after[groups == "A1"]).argmax(), np.bincount(after[groups == "A2"]).argmax()
    assert a1 != a2
    assert (after[groups == "A1"] == a1).mean() > 0.97 and (after[groups == "A2"] == a2).mean() > 0.97
    assert len(result.moves) == 1
    assert re.match(
        rf'At K=5, segment 1 "{re.escape(result.names_from[0])}" splits into \d \(\d+%\) and \d', result.summary
    )
    assert "stay together" in result.summary


def test_fewer_segments_show_a_merge(planted_prepared):
    result = transitions(planted_prepared, 5, 4, names_to=["W", "X", "Y", "Z"])
    assert result.crosstab.shape == (5, 4)
    assert 'merge into 1 "W"' in result.summary
    same = transitions(planted_prepared, 4, 4)
    np.testing.assert_array_equal(np.diag(same.crosstab.to_numpy()), fit(planted_prepared, 4).sizes)
    assert "the same" in same.summary


def test_sankey_figure(planted_prepared):
    result = transitions(planted_prepared, 4, 5)
    fig = sankey_figure(result)
    sankey = fig.data[0]
    assert sankey.type == "sankey"
    assert len(sankey.node.label) == 9
    assert sankey.node.label[0].startswith("1 · ") and sankey.node.label[4].startswith("1 · ")
    assert [a.text for a in fig.layout.annotations] == ["<b>K=4</b>", "<b>K=5</b>"]  # which side is which K
    assert sum(sankey.link.value) == result.crosstab.to_numpy().sum()
    assert list(sankey.node.color[:4]) == SEGMENT_COLOURS[:4]
    assert list(sankey.node.y[:4]) == sorted(sankey.node.y[:4])  # segment 1 on top
    # One colour, one group of customers: a segment on the right has the colour of the left segment
    # it matches, or one no left segment has; never the colour of a segment it does not come from.
    counts = result.crosstab.to_numpy()
    right = list(sankey.node.color[4:])
    assert len(set(right)) == 5
    for j, colour in enumerate(right):
        if colour in SEGMENT_COLOURS[:4]:
            source = SEGMENT_COLOURS.index(colour)
            assert counts[source, j] == counts[source].max() or counts[source, j] == counts[:, j].max()
    # K=4 -> 5 splits one segment: the other three keep their colours on the right.
    assert len(set(right) & set(SEGMENT_COLOURS[:4])) == 4


# --------------------------------------------------------------------------------------------------
# The command line


def test_cli_compare(planted_file, planted_prepared):
    code, out, err = run("compare", planted_file, "--features", *FEATURES, "--k", "4", "--k2", "5", "--json")
    assert code == 0, err
    payload = json.loads(out)
    expected = transitions(planted_prepared, 4, 5)
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
    ],
)
def test_cli_bad_input_exits_2_with_one_error_line(argv, planted_file, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    code, out, err = run(*(a.format(empty=empty, file=planted_file) for a in argv))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
