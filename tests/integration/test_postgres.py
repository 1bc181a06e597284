"""The same session machinery on PostgreSQL, the storage for several boxes.

Needs a server: .ci/run starts one on loopback and sets SPRINTOPT_TEST_POSTGRES.
"""

from __future__ import annotations

import os
import uuid

from engine.budget import counting
from engine.session import Session
from tests.services import needs_postgres
from tests.support import wait_for

URL = os.environ.get("SPRINTOPT_TEST_POSTGRES")
pytestmark = needs_postgres(URL)


def test_workers_share_a_session_in_postgresql_with_exact_budgets(session_dir):
    name = f"pg{uuid.uuid4().hex[:8]}"
    sd = session_dir(
        name=name,
        sprints=[
            {"name": "a", "trials": 8, "sampler": "gp"},
            {"name": "b", "trials": 5, "epochs": 2},
        ],
    )
    # A password in the URL must never be printed (the server trusts loopback anyway).
    url = URL.replace("postgres@", "postgres:hunter2@", 1)
    out = sd.cli(
        "run", "spec.toml", "--storage", url, "--workers", "3", "--auto-approve", "--no-tui"
    )
    assert out.returncode == 0, out.stderr
    assert "hunter2" not in out.stdout + out.stderr and "***" in out.stdout

    def finished() -> bool:
        return Session.open(name, url, readonly=True).refresh().state == "finished"

    wait_for(finished, timeout=120)
    session = Session.open(name, url)
    sizes = [
        len(counting(session.trials(s), session.store.retried_numbers(s.study_name)))
        for s in session.sprints()
    ]
    assert sizes == [8, 5]
    status = sd.cli("status", name, "--storage", url)
    assert status.returncode == 0 and "finished" in status.stdout
    assert "hunter2" not in status.stdout
    logs = "".join(p.read_text() for p in (sd.path / "sessions" / f"{name}.logs").glob("*.log"))
    assert "hunter2" not in logs and "joined session" in logs
    # The campaign report reads the same session from the server, and names it masked.
    made = sd.cli("report", name, "--storage", url, "-o", "report.html")
    assert made.returncode == 0, made.stderr
    page = (sd.path / "report.html").read_text()
    assert f">Campaign report: {name}</h1>" in page and ">Sprint 2: b</h2>" in page
    assert "Decision: accepted by auto-approve" in page
    assert "hunter2" not in page and "postgres:***@" in page
