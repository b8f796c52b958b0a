"""The app as a person meets it, in a real Chromium against ``streamlit run app.py`` (issue 13, target 6).

Each round starts a fresh server process and times, from the browser:

* the first page: seconds from launching the server process to the upload page being ready (its
  title and its last element, the "Next:" link, drawn; no script running; nothing still loading).
  Beside it, the server's own start (its health check answering): the floor no app code can lower;
* the "Number of segments" page on an uploaded 10,000-row customer CSV: seconds from the click on
  its link to the page being usable (elbow chart, criteria chart, K slider and "Next:" link drawn),
  and to the end of its run; whether the stability check blocked it (done in the same run before the
  page was usable, or holding up a move of the K slider made at once);
* the K slider: an arrow key pressed on it, seconds until the elbow chart shows the new K (the
  redraw); on the idle page, the median of several moves;
* the elbow page once more, in a second session on another 10,000-row file, clicked after the
  person has looked at the upload page for ``--look`` seconds (the app measures the range of K
  while the upload page is read; the figure above is the worst case, a click at once).

After the rounds, once on 1,000,000 rows (``--large 0`` skips it): the upload, the elbow page and
the K slider's redraw. The CSV files are generated from a seed (``_data.py``) into the temp folder
and kept there for the next run; nothing is committed.

    python bench/bench_app_browser.py               # 3 rounds on 10,000 rows, then 1,000,000 rows (~4 min)
    python bench/bench_app_browser.py --rounds 1 --large 0
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, machine, table
from _data import write_customer_csv

sys.path.insert(0, str(ROOT / "tests"))
from browser import CHROMIUM, CHROMIUM_FLAGS, free_port, stop, wait_healthy  # noqa: E402

FIRST_PAGE_TARGET = 5.0
ELBOW_TARGET = 2.0
SLIDER_TARGET = 0.5

# No script running and nothing still loading.
_IDLE = """!document.querySelector('[data-testid=stStatusWidgetRunningIcon]')
    && !document.querySelector('[data-testid=stSkeleton]')
    && !document.querySelector('[data-testid=stSpinner]')"""

UPLOAD_READY = f"""() => {{
    const title = document.querySelector('[data-testid=stMain] h1');
    const next = [...document.querySelectorAll('[data-testid=stPageLink] a')]
        .some(a => a.innerText.includes('Next: choose the number of segments'));
    return title && title.innerText.includes('Your customer data') && next && {_IDLE};
}}"""

UPLOADED = f"""(name) => !!document.querySelector('[data-testid=stSidebar]')?.innerText.replaceAll('\\u2060', '')
    .includes(name) && ({UPLOAD_READY})()"""

# Usable: both charts drawn by Plotly, the K slider and the "Next:" link on screen.
ELBOW_USABLE = """() => {
    const plots = document.querySelectorAll('.js-plotly-plot');
    const drawn = (i) => plots[i] && plots[i]._fullData && plots[i]._fullData.length > 0;
    const slider = [...document.querySelectorAll('[data-testid=stSlider]')]
        .some(s => s.innerText.includes('Number of segments (K)'));
    const next = [...document.querySelectorAll('[data-testid=stPageLink] a')]
        .some(a => a.innerText.includes('Next: see the'));
    return drawn(0) && drawn(1) && slider && next;
}"""

CHECKING = """() => [...document.querySelectorAll('[data-testid=stProgress]')]
    .some(p => p.innerText.includes('Checking stability'))"""
RUNNING = "() => !!document.querySelector('[data-testid=stStatusWidgetRunningIcon]')"
STABILITY_DRAWN = """() => [...document.querySelectorAll('.js-plotly-plot')]
    .some(p => (p._fullData || []).some(t => String(t.name).includes('adjusted Rand index')))"""

# The elbow chart marks the chosen K with a trace named "your K".
CHART_SHOWS_K = """(k) => {
    const plot = document.querySelectorAll('.js-plotly-plot')[0];
    const mark = plot && plot._fullData && plot._fullData.find(t => t.name === 'your K');
    return !!mark && Number(mark.x[0]) === k;
}"""


def start_server() -> tuple[subprocess.Popen, str, float, Path]:
    """Launch ``streamlit run app.py``; return the process, its URL, the launch time and its log."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1"]
    log = Path(tempfile.gettempdir()) / f"segmentation-appbench-{port}.log"
    with log.open("wb") as out:
        launched = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return process, f"http://127.0.0.1:{port}", launched, log


def k_slider(page):
    return page.locator("[data-testid=stSlider]").filter(has_text="Number of segments (K)").locator("input[type=range]")


def move_k(page, key: str, timeout: float) -> float:
    """Press ``key`` on the K slider; seconds until the elbow chart shows the new K.

    Not until the run ends: Streamlit shows its running icon only some time after a run starts, so
    a short gap without it says nothing. The next step waits for what it needs on the page.
    """
    slider = k_slider(page)
    k = int(slider.input_value())
    target = k + 1 if key == "ArrowRight" else k - 1
    slider.focus()
    started = time.perf_counter()
    page.keyboard.press(key)
    page.wait_for_function(CHART_SHOWS_K, arg=target, timeout=timeout, polling=10)
    return time.perf_counter() - started


