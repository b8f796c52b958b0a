"""The app at scale: server time of each step for a 100,000- and a 1,000,000-row upload (AppTest).

Measures what a marketer waits for: the upload (reading + preparing), the first visit to the
elbow page (the sweep, with its progress bar), moving the K slider (must not re-run the sweep:
cached), the first visit to the segments page (fit + a sampled 3D scatter) and a second visit, and
checks that the tables and the download still cover every row. The baseline for the slider is the
sweep it avoids re-running.

    python bench/bench_app.py            # 100k and 1M rows (about 5 minutes on 2 cores)
    python bench/bench_app.py 100000     # one size
"""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402
from streamlit.runtime.media_file_manager import MediaFileManager  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

import segmentation  # noqa: E402


def timed(at: AppTest, action=None) -> float:
    started = time.perf_counter()
    (action or at).run()
    elapsed = time.perf_counter() - started
    if at.exception:
        raise RuntimeError([e.value for e in at.exception])
    return elapsed


def measure(rows: int) -> dict[str, float | int | str]:
    st.cache_data.clear()
    data = segmentation.make_customers(rows, random_state=5).to_csv(index=False).encode()
    captured = {}
    original = MediaFileManager.add_deferred

    def spy(self, data_callable, mimetype, coordinates, file_name=None, **options):
        captured[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name=file_name, **options)

    MediaFileManager.add_deferred = spy
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=1_800)
        at.run()
        upload = timed(at, at.file_uploader[0].set_value(("big.csv", data, "text/csv")))
        at.switch_page("pages/elbow.py")
        if rows > 200_000:
            at.session_state["stability_toggle"] = False
        sweep = timed(at)
        slider = at.slider(key="k_slider")
        k = slider.value + 1
        slide = timed(at, slider.set_value(k))
        slide_again = timed(at, at.slider(key="k_slider").set_value(k - 1))
        at.switch_page("pages/clusters.py")
        clusters_first = timed(at)
        at.switch_page("pages/clusters.py")
        clusters_again = timed(at)
        scatter = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if '"scatter3d"' in c.proto.spec)
        drawn = sum(_points(t["x"]) for t in scatter["data"] if t["type"] == "scatter3d")
        sampled_note = any("Showing" in c.value and "sampled" in c.value for c in at.caption)
        started = time.perf_counter()
        labelled = captured[f"big_segments_K{k - 1}.csv"]()
        download = time.perf_counter() - started
        download_rows = len(pd.read_csv(io.BytesIO(labelled), usecols=["Segment"]))
        table_rows = int(at.data_editor[0].value["Customers"].sum())
    finally:
        MediaFileManager.add_deferred = original
    return {
        "rows": rows,
        "file MB": round(len(data) / 1e6, 1),
        "upload + prepare s": round(upload, 2),
        "elbow page (sweep 2..10) s": round(sweep, 2),
        "K slider move s": round(slide, 3),
        "K slider move again s": round(slide_again, 3),
        "segments page, first s": round(clusters_first, 2),
        "segments page, again s": round(clusters_again, 2),
        "3D points drawn": drawn,
        "sample said on screen": "yes" if sampled_note else "no",
        "rows in tables": table_rows,
        "rows in download": download_rows,
        "download build s": round(download, 2),
    }


def _points(values) -> int:
    if isinstance(values, dict) and "bdata" in values:
        import base64

        import numpy as np

        return len(np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"])))
    return len(values)


def main(sizes: list[int]) -> None:
    results = [measure(n) for n in sizes]
    width = max(len(k) for k in results[0])
    print(f"{'':<{width}}" + "".join(f"{r['rows']:>14,}" for r in results))
    for key in results[0]:
        if key == "rows":
            continue
        print(f"{key:<{width}}" + "".join(f"{r[key]!s:>14}" for r in results))
    for r in results:
        ratio = r["K slider move s"] / r["elbow page (sweep 2..10) s"]
        print(f"{r['rows']:,} rows: a slider move costs {ratio:.1%} of the sweep it does not re-run.")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
