"""Property-based: whatever is fed to the spec loader, only SpecError escapes, and every spec
that validates runs (space, plans, distributions, sampler, pruner, time limits, a first trial,
its storage as JSON); any sequence of reports is accepted or refused with ReportError."""

from __future__ import annotations

import copy
import json
import math
import warnings
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import optuna
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from engine.errors import SpecError
from engine.optuna_internals import storage_trial_id
from engine.reporter import ReportError, TrialReporter
from engine.spec import Spec, parse_spec, spec_from_dict
from engine.sprint import SprintPlan, planned_sprint

FAST = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

BASE: dict[str, Any] = {
    "session": {"name": "t", "direction": "minimize", "objective": "mod:func", "seed": 0},
    "space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
    "fidelity": {"resource": "epochs", "max": 9},
    "sprints": [{"name": "scout", "trials": 5}],
}

BASE_TEXT = """
[session]
name = "t"
direction = "minimize"
objective = "mod:func"
seed = 7

[space.lr]
type = "float"
low = 1e-4
high = 0.1
log = true

[space.width]
type = "int"
low = 16
high = 256
step = 16

[space.act]
type = "categorical"
choices = ["relu", "tanh"]

[space.frozen]
batch = 32

[fidelity]
resource = "epochs"
max = 9

[[sprints]]
name = "scout"
sampler = "tpe"
pruner = "hyperband"
trials = 5
timeout = 600
fidelity = { epochs = 3 }

[advisor]
top_k = 3
"""

# -- strategies ------------------------------------------------------------------------------
EDGE_INTS = [0, 1, -1, 2, 3, 2**31 - 1, 2**31, 2**32, 4295, 2**53, 2**53 + 1, 2**63 - 1]
EDGE_INTS += [2**63, -(2**63), 10**12, 10**12 + 1, 10**30, 10**400]
EDGE_FLOATS = [0.0, -0.0, 1e-300, 5e-324, 1e-12, 0.1, 0.5, 1.0, 2.5, 1e12, 1e300, 1e308]
EDGE_FLOATS += [-1e308, 1.7976931348623157e308, 315576000.0, 315576000.5, -8e307, 8e307]

ints = st.one_of(st.integers(-1000, 1000), st.integers(), st.sampled_from(EDGE_INTS))
floats = st.one_of(
    st.floats(-10.0, 10.0),
    st.floats(),
    st.sampled_from(EDGE_FLOATS + [math.nan, math.inf, -math.inf]),
)
numbers = st.one_of(ints, floats)
texts = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "a" * 300, "mod:func", "x", "tpe", "gp", "none", "float", "epochs"]),
)
leaves = st.one_of(
    st.booleans(),
    numbers,
    texts,
    st.none(),
    st.datetimes(),
    st.dates(),
    st.times(),
)
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