def idle_moves(page, moves: int, timeout: float) -> list[float]:
    """Several moves on the idle page, right and left in turn, so K stays inside the range."""
    low = int(k_slider(page).get_attribute("aria-valuemin") or 2)
    results = []
    for i in range(moves):
        key = "ArrowRight" if i % 2 == 0 else "ArrowLeft"
        if key == "ArrowLeft" and int(k_slider(page).input_value()) <= low:
            key = "ArrowRight"
        results.append(move_k(page, key, timeout))
        page.wait_for_function(f"() => {_IDLE}", timeout=timeout, polling=10)
    return results


def elbow_page(page, csv: Path, timeout: float, *, check: bool = True) -> dict:
    """Upload ``csv``, open the elbow page; time it, K moves, and (with ``check``) the stability check on a click."""
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(csv))
    page.wait_for_function(UPLOADED, arg=csv.name, timeout=timeout, polling=50)
    link = page.locator("[data-testid=stSidebarNav]").get_by_role("link", name="2 · Number of segments")
    started = time.perf_counter()
    link.click()
    page.wait_for_function(ELBOW_USABLE, timeout=timeout, polling=10)
    usable = time.perf_counter() - started
    running, stability_drawn = page.evaluate(RUNNING), page.evaluate(STABILITY_DRAWN)
    # Does the run go on to check stability unasked? Then move K while it checks, as a person would.
    page.wait_for_function(f"() => ({CHECKING})() || ({_IDLE})", timeout=timeout, polling=10)
    unasked = page.evaluate(CHECKING)
    during = move_k(page, "ArrowRight", timeout)
    page.wait_for_function(f"() => {_IDLE}", timeout=timeout, polling=50)
    result = {
        "usable": usable,
        "running when usable": running,
        "stability drawn when usable": stability_drawn,
        "stability unasked": unasked,
        "move during check" if unasked else "move at once": during,
        "idle moves": idle_moves(page, 5, timeout),
    }
    if check and not unasked:
        # Asked for: the check's time, and a K move while it runs.
        started = time.perf_counter()
        page.get_by_text("Check the stability of each K").click()
        page.wait_for_function(CHECKING, timeout=timeout, polling=10)
        result["move during check"] = move_k(page, "ArrowLeft", timeout)
        page.wait_for_function(f"() => ({STABILITY_DRAWN})() && ({_IDLE})", timeout=timeout, polling=50)
        result["check on click"] = time.perf_counter() - started
    return result


def after_a_look(browser, url: str, csv: Path, look: float, timeout: float) -> float:
    """A new session uploads ``csv``, reads the upload page for ``look`` seconds, opens the elbow page:
    seconds from the click to the page being usable."""
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(UPLOAD_READY, timeout=timeout, polling=50)
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(csv))
    page.wait_for_function(UPLOADED, arg=csv.name, timeout=timeout, polling=50)
    page.wait_for_timeout(look * 1000)  # the person reads the page: part of the scenario, not a wait for the app
    started = time.perf_counter()
    page.locator("[data-testid=stSidebarNav]").get_by_role("link", name="2 · Number of segments").click()
    page.wait_for_function(ELBOW_USABLE, timeout=timeout, polling=10)
    usable = time.perf_counter() - started
    context.close()
    return usable


def one_round(browser, csv: Path, timeout: float, *, other: Path, look: float) -> dict:
    process, url, launched, log = start_server()
    try:
        wait_healthy(process, url, log, timeout=120.0, poll=0.02)  # polled often: the launch is timed
        healthy = time.perf_counter() - launched
        context = browser.new_context(viewport={"width": 1400, "height": 1600})
        page = context.new_page()
        page.goto(url)
        page.wait_for_function(UPLOAD_READY, timeout=timeout * 1000, polling=10)
        first = time.perf_counter() - launched
        result = {"healthy": healthy, "first page": first, **elbow_page(page, csv, timeout * 1000)}
        context.close()
        result["usable after a look"] = after_a_look(browser, url, other, look, timeout * 1000)
        return result
    finally:
        stop(process)
        log.unlink(missing_ok=True)


def large_round(browser, csv: Path, timeout: float) -> dict:
    process, url, launched, log = start_server()
    try:
        wait_healthy(process, url, log, timeout=120.0, poll=0.02)  # polled often: the launch is timed
        context = browser.new_context(viewport={"width": 1400, "height": 1600})
        page = context.new_page()
        page.goto(url)
        page.wait_for_function(UPLOAD_READY, timeout=timeout * 1000, polling=50)
        started = time.perf_counter()
        result = elbow_page(page, csv, timeout * 1000, check=False)
        result["upload + elbow"] = time.perf_counter() - started
        context.close()
        return result
    finally:
        stop(process)
        log.unlink(missing_ok=True)


