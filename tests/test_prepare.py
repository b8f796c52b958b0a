"""Preparing: column roles, encodings, imputation, scalers, outliers and the audit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import shared_file
from sklearn.preprocessing import StandardScaler

from segmentation import DataError, load_table, prepare


def table(text: str):
    return load_table(text.encode())


def test_mall_matches_the_tutorial_preparation(mall_path):
    prepared = prepare(load_table(mall_path))
    assert prepared.columns == ("Gender", "Age", "Annual Income (k$)", "Spending Score (1-100)")
    assert prepared.feature_names == ("Gender: Male", "Age", "Annual Income (k$)", "Spending Score (1-100)")
    id_report = prepared.report("CustomerID")
    assert (id_report.kind, id_report.used) == ("id", False)
    # The tutorial: drop the ID, label-encode Gender (Male=1), StandardScaler on every column.
    # Balanced (the default): Gender's two values sqrt(2) apart, not stretched by its spread, so it
    # cannot split customers on its own; equal weighting is the tutorial's space exactly.
    raw = pd.read_csv(mall_path).drop(columns="CustomerID")
    raw["Gender"] = (raw["Gender"] == "Male").astype(int)
    tutorial = StandardScaler().fit_transform(raw)
    balanced = tutorial * np.array([np.sqrt(2) * raw["Gender"].std(ddof=0), 1, 1, 1])
    np.testing.assert_allclose(prepared.matrix, balanced, rtol=1e-12, atol=1e-12)
    equal = prepare(load_table(mall_path), weighting="equal")
    np.testing.assert_allclose(equal.matrix, tutorial, rtol=1e-12, atol=1e-12)
    assert ((equal.matrix - equal.matrix.mean(axis=0)) ** 2).sum() == pytest.approx(800.0)
    assert prepared.report("Gender").reason == "Two values, 'Female' or 'Male': a yes/no column (1 for 'Male')."


def test_a_two_valued_column_does_not_split_the_sample_on_its_own(sample_prepared):
    # The sample's five planted segments each mix both genders. At full weight a 50/50 yes/no
    # column is K-means' cheapest cut, and the best-separated K (silhouette) was 8, half of them
    # gender splits; at half weight every criterion agrees on the five planted segments.
    from segmentation import fit, sweep

    result = sweep(sample_prepared, k_min=2, k_max=10)
    assert result.knee_k == result.best_silhouette_k == result.suggested_k == 5
    segmentation = fit(sample_prepared, k=5)
    gender = sample_prepared.table.frame["Gender"].to_numpy()
    for segment in range(1, 6):
        share_female = np.mean(gender[segmentation.labels == segment] == "Female")
        assert 0.1 < share_female < 0.9


@pytest.mark.parametrize("name", ["id", "ID", "CustomerID", "CUST_ID", "customer id", "Client No", "user_key"])
def test_identifier_names(name):
    rows = "\n".join(f"{i},{20 + i % 30},{i % 7}" for i in range(40))
    prepared = prepare(table(f"{name},Age,Visits\n{rows}\n"))
    assert prepared.report(name).kind == "id"
    assert name not in prepared.columns


def test_unique_text_and_row_numbers_are_identifiers_but_unique_amounts_are_not():
    rows = "\n".join(f"{i + 1},cust-{i:03d},{1000 + i * 7.5},{i % 5}" for i in range(30))
    prepared = prepare(table(f"Row,Code,Balance,Visits\n{rows}\n"))
    assert prepared.report("Row").kind == "id"
    assert prepared.report("Code").kind == "id"
    assert prepared.report("Balance").kind == "number"
    assert "Balance" in prepared.columns


def test_a_short_code_column_with_few_values_is_a_category():
    rows = "\n".join(f"{['N', 'S', 'E'][i % 3]},{i % 11}" for i in range(30))
    prepared = prepare(table(f"Region code,Visits\n{rows}\n"))
    assert prepared.report("Region code").kind == "category"


def test_roles_constant_empty_free_text_binary_category():
    rows = []
    for i in range(60):
        rows.append(f"x,,{'Yes' if i % 2 else 'No'},{['Gold', 'Silver', 'Bronze'][i % 3]},comment number {i},{i % 9}")
    prepared = prepare(table("Country,Blank,Newsletter,Tier,Note,Visits\n" + "\n".join(rows) + "\n"))
    kinds = {r.column: (r.kind, r.used) for r in prepared.reports}
    assert kinds == {
        "Country": ("constant", False),
        "Blank": ("constant", False),
        "Newsletter": ("flag", True),
        "Tier": ("category", True),
        "Note": ("id", False),
        "Visits": ("number", True),
    }
    assert prepared.feature_names == ("Newsletter: Yes", "Tier: Bronze", "Tier: Gold", "Tier: Silver", "Visits")


def test_many_valued_text_is_left_out_as_free_text():
    words = [f"w{i % 40}" for i in range(100)]
    rows = "\n".join(f"{w},{i % 9}" for i, w in enumerate(words))
    prepared = prepare(table(f"Favourite,Visits\n{rows}\n"))
    report = prepared.report("Favourite")
    assert (report.kind, report.used) == ("text", False)
    assert "40 different values" in report.reason


def test_category_features_weigh_at_most_one_column():
    rows = "\n".join(f"{['A', 'B', 'C', 'D'][i % 4]},{(i * 7) % 13}" for i in range(40))
    prepared = prepare(table(f"Tier,Spend\n{rows}\n"))
    block = prepared.matrix[:, :4]
    # Four equally common values: the 0/1 features together have variance 1 - 4 x (1/4)^2 = 0.75,
    # under a number column's 1; with equal weighting each would have variance 1 (4 in all).
    assert block.var(axis=0).sum() == pytest.approx(0.75)
    assert prepared.matrix[:, 4].var() == pytest.approx(1.0)
    equal = prepare(table(f"Tier,Spend\n{rows}\n"), weighting="equal")
    assert equal.matrix[:, :4].var(axis=0).sum() == pytest.approx(4.0)


def test_dates_become_days_before_the_latest():
    prepared = prepare(table("Joined,Spend\n2024-01-01,10\n2024-01-11,20\n2023-12-22,30\n"), scaler="none")
    assert prepared.report("Joined").kind == "date"
    assert prepared.feature_names[0] == "Joined (days before latest)"
    assert prepared.matrix[:, 0].tolist() == [10.0, 0.0, 20.0]


def test_day_first_dates_are_recognised():
    prepared = prepare(table("Joined,Spend\n25/12/2023,1\n01/02/2024,2\n13/03/2024,3\n"), scaler="none")
    assert prepared.matrix[:, 0].tolist() == [
        (pd.Timestamp("2024-03-13") - pd.Timestamp(d)).days for d in ("2023-12-25", "2024-02-01", "2024-03-13")
    ]


def test_numbers_with_text_are_reported_with_rows_and_examples():
    values = ["12", "15", "n/a", "$12", "1,234", "12%", "#DIV/0!", "20", "oops", "18", "14", "16", "17", "19", "13"]
    rows = "\n".join(f'"{v}",{i}' for i, v in enumerate(values))
    prepared = prepare(table(f"Income,Visits\n{rows}\n"), scaler="none")
    report = prepared.report("Income")
    assert report.kind == "number"
    assert report.unreadable == 2  # '#DIV/0!' and 'oops' ('n/a' is a missing marker)
    assert report.unreadable_examples == ((7, "#DIV/0!"), (9, "oops"))
    assert report.converted == 2  # $12 and 12% ("1,234" is a plain number with a thousands separator)
    assert "Column 'Income' has text in 2 row(s), e.g. '#DIV/0!' in row 7" in report.summary()
    income = prepared.values["Income"]
    assert income.iloc[3] == 12 and income.iloc[4] == 1234 and income.iloc[5] == 12
    assert report.missing == 3  # n/a, #DIV/0!, oops


def test_infinities_and_huge_values_are_treated_as_missing_and_reported():
    prepared = prepare(table("Spend,Visits\n10,1\ninf,2\n1e308,1\n12,4\n-inf,2\n14,3\n"), scaler="none")
    report = prepared.report("Spend")
    assert report.unreadable == 3
    assert report.missing == 3
    assert prepared.matrix[:, 0].tolist() == [10.0, 12.0, 12.0, 12.0, 12.0, 14.0]


def test_missing_values_are_filled_and_counted():
    prepared = prepare(table("Age,City\n20,Paris\n,Paris\n40,\n30,Rome\n"), scaler="none")
    age, city = prepared.report("Age"), prepared.report("City")
    assert (age.missing, age.filled_with) == (1, "median 30")
    assert (city.missing, city.filled_with) == (1, "most frequent value 'Paris'")
    assert prepared.matrix[:, 0].tolist() == [20.0, 30.0, 40.0, 30.0]
    # City: Rome, a yes/no feature; with numbers as they are it is plain 0/1.
    np.testing.assert_allclose(prepared.matrix[:, 1], [0.0, 0.0, 0.0, 1.0])


def test_shared_missing_file_audit():
    prepared = prepare(load_table(shared_file("mall_variant_missing.csv")))
    assert {r.column: r.missing for r in prepared.reports if r.used} == {
        "Gender": 17,
        "Age": 10,
        "Annual Income (k$)": 14,
        "Spending Score (1-100)": 13,
    }
    assert np.isfinite(prepared.matrix).all()
    assert prepared.n_segmented == 200


def test_shared_duplicates_file_is_audited():
    prepared = prepare(load_table(shared_file("mall_variant_duplicates.csv")))
    gender = prepared.report("Gender")
    assert any("'fle'" in w and "'mle'" in w for w in gender.warnings)
    assert any("negative" in w for w in prepared.report("Age").warnings)
    assert any("10 row(s) are exact copies" in note for note in prepared.notes)
    assert prepared.report("CustomerID").kind == "id"


@pytest.mark.parametrize(
    ("last_id", "copies"),
    [("41", 0), ("7", 1), ("7.0", 0)],  # a new ID; the ID of row 7 again; the same number written otherwise
)
def test_copied_rows_are_counted_as_written(last_id, copies):
    # A column with a different value in every row rules copies out without comparing rows; an ID
    # read as the same number but written differently ("7.0") is no copy of row 7 either.
    lines = ["ID,Age,Spend"] + [f"{i},{20 + i % 5},{i % 3}" for i in range(1, 41)]
    lines.append(f"{last_id},{20 + 7 % 5},{7 % 3}")
    prepared = prepare(load_table(("\n".join(lines) + "\n").encode()))
    found = [note for note in prepared.notes if "exact copies" in note]
    assert found == (
        [
            f"{copies} row(s) are exact copies of an earlier row. They were kept; remove them "
            "from the file if they are mistakes."
        ]
        if copies
        else []
    )


@pytest.mark.parametrize("scaler", ["standard", "robust", "minmax", "none"])
def test_scalers(scaler):
    rows = "\n".join(f"{v},{w}" for v, w in zip([1, 2, 3, 4, 100], [10, 20, 30, 40, 50], strict=True))
    prepared = prepare(table(f"A,B\n{rows}\n"), scaler=scaler)
    a = prepared.matrix[:, 0]
    if scaler == "standard":
        assert a.mean() == pytest.approx(0) and a.std() == pytest.approx(1)
    elif scaler == "robust":
        assert np.median(a) == pytest.approx(0) and np.subtract(*np.percentile(a, [75, 25])) == pytest.approx(1)
    elif scaler == "minmax":
        assert a.min() == 0 and a.max() == 1
    else:
        assert a.tolist() == [1, 2, 3, 4, 100]


def test_clipping_outliers_is_counted():
    values = list(range(1, 101)) + [10_000]
    rows = "\n".join(f"{v},{i % 3}" for i, v in enumerate(values))
    kept = prepare(table(f"Spend,Visits\n{rows}\n"), scaler="none")
    clipped = prepare(table(f"Spend,Visits\n{rows}\n"), scaler="none", outliers="clip")
    assert kept.matrix[:, 0].max() == 10_000
    assert clipped.matrix[:, 0].max() == pytest.approx(np.percentile(values, 99))
    assert clipped.report("Spend").clipped == 2  # the lowest and the highest value
    assert "clipped" in clipped.report("Spend").summary()


def test_explicit_features():
    text = "Gender,Age,Income,Notes\nMale,20,10,a\nFemale,30,20,b\nMale,40,30,c\n"
    prepared = prepare(table(text), features=["Income", "Age"])
    assert prepared.columns == ("Age", "Income")  # file order
    assert not prepared.report("Gender").used
    assert "Not chosen" in prepared.report("Gender").reason


def test_unknown_feature_lists_the_columns():
    with pytest.raises(DataError, match=r"no column 'Salary'.*'Age'"):
        prepare(table("Age,Income\n1,2\n3,4\n"), features=["Salary"])


def test_unusable_explicit_feature():
    with pytest.raises(DataError, match="'Country' cannot be used"):
        prepare(table("Country,Age\nFR,1\nFR,2\nFR,3\n"), features=["Country"])


def test_no_usable_column():
    with pytest.raises(DataError, match="None of the columns can be used"):
        prepare(table("Country,Name\nFR,Ana\nFR,Bo\nFR,Cy\n"))


def test_a_mostly_blank_column_is_shown_per_segment_unless_chosen_or_nothing_else_is_left():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"Age": rng.integers(18, 80, 300), "Spend": rng.gamma(2, 50, 300).round(2)})
    frame["Last complaint (days)"] = rng.lognormal(3, 1.2, 300).round()  # skewed: a log scale
    frame.loc[frame.index % 5 != 0, "Last complaint (days)"] = np.nan  # missing for 80%
    frame["Tier"] = pd.Series(["Gold", None, None, "Silver", None, None] * 50)  # missing for 67%
    frame["Region"] = pd.Series(["North", None, "South", None] * 75)  # missing for exactly half: used
    data = frame.to_csv(index=False).encode()
    prepared = prepare(load_table(data))
    assert prepared.columns == ("Age", "Spend", "Region")
    assert set(prepared.described) == {"Last complaint (days)", "Tier"}
    complaint = prepared.report("Last complaint (days)")
    assert complaint.reason.startswith("Number (an amount, count or duration). Missing for 80% of customers (")
    assert "Missing for 67% of customers" in prepared.report("Tier").reason
    # Chosen, it is segmented on, and the reason no longer says it is not.
    chosen = prepare(load_table(data), features=["Age", "Tier"])
    assert chosen.columns == ("Age", "Tier") and "Missing" not in chosen.report("Tier").reason
    # With no other column to segment on, the mostly blank ones are used rather than the file refused
    # (three answers, each given by a third of the customers).
    answers = pd.DataFrame(
        {q: np.where(np.arange(300) % 3 == i, rng.integers(1, 6, 300), np.nan) for i, q in enumerate("ABC")}
    )
    only_blank = prepare(load_table(answers.to_csv(index=False).encode()))
    assert only_blank.columns == ("A", "B", "C")
    assert only_blank.report("A").reason.endswith(
        "Missing for 67% of customers, but segmented on: no other column could be."
    )
    # ... unless the user chose the roles: the other columns are then out by their choice.
    with pytest.raises(DataError, match="Missing for 67% of customers"):
        prepare(load_table(frame[["Age", "Tier"]].to_csv(index=False).encode()), describe=["Age"])


def test_the_missing_share_counts_unreadable_cells_and_markers_but_not_rows_without_any_value():
    rng = np.random.default_rng(4)
    spend = rng.gamma(2, 50, 200).round(2).astype(str)
    visits = rng.integers(0, 20, 200).astype(str)
    visits[:90] = ""  # missing for 45% of the customers
    income = rng.integers(20, 90, 200).astype(str)
    income[:120] = "#N/A"  # Excel's error: unreadable, so missing for 60%
    lines = ["Spend,Visits,Income"] + [f"{s},{v},{i}" for s, v, i in zip(spend, visits, income, strict=True)]
    lines += [",,"] * 40  # lines of separators (a spreadsheet's empty rows): no customers
    prepared = prepare(load_table(("\n".join(lines) + "\n").encode()))
    assert prepared.columns == ("Spend", "Visits")
    assert "Missing for 60% of customers" in prepared.report("Income").reason
    assert len(prepared.skipped) == 40


def test_a_number_shown_per_segment_is_not_said_to_be_used_as_it_is():
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"Age": rng.integers(18, 80, 300), "Spend": rng.lognormal(4, 1.3, 300).round(2)})
    data = frame.to_csv(index=False).encode()
    described = prepare(load_table(data), describe=["Age"]).report("Age").reason
    assert described == "Shown per segment, not used to form them (as chosen). Number."
    skewed = prepare(load_table(data), features=["Age"]).report("Spend").reason
    assert skewed == "Not chosen to segment on; shown per segment. Number (an amount, count or duration)."


def test_rows_without_any_value_are_not_segmented_but_kept():
    prepared = prepare(table("Age,Income\n20,10\n,\n30,20\nAge,Income\n40,30\n"))
    assert prepared.n_rows == 5
    assert prepared.skipped.tolist() == [1, 3]
    assert prepared.rows.tolist() == [0, 2, 4]
    assert prepared.matrix.shape == (3, 2)
    assert any("2 row(s) have no value" in note for note in prepared.notes)


def test_audit_table_has_every_column_in_file_order_with_kind_role_and_scale(sample_prepared):
    audit = sample_prepared.audit()
    assert list(audit.columns) == ["Column", "Kind", "Role", "Scale", "Different values", "Missing", "Details"]
    assert audit["Column"].tolist() == sample_prepared.table.columns
    by_column = audit.set_index("Column")
    assert by_column.loc["CustomerID", ["Kind", "Role", "Scale"]].tolist() == ["id", "ignore", ""]
    assert by_column.loc["Age", ["Kind", "Role", "Scale"]].tolist() == ["number", "segment", "as is"]
    assert by_column.loc["Gender", ["Kind", "Role"]].tolist() == ["flag", "segment"]


def test_prepare_accepts_a_plain_dataframe():
    frame = pd.DataFrame({"id": [1, 2, 3, 4], "Spend": [10.0, 12.0, None, 40.0], "Tier": ["a", "b", "a", None]})
    prepared = prepare(frame)
    assert prepared.columns == ("Spend", "Tier")
    assert prepared.n_rows == 4


def test_the_fitted_pipeline_applies_to_the_same_rows_again(sample_prepared):
    from segmentation.pipeline import apply, model_input

    reports = [sample_prepared.report(c) for c in sample_prepared.columns]
    rows = sample_prepared.values.iloc[sample_prepared.rows]
    again = apply(sample_prepared.pipeline, model_input(rows, reports, rows))
    np.testing.assert_allclose(again, sample_prepared.matrix)


def test_columns_are_mapped_to_their_own_features_even_when_a_name_contains_a_colon():
    rows = "\n".join(f"{['N', 'S', 'E'][i % 3]},{['a', 'b', 'c', 'd'][i % 4]},{20 + i % 30},{i % 7}" for i in range(40))
    prepared = prepare(table(f"Region,Region: zone,Age,Visits\n{rows}\n"))
    assert prepared.report("Region").features == ("Region: E", "Region: N", "Region: S")
    assert prepared.report("Region: zone").features == tuple(f"Region: zone: {v}" for v in "abcd")
    # A category's 0/1 features are not stretched: two customers with different values are
    # sqrt(2) apart, so the block weighs at most one number column (variance 1 - sum of p²).
    region = prepared.matrix[:, :3]
    np.testing.assert_allclose(np.linalg.norm(region[0] - region[1]), np.sqrt(2))
    np.testing.assert_allclose(region.var(axis=0).sum(), 1 - 3 * (1 / 3) ** 2, atol=0.01)
    zone = prepared.matrix[:, 3:7]
    np.testing.assert_allclose(zone.var(axis=0).sum(), 0.75)


@pytest.mark.parametrize("name", ["Zip", "ZIP code", "Postcode", "postal_code", "PLZ"])
def test_postcodes_are_places_not_amounts(name):
    many = "\n".join(f"{10000 + (i * 37) % 900},{20 + i % 30}" for i in range(300))
    prepared = prepare(table(f"{name},Age\n{many}\n"))
    report = prepared.report(name)
    assert (report.kind, report.used) == ("text", False)
    assert "Postcode" in report.reason and "not an amount" in report.reason
    few = "\n".join(f"{[10115, 20095, 80331][i % 3]},{20 + i % 30}" for i in range(300))
    assert prepare(table(f"{name},Age\n{few}\n")).report(name).kind == "category"
    # Chosen by name, it is still a place (the same segments whether columns were picked or not).
    chosen = prepare(table(f"{name},Age\n{few}\n"), features=[name, "Age"]).report(name)
    assert (chosen.kind, chosen.used) == ("category", True)


def test_numbers_named_like_an_identifier_in_german_are_identifiers():
    rows = "\n".join(f"{5000 + 3 * i},{20 + i % 30},{i % 7}" for i in range(40))
    prepared = prepare(table(f"Kundennummer,Alter,Besuche\n{rows}\n"))
    assert prepared.report("Kundennummer").kind == "id"


def test_unique_whole_numbers_get_a_warning_but_stay_numbers():
    rows = "\n".join(f"{1000 + 7 * i + i * i % 5},{20 + i % 30}" for i in range(300))
    prepared = prepare(table(f"Ref,Age\n{rows}\n"))
    report = prepared.report("Ref")
    assert report.kind == "number"
    assert any("different whole number" in w for w in report.warnings)
    assert not prepared.report("Age").warnings
    # Forty customers' whole-euro totals all differ by chance: no warning.
    few = "\n".join(f"{100 + 13 * i},{20 + i % 30}" for i in range(40))
    assert not prepare(table(f"Total spend (EUR),Age\n{few}\n")).report("Total spend (EUR)").warnings
