"""Many people at once: 20 browser sessions upload different files to one real server, at the same time.

Each must see only its own data (name, rows, segment counts, download) and the server's memory must
stay bounded (the caches are bounded by max_entries / max_size; see app_state.py).
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from browser import _IDLE, CHROMIUM_FLAGS, UPLOAD_DONE, require_browser, streamlit_server

import segmentation

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SESSIONS = int(os.environ.get("CONCURRENT_SESSIONS", 20))
_STEPS: list[tuple[float, str, str]] = []  # (seconds, file, step): printed when the test fails
_CHART_DRAWN = "() => document.querySelector('.js-plotly-plot')?._fullData?.length > 0"
#: Upper bound for the server's resident memory with 20 sessions of small files (it uses ~0.5 GB).
MEMORY_LIMIT_MB = 2_500


async def _wait_idle(page) -> None:
    await page.wait_for_function(_IDLE, timeout=300_000)
    await page.wait_for_timeout(800)
    await page.wait_for_function(_IDLE, timeout=300_000)


async def _one_person(browser, url: str, path: Path, rows: int) -> dict:
    context = await browser.new_context(viewport={"width": 1300, "height": 1400}, accept_downloads=True)
    page = await context.new_page()
    started = time.monotonic()

    def step(what: str) -> None:
        _STEPS.append((round(time.monotonic() - started, 1), path.name, what))

    page.set_default_timeout(300_000)  # 20 sessions share two cores: each step waits its turn
    try:
        await page.goto(url)
        await _wait_idle(page)
        step("opened")
        await page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(path))
        await page.wait_for_function(UPLOAD_DONE, arg=path.name)
        await _wait_idle(page)
        sidebar_after_upload = await page.locator("[data-testid=stSidebar]").inner_text()
        step("uploaded")
        await page.locator("[data-testid=stSidebarNav]").get_by_role("link", name="3 · Segments").click()
        await page.wait_for_timeout(800)
        await _wait_idle(page)
        sidebar = await page.locator("[data-testid=stSidebar]").inner_text()
        step("segments page")
        await page.wait_for_function(_CHART_DRAWN)
        step("chart drawn")
        points = await page.evaluate(
            """() => document.querySelector('.js-plotly-plot')._fullData
                .filter(t => t.type === 'scatter3d').reduce((n, t) => n + t.x.length, 0)"""
        )
        segments = await page.locator(".js-plotly-plot .legend .traces").count()
        async with page.expect_download() as info:
            await page.get_by_role("button", name="Customers with their segment (CSV)").click()
        download = await info.value
        step("downloaded")
        labelled = pd.read_csv(await download.path(), dtype=str, keep_default_na=False, encoding="utf-8-sig")
        return {
            "file": path.name,
            "rows": rows,
            "sidebar_after_upload": sidebar_after_upload,
            "sidebar": sidebar,
            "points": points,
            "segments": segments,
            "download_rows": len(labelled),
            "download_ids": labelled["CustomerID"].tolist(),
            "download_segments": labelled["Segment"].nunique(),
        }
    finally:
        await context.close()


async def _everyone(chromium_path: str, url: str, files: list[tuple[Path, int]]) -> list[dict]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
        try:
            return await asyncio.gather(*(_one_person(browser, url, path, rows) for path, rows in files))
        finally:
            await browser.close()


def _watch_memory(pid: int, stop: threading.Event, peak: list[float]) -> None:
    import psutil

    process = psutil.Process(pid)
    while not stop.is_set():
        try:
            rss = process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
        except psutil.Error:
            break
        peak[0] = max(peak[0], rss / 1e6)
        time.sleep(0.25)


def test_twenty_people_at_once_each_see_only_their_own_data(tmp_path):
    pytest.importorskip("psutil")
    chromium_path = require_browser()
    files = []
    for i in range(SESSIONS):
        rows = 300 + 41 * i
        path = tmp_path / f"team_member_{i:02d}.csv"
        frame = segmentation.make_customers(rows, random_state=100 + i)
        frame["CustomerID"] = [f"P{i:02d}-{j:05d}" for j in range(rows)]  # whose rows are whose
        frame.to_csv(path, index=False)
        files.append((path, rows))

    with streamlit_server() as (url, process):
        stop, peak = threading.Event(), [0.0]
        watcher = threading.Thread(target=_watch_memory, args=(process.pid, stop, peak), daemon=True)
        watcher.start()
        started = time.monotonic()
        try:
            results = asyncio.run(_everyone(chromium_path, url, files))
        except Exception:
            print(*sorted(_STEPS), sep="\n")
            raise
        finally:
            stop.set()
            watcher.join()
        elapsed = time.monotonic() - started

    assert len(results) == SESSIONS
    for result in results:
        me = result["file"]
        assert me in result["sidebar"] and f"{result['rows']:,} rows" in result["sidebar"]
        assert me in result["sidebar_after_upload"]
        others = [path.name for path, _ in files if path.name != me]
        assert not any(other in result["sidebar"] for other in others)
        assert result["points"] == result["rows"]
        assert result["download_rows"] == result["rows"]
        prefix = f"P{me[-6:-4]}-"
        assert all(customer.startswith(prefix) for customer in result["download_ids"])
        assert result["segments"] == result["download_segments"]
    print(f"\n{SESSIONS} sessions held in {elapsed:.0f} s; server peak memory {peak[0]:,.0f} MB")
    assert peak[0] < MEMORY_LIMIT_MB
