"""The cross-sprint view's data on hand-built sprints and trials; no database anywhere."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from optuna.trial import FrozenTrial, TrialState, create_trial

from engine.attrs import CARRIED
from engine.proposal import GateEvidence
from engine.read.cross_sprint import BestMove, FidelityBest, SpaceRow, cross_sprint
from engine.records import SprintRecord
from engine.space import Space
from engine.spec import Spec, spec_from_dict
from engine.sprint import planned_sprint
from engine.states import SprintState

SPACE = {
    "lr": {"type": "float", "low": 1e-5, "high": 1e-1, "log": True},
    "opt": {"type": "categorical", "choices": ["adam", "sgd", "rmsprop"]},
    "x": {"type": "float", "low": 0.0, "high": 1.0},
}
T0 = datetime(2026, 1, 1, 12, 0, 0)


def make_spec(direction: str = "minimize") -> Spec:
    return spec_from_dict(
        {
            "session": {"name": "t", "direction": direction, "objective": "m:f"},
            "space": SPACE,
            "fidelity": {"resource": "epochs", "max": 9},
            "sprints": [
                {"name": "scout", "trials": 8, "fidelity": {"epochs": 1}},
                {"name": "fine", "trials": 6, "fidelity": {"epochs": 3}},
                {"name": "again", "trials": 6, "fidelity": {"epochs": 3}},
            ],
        }
    )


def sprint(
    spec: Spec, number: int, space: Space | None = None, state: str = "closed"
) -> SprintRecord:
    plan = planned_sprint(spec, number - 1, space)
    return SprintRecord(
        number, 1, number, f"t:{number}:{plan.name}", plan, SprintState(state), T0, None
    )


def trials(
    space: Space, rows: list[tuple[dict[str, Any], float | None]], carried: bool = False
) -> list[FrozenTrial]:
    dists = space.to_optuna()
    out = []
    for i, (params, value) in enumerate(rows):
        t = create_trial(
            state=TrialState.COMPLETE if value is not None else TrialState.FAIL,
            params=params,
            distributions={n: dists[n] for n in params},
            value=value,
            user_attrs={CARRIED: True} if carried else {},
        )
        t.number = i
        out.append(t)
    return out


def cfg(lr: float, opt: str, x: float) -> dict[str, Any]:
    return {"lr": lr, "opt": opt, "x": x}


SCOUT = [
    (cfg(1e-3, "adam", 0.1), 0.10),
    (cfg(1e-2, "sgd", 0.2), 0.20),
    (cfg(1e-4, "adam", 0.3), 0.30),
    (cfg(3e-3, "rmsprop", 0.4), 0.40),
    (cfg(8e-3, "sgd", 0.5), 0.50),
]


def test_an_empty_session_has_nothing_to_show():
    spec = make_spec()
    view = cross_sprint(spec.to_space(), [], {}, False, 0.5)
    assert view.sprints == () and view.gates == () and view.bests == () and view.moves == ()
    # The spec's space still lists every parameter, with no sprint beside it.
    assert [r.name for r in view.spaces] == ["lr", "opt", "x"]
    assert view.spaces[0] == SpaceRow("lr", "[1e-05, 0.1] log", (), ())
    assert view.spaces[1].spec == "{adam, sgd, rmsprop}"


def test_one_sprint_has_its_best_and_no_gate():
    spec = make_spec()
    space = spec.to_space()
    view = cross_sprint(space, [(sprint(spec, 1), trials(space, SCOUT))], {}, False, 0.5)
    assert [(s.number, s.name, s.fidelity, s.completed) for s in view.sprints] == [
        (1, "scout", "epochs=1", 5)
    ]
    assert view.gates == ()
    assert view.bests == (FidelityBest("epochs=1", (1,), 0.10, 1, 0, cfg(1e-3, "adam", 0.1)),)
    assert view.moves == (
        BestMove(1, "scout", "epochs=1", 0, 0.10, False, cfg(1e-3, "adam", 0.1), ()),
    )


def _three(spec: Spec, fine_values: list[float], third: str = "running", n: int = 4):
    """scout (epochs=1), then fine and again (epochs=3) over a cut space: log range narrowed,
    a choice dropped, x frozen; fine re-runs four of scout's configurations."""
    original = spec.to_space()
    cut = original.with_bounds("lr", 1e-4, 1e-2).with_choices("opt", ["adam", "sgd"])
    cut = cut.freeze("x", 0.25)
    # scout's rmsprop configuration cannot be carried into a space without rmsprop.
    kept = [{k: v for k, v in p.items() if k != "x"} for p, _ in SCOUT[:n] if p["opt"] != "rmsprop"]
    carried: list[tuple[dict[str, Any], float | None]] = list(zip(kept, fine_values, strict=True))
    fine = trials(cut, carried, carried=True)
    fine += trials(cut, [({"lr": 5e-3, "opt": "sgd"}, 0.35)])
    fine[-1].number = len(fine) - 1
    again = trials(cut, [({"lr": 2e-3, "opt": "adam"}, 0.33)])
    return [
        (sprint(spec, 1), trials(original, SCOUT)),
        (sprint(spec, 2, cut), fine),
        (sprint(spec, 3, cut, third), again),
    ], original


