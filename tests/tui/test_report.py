"""`sprintopt report`: the campaign's story from a real session, in HTML, Markdown and a browser.

The session is built once: a scout whose ranking the next fidelity inverts (so the gate fails),
an edited decision with a note, a rejected one, failed trials, pruned trials, and a third sprint
still running when the report is written.
"""

from __future__ import annotations

import html.parser
import os
import re
import shutil
import subprocess
import sys

import pytest

from engine import campaign, trial_rows
from engine.read.reader import SessionReader
from engine.states import Action
from tests import services
from tests.conftest import SessionDir, write_spec
from tests.conftest import test_env as cli_env
from tests.tui.support import create, step_until
from tui.format import num
from tui.report import write_report
from tui.report.document import Chart, Heading, Para, Table, blocks, texts
from tui.report.render import CSP, to_html, to_markdown

# One build of the session serves the module: its tests run on one xdist worker.
pytestmark = pytest.mark.xdist_group("report")

# At 4 epochs the ranking of 2 epochs is turned upside down; the edges of x fail at 4.
INVERTED = """
def inverted(config, fidelity, reporter):
    x = config["x"]
    if fidelity.steps >= 4 and (x < 0.04 or x > 0.96):
        raise RuntimeError("diverged at the edge")
    sign = 1.0 if fidelity.steps < 4 else -1.0
    value = 0.0
    for step in range(1, fidelity.steps + 1):
        value = sign * (x - 0.3) ** 2 + 0.01 * (fidelity.steps - step)
        reporter.report(value, step)
    reporter.set_attr("test_f1", round(1.0 - abs(value), 4))
    return value
"""
SPRINTS = [
    {"name": "scout", "trials": 20, "epochs": 2, "pruner": "hyperband"},
    {"name": "fine", "trials": 10, "epochs": 4},
    {"name": "last", "trials": 30, "epochs": 4},
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(session dir, the proposals' budgets as proposed) of the session described above."""
    path = tmp_path_factory.mktemp("report")
    write_spec(path, "t", "inverted", SPRINTS)
    (path / "objs.py").write_text((path / "objs.py").read_text() + INVERTED)
    sys.modules.pop("objs", None)
    sd = SessionDir(path, "t")
    session = create(sd)
    step_until(sd, session, lambda: session.refresh().state == "awaiting")
    first = session.open_proposal()
    assert first is not None
    session.decide(
        Action.EDITED,
        plan=first.plan.with_changes(budget=first.plan.budget + 2),
        operator="ana",
        note="two more trials: the scout was noisy",
    )
    step_until(sd, session, lambda: session.refresh().state == "awaiting")
    session.decide(Action.REJECTED, operator="ben", note="the gate failed: keep the space")
    reader = SessionReader.open_readonly("t", sd.url)
    # The third sprint is left running, with one trial done.
    step_until(
        sd,
        session,
        lambda: any(r.sprint == 3 and r.state == "complete" for r in trial_rows(reader)),
    )
    session.store.close()
    sys.modules.pop("objs", None)
    return sd, first.plan.budget


@pytest.fixture
def report(built):
    sd, _ = built
    return campaign(SessionReader.open_readonly(sd.name, sd.url))


def test_the_campaign_is_read_in_order_with_every_decision(built, report):
    sd, proposed = built
    assert report.running and str(report.state) == "running"
    assert [(s.number, s.name, str(s.state)) for s in report.sprints] == [
        (1, "scout", "closed"),
        (2, "fine", "closed"),
        (3, "last", "running"),
    ]
    # The edited decision: who, the note, and the one edit, measured against the proposal.
    first, second = report.proposals
    assert first.decision is not None and first.decision.action == "edited"
    assert first.decision.operator == "ana"
    assert first.decision.note == "two more trials: the scout was noisy"
    assert first.decision.edits == (f"trials    {proposed} -> {proposed + 2}",)
    assert report.sprints[1].budget == proposed + 2
    # The rejected one, after a gate that failed on the inverted ranking.
    assert second.decision is not None and second.decision.action == "rejected"
    assert second.decision.operator == "ben" and second.decision.edits == ()
    gate = second.gate
    assert gate is not None and gate.evidence.passed is False
    assert len(gate.pairs) == gate.evidence.pairs >= 4
    assert gate.evidence.spearman is not None and gate.evidence.spearman < 0
    # Ranks of the pairs: a permutation-with-ties of 1..n at each fidelity, inverted here.
    assert sorted(a for a, _ in gate.ranks)[0] == 1
    assert (
        sum(
            (a - (len(gate.ranks) + 1) / 2) * (b - (len(gate.ranks) + 1) / 2) for a, b in gate.ranks
        )
        < 0
    )


def test_each_sprint_says_its_trials_space_and_best(built, report):
    sd, _ = built
    reader = SessionReader.open_readonly(sd.name, sd.url)
    rows = trial_rows(reader)
    for s in report.sprints:
        mine = [r for r in rows if r.sprint == s.number]
        assert sum(s.counts.values()) == len(mine)
        done = [r for r in mine if r.state == "complete"]
        if done:
            assert s.best is not None and s.best.value == min(r.value for r in done)
        assert [r.name for r in s.space] == ["x"]
        assert s.space[0].spec == "[0, 1]"
    assert report.sprints[0].counts.get("pruned", 0) > 0  # hyperband at 2 epochs
    failed = sum(s.counts.get("failed", 0) for s in report.sprints)
    assert failed == sum(r.state == "failed" for r in rows) > 0
    # The scout's curves: its best trials, each step it reported.
    assert report.sprints[0].curves and all(k.steps == (1, 2) for k in report.sprints[0].curves)
    # The cost axis: every finished trial once, the sprint's best only ever improving.
    assert len(report.cost) == sum(r.state in ("complete", "pruned", "failed") for r in rows)
    for s in report.sprints:
        bests = [p.best for p in report.cost if p.sprint == s.number and p.best is not None]
        assert bests == sorted(bests, reverse=True)


def test_the_recommendation_is_the_best_at_the_highest_fidelity(built, report):
    sd, _ = built
    rows = trial_rows(SessionReader.open_readonly(sd.name, sd.url))
    at_four = [r for r in rows if r.sprint in (2, 3) and r.state == "complete"]
    best = min(at_four, key=lambda r: r.value)
    rec = report.recommendation
    assert rec is not None and (rec.sprint, rec.trial, rec.value) == (
        best.sprint,
        best.number,
        best.value,
    )
    assert rec.fidelity == "epochs=4" and rec.params == best.params
    assert rec.frozen_toml.splitlines()[0] == "[space.frozen]"
    import tomllib

    assert tomllib.loads(rec.frozen_toml)["space"]["frozen"] == best.params
    assert report.attrs and all("test_f1" in a for _, _, a in report.attrs)


def test_the_document_tells_the_story_in_order(report):
    bs = blocks(report)
    heads = [b.text for b in bs if isinstance(b, Heading)]
    assert heads == [
        "Campaign report: t",
        "The spec and the plan",
        "The campaign at a glance",
        "Sprint 1: scout",
        "Proposal after sprint 1",
        "Sprint 2: fine",
        "Proposal after sprint 2",
        "Sprint 3: last",
        "Recommendation",
    ]
    said = "\n".join(texts(bs))
    assert "still running" in said and "snapshot" in said
    assert "Decision: edited by ana" in said and "two more trials: the scout was noisy" in said
    assert "Decision: rejected by ben" in said
    assert "Fidelity gate: failed" in said
    assert 'objective = "objs:inverted"' in said  # the spec, as written
    charts = [b.name for b in bs if isinstance(b, Chart)]
    assert charts[0] == "progress" and "gate-2" in charts and "curves-1" in charts
    assert all(b.svg.startswith("<svg") for b in bs if isinstance(b, Chart))
    # The workload's attributes on the best trials at the highest fidelity.
    attrs = [b for b in bs if isinstance(b, Table) and b.rows and b.rows[0][0] == "test_f1"]
    assert len(attrs) == 1 and attrs[0].header[0] == "trial"
    assert attrs[0].header[1:] == tuple(f"#{n} ({num(v)})" for n, v, _ in report.attrs)
    assert [b for b in bs if isinstance(b, Para) and b.kind == "lead"]


class _Refs(html.parser.HTMLParser):
    """Every URL the page would load or link to, and the ids of its figures."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.figures: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("src", "href", "xlink:href", "data", "action"):
            if a.get(key) and not a[key].startswith("#"):
                self.urls.append(a[key])
        if tag == "figure":
            self.figures.append(a.get("id", ""))


def test_the_html_is_one_file_that_fetches_nothing(report, tmp_path):
    bs = blocks(report)
    page = to_html("t", bs)
    refs = _Refs()
    refs.feed(page)
    assert refs.urls == []
    assert f'content="{CSP}"' in page and "<script" not in page
    assert refs.figures == [f"chart-{b.name}" for b in bs if isinstance(b, Chart)]
    # Text from the spec and the operator is escaped, never markup.
    assert "<p>&lt;b&gt;x&lt;/b&gt; &amp; y</p>" in to_html("t", [Para("<b>x</b> & y")])


def test_markdown_has_its_charts_beside_it(report, tmp_path):
    path = tmp_path / "out" / "t.md"
    path.parent.mkdir()
    written = write_report(report, path, "md")
    assert written[0] == path and len(written) > 1
    text = path.read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert links and sorted(links) == sorted(str(p.relative_to(path.parent)) for p in written[1:])
    for p in written[1:]:
        assert p.read_text().startswith("<svg") and oct(p.stat().st_mode & 0o777) == "0o600"
    assert "## Proposal after sprint 1" in text.replace("### ", "## ")
    # A table survives a pipe in a cell.
    md, _ = to_markdown([Table(("a",), (("x|y",),))], "i")
    assert "x\\|y" in md


def test_report_command_writes_the_file_and_refuses_an_unknown_session(built, tmp_path):
    sd, _ = built
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "tui.cli",
            "report",
            "t",
            "--storage",
            sd.url,
            "-o",
            str(tmp_path / "r.html"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=cli_env(),
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("wrote the report of t to ")
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    bad = subprocess.run(
        [sys.executable, "-m", "tui.cli", "report", "nope", "--storage", sd.url],
        capture_output=True,
        text=True,
        timeout=120,
        env=cli_env(),
        cwd=tmp_path,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("error: ")


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@services.needs(CHROMIUM, "Chromium", "apt-get install chromium (.ci/run installs it)")
def test_a_real_browser_draws_the_report(report, tmp_path):
    page = tmp_path / "report.html"
    write_report(report, page, "html")
    shot = tmp_path / "shot.png"
    base = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
    ]
    env = {**os.environ, "HOME": str(tmp_path)}
    drawn = subprocess.run(
        [*base, f"--screenshot={shot}", "--window-size=1200,2400", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    dom = subprocess.run(
        [*base, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, env=env
    )
    console = [line for line in (drawn.stderr + dom.stderr).splitlines() if ":CONSOLE" in line]
    assert console == [], console  # a fetch the page's policy blocked would show here
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    ink = sum(n for n, rgb in colours if sum(rgb) < 600)
    assert len(colours) > 50 and ink > 0.01 * image.width * image.height
    # Every chart is in the page as the browser built it, each an SVG with marks in it.
    names = [b.name for b in blocks(report) if isinstance(b, Chart)]
    figures = re.findall(r'<figure class="chart" id="chart-([^"]+)"><svg', dom.stdout)
    assert figures == names
    assert dom.stdout.count("<path") > 50


def test_report_dash_writes_the_html_to_standard_output_and_no_file(
    built, tmp_path, capsys, monkeypatch
):
    from tui.cli import main

    sd, _ = built
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["report", "t", "--storage", sd.url, "-o", "-"]) == 0
    assert capsys.readouterr().out.startswith("<!DOCTYPE html>")
    assert not (tmp_path / "-").exists()
    # Markdown needs a folder for its charts: a clear refusal, nothing written.
    assert main(["report", "t", "--storage", sd.url, "--format", "md", "-o", "-"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: a Markdown report") and not (tmp_path / "-").exists()
