"""The marketer's whole journey in a real Chromium against a real `streamlit run app.py` server.

AppTest runs the scripts but not the browser; these tests check what a person sees and gets: the
3D chart really draws (WebGL), the upload widget works, the download holds the right bytes, the
console stays clean, and two people at once never see each other's data.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from browser import (
    CHROMIUM_FLAGS,
    errors_on_page,
    go_to,
    require_browser,
    screenshot,
    sidebar_text,
    streamlit_server,
    upload,
    wait_idle,
)
from helpers import SHARED_DATA

import app_warmup
import segmentation

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGE_TITLES = ("1 · Your data", "2 · Number of segments", "3 · Segments")


@pytest.fixture(scope="module")
def chromium():
    path = require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(chromium):
    with streamlit_server() as (url, _process):
        yield url


@pytest.fixture
def page(chromium, server, request):
    context = chromium.new_context(viewport={"width": 1400, "height": 1600}, accept_downloads=True)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    page.goto(server)
    wait_idle(page)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        saved = [screenshot(page, f"{request.node.name}-at-failure")]
        for title in PAGE_TITLES:
            try:
                go_to(page, title)
                saved.append(screenshot(page, f"{request.node.name}-{title[0]}"))
            except Exception:  # noqa: BLE001 - best effort: the test already failed
                break
        print("Screenshots:", *saved, sep="\n  ")
    context.close()


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("upload") / "my_customers.csv"
    path.write_bytes(segmentation.demo_csv(1_200, random_state=7))
    return path


def test_opens_on_the_sample_and_every_page_is_clean(page):
    for title in PAGE_TITLES:
        go_to(page, title)
        assert "sample_customers.csv (built-in sample)" in sidebar_text(page)
        assert "3,000 rows" in sidebar_text(page)
        assert errors_on_page(page) == []
    assert page.console_errors == []


def test_the_chart_code_loads_while_the_first_page_is_read(page):
    # The first page draws no chart; its chart code is loaded once the page is idle, so the elbow
    # page's first chart does not wait for it (issue 13: 0.75-0.9 s of the browser's time).
    name = app_warmup.chart_code_file()
    assert name is not None, "Streamlit's Plotly chart script was not found: the warm-up would do nothing"
    assert page.locator(".js-plotly-plot").count() == 0
    page.wait_for_function(
        "(name) => performance.getEntriesByType('resource').some(entry => entry.name.endsWith('/' + name))",
        arg=name,
        timeout=15_000,
    )
    go_to(page, PAGE_TITLES[1])
    loads = page.evaluate(
        "(name) => performance.getEntriesByType('resource').filter(entry => entry.name.endsWith('/' + name)).length",
        name,
    )
    assert loads == 1, "the chart script was fetched again, not reused"
    assert page.locator(".js-plotly-plot").count() >= 2
    assert page.console_errors == []


def uploads():
    cases = [pytest.param("sample", id="sample-copy")]
    if (SHARED_DATA / "Mall_Customers.csv").exists():
        cases.append(pytest.param("mall", id="Mall_Customers"))
    return cases


@pytest.mark.parametrize("which", uploads())
def test_upload_through_the_real_file_input(page, which, sample_file):
    path = sample_file if which == "sample" else SHARED_DATA / "Mall_Customers.csv"
    rows = len(pd.read_csv(path))
    upload(page, path)
    assert path.name in sidebar_text(page)
    assert f"{rows:,} rows" in sidebar_text(page)
    metric = page.locator("[data-testid=stMetric]").filter(has_text="Customers (rows)")
    assert f"{rows:,}" in metric.inner_text()
    preview = page.locator("[data-testid=stDataFrame] table[role=grid]").first
    assert int(preview.get_attribute("aria-rowcount")) == 21  # header + the first 20 rows
    notes = page.locator("[data-testid=stTable]").first.inner_text()
    assert "Gender" in notes and "1 for 'Male'" in notes
    assert "CustomerID" in notes and "Identifier" in notes
    assert errors_on_page(page) == []
    assert page.console_errors == []


def choose_in_column_table(page, *, row: int, column: int, value: str) -> None:
    """Pick ``value`` in a select cell of the upload page's column table (a canvas grid: keyboard only)."""
    table = page.locator("[data-testid=stDataFrame]").nth(1)
    table.scroll_into_view_if_needed()
    page.wait_for_timeout(500)  # the grid draws on a canvas after it scrolls into view
    box = table.bounding_box()
    page.mouse.click(box["x"] + 40, box["y"] + 35 + 17)  # the first row's first cell (row height 35 px)
    for _ in range(column):
        page.keyboard.press("ArrowRight")
    for _ in range(row):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.locator(".glide-select input").wait_for()
    page.keyboard.type(value)
    page.keyboard.press("Enter")
    # The edit is committed when the cell's editor closes.
    page.locator(".glide-select input").wait_for(state="detached")
    page.wait_for_timeout(300)