def data_file(rows: int, seed: int = 13) -> Path:
    path = Path(tempfile.gettempdir()) / f"segmentation-appbench-{rows}-{seed}.csv"
    if not path.exists():
        write_customer_csv(path, rows, random_state=seed)
    return path


def blocked(r: dict) -> bool:
    """Stability blocked the page: it was checked before the page was usable, or checked unasked after
    it so that a K move meanwhile waited for it (more than the target beyond a move on the idle page)."""
    idle = statistics.median(r["idle moves"])
    late = r["stability unasked"] and r["move during check"] > idle + SLIDER_TARGET
    return r["stability drawn when usable"] or late


def seconds(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="fresh servers on the 10,000-row file (default 3)")
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the elbow page's file (default 10,000)")
    parser.add_argument("--large", type=int, default=1_000_000, help="rows of the large K slider run; 0 skips it")
    parser.add_argument("--look", type=float, default=3.0, help="seconds a person reads the upload page (default 3)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for any one step")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"Machine: {machine()}")
    csv = data_file(args.rows)
    rounds, large = [], None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for _ in range(args.rounds):
            rounds.append(one_round(browser, csv, args.timeout, other=data_file(args.rows, seed=14), look=args.look))
        if args.large:
            large = large_round(browser, data_file(args.large), args.timeout)
        browser.close()

    print(f"\n{args.rows:,}-row file ({csv.stat().st_size / 1e6:.1f} MB), one fresh server per round:\n")
    rows = []
    for i, r in enumerate(rounds, start=1):
        idle = r["idle moves"]
        rows.append(
            [
                i,
                f"{r['healthy']:.2f}",
                f"{r['first page']:.2f}",
                f"{r['usable']:.2f}",
                seconds(r["usable after a look"]),
                "yes" if r["running when usable"] else "no",
                "yes" if r["stability unasked"] else "no",
                "yes" if blocked(r) else "no",
                seconds(r.get("move at once")),
                f"{statistics.median(idle):.2f} ({min(idle):.2f}-{max(idle):.2f})",
                seconds(r.get("check on click"), 1),
                seconds(r.get("move during check")),
            ]
        )
    headers = [
        "round",
        "server healthy s",
        "first page ready s",
        "elbow page usable s",
        f"the same after a {args.look:g} s look at the upload page s",
        "still running then",
        "stability checked unasked",
        "stability blocked",
        "K move at once: redraw s",
        "K move on idle page: redraw s, median (range)",
        "stability check on click s",
        "K move during the check: redraw s",
    ]
    print(table(headers, rows))
    first = statistics.median(r["first page"] for r in rounds)
    usable = statistics.median(r["usable"] for r in rounds)
    looked = statistics.median(r["usable after a look"] for r in rounds)
    slider_small = statistics.median(m for r in rounds for m in r["idle moves"])
    if large is not None:
        idle = large["idle moves"]
        print(f"\n{args.large:,} rows ({data_file(args.large).stat().st_size / 1e6:.0f} MB), one fresh server:\n")
        print(
            table(
                [
                    "upload + elbow page s",
                    "elbow page usable s",
                    "K move: redraw s, median (range)",
                ],
                [
                    [
                        f"{large['upload + elbow']:.1f}",
                        f"{large['usable']:.2f}",
                        f"{statistics.median(idle):.2f} ({min(idle):.2f}-{max(idle):.2f})",
                    ]
                ],
            )
        )
    print(f"\nMachine after: {machine()}")
    print("The K slider's redraw includes the slider's own wait before it sends a move (Streamlit's frontend).\n")
    verdicts = [
        (f"first page ready within {FIRST_PAGE_TARGET:.0f} s: median {first:.2f} s", first <= FIRST_PAGE_TARGET),
        (
            f"elbow page usable within {ELBOW_TARGET:.0f} s on {args.rows:,} rows, clicked at once: median {usable:.2f} s"
            f" (after a {args.look:g} s look at the upload page: {looked:.2f} s)",
            usable <= ELBOW_TARGET,
        ),
        ("stability never blocks the elbow page", not any(blocked(r) for r in rounds)),
        (
            f"K slider redraw under {SLIDER_TARGET} s on {args.rows:,} rows: median {slider_small:.2f} s",
            slider_small < SLIDER_TARGET,
        ),
    ]
    if large is not None:
        slider_large = statistics.median(large["idle moves"])
        verdicts.append(
            (
                f"K slider redraw under {SLIDER_TARGET} s on {args.large:,} rows: median {slider_large:.2f} s",
                slider_large < SLIDER_TARGET,
            )
        )
    for text, met in verdicts:
        print(f"{'TARGET MET' if met else 'TARGET MISSED'}: {text}")


if __name__ == "__main__":
    main()
