"""Planted customers for the tests of stability, transitions, unusual customers and segment cards.

Four well-separated groups in (Income, Spend), one of which ("A", the largest) is itself two close
sub-groups, plus ten customers placed far from every group. So K=4 is the true, stable answer; K=5
splits exactly group A; K=7 has to cut round groups arbitrarily.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from segmentation.cli import main

#: (name, income, spend, customers, share buying online)
GROUPS = (
    ("A1", 25, 30, 160, 0.5),
    ("A2", 35, 30, 140, 0.5),
    ("B", 90, 30, 250, 0.3),
    ("C", 30, 90, 200, 0.5),
    ("D", 90, 90, 150, 1.0),
)
N_OUTLIERS = 10
FEATURES = ["Income", "Spend"]


def planted(seed: int = 0) -> pd.DataFrame:
    """The planted customers; the last ten rows are the far-away ones, column Group says who is who."""
    rng = np.random.default_rng(seed)
    parts = []
    for name, income, spend, n, online in GROUPS:
        parts.append(
            pd.DataFrame(
                {
                    "Income": rng.normal(income, 2, n),
                    "Spend": rng.normal(spend, 2, n),
                    "Channel": np.where(rng.random(n) < online, "Online", "Store"),
                    "Group": name,
                }
            )
        )
    # 8 to 10 standard deviations from a group's centre: far from it, still nearer it than any other.
    centres = np.array([[30, 30], [90, 30], [30, 90], [90, 90]])[np.arange(N_OUTLIERS) % 4]
    angle = rng.uniform(0, 2 * np.pi, N_OUTLIERS)
    radius = rng.uniform(16, 20, N_OUTLIERS)
    parts.append(
        pd.DataFrame(
            {
                "Income": centres[:, 0] + radius * np.cos(angle),
                "Spend": centres[:, 1] + radius * np.sin(angle),
                "Channel": "Store",
                "Group": "far",
            }
        )
    )
    frame = pd.concat(parts, ignore_index=True).round(2)
    frame.insert(0, "CustomerID", np.arange(1, len(frame) + 1))
    return frame


def run(*argv) -> tuple[int, str, str]:
    """The command line on ``argv`` (paths allowed): exit code, standard output, standard error."""
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()
