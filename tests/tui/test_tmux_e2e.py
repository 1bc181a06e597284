"""End to end in a real terminal (tmux, 80×24): run without auto-approve, wait for the proposal,
approve it with keys, and watch the next sprint run; quitting leaves the session as it is."""

from __future__ import annotations

import sys

from engine.session import Session
from tests.tui.tmux import Tmux, needs_tmux

pytestmark = needs_tmux


def test_edit_the_fidelity_and_approve_in_a_real_terminal(session_dir):
    sd = session_dir(sprints=[{"name": "a", "trials": 4}, {"name": "b", "trials": 3, "epochs": 2}])
    term = Tmux(f"{sys.executable} -m tui.cli run spec.toml --workers 1", sd.path)
    try:
        # The footer recomposes a frame after the header: wait for both, not the header alone.
        screen = term.wait_until(
            lambda s: "PROPOSAL WAITING" in s and "p Proposal" in s,
            "the waiting proposal and its key never showed together",
        )
        assert "sprint 1/2 a" in screen
        term.keys("p")
        term.wait_for("Proposal after sprint 1")
        term.wait_for("a Accept")  # the keys show once the proposal has loaded
        term.keys("F")
        term.wait_for("epochs AMOUNT [train=F valid=F]:")  # the prompt's label, shown as text
        term.keys("C-u", "3", "Enter")
        term.wait_for("epochs=3 ✎")
        term.keys("a")
        screen = term.confirm("Accept the proposal after sprint 1 with your edits?")
        assert "fidelity  epochs=2 -> epochs=3" in screen
        screen = term.wait_for("SESSION FINISHED")  # sprint 2 ran its 3 trials
        assert "sprint 2/2 b [epochs=3]" in screen and "done 3/3" in screen
        term.keys("q")
        term.wait_for("the workers of t keep running")
    finally:
        term.close()
        sd.cli("stop", "t")
    session = Session.open("t", sd.url)
    [decision] = session.decisions()
    assert decision.action == "edited" and not decision.operator.startswith("auto-approve")
    assert decision.applied.fidelity.amount == 3
    assert [s.state for s in session.sprints()] == ["closed", "closed"]