def metric_value(page, label: str) -> str:
    return (
        page.locator("[data-testid=stMetric]")
        .filter(has_text=label)
        .locator("[data-testid=stMetricValue]")
        .inner_text()
    )


def test_the_column_table_changes_a_role_and_the_segments_follow(page):
    go_to(page, "3 · Segments")
    before = metric_value(page, "Silhouette")
    go_to(page, "1 · Your data")
    assert metric_value(page, "Used to segment") == "7"
    choose_in_column_table(page, row=6, column=2, value="ignore")  # Visits per Month: Role
    page.get_by_role("button", name="Apply").click()
    # Apply reruns the page twice (the choice, then the new preparation): wait for the second's table.
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stTable]')?.innerText.includes('Left out (as chosen)')",
        timeout=60_000,
    )
    wait_idle(page)
    assert metric_value(page, "Used to segment") == "6"
    go_to(page, "3 · Segments")
    assert metric_value(page, "Silhouette") != before
    assert errors_on_page(page) == []
    assert page.console_errors == []


def plot_data(page, index: int) -> list[dict]:
    """Trace types, names and point counts of the index-th Plotly chart, as Plotly.js holds them."""
    page.wait_for_function(
        "(i) => document.querySelectorAll('.js-plotly-plot')[i]?._fullData?.length > 0", arg=index, timeout=60_000
    )
    return page.evaluate(
        """(i) => document.querySelectorAll('.js-plotly-plot')[i]._fullData.map(
            t => ({type: t.type, name: t.name, n: t.x ? t.x.length : 0, x: t.x ? Array.from(t.x) : []}))""",
        index,
    )


def test_elbow_chart_and_k_slider_with_the_keyboard(page):
    go_to(page, "2 · Number of segments")
    sse = plot_data(page, 0)
    assert sse[0]["name"] == "SSE" and sse[0]["n"] == 9  # K = 2..10
    highlighted = next(t for t in sse if t["name"] == "your K")["x"][0]
    slider = (
        page.locator("[data-testid=stSlider]").filter(has_text="Number of segments (K)").locator("input[type=range]")
    )
    assert int(slider.input_value()) == highlighted
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(600)
    wait_idle(page)
    assert int(slider.input_value()) == highlighted + 1
    moved = next(t for t in plot_data(page, 0) if t["name"] == "your K")["x"][0]
    assert moved == highlighted + 1
    go_to(page, "3 · Segments")
    assert page.locator("h1").first.inner_text() == f"Your {highlighted + 1} segments"


def drawn_colours(page, locator) -> int:
    """Distinct colours in a screenshot of an element: a blank canvas has one or two."""
    from PIL import Image

    image = Image.open(io.BytesIO(locator.screenshot())).convert("RGB")
    return len(set(image.get_flattened_data()))


def test_clusters_page_draws_the_3d_scatter_legend_and_table(page):
    go_to(page, "3 · Segments")
    k = int(page.locator("h1").first.inner_text().split()[1])
    canvas = page.locator(".js-plotly-plot .gl-container canvas").first
    box = canvas.bounding_box()
    assert box["width"] > 300 and box["height"] > 300
    assert drawn_colours(page, canvas) > 50  # thousands of coloured points, not an empty canvas
    legend = page.locator(".js-plotly-plot").first.locator(".legend .traces")  # the 3D view, the first chart
    assert legend.count() == k
    assert legend.first.text_content().startswith("1 · ")
    names = page.locator("[data-testid=stDataFrame] table[role=grid]").first
    assert int(names.get_attribute("aria-rowcount")) == k + 1
    assert sum(t["n"] for t in plot_data(page, 0) if t["type"] == "scatter3d") == 3000
    assert errors_on_page(page) == [] and page.console_errors == []


