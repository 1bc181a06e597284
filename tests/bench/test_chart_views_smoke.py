"""The full-screen charts' benchmark runs end to end on a small sprint and names every chart."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_bench_prints_a_figure_for_every_chart_at_both_sizes():
    out = subprocess.run(
        [sys.executable, "bench/chart_views.py", "--trials", "60"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    for title in ("history", "slice", "parallel", "contour", "EDF", "timeline"):
        line = next(line for line in out.splitlines() if line.startswith(title))
        assert line.count("ms") == 2, line
