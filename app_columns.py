"""The upload page's column table: what it shows of each column, and how its edits become options.

Glue for one page (``pages/upload.py``), kept apart from :mod:`app_state`: it defines no session
state and caches nothing; it reads the current columns and options from :mod:`app_state`.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import app_state
import segmentation as sg

_SCALE_NAMES = {"auto": "auto", "none": "as is", "log": "log"}
#: The scale shown for columns that are not numbers (there is nothing to choose).
NOT_A_NUMBER = "–"
#: How the upload page's column table shows and edits each column.
COLUMN_TABLE_CONFIG = {
    "Column": st.column_config.TextColumn("Column", width="medium"),
    "Kind": st.column_config.SelectboxColumn(
        "Kind",
        options=list(sg.KINDS),
        required=True,
        help="number, category, flag (two values), date, id, constant or text. A number can be read as a "
        "category (codes) and a category of numbers as a number.",
    ),
    "Role": st.column_config.SelectboxColumn(
        "Role", options=list(sg.ROLES), required=True, help="segment, describe or ignore"
    ),
    "Scale": st.column_config.SelectboxColumn(
        "Scale",
        options=["auto", "as is", "log", NOT_A_NUMBER],
        required=True,
        help="For numbers: auto puts heavily skewed amounts on a log scale; as is; log.",
    ),
    "Compared": st.column_config.TextColumn("Compared as", help="What the scale is now: as is or on a log scale."),
    "Values": st.column_config.NumberColumn("Different values", format="localized"),
    "Missing": st.column_config.NumberColumn("Missing", format="localized"),
}


def column_table(prepared: sg.Prepared) -> pd.DataFrame:
    """The upload page's table of columns: kind, role and scale (editable), and why."""
    chosen = dict(app_state.options().transforms)
    return pd.DataFrame(
        {
            "Column": [r.column for r in prepared.reports],
            "Kind": [r.kind for r in prepared.reports],
            "Role": [r.role for r in prepared.reports],
            "Scale": [
                _SCALE_NAMES[chosen.get(r.column, "auto")] if r.kind == "number" else NOT_A_NUMBER
                for r in prepared.reports
            ],
            "Compared": [
                ("on a log scale" if r.transform == "log" else "as is")
                if r.kind == "number" and r.role != "ignore"
                else ""
                for r in prepared.reports
            ],
            "Values": [r.distinct for r in prepared.reports],
            "Missing": [r.missing for r in prepared.reports],
        }
    )


def column_notes(prepared: sg.Prepared) -> pd.DataFrame:
    """Each column's note in full, the columns segmented on first: what was done and why."""
    order = {"segment": 0, "describe": 1, "ignore": 2}
    reports = sorted(prepared.reports, key=lambda r: order[r.role])
    return pd.DataFrame(
        {"Role": [r.role for r in reports], "What was done and why": [r.summary() for r in reports]},
        index=pd.Index([r.column for r in reports], name="Column"),
    )


def choices_from_table(edited: pd.DataFrame) -> dict:
    """The edited column table as :func:`segmentation.prepare.column_choices` options.

    Raises
    ------
    DataError
        When a kind was changed to one that only the values decide.
    """
    automatic = {r.column: r for r in app_state.automatic_columns()}
    kinds = dict(zip(edited["Column"], edited["Kind"], strict=True))
    for column, kind in kinds.items():
        if kind != automatic[column].kind and kind not in ("number", "category"):
            raise sg.DataError(
                f"'{column}' can be read as a number or a category; whether it is a {kind} is decided by its values."
            )
    scale_codes = {v: k for k, v in _SCALE_NAMES.items()}
    scales = {c: scale_codes[v] for c, v in zip(edited["Column"], edited["Scale"], strict=True) if v in scale_codes}
    roles = dict(zip(edited["Column"], edited["Role"], strict=True))
    return sg.column_choices(automatic.values(), kinds=kinds, roles=roles, scales=scales)
