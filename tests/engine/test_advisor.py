"""The advisor on hand-built trial sets with known answers; no database anywhere."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from optuna.trial import FrozenTrial, TrialState, create_trial

from engine.advisor import ClosedSprint, Proposal, fit_carry_over, propose, volume
from engine.advisor.gate import CARRIED
from engine.advisor.propose import fresh_startup
from engine.advisor.ranking import rank_trials, tied_with_kth
from engine.proposal import EVIDENCE_VERSION, Evidence, Volume
from engine.samplers import DEFAULT_STARTUP
from engine.samplers.choice import choose_sampler, gp_dimensions
from engine.space import CategoricalParam, FloatParam, Space
from engine.spec import Spec, spec_from_dict
from engine.sprint import planned_sprint
from tui.proposal_text import plan_diff, render_proposal

X = {"type": "float", "low": 0.0, "high": 10.0}


def make_spec(
    space: dict[str, Any],
    advisor: dict[str, Any] | None = None,
    direction: str = "minimize",
    sprints: list[dict[str, Any]] | None = None,
    max_fidelity: float = 9,
) -> Spec:
    return spec_from_dict(
        {
            "session": {"name": "t", "direction": direction, "objective": "m:f"},
            "space": space,
            "fidelity": {"resource": "epochs", "max": max_fidelity},
            "sprints": sprints
            or [
                {"name": "scout", "trials": 40, "fidelity": {"epochs": 1}},
                {"name": "warmup", "trials": 20, "fidelity": {"epochs": 3}},
                {"name": "full", "trials": 20, "fidelity": {"epochs": 9}},
            ],
            # margin 0.1: the cuts below are worked out by hand at that margin
            "advisor": {"freeze_threshold": 0.0, "bootstrap": 50, "margin": 0.1, **(advisor or {})},
        }
    )


def make_trials(
    space: Space,
    rows: list[tuple[dict[str, Any], float]],
    start: int = 0,
    carried: bool = False,
) -> list[FrozenTrial]:
    dists = space.to_optuna()
    out = []
    for i, (params, value) in enumerate(rows):
        t = create_trial(
            params=params,
            distributions={n: dists[n] for n in params},
            value=value,
            user_attrs={CARRIED: True} if carried else {},
        )
        t.number = start + i
        out.append(t)
    return out


def pruned(space: Space, params: dict[str, Any], step: int, value: float, number: int):
    dists = space.to_optuna()
    t = create_trial(
        state=TrialState.PRUNED,
        params=params,
        distributions={n: dists[n] for n in params},
        intermediate_values={s: value for s in range(1, step + 1)},
    )
    t.number = number
    return t


def first(spec: Spec, trials: list[FrozenTrial], space: Space | None = None) -> ClosedSprint:
    return ClosedSprint(1, planned_sprint(spec, 0, space=space), trials)


def grid_trials(spec: Spec, f, space: Space | None = None) -> list[FrozenTrial]:
    """x on a 0.25 grid over [0, 10], scored by ``f``."""
    space = space or spec.to_space()
    xs = [x for x in (i * 0.25 for i in range(41)) if space["x"].contains(x)]
    return make_trials(space, [({"x": x}, f(x)) for x in xs])


def params_of(p: Proposal) -> dict[str, dict[str, Any]]:
    return p.evidence.to_json()["params"]


# -- numeric cuts ------------------------------------------------------------------------
def test_the_range_is_the_top_k_span_plus_a_margin_of_the_range():
    spec = make_spec({"x": X}, {"top_k": 10, "margin": 0.1})
    p = propose(spec, [], first(spec, grid_trials(spec, lambda x: abs(x - 5.1))))
    assert p is not None
    x = p.plan.space["x"]
    # The ten x nearest 5.1 span [4.0, 6.25]; 10% of the range is 1.0 on each side.
    assert (x.low, x.high) == pytest.approx((3.0, 7.25))
    assert params_of(p)["x"]["action"] == "cut"
    assert params_of(p)["x"]["top_k_span"] == pytest.approx([4.0, 6.25])
    assert p.evidence.to_json()["kept"] == {"trials": 18, "of": 41, "top_k": 10, "of_top_k": 10}
    assert p.evidence.to_json()["volume_ratio"] == pytest.approx(0.425)


def test_a_log_parameter_gets_its_margin_in_log_space():
    spec = make_spec({"lr": {"type": "float", "low": 1e-5, "high": 1e-1, "log": True}})
    lrs = [10 ** (-5 + i / 10) for i in range(1, 40)]
    rows = [({"lr": v}, abs(math.log10(v) + 3.46)) for v in lrs]
    p = propose(spec, [], first(spec, make_trials(spec.to_space(), rows)))
    lr = p.plan.space["lr"]
    # The ten nearest 10^-3.46 span 10^-3.9 .. 10^-3; the margin is 0.4 decades each side.
    assert lr.log
    assert math.log10(lr.low) == pytest.approx(-4.3)
    assert math.log10(lr.high) == pytest.approx(-2.6)


def test_best_trials_crowding_an_edge_widen_it_toward_the_spec_bound():
    spec = make_spec({"x": X}, {"widen": 0.5})
    narrowed = spec.to_space().with_bounds("x", 2.0, 6.0)
    rows = [({"x": 2.0 + i * 0.1}, 2.0 + i * 0.1) for i in range(41)]  # best at the low edge
    p = propose(spec, [], first(spec, make_trials(narrowed, rows), narrowed))
    x, entry = p.plan.space["x"], params_of(p)["x"]
    assert x.low == 0.0  # 2.0 - 0.5 x the range 4.0, which reaches the spec's 0.0
    assert x.high == pytest.approx(2.9 + 0.4)
    assert entry["widened"] == ["low"]
    assert "crowd the low edge" in entry["reason"]


def test_best_trials_at_the_spec_bound_keep_that_edge_and_say_so():
    spec = make_spec({"x": X})
    p = propose(spec, [], first(spec, grid_trials(spec, lambda x: x)))
    x, entry = p.plan.space["x"], params_of(p)["x"]
    assert (x.low, x.high) == pytest.approx((0.0, 3.25))
    assert entry["at_spec_bound"] == ["low"]
    assert "cannot widen past the spec" in entry["reason"]


def test_int_ranges_snap_outward_onto_their_step_grid():
    spec = make_spec({"n": {"type": "int", "low": 0, "high": 100, "step": 5}}, {"top_k": 3})
    rows = [({"n": n}, abs(n - 25) + n / 1000) for n in range(0, 101, 5)]
    p = propose(spec, [], first(spec, make_trials(spec.to_space(), rows)))
    n = p.plan.space["n"]
    # Top three 25, 20, 30; a margin of 7 gives [13, 37], which snaps out to [10, 40].
    assert (n.low, n.high) == (10, 40)
    assert isinstance(n.low, int)


def test_a_range_that_shrinks_to_one_value_is_frozen_there():
    spec = make_spec({"x": X, "y": X}, {"margin": 0.0, "top_k": 3})
    rows = [({"x": 5.0, "y": float(i)}, float(i)) for i in range(3)]
    rows += [({"x": float(i), "y": float(i)}, 10.0 + i) for i in range(10)]
    p = propose(spec, [], first(spec, make_trials(spec.to_space(), rows)))
    assert p.plan.space.frozen_values == {"x": 5.0}
    assert "one value" in params_of(p)["x"]["reason"]


# -- categorical, freezing, never empty --------------------------------------------------
def test_choices_never_in_the_top_k_are_dropped_with_their_record():
    spec = make_spec(
        {"x": X, "opt": {"type": "categorical", "choices": ["adam", "sgd", "rmsprop", "lamb"]}}
    )
    penalty = {"adam": 0.0, "sgd": 0.05, "rmsprop": 5.0}
    rows = [
        ({"x": (i * 0.37) % 10, "opt": o}, abs((i * 0.37) % 10 - 5) + penalty[o])
        for i in range(30)
        for o in [("adam", "sgd", "rmsprop")[i % 3]]
    ]
    p = propose(spec, [], first(spec, make_trials(spec.to_space(), rows)))
    opt = p.plan.space["opt"]
    assert opt.choices == ("adam", "sgd", "lamb")  # lamb was never tried: no evidence to drop
    stats = {s["choice"]: s for s in params_of(p)["opt"]["choices"]}
    assert stats["rmsprop"]["count"] == 10 and stats["rmsprop"]["top_k"] == 0
    assert stats["rmsprop"]["best"] == pytest.approx(
        min(v for (q, v) in rows if q["opt"] == "rmsprop")
    )
    assert stats["lamb"]["count"] == 0
    assert params_of(p)["opt"]["action"] == "drop"


@pytest.mark.parametrize("method", ["fanova", "ped_anova"])
def test_an_unimportant_parameter_is_frozen_at_the_best_trials_value(method):
    spec = make_spec({"x": X, "y": X}, {"freeze_threshold": 0.05, "importance": method, "top_k": 8})
    rng = np.random.default_rng(0)
    rows = [
        ({"x": float(x), "y": float(y)}, (x - 5) ** 2) for x, y in rng.uniform(0, 10, size=(60, 2))
    ]
    p = propose(spec, [], first(spec, make_trials(spec.to_space(), rows)))
    best = min(rows, key=lambda r: r[1])[0]
    assert p.plan.space.frozen_values == {"y": best["y"]}
    assert p.plan.space.names == ("x",)
    imp = p.evidence.to_json()["importance"]
    assert imp["method"] == method and imp["values"]["x"] > 0.5 > imp["values"]["y"]
    assert params_of(p)["y"]["action"] == "freeze"
    assert "importance" in params_of(p)["y"]["reason"]
    # The volume figure says a dimension left: alone, x's ratio would overstate what is kept.
    assert (p.evidence.volume_frozen, p.evidence.volume_of) == (1, 2)
    assert "over the 1 parameter still searched (1 of 2 frozen)" in p.evidence.summary


def test_too_few_trials_freeze_nothing_and_say_why():
    spec = make_spec({"x": X, "y": X}, {"freeze_threshold": 0.5, "top_k": 3})
    rows = [({"x": i * 1.0, "y": 5.0}, abs(i - 4.0)) for i in range(8)]
    p = propose(spec, [], first(spec, make_trials(spec.to_space(), rows)))
    assert p.plan.space.frozen == ()
    assert p.evidence.to_json()["importance"]["values"] is None
    assert "fewer than" in p.evidence.to_json()["importance"]["reason"]


def test_freezing_never_empties_the_space():
    spec = make_spec({"x": X, "y": X}, {"freeze_threshold": 1.0, "top_k": 5})
    rng = np.random.default_rng(1)
    rows = [({"x": float(a), "y": float(b)}, float(a)) for a, b in rng.uniform(0, 10, (30, 2))]
    p = propose(spec, [], first(spec, make_trials(spec.to_space(), rows)))
    assert p.plan.space.names == ("x",)  # the most important one stays searched
    assert "y" in p.plan.space.frozen_values


def test_a_lone_parameter_whose_top_k_share_one_choice_stays_searched():
    spec = make_spec({"opt": {"type": "categorical", "choices": ["a", "b"]}}, {"top_k": 2})
    rows = [({"opt": "a"}, 0.0), ({"opt": "a"}, 0.1), ({"opt": "b"}, 1.0), ({"opt": "b"}, 2.0)]
    p = propose(spec, [], first(spec, make_trials(spec.to_space(), rows)))
    assert p.plan.space.names == ("opt",)
    assert "nothing" in params_of(p)["opt"]["reason"]


def test_too_few_ranked_trials_cut_nothing():
    spec = make_spec({"x": X}, {"top_k": 10})
    rows = [({"x": float(i)}, float(i)) for i in range(10)]
    p = propose(spec, [], first(spec, make_trials(spec.to_space(), rows)))
    assert p.plan.space == spec.to_space()
    assert any("too few" in n for n in p.evidence.to_json()["notes"])


def test_top_quantile_caps_k_on_a_small_sprint():
    spec = make_spec({"x": X}, {"top_k": 10, "top_quantile": 0.1})
    p = propose(spec, [], first(spec, grid_trials(spec, lambda x: abs(x - 5.1))))
    assert p.evidence.to_json()["top_k"]["k"] == 5  # ceil(0.1 x 41)


# -- ranking and pruned trials ----------------------------------------------------------
def test_pruned_trials_rank_after_completed_ones_deepest_first():
    space = Space((FloatParam("x", 0.0, 1.0),))
    done = make_trials(space, [({"x": 0.5}, 3.0), ({"x": 0.6}, 2.0)])
    shallow = pruned(space, {"x": 0.1}, step=1, value=0.0, number=10)
    deep_bad = pruned(space, {"x": 0.2}, step=3, value=9.0, number=11)
    deep_good = pruned(space, {"x": 0.3}, step=3, value=1.0, number=12)
    order = rank_trials([shallow, deep_bad, *done, deep_good], maximize=False)
    assert [t.number for t in order] == [1, 0, 12, 11, 10]


def test_a_maximised_objective_ranks_high_values_first():
    spec = make_spec({"x": X}, direction="maximize")
    p = propose(spec, [], first(spec, grid_trials(spec, lambda x: -abs(x - 5.1))))
    assert p.evidence.to_json()["best"]["params"] == {"x": 5.0}
    assert (p.plan.space["x"].low, p.plan.space["x"].high) == pytest.approx((3.0, 7.25))


# -- fidelity, the plan, carry-over ------------------------------------------------------
def test_the_next_planned_sprint_sets_fidelity_and_budget():
    spec = make_spec({"x": X}, {"probes_outside": 4})
    p = propose(spec, [], first(spec, grid_trials(spec, lambda x: x)))
    # The planned 20 trials, and the probes outside the cut for the gate after the warm-up.
    assert p.evidence.carry_over is not None and p.evidence.carry_over.outside == 4
    assert p.plan.name == "warmup" and p.plan.fidelity.amount == 3 and p.plan.budget == 20 + 4
    assert p.evidence.to_json()["next"]["fidelity_old"] == "epochs=1"


def test_the_session_ends_when_the_plan_runs_out():
    spec = make_spec({"x": X})
    closed = ClosedSprint(3, planned_sprint(spec, 2), grid_trials(spec, lambda x: x))
    assert propose(spec, [], closed) is None


def test_extra_sprints_step_the_fidelity_up_to_the_max():
    spec = make_spec(
        {"x": X}, {"extra_sprints": 2, "fidelity_step": 2.0, "probes_outside": 4}, max_fidelity=30
    )
    closed = ClosedSprint(3, planned_sprint(spec, 2), grid_trials(spec, lambda x: x))
    p = propose(spec, [], closed)
    # 20 trials and 4 probes outside the cut: another extra sprint follows, whose gate reads them
    assert (p.plan.name, p.plan.fidelity.amount, p.plan.budget) == ("extra-1", 18, 24)
    again = ClosedSprint(4, p.plan, grid_trials(spec, lambda x: x, p.plan.space))
    q = propose(spec, [], again)
    assert q.plan.fidelity.amount == 30 and "capped" in q.evidence.to_json()["next"]["reason"]
    assert q.plan.budget == 20  # the last sprint: no gate after it, so no probes outside
    assert propose(spec, [], ClosedSprint(5, q.plan, again.trials)) is None


def test_carry_over_is_the_best_inside_the_new_space_then_spread_probes():
    spec = make_spec({"x": X}, {"carry_over": 3, "probes": 2, "probes_outside": 0})
    p = propose(spec, [], first(spec, grid_trials(spec, lambda x: abs(x - 5.1))))
    xs = [c["x"] for c in p.carry_over]
    assert xs[:3] == [5.0, 5.25, 4.75]
    assert len(xs) == 5 and all(p.plan.space.contains(c) for c in p.carry_over)
    assert xs[-1] in (3.0, 7.25)  # the last probe is the worst trial the new space keeps
    assert p.evidence.to_json()["carry_over"] == {"count": 5, "best": 3, "probes": 2, "outside": 0}


def test_probes_outside_the_cut_come_last_spread_down_to_the_worst_as_extra_trials():
    spec = make_spec({"x": X}, {"carry_over": 3, "probes": 2, "probes_outside": 3})
    p = propose(spec, [], first(spec, grid_trials(spec, lambda x: abs(x - 5.1))))
    space = p.plan.space
    inside, outside = p.carry_over[:5], p.carry_over[5:]
    assert all(space.contains(c) for c in inside)
    assert len(outside) == 3 and not any(space.contains(c) for c in outside)
    assert outside[-1] == {"x": 0.0}  # the scout's worst trial, far outside the kept range
    assert len({c["x"] for c in p.carry_over}) == 8  # no configuration twice
    assert p.plan.budget == 20 + 3
    assert p.evidence.to_json()["carry_over"] == {"count": 8, "best": 3, "probes": 5, "outside": 3}
    assert any(
        "3 probe(s) outside the new ranges run as extra trials" in n for n in p.evidence.notes
    )
    text = render_proposal(p, planned_sprint(spec, 0), 1)
    assert (
        "Carry over 8, re-evaluated first (the last 5: probes at spread ranks, the last 3 " in text
    )


def test_probes_outside_are_off_unless_the_spec_asks():
    spec = make_spec({"x": X})
    p = propose(spec, [], first(spec, grid_trials(spec, lambda x: abs(x - 5.1))))
    assert p.plan.budget == 20 and all(p.plan.space.contains(c) for c in p.carry_over)
    assert p.evidence.carry_over is not None and p.evidence.carry_over.outside == 0


def test_no_probes_outside_for_the_last_sprint_whose_gate_nothing_would_read():
    spec = make_spec({"x": X}, {"probes_outside": 4})
    closed = ClosedSprint(2, planned_sprint(spec, 1), grid_trials(spec, lambda x: abs(x - 5.1)))
    p = propose(spec, [], closed)
    assert p.plan.name == "full" and p.plan.budget == 20
    assert all(p.plan.space.contains(c) for c in p.carry_over)
    assert p.evidence.carry_over is not None and p.evidence.carry_over.outside == 0


def test_a_probe_outside_needs_a_choice_the_next_space_keeps():
    spec = make_spec(
        {"x": X, "c": {"type": "categorical", "choices": ["a", "b", "z"]}},
        {"top_k": 8, "probes_outside": 6},
    )
    space = spec.to_space()
    rows = [
        ({"x": i * 0.25, "c": "abz"[i % 3]}, abs(i * 0.25 - 5.1) + (9.0 if i % 3 == 2 else 0.0))
        for i in range(41)
    ]
    p = propose(spec, [], first(spec, make_trials(space, rows)))
    assert p.plan.space["c"].choices == ("a", "b")  # no top trial chose z: dropped
    outside = p.carry_over[len(p.carry_over) - p.evidence.carry_over.outside :]
    assert len(outside) == 6 and all(c["c"] in ("a", "b") for c in outside)
    assert not any(p.plan.space.contains(c) for c in outside)


def test_the_next_proposal_ranks_the_searched_trials_and_the_gate_pairs_the_probes_too():
    spec = make_spec({"x": X}, {"top_k": 5})
    history, closed = _two_sprints(spec, inverted=False)
    # A probe the warm-up ran outside its range [3, 7.25], best of all at the warm-up's
    # fidelity: the gate reads it (its scout value was poor), the ranking and the cut do not.
    probe = make_trials(spec.to_space(), [({"x": 9.5}, -1.0)], start=99, carried=True)
    closed = replace(closed, trials=[*closed.trials, *probe])
    p = propose(spec, history, closed)
    ev = p.evidence
    assert ev.gate is not None and ev.gate.pairs == 7
    assert 99 not in ev.top_k.trials and ev.best is not None and ev.best.trial != 99
    assert ev.kept.of == len(closed.trials) - 1


# -- the fidelity gate -------------------------------------------------------------------
def _two_sprints(spec: Spec, inverted: bool) -> tuple[list[ClosedSprint], ClosedSprint]:
    wide = spec.to_space()
    low = [({"x": i * 0.25}, abs(i * 0.25 - 5.1)) for i in range(41)]
    s1 = ClosedSprint(1, planned_sprint(spec, 0), make_trials(wide, low))
    narrow = wide.with_bounds("x", 3.0, 7.25)
    carried = [r for r in sorted(low, key=lambda r: r[1]) if narrow.contains(r[0])][:6]
    rows = [(c, -v if inverted else v * 2) for c, v in carried]
    fresh = [({"x": 3.0 + i * 0.2}, abs(3.0 + i * 0.2 - 5.1) * 2) for i in range(20)]
    trials = make_trials(narrow, rows, carried=True) + make_trials(narrow, fresh, start=6)
    return [s1], ClosedSprint(2, planned_sprint(spec, 1, space=narrow), trials)


def test_a_good_ranking_passes_the_gate_and_cuts_go_on():
    spec = make_spec({"x": X}, {"top_k": 5})
    history, closed = _two_sprints(spec, inverted=False)
    p = propose(spec, history, closed)
    gate = p.evidence.to_json()["gate"]
    assert gate["pairs"] == 6 and gate["spearman"] == pytest.approx(1.0) and gate["passed"]
    assert p.plan.space["x"].high - p.plan.space["x"].low < 4.25


def test_an_inverted_ranking_fails_the_gate_and_widens_back():
    spec = make_spec({"x": X}, {"top_k": 5})
    history, closed = _two_sprints(spec, inverted=True)
    p = propose(spec, history, closed)
    gate = p.evidence.to_json()["gate"]
    assert gate["spearman"] == pytest.approx(-1.0) and gate["passed"] is False
    assert p.plan.space == spec.to_space()  # back to sprint 1's space, before its cut
    x = p.evidence.to_json()["params"]["x"]
    assert x["action"] == "widen"
    assert x["reason"] == "the fidelity gate failed: back to sprint 1's range"
    assert "not to be trusted" in " ".join(p.evidence.to_json()["notes"])
    assert "FAILED" in p.evidence.to_json()["summary"]


def test_an_inverted_ranking_with_keep_cuts_nothing():
    spec = make_spec({"x": X}, {"top_k": 5, "on_low_correlation": "keep"})
    history, closed = _two_sprints(spec, inverted=True)
    p = propose(spec, history, closed)
    assert p.plan.space == closed.plan.space


PRUNED_FINAL = [
    {"name": "scout", "trials": 40, "fidelity": {"epochs": 1}},
    {"name": "warmup", "trials": 20, "fidelity": {"epochs": 3}},
    {"name": "full", "trials": 20, "fidelity": {"epochs": 9}, "pruner": "hyperband"},
]


def test_a_failed_gate_makes_the_next_pruner_wait_for_the_trusted_fidelity():
    spec = make_spec({"x": X}, {"top_k": 5}, sprints=PRUNED_FINAL)
    history, closed = _two_sprints(spec, inverted=True)
    p = propose(spec, history, closed)
    assert p.plan.pruner == "hyperband" and p.plan.min_resource == 3  # warmup's 3 epochs
    assert p.evidence.to_json()["pruner"] == {
        "kind": "hyperband",
        "resource": "epochs",
        "min_resource_old": 1,
        "min_resource": 3,
        "reason": p.evidence.to_json()["pruner"]["reason"],
    }
    assert "gate failed" in p.evidence.to_json()["pruner"]["reason"]
    assert p.evidence.to_json()["summary"].endswith("fidelity gate FAILED, hyperband from epochs 3")
    assert "pruner    none -> hyperband from epochs 3" in render_proposal(p, closed.plan, 2)
    assert p.plan.make_pruner()._min_resource == 3


@pytest.mark.parametrize("inverted, advisor", [(False, {}), (True, {"raise_min_resource": False})])
def test_the_pruner_keeps_its_plan_when_the_gate_passes_or_the_spec_says_so(inverted, advisor):
    spec = make_spec({"x": X}, {"top_k": 5, **advisor}, sprints=PRUNED_FINAL)
    history, closed = _two_sprints(spec, inverted=inverted)
    p = propose(spec, history, closed)
    assert p.plan.min_resource == 1 and p.evidence.to_json()["pruner"] is None


def test_the_first_sprint_has_no_gate_verdict():
    spec = make_spec({"x": X})
    p = propose(spec, [], first(spec, grid_trials(spec, lambda x: x)))
    assert (
        p.evidence.to_json()["gate"]["passed"] is None
        and p.evidence.to_json()["gate"]["pairs"] == 0
    )


# -- re-checking what was fixed on cheaper evidence --------------------------------------
def _frozen_after_scout(recheck: bool) -> Proposal:
    spec = make_spec(
        {"x": X, "dropout": {"type": "float", "low": 0.0, "high": 0.5}},
        {"recheck_fixed": recheck, "top_k": 5},
    )
    s1 = ClosedSprint(1, planned_sprint(spec, 0), [])
    space2 = spec.to_space().freeze("dropout", 0.1)
    rows = [({"x": i * 0.25}, abs(i * 0.25 - 5.1)) for i in range(41)]
    s2 = ClosedSprint(2, planned_sprint(spec, 1, space=space2), make_trials(space2, rows))
    return propose(spec, [s1], s2)


def test_a_parameter_frozen_at_a_lower_fidelity_is_searched_again():
    p = _frozen_after_scout(recheck=True)
    d = p.plan.space["dropout"]
    assert (d.low, d.high) == (0.0, 0.5) and p.plan.space.names == ("x", "dropout")
    assert params_of(p)["dropout"]["action"] == "unfreeze"
    assert "unconfirmed" in params_of(p)["dropout"]["reason"]
    assert all(c["dropout"] == 0.1 for c in p.carry_over)  # carried with its frozen value


def test_without_recheck_the_freeze_stays_and_is_flagged():
    p = _frozen_after_scout(recheck=False)
    assert p.plan.space.frozen_values == {"dropout": 0.1}
    assert "unconfirmed" in params_of(p)["dropout"]


def test_a_choice_dropped_at_a_lower_fidelity_is_restored():
    spec = make_spec({"x": X, "act": {"type": "categorical", "choices": ["relu", "gelu", "tanh"]}})
    s1 = ClosedSprint(1, planned_sprint(spec, 0), [])
    space2 = spec.to_space().with_choices("act", ["relu", "gelu"])
    rows = [({"x": i * 0.25, "act": "relu"}, abs(i * 0.25 - 5.1)) for i in range(41)]
    s2 = ClosedSprint(2, planned_sprint(spec, 1, space=space2), make_trials(space2, rows))
    p = propose(spec, [s1], s2)
    assert p.plan.space["act"].choices == ("relu", "gelu", "tanh")


# -- evidence ----------------------------------------------------------------------------
def test_evidence_is_strict_json_and_reproducible():
    spec = make_spec({"x": X, "opt": {"type": "categorical", "choices": [1, False, "a"]}})
    rng = np.random.default_rng(3)
    rows = [
        ({"x": float(x), "opt": [1, False, "a"][i % 3]}, float(abs(x - 4) + (i % 3)))
        for i, x in enumerate(rng.uniform(0, 10, 40))
    ]
    closed = first(spec, make_trials(spec.to_space(), rows))
    p, q = propose(spec, [], closed), propose(spec, [], closed)
    text = json.dumps(p.to_store(), allow_nan=False)
    assert json.loads(text)["evidence"] == p.evidence.to_json() and p.evidence == q.evidence
    stab = p.evidence.to_json()["stability"]
    assert set(stab) == {"x", "opt", "*"} and all(0 <= v <= 1 for v in stab.values())
    assert stab["*"] <= min(stab["x"], stab["opt"])
    assert p.evidence.to_json()["top_k"]["values"] == sorted(
        p.evidence.to_json()["top_k"]["values"]
    )


def test_carry_over_fits_an_edited_or_rejected_space():
    spec = make_spec({"x": X, "y": X})
    proposed = spec.to_space().freeze("y", 2.0).with_bounds("x", 3.0, 7.0)
    configs = [{"x": 4.0}, {"x": 6.5}]
    rejected = spec.to_space()  # y searched again: carried with its proposed frozen value
    assert fit_carry_over(configs, proposed, rejected) == [
        {"x": 4.0, "y": 2.0},
        {"x": 6.5, "y": 2.0},
    ]
    edited = spec.to_space().with_bounds("x", 3.0, 5.0).freeze("y", 1.0)
    assert fit_carry_over(configs, proposed, edited) == [{"x": 4.0}]


def test_importances_leave_out_the_probes_a_sprint_ran_outside_its_space():
    # The app computes a live importance over the running sprint, probes and all.
    from engine.advisor.importance import importances

    spec = make_spec({"x": X, "y": X})
    space = spec.to_space().with_bounds("x", 0.0, 5.0)
    rows = [({"x": i * 0.2, "y": (i * 7) % 10}, i * 0.2 + (i * 7) % 10 * 0.01) for i in range(25)]
    probe = make_trials(spec.to_space(), [({"x": 9.0, "y": 1.0}, 0.0)], start=25, carried=True)
    imp = importances(make_trials(space, rows) + probe, space, False, "fanova", 10, 0.2, 0)
    assert imp.values is not None and imp.trials == 25
    assert imp.values["x"] > imp.values["y"]


def test_carry_over_keeps_the_probes_the_proposal_placed_outside_its_space():
    spec = make_spec({"x": X, "c": {"type": "categorical", "choices": ["a", "b"]}})
    proposed = spec.to_space().with_bounds("x", 3.0, 7.0)
    best, probe, gone = {"x": 6.5, "c": "a"}, {"x": 9.5, "c": "b"}, {"x": 0.5, "c": "a"}
    edited = proposed.with_bounds("x", 3.0, 5.0).with_choices("c", ["b"])  # narrowed by hand
    # The best configuration the edit left out goes; the probe outside runs where it lies,
    # but only with a choice the sprint keeps.
    assert fit_carry_over([best, probe, gone], proposed, edited) == [probe]


def test_a_sprint_whose_trials_all_failed_cuts_nothing_and_still_proposes():
    spec = make_spec({"x": X})
    failed = [create_trial(state=TrialState.FAIL) for _ in range(3)]
    p = propose(spec, [], first(spec, failed))
    assert p.plan.space == spec.to_space() and p.carry_over == []
    assert p.evidence.to_json()["best"] is None and p.evidence.to_json()["stability"] is None
    assert "no trial completed" in p.evidence.to_json()["notes"][0]
    json.dumps(p.to_store(), allow_nan=False)


# -- the proposal as text ----------------------------------------------------------------
def test_the_proposal_reads_as_a_diff_with_its_evidence():
    spec = make_spec({"x": X, "opt": {"type": "categorical", "choices": ["a", "b", "c"]}})
    rows = [
        ({"x": i * 0.25, "opt": "abc"[i % 3]}, abs(i * 0.25 - 5.1) + (9 if i % 3 == 2 else 0))
        for i in range(41)
    ]
    closed = first(spec, make_trials(spec.to_space(), rows))
    text = render_proposal(propose(spec, [], closed), closed.plan, 1)
    assert "Proposal after sprint 1 (scout, epochs=1)" in text
    assert "fidelity  epochs=1 -> epochs=3" in text
    assert "[0, 10]   -> [2.25, 7.75]  [cut]" in text
    assert "{a, b, c} -> {a, b}  [drop]" in text
    assert "c: 13 tried, 0 in the top-k, best 9.1" in text
    assert "fidelity gate: no verdict" in text
    assert "Carry over 7" in text


def test_a_bare_proposal_still_renders_and_plans_diff_line_by_line():
    spec = make_spec({"x": X})
    old = planned_sprint(spec, 0)
    new = planned_sprint(spec, 1, space=spec.to_space().with_bounds("x", 2.0, 4.0))
    text = render_proposal(Proposal(new, [], Evidence()), old, 1)
    assert "x  [0, 10] -> [2, 4]  [cut]" in text and "Carry over: nothing" in text
    assert plan_diff(old, new) == [
        "fidelity  epochs=1 -> epochs=3",
        "trials    40 -> 20",
        "x: [0, 10] -> [2, 4] (cut)",
    ]


def test_evidence_reads_back_typed_and_old_rows_read_with_defaults():
    spec = make_spec({"x": X, "opt": {"type": "categorical", "choices": ["a", "b"]}})
    rows = [({"x": float(i % 10), "opt": "ab"[i % 2]}, float(abs(i % 10 - 4))) for i in range(30)]
    p = propose(spec, [], first(spec, make_trials(spec.to_space(), rows)))
    stored = json.loads(json.dumps(p.to_store(), allow_nan=False))["evidence"]
    back = Evidence.read(stored)
    assert back == p.evidence and back.version == EVIDENCE_VERSION
    assert back.params["opt"].choices[0].choice in ("a", "b")
    # A row from before the evidence had a version or a field: version 1, defaults, no error.
    old = Evidence.read({"summary": "cut x", "gate": {"passed": True, "reason": "r"}, "gone": 1})
    assert (old.version, old.summary, old.gate.passed, old.kept, old.notes) == (
        1, "cut x", True, None, ()
    )  # fmt: skip
    assert Evidence.read({"params": "garbled", "summary": "s"}).summary == "s"
    assert Evidence.read(None) == Evidence()


@pytest.mark.parametrize(
    ("volume", "text"),
    [
        (Volume(0.25, 0, 3), "volume x0.25"),
        (Volume(1.0, 0, 3), ""),  # nothing changed: nothing to say
        (Volume(None, 0, 0), ""),
        (Volume(0.692, 5, 6), "volume x0.692 over the 1 parameter still searched (5 of 6 frozen)"),
        (Volume(1.0, 2, 5), "volume x1 over the 3 parameters still searched (2 of 5 frozen)"),
        (Volume(None, 4, 4), "all 4 searched parameters frozen"),
    ],
)
def test_the_volume_figure_counts_frozen_dimensions(volume, text):
    assert volume.describe() == text


def test_volume_counts_what_a_space_no_longer_searches():
    spec = make_spec({"x": X, "y": X, "c": {"type": "categorical", "choices": [1, 2, 3, 4]}})
    old = spec.to_space()
    new = old.with_bounds("x", 0.0, 5.0).freeze("y", 1.0).with_choices("c", [1, 2])
    assert volume(old, new) == Volume(0.25, 1, 3)  # x halved, half the choices, y frozen
    assert volume(old, old) == Volume(1.0, 0, 3)
    assert volume(old, old.freeze("x", 1.0).freeze("y", 1.0).freeze("c", 1)) == Volume(None, 3, 3)


# -- ties: a sprint that cannot rank its trials -----------------------------------------------
def test_a_scout_that_scores_most_trials_zero_is_not_cut_on_their_order():
    # As the demo workload's one-epoch scout: 14 of 20 configurations score exactly 0 F1.
    spec = make_spec({"x": X}, {"top_k": 10}, direction="maximize")
    rng = np.random.default_rng(3)
    xs = rng.uniform(0, 10, 20)
    rows = [({"x": float(x)}, 0.0 if i >= 6 else 0.1 + 0.01 * i) for i, x in enumerate(xs)]
    p = propose(spec, [], first(spec, make_trials(spec.to_space(), rows)))
    assert p is not None
    assert (p.plan.space["x"].low, p.plan.space["x"].high) == (0.0, 10.0)  # nothing cut
    assert p.evidence.top_k is not None and p.evidence.top_k.tied == 10
    assert p.evidence.top_k.k == 20
    note = " ".join(p.evidence.notes)
    assert "14 trials tie at the top-10's edge, value 0" in note and "nothing is cut" in note
    assert "14 trials tie at the top's edge (cannot rank)" in p.evidence.summary
    assert "too few to tell" not in note


def test_ties_across_the_edge_join_the_top_and_the_cut_spans_them():
    spec = make_spec({"x": X}, {"top_k": 4})
    # Values rise with x; x = 3, 3.5, 4 tie with the 4th best (x = 1.5 → 1.0).
    values = {0.0: 0.1, 0.5: 0.2, 1.0: 0.5, 1.5: 1.0, 3.0: 1.0, 3.5: 1.0, 4.0: 1.0}
    rows = [({"x": x}, values.get(x, 2.0 + x)) for x in (i * 0.5 for i in range(21))]
    p = propose(spec, [], first(spec, make_trials(spec.to_space(), rows)))
    assert p is not None and p.evidence.top_k is not None
    assert (p.evidence.top_k.k, p.evidence.top_k.tied) == (7, 3)
    assert p.evidence.top_k.trials == (0, 1, 2, 3, 6, 7, 8)
    assert params_of(p)["x"]["top_k_span"] == pytest.approx([0.0, 4.0])  # the ties' x included
    assert "the top grows to 7 trials to take every tie" in " ".join(p.evidence.notes)


def test_values_within_the_tie_tolerance_tie_and_distinct_values_never_do():
    spec = make_spec({"x": X}, {"top_k": 2})
    rows = [({"x": float(i)}, v) for i, v in enumerate([0.0, 1.0, 1.0004, 1.3, 5.0, 6.0])]
    trials = make_trials(spec.to_space(), rows)
    ranked = rank_trials(trials, maximize=False)
    assert tied_with_kth(ranked, 2, 0.0) == (0, 0)
    assert tied_with_kth(ranked, 2, 0.001) == (0, 1)
    assert tied_with_kth(ranked, 2, 0.5) == (0, 2)  # 1.3 is within 0.5 of the 2nd best, 1.0
    assert tied_with_kth(ranked, 3, 0.5) == (1, 1)  # 1.0 above the 3rd, 1.3 past it
    assert tied_with_kth(ranked, 4, 0.5) == (0, 0)  # no tie past the 4th: nothing changes
    assert tied_with_kth(ranked, 6, 0.5) == (0, 0)  # no trial past the last
    assert tied_with_kth(ranked, 0, 0.5) == (0, 0)
    p = propose(make_spec({"x": X}, {"top_k": 2, "tie_tolerance": 0.001}), [], first(spec, trials))
    assert p is not None and p.evidence.top_k is not None and p.evidence.top_k.k == 3
    assert "tie (within 0.001)" in " ".join(p.evidence.notes)


def test_a_pruned_trial_never_ties_with_a_completed_one():
    spec = make_spec({"x": X}, {"top_k": 2})
    space = spec.to_space()
    trials = make_trials(space, [({"x": 1.0}, 0.0), ({"x": 2.0}, 1.0)])
    trials.append(pruned(space, {"x": 3.0}, 1, 1.0, number=2))  # same value, a step short
    assert tied_with_kth(rank_trials(trials, maximize=False), 2, 0.0) == (0, 0)


# -- the auto sampler and start-up after a failed gate -----------------------------------
AUTO_FINAL = [*PRUNED_FINAL[:2], {**PRUNED_FINAL[2], "sampler": "auto"}]


def _space(n_float: int, choices: int = 0) -> Space:
    params = tuple(FloatParam(f"x{i}", 0.0, 1.0) for i in range(n_float))
    if choices:
        params += (CategoricalParam("c", tuple(f"c{i}" for i in range(choices))),)
    return Space(params)


@pytest.mark.parametrize(
    "n_float, choices, sampler, pruner",
    [
        (2, 0, "gp", "none"),  # small numeric: a GP, unpruned
        (8, 0, "gp", "none"),  # at the limit
        (9, 0, "tpe", "hyperband"),  # past it: TPE keeps the sprint's pruner
        (4, 5, "gp", "none"),  # 4 + (5 - 1) one-hot = 8 dimensions
        (5, 5, "tpe", "hyperband"),  # 9 dimensions
        (0, 0, "tpe", "hyperband"),  # nothing searched
    ],
)
def test_auto_picks_a_gp_for_few_dimensions_and_tpe_past_them(n_float, choices, sampler, pruner):
    got = choose_sampler(_space(n_float, choices), "hyperband", max_params=8)
    assert (got.sampler, got.pruner) == (sampler, pruner)
    assert got.reason.startswith(f"auto: {sampler}")


def test_auto_counts_categorical_choices_one_hot():
    assert gp_dimensions(_space(2, 4)) == 5
    assert choose_sampler(_space(2, 4), "none", max_params=4).sampler == "tpe"
    assert "5 dimensions one-hot" in choose_sampler(_space(2, 4), "none", 4).reason
    assert choose_sampler(_space(2, 4), "none", max_params=5).sampler == "gp"


def test_auto_is_decided_over_the_space_the_proposal_cuts_to():
    space = {f"x{i}": X for i in range(9)}
    wide = make_spec(space, sprints=AUTO_FINAL)
    assert planned_sprint(wide, 2).sampler == "tpe"  # nine parameters: TPE, Hyperband kept
    assert planned_sprint(wide, 2).pruner == "hyperband"
    narrow = wide.to_space().freeze("x8", 5.0)
    plan = planned_sprint(wide, 2, space=narrow)
    assert (plan.sampler, plan.pruner) == ("gp", "none")


def test_the_proposal_names_the_auto_choice_and_its_reason():
    spec = make_spec({"x": X}, {"top_k": 5}, sprints=AUTO_FINAL)
    history, closed = _two_sprints(spec, inverted=False)
    p = propose(spec, history, closed)
    nxt = p.evidence.to_json()["next"]
    assert (p.plan.sampler, p.plan.pruner) == ("gp", "none")
    assert (nxt["sampler"], nxt["pruner"]) == ("gp", "none")
    assert nxt["sampler_reason"] == (
        "auto: gp, 1 searched parameter (at most 8); hyperband is off: a GP learns only from "
        "trials that finish"
    )
    # ...and as a note, which the app, the report and `sprintopt propose` all show
    assert f"sampler {nxt['sampler_reason']}" in p.evidence.notes
    assert f"  - sampler {nxt['sampler_reason']}" in render_proposal(p, closed.plan, 2)
    named = make_spec({"x": X}, {"top_k": 5}, sprints=PRUNED_FINAL)
    assert propose(named, *_two_sprints(named, inverted=False)).evidence.next.sampler_reason == ""


def test_after_a_failed_gate_random_start_up_comes_on_top_of_the_carry_over():
    spec = make_spec({"x": X}, {"top_k": 5}, sprints=AUTO_FINAL)
    history, closed = _two_sprints(spec, inverted=True)
    p = propose(spec, history, closed)
    carried = len(p.carry_over)
    assert carried > 0 and p.plan.n_startup_trials == DEFAULT_STARTUP + carried
    assert p.evidence.next.n_startup_trials == DEFAULT_STARTUP + carried
    assert any("random trials after the" in n for n in p.evidence.notes)
    passed = propose(spec, *_two_sprints(spec, inverted=False))
    assert passed.plan.n_startup_trials is None  # the spec's (the default)
    off = make_spec({"x": X}, {"top_k": 5, "fresh_startup": False}, sprints=AUTO_FINAL)
    assert propose(off, *_two_sprints(off, inverted=True)).plan.n_startup_trials is None


def test_fresh_startup_keeps_a_random_sprint_and_an_empty_carry_over():
    spec = make_spec({"x": X}, sprints=AUTO_FINAL)
    plan = replace(planned_sprint(spec, 2), n_startup_trials=3)
    assert fresh_startup(plan, 4)[0].n_startup_trials == 7
    assert fresh_startup(plan, 0) == (plan, None)
    assert fresh_startup(replace(plan, sampler="random"), 4) == (
        replace(plan, sampler="random"),
        None,
    )
