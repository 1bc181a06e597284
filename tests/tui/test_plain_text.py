"""Text from the engine, the spec or the operator shows as typed, never parsed as markup.

A choice named ``[bold]``, a failure reason with ``[/]``, a note with ``x=[1]``: each is fed
through every screen that shows it, and the app must neither crash nor eat the brackets.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import SessionDir, write_spec
from tests.tui.support import confirm, create, run, said, step_until, type_text, until
from tui.app import create_app
from tui.screens.confirm import ConfirmScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.help import HelpScreen
from tui.screens.proposal import ProposalScreen
from tui.screens.trial import TrialScreen

TUI = Path(__file__).resolve().parents[2] / "tui"
EVIL = ("[bold]", "a]=[b", "[/]")
OBJECTIVE = f"""

def marked(config, fidelity, reporter):
    reporter.set_attr("tag", "[red]t=[/]")
    if config["x"] < 0.25:
        raise RuntimeError("[bold]boom[/] x=[1]")
    value = (config["x"] - 0.5) ** 2 + EVIL.index(config["opt"]) * 0.01
    reporter.report(value, 1)
    return value

EVIL = {list(EVIL)!r}
"""


def _session(path: Path) -> SessionDir:
    extra = f"""
[space.opt]
type = "categorical"
choices = {list(EVIL)!r}

[advisor]
top_k = 4
""".replace("'", '"')
    sprints = [{"name": "scout", "trials": 16}, {"name": "fine", "trials": 4, "epochs": 2}]
    write_spec(path, "t", "marked", sprints, extra=extra)
    with (path / "objs.py").open("a") as f:
        f.write(OBJECTIVE)
    sd = SessionDir(path, "t")
    session = create(sd)
    step_until(sd, session, lambda: session.refresh().state == "awaiting")
    session.store.close()
    return sd


def test_brackets_from_the_spec_the_objective_and_the_operator_show_as_typed(tmp_path):
    sd = _session(tmp_path)
    app = create_app(sd.name, sd.url, poll_seconds=0.2)
    notices = said(app)

    def alive() -> None:
        assert app.is_running and app.return_code is None

    async def flow() -> None:
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            await until(
                pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.dashboard
            )
            for key in ("2", "3", "v", "v", "1"):
                await pilot.press(key)
                await pilot.pause()  # until the app is idle: the key and what it drew handled
                alive()
            assert "[bold]" in app.export_screenshot()  # the trials table's opt column
            # A failed trial: its reason and attributes.
            await pilot.press("slash")
            await type_text(pilot, "state=failed")
            await pilot.press("enter", "enter")
            await until(pilot, lambda: isinstance(app.screen, TrialScreen) and app.screen.detail)
            shot = app.export_screenshot()
            assert "[bold]boom[/] x=[1]" in shot.replace("&#160;", " ")
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
            await pilot.press("slash", "escape", "p")
            await until(pilot, lambda: isinstance(app.screen, ProposalScreen) and app.screen.draft)
            review = app.screen
            await pilot.press("down", "e")  # opt's choices: the prompt's label lists them
            await until(pilot, review.prompt_open)
            label = str(review.query_one("#prompt-label").render())
            assert all(c in label for c in EVIL), label
            await pilot.press("ctrl+u")
            await type_text(pilot, "[x")  # not a choice: the refusal echoes it
            await pilot.press("enter")
            await until(pilot, lambda: any("[x" in t for t in notices))
            alive()
            await pilot.press("n", "ctrl+u")
            await type_text(pilot, "[bold]x=[/]")
            await pilot.press("enter", "a")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            assert "[bold]x=[/]" in app.export_screenshot()
            await confirm(pilot, "n")
            await pilot.press("question_mark")
            await until(pilot, lambda: isinstance(app.screen, HelpScreen))
            await pilot.press("escape")
            alive()

    run(flow)


def _calls(tree: ast.AST, names: set[str]):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = (
                f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            )
            if name in names:
                yield node


def _plain(call: ast.Call) -> bool:
    return any(
        k.arg == "markup" and isinstance(k.value, ast.Constant) and k.value.value is False
        for k in call.keywords
    )


def test_every_static_and_label_in_the_app_is_plain_text():
    """The class of the bug, not its examples: no text widget in tui/ parses markup."""
    offenders = []
    for path in sorted(TUI.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for call in _calls(tree, {"Static", "Label"}):
            if not _plain(call):
                offenders.append(f"{path.relative_to(TUI.parent)}:{call.lineno}")
        for call in _calls(tree, {"notify"}):
            if any(k.arg == "markup" for k in call.keywords) and not _plain(call):
                offenders.append(f"{path.relative_to(TUI.parent)}:{call.lineno} (notify markup)")
        for call in _calls(tree, {"DataTable"}):
            offenders.append(f"{path.relative_to(TUI.parent)}:{call.lineno} (use PlainTable)")
    assert offenders == []