json_values = st.recursive(
    st.one_of(st.booleans(), numbers, texts),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
positive = st.one_of(
    st.floats(1e-3, 1e3),
    st.sampled_from([1e-300, 5e-324, 1e-12, 1, 3, 1e12, 1e12 + 1, 1e300, 315576000.0]),
    st.sampled_from([315576000.5, 2**31, 10**30]),
)
magnitudes = st.sampled_from([0.0, 1e-300, 1e-12, 1e-3, 1.0, 1e3, 1e12, 1e20, 1e300, 8e307])


@st.composite
def float_params(draw: st.DrawFn) -> dict[str, Any]:
    low = draw(st.one_of(st.floats(-10, 10), magnitudes, magnitudes.map(lambda m: -m)))
    width = draw(st.one_of(magnitudes, st.floats(1e-6, 1e6)))
    param: dict[str, Any] = {"type": "float", "low": low, "high": low + width}
    shape = draw(st.sampled_from(["plain", "log", "step", "step", "odd"]))
    if shape == "log":
        param["log"] = True
    elif shape == "step":
        n = draw(st.one_of(st.integers(1, 100), st.sampled_from([10**11, 10**12, 10**13, 10**20])))
        param["step"] = width / n if width else 1.0
    elif shape == "odd":
        param["step"] = draw(floats)
        param["log"] = draw(st.booleans())
    return param


@st.composite
def int_params(draw: st.DrawFn) -> dict[str, Any]:
    low = draw(st.one_of(st.integers(-100, 100), st.sampled_from([1, 2**53 - 1, -(2**53)])))
    width = draw(st.one_of(st.integers(1, 1000), st.sampled_from([1, 2**53, 2**63, 10**30])))
    param: dict[str, Any] = {"type": "int", "low": low, "high": low + width}
    shape = draw(st.sampled_from(["plain", "log", "step", "odd"]))
    if shape == "log":
        param["log"] = True
    elif shape == "step":
        param["step"] = draw(st.sampled_from([d for d in (1, 2, 3, 7, width) if width % d == 0]))
    elif shape == "odd":
        param["step"] = draw(ints)
    return param


choices = st.lists(st.one_of(st.booleans(), numbers, texts), min_size=1, max_size=5)
params = st.one_of(
    float_params(),
    int_params(),
    st.fixed_dictionaries({"type": st.just("categorical"), "choices": choices}),
)
param_names = st.one_of(st.text(min_size=1, max_size=8), st.sampled_from(["x", "y", "p" * 300, ""]))
names = st.one_of(st.sampled_from(["warm", "full", "a.b", "x-1"]), texts)

#: Each key, and values of its own type, edges included.
TYPED: dict[tuple[Any, ...], st.SearchStrategy[Any]] = {
    ("session", "name"): names,
    ("session", "direction"): st.sampled_from(["minimize", "maximize"]),
    ("session", "objective"): st.sampled_from(["m:f", "a.b:c", "m" * 500, "m:f\n", "é:f"]),
    ("session", "storage"): texts,
    ("session", "seed"): ints,
    ("fidelity", "resource"): st.sampled_from(["epochs", "samples", "é", "x" * 300]),
    ("fidelity", "max"): positive,
    ("fidelity", "train_fraction"): st.floats(0, 1.5),
    ("fidelity", "extra"): st.dictionaries(st.text(max_size=6), json_values, max_size=3),
    ("sprints", 0, "name"): names,
    ("sprints", 0, "sampler"): st.sampled_from(["tpe", "gp", "random"]),
    ("sprints", 0, "pruner"): st.sampled_from(["hyperband", "median", "none"]),
    ("sprints", 0, "trials"): ints,
    ("sprints", 0, "fidelity"): st.one_of(
        st.builds(dict, epochs=positive),
        st.builds(dict, train_fraction=st.floats(0, 1.5), valid_fraction=positive),
        st.dictionaries(st.text(max_size=6), json_values, max_size=3),
    ),
    ("sprints", 0, "timeout"): positive,
    ("sprints", 0, "trial_timeout"): positive,
    ("sprints", 0, "min_resource"): ints,
    ("sprints", 0, "reduction_factor"): ints,
    ("sprints", 0, "n_startup_trials"): ints,
    ("advisor", "top_k"): ints,
    ("advisor", "top_quantile"): floats,
    ("advisor", "margin"): floats,
    ("advisor", "widen"): positive,
    ("advisor", "fidelity_step"): positive,
    ("advisor", "extra_sprints"): ints,
    ("advisor", "carry_over"): ints,
    ("advisor", "probes"): ints,
    ("advisor", "bootstrap"): ints,
    ("frozen",): json_values,
}


@st.composite
def spec_dicts(draw: st.DrawFn, wild: bool) -> dict[str, Any]:
    """The base spec with a few keys changed: to values of their type, or (wild) to anything,
    now and then with a whole table replaced or a stray key at the top."""
    data = copy.deepcopy(BASE)
    if draw(st.booleans()):
        space = st.one_of(params, values) if wild else params
        data["space"] = draw(st.dictionaries(param_names, space, min_size=1, max_size=3))
    for _ in range(draw(st.integers(0, 4))):
        key = draw(st.sampled_from(sorted(TYPED, key=repr)))
        value = draw(st.one_of(TYPED[key], values) if wild else TYPED[key])
        if key == ("frozen",):
            data.setdefault("frozen", {})[draw(param_names)] = value
            continue
        node: Any = data
        for step in key[:-1]:
            node = node[step] if isinstance(step, int) else node.setdefault(step, {})
        node[key[-1]] = value
    if draw(st.booleans()):  # more sprints
        more = st.builds(dict, name=names, trials=st.one_of(st.integers(1, 9), ints))
        data["sprints"] = data["sprints"] + draw(st.lists(more, max_size=2))
    if wild and draw(st.booleans()):
        table = draw(st.sampled_from(["session", "space", "fidelity", "sprints", "extra"]))
        data[table] = draw(values)
    return data


LITERALS = ["1e300", "-1", "0", "nan", "-inf", "4295", "2147483648", "1e-300", "5e-324"]
LITERALS += ["true", '"x"', '""', "[1, 2]", "[]", "{}", "{ a = 1 }", "1979-05-27", "07:32:00"]
LITERALS += ["9" * 30, "9" * 5000, "[" * 300 + "]" * 300, '"' + "é" * 300 + '"', "0x7fffffff"]


@st.composite
def mutated_texts(draw: st.DrawFn) -> str:
    """The base spec's text with a few values swapped for TOML literals, and a few edits."""
    lines = BASE_TEXT.splitlines()
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.sampled_from([n for n, line in enumerate(lines) if " = " in line]))
        lines[i] = lines[i].split(" = ")[0] + " = " + draw(st.sampled_from(LITERALS))
    text = "\n".join(lines) + "\n"
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 12))
        insert = draw(
            st.one_of(
                st.text(max_size=8),
                st.sampled_from(["[", "]", "=", '"', "\n", "{", ".", "-", "e308", "nan"]),
            )
        )
        text = text[:at] + insert + text[at + cut :]
    return text


