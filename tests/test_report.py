"""The HTML report: parsed, it holds every section, each segment's averages in the file's units, the
names typed by the user as text, and nothing that reaches the network."""

from __future__ import annotations

import html.parser
import io
import json
import re
import subprocess
import sys

import pandas as pd
import pytest
from helpers import ROOT
from planted_data import FEATURES, planted

import segmentation as sg
from segmentation.cli import main
from segmentation.report import report_html, reproduce_command


class Page(html.parser.HTMLParser):
    """The report as a reader and a browser see it: text per section, tags, attributes and scripts."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self.scripts: list[str] = []
        self.sections: dict[str, list[str]] = {}
        self.headings: list[str] = []
        self._section = "head"
        self._in: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [(name, value or "") for name, value in attrs]
        if tag == "section":
            self._section = dict(attrs).get("id", "?")
        if tag not in {"meta", "br", "hr", "img", "input", "link"}:
            self._in.append(tag)

    def handle_endtag(self, tag):
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data):
        if self._in and self._in[-1] == "script":
            self.scripts.append(data)
            return
        if self._in and self._in[-1] in {"h1", "h2", "h3"}:
            self.headings.append(data.strip())
        self.sections.setdefault(self._section, []).append(data)

    def text(self, section: str | None = None) -> str:
        parts = self.sections.get(section, []) if section else [t for v in self.sections.values() for t in v]
        return " ".join(" ".join(parts).split())


@pytest.fixture(scope="module")
def planted_run() -> sg.Segmentation:
    frame = planted()
    frame["Churn"] = (frame["Spend"] > 60).map({True: "Yes", False: "No"})
    table = sg.load_table(frame.to_csv(index=False).encode(), name="planted <customers>.csv")
    return sg.fit(sg.prepare(table, features=FEATURES, describe=["Churn", "Channel"]), 4)


@pytest.fixture(scope="module")
def report(planted_run) -> tuple[str, Page]:
    names = ["<script>alert(1)</script>", "Big & <b>bold</b>", "Online <img src=x onerror=alert(2)>", "Plain"]
    prepared = planted_run.prepared
    text = report_html(
        planted_run,
        names=names,
        sweep=sg.sweep(prepared, k_min=2, k_max=6),
        stability=[sg.stability(prepared, 4, resamples=3)],
    )
    return text, Page(text)


def test_every_section_and_every_segment_is_there(report, planted_run):
    text, page = report
    assert page.headings[0] == "4 customer segments: planted <customers>.csv"
    for heading in (
        "The file",
        "How the number of segments was chosen",
        "The segments side by side",
        "Unusual customers",
        "Settings to reproduce",
    ):
        assert heading in page.headings
    names = sg.describe(planted_run).with_names(["a", "b", "c", "d"])  # only to count
    segment_headings = [h for h in page.headings if h.startswith("Segment ")]
    assert len(segment_headings) == names.summary.shape[0] == 4
    assert segment_headings[0] == "Segment 1: <script>alert(1)</script>"  # as typed, shown as text
    # One page per segment when printed.
    assert text.count('class="segment page"') == 4 and "@media print" in text and "break-before:page" in text


def test_each_segment_states_its_averages_in_the_files_units(report, planted_run):
    _, page = report
    profile = sg.describe(planted_run)
    for segment in range(1, 5):
        words = page.text(f"segment-{segment}")
        for column in ("Income", "Spend"):
            mean, overall = profile.summary.loc[segment, column], profile.overall[column]
            assert f"Average {column} {mean:,.0f} (all customers {overall:,.0f})" in words
        churn = profile.summary.loc[segment, "Churn = Yes"]
        assert f"Churn rate {churn:.0%} (all customers {profile.overall['Churn = Yes']:.0%})" in words
        assert f"{planted_run.sizes[segment - 1]:,} customers" in words


def test_the_file_the_choice_of_k_and_the_settings(report, planted_run):
    _, page = report
    prepared = planted_run.prepared
    columns = page.text("file")
    for r in prepared.reports:
        assert f"{r.column} {r.kind} {r.role}" in columns
    choice = page.text("k")
    assert "K from 2 to 6 was tried." in choice and "At K=4," in choice and "★ marks" in choice
    settings = page.text("settings")
    assert reproduce_command(planted_run) in settings
    assert "--features Income Spend --describe Channel Group Churn" in settings
    unusual = page.text("unusual")
    flagged = int(sg.unusual_customers(planted_run).sum())
    assert f"{flagged:,} customer(s) fit their segment worst" in unusual
    assert "CustomerID" in unusual  # customers named by the file's ID column


def test_everything_from_the_user_is_escaped_and_nothing_is_fetched(report):
    text, page = report
    assert set(page.tags) <= {
        "html", "head", "meta", "title", "style", "script", "body", "header", "h1", "h2", "h3", "nav", "ol", "li",
        "a", "main", "section", "p", "b", "table", "thead", "tbody", "tr", "th", "td", "ul", "span", "div", "pre",
        "footer",
    }  # fmt: skip
    assert "img" not in page.tags
    for name, value in page.attributes:
        assert not name.startswith("on"), name
        if name in {"src", "href"}:
            assert value.startswith("#"), (name, value)  # only links inside the report
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "Big &amp; &lt;b&gt;bold&lt;/b&gt;" in text
    # Inside the charts' data names are escaped for Plotly (&lt;) and Plotly writes "<" as \u003c:
    # no tag can close the script early.
    for script in page.scripts:
        assert "alert(1)" not in script or any(
            f"{lt}script{gt}alert(1)" in script for lt, gt in (("\\u003c", "\\u003e"), ("&lt;", "&gt;"))
        )
        assert "<img" not in script and "</script" not in script.lower()
    # plotly.js once, then one small script per chart.
    assert sum(len(s) > 1_000_000 for s in page.scripts) == 1
    # Outside the scripts (plotly.js quotes URLs it only uses for maps, which the report has none of).
    outside = re.sub(r"<script.*?</script>", "", text, flags=re.S)
    for external in ("http:", "https:", "//", "@import", "url(", "@font-face"):
        assert external not in outside


def test_the_report_is_the_same_for_the_same_run(planted_run):
    assert report_html(planted_run) == report_html(planted_run)


def test_the_charts_have_the_segment_names_and_colours(report, planted_run):
    text, _ = report
    specs = [json.loads(m) for m in re.findall(r"Plotly\.newPlot\(\s*\"chart-\d+\",\s*(\[.*?\]),\s*\{", text, re.S)]
    assert len(specs) >= 6  # elbow, criteria, sizes, index, the columns, the cards
    sizes = next(data for data in specs if data[0]["type"] == "bar" and data[0].get("xaxis") is None and len(data) == 1)
    assert sizes[0]["y"][1] == "2 · Big &amp; &lt;b&gt;bold&lt;/b&gt;"  # escaped for Plotly: drawn as the text typed


def test_cli_writes_the_report_and_keeps_its_json(tmp_path, mall_path):
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "r.html"
    code = main(["segment", str(mall_path), "--k", "5", "--report", str(target), "--json"], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    payload = json.loads(out.getvalue())
    assert {"rows", "k", "features", "sizes", "inertia", "silhouette", "names", "columns", "warnings"} <= set(payload)
    page = Page(target.read_text(encoding="utf-8"))
    assert [h for h in page.headings if h.startswith("Segment ")] == [
        f"Segment {i}: {name}" for i, name in enumerate(payload["names"], start=1)
    ]
    frame = pd.read_csv(mall_path)
    labelled = sg.fit(sg.prepare(sg.load_table(mall_path)), 5).labels
    for segment in range(1, 6):
        words = page.text(f"segment-{segment}")
        for column in ("Age", "Annual Income (k$)", "Spending Score (1-100)"):
            mean = frame.loc[labelled == segment, column].mean()
            assert f"Average {column} {mean:,.0f} (all customers {frame[column].mean():,.0f})" in words


def test_cli_refuses_a_report_with_spark(tmp_path, mall_path):
    err = io.StringIO()
    code = main(
        ["segment", str(mall_path), "--k", "3", "--engine", "spark", "--report", str(tmp_path / "r.html")],
        stdout=io.StringIO(),
        stderr=err,
    )
    assert code == 2 and "--report runs with --engine python only" in err.getvalue()


@pytest.mark.browser
@pytest.mark.slow
def test_the_report_opens_offline_in_chromium_draws_its_charts_and_names_every_segment(tmp_path, mall_path):
    from browser import CHROMIUM_FLAGS, require_browser

    chromium = require_browser()
    target = tmp_path / "r.html"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "segmentation",
            "segment",
            str(mall_path),
            "--k",
            "5",
            "--report",
            str(target),
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    names = json.loads(done.stdout)["names"]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        page = browser.new_page()
        requests, errors = [], []
        page.on("pageerror", lambda error: errors.append(str(error)))

        def block(route):
            if route.request.url.startswith("file://"):
                route.continue_()
            else:
                requests.append(route.request.url)
                route.abort()

        page.route("**/*", block)
        page.goto(target.as_uri())
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg').length > 0")
        page.wait_for_timeout(500)
        charts = page.evaluate(
            """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(
                p => ({traces: (p._fullData || []).length, svg: p.querySelectorAll('.main-svg').length,
                       width: p.getBoundingClientRect().width}))"""
        )
        text = page.inner_text("body")
        browser.close()
    assert requests == [] and errors == []
    assert len(charts) >= 10 and all(c["traces"] > 0 and c["svg"] > 0 and c["width"] > 300 for c in charts)
    for i, name in enumerate(names, start=1):
        assert f"Segment {i}: {name}" in text
    frame = pd.read_csv(mall_path)
    for column in ("Age", "Annual Income (k$)", "Spending Score (1-100)"):
        assert text.count(f"Average {column} ") == 5
        assert f"(all customers {frame[column].mean():,.0f})" in text
