"""Showing what comes from a file as text: names and notes in Markdown and tables exactly as typed, and
the bytes behind a download button. No session state and no cache: plain helpers for the pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

__all__ = ["EAGER_DOWNLOAD_ROWS", "download_data", "literal", "literal_table"]


# Characters Streamlit's Markdown gives a meaning (emphasis, links, code, HTML, LaTeX, ":red[...]",
# ":material/...:" icons, lists, tables); a backslash makes each one plain (CommonMark escapes).
_MARKDOWN = re.compile(r"[\\`*_{}\[\]()#+\-.!|<>~$:&=^/@]")


# Replaced after parsing, where escapes no longer count: a word joiner (U+2060, invisible) breaks them up.
_TYPOGRAPHY = re.compile(r"(?<!\S)(<->|->|<-|--|>=|<=|~=)(?!\S)")


# Web and e-mail addresses too become links after parsing (GitHub's autolinks: "https://...",
# "www.", "name@example.com"): a word joiner after "://", "www" and "@" keeps them text.
_AUTOLINK = re.compile(r"(?i)(://|\bwww(?=\.)|@)")


def literal(text: str) -> str:
    """``text`` from a file or a run file as Markdown that shows exactly its characters.

    A file called ``*Q3* [draft].csv`` or a segment named ``:red[VIP]`` must not turn into italics,
    a link or red text, nor a column called ``https://example.com/`` into a link.
    """
    text = " ".join(str(text).splitlines())
    text = _TYPOGRAPHY.sub(lambda m: m.group(1)[0] + "\u2060" + m.group(1)[1:], text)
    text = _AUTOLINK.sub(lambda m: m.group(1) + "\u2060", text)
    text = text.replace(":streamlit:", ":\u2060streamlit:")
    return _MARKDOWN.sub(lambda m: "\\" + m.group(0), text)


#: Up to this many rows a download's bytes are made with the page; above, only when clicked.
EAGER_DOWNLOAD_ROWS = 20_000


def download_data(make: Callable[[], bytes | str], *, rows: int) -> bytes | str | Callable[[], bytes | str]:
    """What to give ``st.download_button``: the bytes themselves for a file of up to
    :data:`EAGER_DOWNLOAD_ROWS` rows, else ``make`` to run when the button is clicked.

    Bytes made with the page belong to the session until its next run. A callable's file is made at
    the click and belongs to no session, so Streamlit's clean-up after any session's run may delete
    it before the browser has fetched it: on a busy server such a download is cancelled. Large files
    keep the callable because making them on every run would slow every page.
    """
    return make() if rows <= EAGER_DOWNLOAD_ROWS else make


def literal_table(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` for ``st.table``, which renders Markdown in cells: every text cell shown as typed."""
    shown = frame.map(lambda v: literal(v) if isinstance(v, str) else v)
    shown.index = shown.index.map(lambda v: literal(v) if isinstance(v, str) else v)
    shown.columns = shown.columns.map(lambda v: literal(v) if isinstance(v, str) else v)  # headers are Markdown too
    return shown
