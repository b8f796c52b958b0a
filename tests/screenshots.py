"""Screenshots of every page and tab of the app on one or more files, to look at as a marketer would.

Not a test: a tool for reviewing the screens (the browser tests assert; this only records). Run from
the clone::

    python tests/screenshots.py ../shared/data/Mall_Customers.csv ../shared/data/telco_churn.csv

It starts ``streamlit run app.py`` (see :mod:`browser`), uploads each file in headless Chromium and
saves full-page PNGs of pages 1 to 4 and of each tab of the Segments page under ``--out``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser import CHROMIUM_FLAGS, SCREENSHOTS, go_to, require_browser, streamlit_server, upload, wait_idle  # noqa: E402

TABS = ("3D view", "Segment cards", "Profiles", "Tables", "Compare with another K", "Customers who fit worst")


#: Streamlit scrolls inside its main section, so a full-page screenshot shows one screen: the window is
#: made as tall as the page's content first (up to this many pixels).
TALLEST = 12_000


def shoot(page, out: Path, name: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = 0
    for _ in range(3):  # charts drawn at the new size can make the page longer again
        grown = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
        if grown <= height:
            break
        height = grown
        page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), TALLEST)})
        page.wait_for_timeout(1200)
    page.screenshot(path=str(out / f"{name}.png"), full_page=True)
    page.set_viewport_size(size)
    print(out / f"{name}.png", flush=True)


def walk(page, path: Path, out: Path) -> None:
    stem = path.stem
    started = time.monotonic()
    upload(page, path)
    shoot(page, out, f"{stem}-1-data")
    go_to(page, "2 · Number of segments")
    shoot(page, out, f"{stem}-2-number")
    go_to(page, "3 · Segments")
    shoot(page, out, f"{stem}-3-segments")
    for tab in TABS:
        found = page.get_by_role("tab").filter(has_text=tab)
        if not found.count():
            continue
        found.first.click()  # the open tab runs alone: wait for its run
        page.wait_for_timeout(800)
        wait_idle(page)
        if tab == "Compare with another K":
            box = page.locator("[data-testid=stSelectbox]").filter(has_text="Compare with K =")
            if box.count():
                box.first.click()
                page.get_by_role("option").first.click()
                page.wait_for_timeout(500)
                wait_idle(page)
        page.wait_for_timeout(1500)  # charts in a newly shown tab draw after it is shown
        shoot(page, out, f"{stem}-3-{tab.split()[0].lower()}")
    go_to(page, "4 · Score new customers")
    shoot(page, out, f"{stem}-4-score")
    print(f"{path.name}: {time.monotonic() - started:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=SCREENSHOTS)
    parser.add_argument("--width", type=int, default=1400)
    args = parser.parse_args()
    path = require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, streamlit_server() as (url, _):
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        for file in args.files:
            context = browser.new_context(viewport={"width": args.width, "height": 1000})
            page = context.new_page()
            page.on("pageerror", lambda error: print("page error:", error, flush=True))
            page.goto(url)
            wait_idle(page)
            walk(page, file.resolve(), args.out)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