def test_rename_a_segment_and_download_the_labelled_file(page, sample_file):
    upload(page, sample_file)
    go_to(page, "3 · Segments")
    k = int(page.locator("h1").first.inner_text().split()[1])
    editor = page.locator("[data-testid=stDataFrame]").first
    box = editor.bounding_box()
    page.mouse.dblclick(box["x"] + 300, box["y"] + 35 + 17)  # row 1, column "Name"
    cell_editor = page.locator("textarea.gdg-input")
    cell_editor.fill("Loyal core")
    page.wait_for_timeout(300)  # let the grid take the new value before Enter commits it
    cell_editor.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('.js-plotly-plot .legend .traces')?.textContent === '1 · Loyal core'",
        timeout=60_000,
    )
    wait_idle(page)

    with page.expect_download() as info:
        page.get_by_role("button", name="Customers with their segment (CSV)").click()
    download = info.value
    assert download.suggested_filename == f"my_customers_segments_K{k}.csv"
    labelled = pd.read_csv(download.path(), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    original = pd.read_csv(sample_file, dtype=str, keep_default_na=False)
    assert len(labelled) == len(original) == 1_200
    pd.testing.assert_frame_equal(labelled[list(original.columns)], original)
    assert sorted(labelled["Segment"].unique(), key=int) == [str(s) for s in range(1, k + 1)]
    assert set(labelled.loc[labelled["Segment"] == "1", "Segment name"]) == {"Loyal core"}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "is empty"),
        ("photo.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "PNG image"),
    ],
)
def test_a_bad_file_shows_an_error_and_the_app_keeps_working(page, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    upload(page, path)
    errors = errors_on_page(page)
    assert any(message in e for e in errors), errors
    assert any("still working on" in e for e in errors)
    assert "sample_customers.csv (built-in sample)" in sidebar_text(page)
    for title in PAGE_TITLES[1:]:
        go_to(page, title)
        assert errors_on_page(page) == []
        assert "sample_customers.csv (built-in sample)" in sidebar_text(page)
    assert page.locator(".js-plotly-plot").count() > 0


def test_two_people_at_once_see_only_their_own_data(chromium, server, tmp_path):
    files = {
        "ana.csv": segmentation.demo_csv(400, random_state=11),
        "bo.csv": segmentation.demo_csv(900, random_state=12),
    }
    people = {}
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        context = chromium.new_context(viewport={"width": 1400, "height": 1600}, accept_downloads=True)
        page = context.new_page()
        page.goto(server)
        wait_idle(page)
        people[name] = (context, page, path)
    # Both upload before either looks at the results.
    for _, page, path in people.values():
        upload(page, path)
    try:
        for name, (_, page, path) in people.items():
            rows = len(pd.read_csv(path))
            assert name in sidebar_text(page) and f"{rows:,} rows" in sidebar_text(page)
            other = next(n for n in files if n != name)
            assert other not in sidebar_text(page)
            go_to(page, "3 · Segments")
            scatter = sum(t["n"] for t in plot_data(page, 0) if t["type"] == "scatter3d")
            assert scatter == rows
            with page.expect_download() as info:
                page.get_by_role("button", name="Customers with their segment (CSV)").click()
            assert len(pd.read_csv(info.value.path())) == rows
    finally:
        for context, _, _ in people.values():
            context.close()


def test_a_transaction_log_is_segmented_per_customer_with_rfm_cells(page):
    cdnow = SHARED_DATA / "transactions" / "CDNOW_master.txt"
    if not cdnow.exists():
        pytest.skip(f"{cdnow} is not on this machine (the shared data folder is optional)")
    upload(page, cdnow)
    assert "23,570 customers from 69,659 rows" in sidebar_text(page)
    assert metric_value(page, "Customers") == "23,570"
    summary = page.locator("[data-testid=stAlertContentInfo]").filter(has_text="transaction log").inner_text()
    assert "69,659 purchases by 23,570 customers, 1997-01-01 to 1998-06-30." in summary
    screenshot(page, "log-upload")

    go_to(page, "3 · Segments")
    k = int(page.locator("h1").first.inner_text().split()[1])
    rfm = page.locator("[data-testid=stTable]").filter(has_text="Champions")
    rfm.scroll_into_view_if_needed()
    text = rfm.inner_text()
    assert "All customers" in text and "Can't Lose Them" in text and "Lost" in text
    assert "3,361" in text  # CDNOW's Champions, whatever the segments
    screenshot(page, "log-segments")

    with page.expect_download() as info:
        page.get_by_role("button", name="Customers with their segment (CSV)").click()
    customers = pd.read_csv(info.value.path(), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert info.value.suggested_filename == f"CDNOW_master_segments_K{k}.csv"
    assert len(customers) == 23_570 and {"RFM", "RFM cell", "Segment"} <= set(customers.columns)
    with page.expect_download() as info:
        page.get_by_role("button", name="Every order line with its customer's segment (CSV)").click()
    lines = pd.read_csv(info.value.path(), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert len(lines) == 69_659 and (lines["Status"] == "rolled up").all()
    assert errors_on_page(page) == []


#: Every link on the page whose address comes from the file (the app's own links are relative).
LINKS_TO_EXAMPLE = """() => Array.from(document.querySelectorAll('a'))
    .map(a => a.getAttribute('href') || a.getAttribute('xlink:href') || '')
    .filter(href => href.includes('example.'))"""


def test_names_with_markup_or_web_addresses_show_as_text(page, tmp_path):
    link = '<a href="https://example.com/">Click me</a>'
    frame = segmentation.make_customers(600, random_state=5)[["Age", "Annual Income (k$)", "Spending Score (1-100)"]]
    frame = frame.rename(columns={"Age": link, "Annual Income (k$)": "https://example.org/income <b>k$</b>"})
    frame["Store"] = ["www.example.net", "<b>North</b>", "ana@example.com"] * 200
    path = tmp_path / "www.example.com export.csv"
    path.write_bytes(frame.to_csv(index=False).encode())
    upload(page, path)
    assert errors_on_page(page) == []
    assert page.evaluate(LINKS_TO_EXAMPLE) == []
    audit = page.locator("[data-testid=stTable]").first.inner_text().replace("\u2060", "")
    assert link in audit and "https://example.org/income <b>k$</b>" in audit
    go_to(page, "3 · Segments")
    plot_data(page, 0)  # the 3D chart is drawn
    legend_and_axes = page.locator(".js-plotly-plot").first.inner_text()
    assert "<b>" not in page.locator(".js-plotly-plot").first.inner_html().replace("&lt;b&gt;", "")
    assert page.evaluate(LINKS_TO_EXAMPLE) == [], legend_and_axes
    assert page.locator(".js-plotly-plot b, .js-plotly-plot [style*='font-weight:bold']").count() == 0
    assert page.console_errors == []


def range_thumbs(page):
    """The two handles of the "Range of K to try" slider."""
    return page.locator("[data-testid=stSlider]").filter(has_text="Range of K to try").locator("input[type=range]")


def k_slider(page):
    return page.locator("[data-testid=stSlider]").filter(has_text="Number of segments (K)").locator("input[type=range]")


def test_two_moves_in_a_row_of_the_range_slider_both_take_effect(page):
    go_to(page, "2 · Number of segments")
    upper = range_thumbs(page).nth(1)
    assert upper.input_value() == "10"
    for expected in (11, 12):
        upper.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(600)
        wait_idle(page)
        upper = range_thumbs(page).nth(1)
        assert upper.input_value() == str(expected)
        sse = plot_data(page, 0)
        assert sse[0]["x"] == list(range(2, expected + 1))
    # One slider, not a greyed copy of it under the new one.
    assert page.locator("[data-testid=stSlider]").filter(has_text="Range of K to try").count() == 1
    assert errors_on_page(page) == [] and page.console_errors == []


def test_after_a_k_move_the_sidebar_advice_and_charts_show_the_new_k(page):
    go_to(page, "2 · Number of segments")
    thumb = k_slider(page)
    k = int(thumb.input_value())
    assert f"K = {k}" in sidebar_text(page)
    thumb.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(600)
    wait_idle(page)
    moved = k + 1
    assert int(k_slider(page).input_value()) == moved
    assert f"K = {moved}" in sidebar_text(page) and f"K = {k}" not in sidebar_text(page)
    assert f"You chose K = {moved}" in page.locator("[data-testid=stMain]").inner_text()
    assert next(t for t in plot_data(page, 0) if t["name"] == "your K")["x"] == [moved]
    shapes = page.evaluate("() => document.querySelectorAll('.js-plotly-plot')[1].layout.shapes.map(s => s.x0)")
    assert shapes == [moved, moved, moved]
    go_to(page, "3 · Segments")
    assert page.locator("h1").first.inner_text() == f"Your {moved} segments"
    assert f"K = {moved}" in sidebar_text(page)


def test_the_report_downloads_from_the_app_and_opens_offline_with_its_charts(chromium, page, tmp_path):
    go_to(page, "3 · Segments")
    k = int(page.locator("h1").first.inner_text().split()[1])
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Report (HTML)").click()
    download = info.value
    assert download.suggested_filename == f"sample_customers_segments_K{k}_report.html"
    report = tmp_path / download.suggested_filename
    download.save_as(report)

    offline = chromium.new_context(offline=True)
    reader = offline.new_page()
    requests, errors = [], []
    reader.on("pageerror", lambda error: errors.append(str(error)))
    reader.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith("file://")
            else (requests.append(route.request.url), route.abort())
        ),
    )
    reader.goto(report.as_uri())
    reader.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg').length > 0")
    drawn = reader.evaluate(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(p => (p._fullData || []).length)"
    )
    text = reader.inner_text("body")
    offline.close()
    assert requests == [] and errors == []
    assert len(drawn) >= 10 and all(n > 0 for n in drawn)
    for segment in range(1, k + 1):
        assert f"Segment {segment}: " in text
    assert "Average Age " in text and "Settings to reproduce" in text


def test_the_running_indicator_shows_while_a_page_computes(page):
    go_to(page, "2 · Number of segments")
    upper = range_thumbs(page).nth(1)
    upper.focus()
    page.keyboard.press("End")  # K up to 30: twenty new K to try, several seconds
    page.wait_for_selector("[data-testid=stStatusWidgetRunningIcon]", timeout=20_000)
    assert page.locator("[data-testid=stStatusWidget]").get_by_text("Stop").count() == 1
    wait_idle(page)
    assert range_thumbs(page).nth(1).input_value() == "30"
