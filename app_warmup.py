"""Getting the browser's chart code ready while a person reads the page they are on.

Streamlit loads its Plotly code (a 4.7 MB script) at the first chart of a visit, and running it takes
the browser 0.75-0.9 s on a 2-core machine (fetching it from the server, or having it preloaded,
saves only 0.1 s of that). Left alone, that wait comes when the person opens the "Number of
segments" page. Loading it when the browser is next idle after the first page is drawn moves it to
where nobody is waiting for anything. The app's own server serves the script: no network.
"""

from __future__ import annotations

import functools
from pathlib import Path

import streamlit as st

__all__ = ["chart_code_file", "warm_up_charts"]

# Once per browser tab: the script's URL resolves like Streamlit's own import of it (next to its main
# script), so the browser keeps one copy and Streamlit's first chart finds it already run.
_SCRIPT = """<script>
(() => {
  if (window.segmentsChartsWarm) return;
  window.segmentsChartsWarm = true;
  const main = document.querySelector('script[type=module][src*="static/js/index."]');
  if (!main) return;
  const load = () => import(new URL("%s", main.src).href).catch(() => {});
  if (window.requestIdleCallback) requestIdleCallback(load, {timeout: 3000}); else setTimeout(load, 1000);
})();
</script>"""


@functools.cache
def chart_code_file() -> str | None:
    """The file name of Streamlit's Plotly chart script in this install, or None if there is not exactly one."""
    folder = Path(st.__file__).parent / "static" / "static" / "js"
    names = [path.name for path in folder.glob("PlotlyChart.*.js")]
    return names[0] if len(names) == 1 else None


def warm_up_charts() -> None:
    """Ask the browser to load the chart code when it is idle (a no-op once loaded, or if not found)."""
    name = chart_code_file()
    if name is not None:
        st.html(_SCRIPT % name, unsafe_allow_javascript=True)