# -- what "runs" means -----------------------------------------------------------------------
def _runs(spec: Spec) -> None:
    """Everything a worker and the store derive from a spec that validated."""
    stored = json.dumps(spec.model_dump(mode="json"), allow_nan=False)
    assert spec_from_dict(json.loads(stored)) == spec  # a stored spec validates again
    space = spec.to_space()
    for k in range(len(spec.sprints)):
        plan = planned_sprint(spec, k, space)
        plan = SprintPlan.from_dict(json.loads(json.dumps(plan.to_dict(), allow_nan=False)))
        dists = plan.space.to_optuna()
        seed = (spec.session.seed * 1_000_003 + (k + 1) * 10_007 + 10**6) % 2**32
        pruner = plan.make_pruner()
        study = optuna.create_study(sampler=plan.make_sampler(seed), pruner=pruner)
        trial = study.ask(dists)
        assert plan.space.contains(trial.params), (trial.params, plan.space)
        now = datetime.now()
        for limit in (plan.timeout, plan.trial_timeout):
            if limit is not None:  # a deadline from now, and an age compared with it
                assert now + timedelta(seconds=limit) >= now - timedelta(seconds=limit)
        assert plan.fidelity.steps >= 1


def _load_or_refuse(load: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            spec = load()
        except SpecError:
            event("refused")
            return
        event("validated")
        _runs(spec)


@FAST
@given(spec_dicts(wild=False))
def test_a_spec_of_edge_values_validates_and_runs_or_is_refused_with_a_spec_error(data) -> None:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    _load_or_refuse(lambda: spec_from_dict(data, "p.toml"))


@FAST
@given(spec_dicts(wild=True))
def test_a_spec_of_any_values_validates_and_runs_or_is_refused_with_a_spec_error(data) -> None:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    _load_or_refuse(lambda: spec_from_dict(data, "p.toml"))


@FAST
@given(mutated_texts())
def test_a_spec_text_validates_and_runs_or_is_refused_with_a_spec_error(text) -> None:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    _load_or_refuse(lambda: parse_spec(text, "p.toml"))


def test_the_base_specs_validate() -> None:
    assert spec_from_dict(BASE) and parse_spec(BASE_TEXT)


# -- the reporter ----------------------------------------------------------------------------
report_values = st.one_of(
    floats,
    ints,
    st.booleans(),
    texts,
    st.none(),
    st.builds(np.float32, st.floats(width=32)),
    st.builds(np.float64, floats),
    st.just(np.bool_(True)),
)
report_steps = st.one_of(
    st.integers(-2, 8),
    st.floats(-2, 8),
    st.sampled_from([1.0, 2.0, 1.5, math.nan, math.inf, True, False, "1", None]),
    st.builds(np.int64, st.integers(-2, 8)),
)


def _expected_number(value: Any) -> float | None:
    if isinstance(value, (bool, np.bool_, str)) or value is None:
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _expected_step(step: Any) -> int | None:
    if isinstance(step, (bool, np.bool_, str)) or step is None:
        return None
    if isinstance(step, (int, np.integer)):
        return int(step)
    return int(step) if math.isfinite(step) and float(step).is_integer() else None


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.tuples(report_values, report_steps), max_size=8), st.integers(1, 6))
def test_reports_are_accepted_exactly_when_finite_at_whole_increasing_steps(reports, max_steps):
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    trial = optuna.create_study().ask()
    reporter = TrialReporter(trial, prunes=False, max_steps=max_steps)
    last, accepted = 0, {}
    for value, step in reports:
        number, whole = _expected_number(value), _expected_step(step)
        ok = number is not None and whole is not None and last < whole <= max_steps
        if ok:
            reporter.report(value, step)
            last, accepted[whole] = whole, number
        else:
            try:
                reporter.report(value, step)
            except ReportError:
                pass
            else:
                raise AssertionError(f"report({value!r}, {step!r}) was accepted after {last}")
    recorded = trial.storage.get_trial(storage_trial_id(trial)).intermediate_values
    assert recorded.keys() == accepted.keys()
    assert all(math.isclose(recorded[k], v, rel_tol=1e-6) for k, v in accepted.items())
