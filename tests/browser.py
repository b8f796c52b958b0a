"""Support for the browser tests: a real `streamlit run app.py` server and Debian's Chromium.

Playwright drives ``/usr/bin/chromium`` (Playwright cannot download its own browsers here) with the
flags that keep Chromium off the network. Without Chromium the browser tests skip with the reason,
except on CI (``CI=true``), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
SCREENSHOTS = Path(tempfile.gettempdir()) / "segmentation-browser-screenshots"

# The app is idle when a page title is drawn, no script runs and no element is still loading. The
# app's script state says "running" as soon as a run starts; the running icon shows only ~0.5 s later.
_IDLE = """() => document.querySelector('[data-testid=stMain] h1')
    && !['running', 'rerunRequested'].includes(document.querySelector('[data-testid=stApp]')?.dataset.testScriptState)
    && !document.querySelector('[data-testid=stStatusWidgetRunningIcon]')
    && !document.querySelector('[data-testid=stSkeleton]')
    && !document.querySelector('[data-testid=stSpinner]')"""


def require_browser() -> str:
    """The Chromium path, or skip (fail on CI) with the reason."""
    reason = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "Python Playwright is not installed (pip install -r requirements-dev.txt)"
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if reason is None and not path:
        reason = "Debian's Chromium is not installed (apt-get install -y chromium)"
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run on CI: {reason}")
        pytest.skip(reason)
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def streamlit_server(timeout: float = 90.0) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start ``streamlit run app.py`` on a free port; yield its URL and process; stop it by pid."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
    ]
    log = tempfile.NamedTemporaryFile(prefix="streamlit-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(process, url, Path(log.name), timeout=timeout)
        yield url, process
    finally:
        stop(process)
        log.close()


def stop(process: subprocess.Popen) -> None:
    """Stop the server and everything it started, by its process group."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


def wait_healthy(process: subprocess.Popen, url: str, log: Path, *, timeout: float, poll: float = 0.3) -> None:
    """Wait until the server at ``url`` answers its health check (it failing to start says so, with its log)."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early; see {log}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"streamlit did not become healthy in {timeout:.0f} s; see {log}")
        time.sleep(poll)


def wait_idle(page, timeout: float = 180_000) -> None:
    """Wait until the app has finished its run (checked twice, a second apart, to skip gaps)."""
    page.wait_for_function(_IDLE, timeout=timeout)
    page.wait_for_timeout(800)
    page.wait_for_function(_IDLE, timeout=timeout)


def go_to(page, title: str) -> None:
    """Click a page in the sidebar navigation and wait for it."""
    page.locator("[data-testid=stSidebarNav]").get_by_role("link", name=title).click()
    page.wait_for_timeout(500)
    wait_idle(page)


def sidebar_text(page) -> str:
    """The sidebar as a person reads it (without the invisible word joiners that keep names plain)."""
    return page.locator("[data-testid=stSidebar]").inner_text().replace("\u2060", "")


def errors_on_page(page) -> list[str]:
    """Text of every error alert and exception box on the page."""
    boxes = page.locator("[data-testid=stException], [data-testid=stAlertContentError]")
    return [boxes.nth(i).inner_text() for i in range(boxes.count())]


#: The upload has been handled: the sidebar names the file, or an error says why it was refused.
UPLOAD_DONE = """(name) => document.querySelector('[data-testid=stSidebar]')?.innerText.replaceAll('\\u2060', '').includes(name)
    || document.querySelector('[data-testid=stAlertContentError]')"""


def upload(page, path: Path) -> None:
    """Upload through the real file input; wait until the app has taken (or refused) the file."""
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(path))
    page.wait_for_function(UPLOAD_DONE, arg=path.name, timeout=180_000)
    wait_idle(page)


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