def test_a_stored_gate_that_passed_shows_its_pairs_ranks_and_verdict():
    spec = make_spec()
    sprints, original = _three(spec, [0.31, 0.42, 0.53])
    stored = GateEvidence(pairs=3, spearman=1.0, threshold=0.5, passed=True, reason="alike")
    view = cross_sprint(original, sprints, {2: stored}, False, 0.5)
    (gate,) = view.gates  # sprint 3 re-ran nothing of sprint 2: no gate to show
    assert (gate.low_sprint, gate.high_sprint) == (1, 2)
    assert (gate.low, gate.high) == ("epochs=1", "epochs=3")
    assert gate.evidence is stored and gate.judged
    # scout's trial 0/1/2 (x frozen away) matched on lr and opt: values side by side.
    assert gate.pairs == ((0.10, 0.31), (0.20, 0.42), (0.30, 0.53))
    assert gate.ranks == ((1, 1), (2, 2), (3, 3))


def test_a_stored_gate_that_failed_keeps_the_advisor_verdict():
    spec = make_spec()
    sprints, original = _three(spec, [0.53, 0.42, 0.31])
    stored = GateEvidence(pairs=3, spearman=-1.0, threshold=0.5, passed=False, reason="inverted")
    (gate,) = cross_sprint(original, sprints, {2: stored}, False, 0.5).gates
    assert gate.evidence.passed is False and gate.evidence.verdict == "FAILED"
    assert gate.ranks == ((1, 3), (2, 2), (3, 1))


def test_a_running_sprint_gate_is_computed_as_it_stands_and_says_so():
    spec = make_spec()
    sprints, original = _three(spec, [0.53, 0.42, 0.31])
    sprints[1] = (sprint(spec, 2, sprints[1][0].plan.space, "running"), sprints[1][1])
    (gate,) = cross_sprint(original, sprints, {}, False, 0.5).gates
    assert not gate.judged
    assert gate.evidence.passed is None  # three pairs: fewer than the gate judges on
    assert gate.evidence.reason.startswith("sprint 2 still runs: so far, 3 carried-over")


def test_the_best_is_kept_per_fidelity_and_never_compared_across():
    spec = make_spec()
    sprints, original = _three(spec, [0.31, 0.42, 0.53])
    view = cross_sprint(original, sprints, {}, False, 0.5)
    # scout's 0.10 at one epoch is lower than any 3-epoch value, and still not "the" best.
    assert [(b.fidelity, b.sprints, b.value, b.sprint, b.trial) for b in view.bests] == [
        ("epochs=1", (1,), 0.10, 1, 0),
        ("epochs=3", (2, 3), 0.31, 2, 0),
    ]
    assert view.bests[1].params == {"x": 0.25, "lr": 1e-3, "opt": "adam"}


def test_maximizing_picks_the_highest_per_fidelity():
    spec = make_spec("maximize")
    sprints, original = _three(spec, [0.31, 0.42, 0.53])
    view = cross_sprint(original, sprints, {}, True, 0.5)
    assert [(b.value, b.sprint) for b in view.bests] == [(0.50, 1), (0.53, 2)]


def test_each_sprint_space_is_shown_against_the_spec_categorical_and_log_alike():
    spec = make_spec()
    sprints, original = _three(spec, [0.31, 0.42, 0.53])
    rows = {r.name: r for r in cross_sprint(original, sprints, {}, False, 0.5).spaces}
    assert rows["lr"] == SpaceRow(
        "lr",
        "[1e-05, 0.1] log",
        ("[1e-05, 0.1] log", "[0.0001, 0.01] log", "[0.0001, 0.01] log"),
        ("keep", "cut", "cut"),
    )
    assert rows["opt"].ranges == ("{adam, sgd, rmsprop}", "{adam, sgd}", "{adam, sgd}")
    assert rows["opt"].actions == ("keep", "drop", "drop")
    assert rows["x"].ranges[1] == "= 0.25 (frozen)" and rows["x"].actions[1] == "freeze"


def test_the_best_configuration_moves_from_sprint_to_sprint():
    spec = make_spec()
    sprints, original = _three(spec, [0.42, 0.31, 0.53])
    moves = cross_sprint(original, sprints, {}, False, 0.5).moves
    assert [(m.sprint, m.trial, m.value, m.carried_over) for m in moves] == [
        (1, 0, 0.10, False),
        (2, 1, 0.31, True),  # scout's second-best, carried over, is the best at 3 epochs
        (3, 0, 0.33, False),
    ]
    assert moves[1].moved == ("lr 0.001 -> 0.01", "opt 'adam' -> 'sgd'", "x 0.1 -> 0.25")
    assert moves[2].moved == ("lr 0.01 -> 0.002", "opt 'sgd' -> 'adam'")


def test_a_closed_sprint_no_proposal_followed_is_judged_here_with_the_spec_threshold():
    spec = make_spec()
    sprints, original = _three(spec, [0.53, 0.42, 0.31, 0.20], "closed", n=5)
    (gate,) = cross_sprint(original, sprints, {}, False, 0.5).gates
    assert len(gate.pairs) == 4 and not gate.judged
    assert gate.evidence.spearman == -1.0 and gate.evidence.passed is False
    assert gate.evidence.reason.startswith("no proposal followed sprint 2: as computed here")
