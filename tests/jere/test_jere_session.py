"""The tiny-encoder spec runs the paper's three phases end to end under real workers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from engine.read.model import session_view, trial_rows
from engine.session import Session

REPO = Path(__file__).resolve().parents[2]


def test_tiny_three_phase_session_end_to_end(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jere.db'}"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui.cli",
            "run",
            str(REPO / "examples/jere/tiny.toml"),
            "--storage",
            url,
            "--workers",
            "2",
            "--auto-approve",
            "--no-tui",
            "--follow",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    session = Session.open("jere-tiny", url)
    view = session_view(session)
    assert view.state == "finished"
    assert [s.name for s in view.sprints] == ["define", "warmup", "full"]
    assert [s.state for s in view.sprints] == ["closed"] * 3
    assert [s.sampler for s in view.sprints] == ["gp", "gp", "tpe"]
    budgets = [s.budget for s in view.sprints]
    done = [
        sum(v for k, v in s.counts.items() if k in ("complete", "pruned", "failed"))
        for s in view.sprints
    ]
    assert done == budgets
    rows = trial_rows(session)
    assert all(r.state in ("complete", "pruned") for r in rows), [r.reason for r in rows]
    # The objective stored what the paper's process needs on every completed trial.
    last = session.sprints()[-1]
    completed = [t for t in session.trials(last) if t.state.name == "COMPLETE"]
    assert completed
    for t in completed:
        assert {"thresholds", "f1_calibrated", "f1_uncalibrated", "losses"} <= set(t.user_attrs)
    assert len(session.decisions()) == 2
    # Its report tells the three phases and carries what the workload recorded.
    page = tmp_path / "jere.html"
    made = subprocess.run(
        [sys.executable, "-m", "tui.cli", "report", "jere-tiny", "--storage", url, "-o", str(page)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    text = page.read_text()
    for section in (
        "Campaign report: jere-tiny",
        "Sprint 1: define",
        "Proposal after sprint 1",
        "Sprint 2: warmup",
        "Proposal after sprint 2",
        "Sprint 3: full",
        "Recommendation",
    ):
        assert f">{section}</h" in text, section
    assert "Decision: accepted by auto-approve" in text
    assert "<td>f1_calibrated</td>" in text and "<td>thresholds." in text
    assert 'id="chart-progress"' in text and "still" not in text.split("<h2")[0]
