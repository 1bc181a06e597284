"""The strategy benchmark's figures: regret per budget, the tables, and the docs block.

Regret is normalized per problem (``reference_and_optimum``); the tables give its median and
interquartile range over seeds; ``write_doc`` replaces only the generated block of the Strategy
section of docs/benchmarks.md, so the prose around it and the other sections stay.
"""

from __future__ import annotations

import math
import statistics
import textwrap
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.pipelines import Run
from bench.problems import Problem
from bench.regret import at_budget, normalized_regret, summarize

BEGIN, END = (
    "<!-- strategy:begin (bench/strategy.py writes this block) -->",
    "<!-- strategy:end -->",
)


def reference_and_optimum(problem: Problem, runs: Sequence[Run]) -> tuple[float, float]:
    """The regret's scale: the median random configuration's value, and the optimum.

    Synthetic problems: the known optimum, and the median over 1,000 fixed random
    configurations (cheap, and the same whichever runs are analysed). Digits: the best
    full-fidelity accuracy any run measured, and the median of the random-search runs.
    """
    if problem.optimum is not None:
        values = [problem.true_value(c) for c in _random_configs(problem, 1000)]
        return float(np.median(values)), problem.optimum
    mine = [r for r in runs if r.problem == problem.name]
    rand = [e.value for r in mine if r.method == "random" for e in r.evaluations if e.full]
    if not rand:
        rand = [problem.true_value(c) for c in _random_configs(problem, 64)]
    seen = [v for r in mine for _, v in r.trajectory] + [
        e.value for r in mine for e in r.evaluations if e.full
    ]
    return float(np.median(rand)), (max(seen) if problem.maximize else min(seen))


def _random_configs(problem: Problem, n: int) -> list[dict]:
    import optuna

    space = problem.spec(0).to_space()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=12345))
    return [space.config(study.ask(space.to_optuna()).params) for _ in range(n)]


Scales = dict[str, tuple[float, float]]


def scales(runs: Sequence[Run], probs: dict[str, Problem]) -> Scales:
    """Per problem, (reference, optimum) over all the runs."""
    return {p: reference_and_optimum(probs[p], runs) for p in {r.problem for r in runs}}


def regrets(
    runs: Sequence[Run], probs: dict[str, Problem], budgets: Sequence[float], scale: Scales
) -> dict[tuple[str, str], np.ndarray]:
    """(problem, method) -> array [seed, budget] of normalized regret."""
    out: dict[tuple[str, str], list[list[float]]] = defaultdict(list)
    for r in sorted(runs, key=lambda r: r.seed):
        ref, opt = scale[r.problem]
        maximize = probs[r.problem].maximize
        out[r.problem, r.method].append(
            [normalized_regret(at_budget(r.trajectory, b), opt, ref, maximize) for b in budgets]
        )
    return {k: np.array(v, dtype=float) for k, v in out.items()}


def _cell(values: np.ndarray) -> str:
    med, q1, q3 = summarize(list(values))
    if math.isnan(med):
        return "–"
    return f"{_num(med)} [{_num(q1)}, {_num(q3)}]"


def _num(x: float) -> str:
    if x == 0:
        return "0"
    return f"{x:.2g}" if x < 0.01 else f"{x:.3f}" if x < 1 else f"{x:.2f}"


def table(
    reg: dict[tuple[str, str], np.ndarray],
    names: Sequence[str],
    methods: Sequence[str],
    levels: Sequence[float],
) -> str:
    """Markdown: per problem and method, median [IQR] of normalized regret at each level."""
    head = "| problem | method | " + " | ".join(f"B = {b:g}" for b in levels) + " |"
    lines = [head, "|" + "---|" * (2 + len(levels))]
    for name in names:
        best = {
            i: min(summarize(list(reg[name, m][:, i]))[0] for m in methods if (name, m) in reg)
            for i in range(len(levels))
        }
        for m in methods:
            if (name, m) not in reg:
                continue
            cells = []
            for i in range(len(levels)):
                cell = _cell(reg[name, m][:, i])
                med = summarize(list(reg[name, m][:, i]))[0]
                cells.append(f"**{cell}**" if med <= best[i] + 1e-12 else cell)
            lines.append(f"| {name} | {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def mean_ranks(
    reg: dict[tuple[str, str], np.ndarray],
    names: Sequence[str],
    methods: Sequence[str],
    levels: Sequence[float],
) -> str:
    """Markdown: each method's rank by median regret per problem (ties share the mean rank),
    averaged over the problems, at each budget level; bold is the best."""
    from scipy.stats import rankdata

    ranks: dict[str, list[list[float]]] = {m: [[] for _ in levels] for m in methods}
    for name in names:
        present = [m for m in methods if (name, m) in reg]
        for i in range(len(levels)):
            meds = [summarize(list(reg[name, m][:, i]))[0] for m in present]
            for m, r in zip(present, rankdata(meds), strict=True):
                ranks[m][i].append(float(r))
    mean = {m: [statistics.mean(r) if r else math.nan for r in ranks[m]] for m in methods}
    best = [min(mean[m][i] for m in methods) for i in range(len(levels))]
    head = "| method | " + " | ".join(f"B = {b:g}" for b in levels) + " |"
    lines = [head, "|" + "---|" * (1 + len(levels))]
    for m in methods:
        cells = [
            f"**{v:.2f}**" if v <= best[i] + 1e-12 else f"{v:.2f}" for i, v in enumerate(mean[m])
        ]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def head_to_head(
    reg: dict[tuple[str, str], np.ndarray],
    names: Sequence[str],
    levels: Sequence[float],
    peers: Sequence[str] = ("gp_minimize", "tpe"),
    method: str = "sprints",
) -> str:
    """Markdown: per peer and budget level, on how many problems ``method`` is better, level or
    worse, by interquartile ranges: better when its 75th percentile of regret is below the
    peer's 25th, worse when its 25th is above the peer's 75th, level when they overlap (issue
    #15's "ties within the IQR"); the problems where it is worse are named."""
    head = f"| {method} against | " + " | ".join(f"B = {b:g}" for b in levels) + " |"
    lines = [head, "|" + "---|" * (1 + len(levels))]
    for peer in peers:
        cells = []
        for i in range(len(levels)):
            better, level, worse = 0, 0, []
            for name in names:
                if (name, method) not in reg or (name, peer) not in reg:
                    continue
                _, q1, q3 = summarize(list(reg[name, method][:, i]))
                _, p1, p3 = summarize(list(reg[name, peer][:, i]))
                if q3 < p1:
                    better += 1
                elif q1 > p3:
                    worse.append(name)
                else:
                    level += 1
            named = f" ({', '.join(worse)})" if worse else ""
            cells.append(f"better {better}, level {level}, worse {len(worse)}{named}")
        lines.append(f"| {peer} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def gate_confusion(
    runs: Sequence[Run], probs: dict[str, Problem], names: Sequence[str], threshold: float = 0.5
) -> str:
    """Markdown: the gate's verdicts after the warm-up against the truth, per problem.

    The truth is Spearman between the scout's and the warm-up's fidelity over 200 fixed random
    configurations: at or above the gate's threshold the cheap fidelity ranks well, and the
    gate should pass; below it, the cheap fidelity misleads, and the gate should fail."""
    head = "| problem | random-point Spearman | truth | passed | failed | no verdict | right |"
    lines = [head, "|---|---|---|---|---|---|---|"]
    totals = {"ranks well": [0, 0], "misleads": [0, 0]}
    for name in names:
        mine = [r for r in runs if r.problem == name and r.method == "sprints"]
        warm = [
            r.notes["sprints"][1].get("gate") or {} for r in mine if len(r.notes["sprints"]) > 1
        ]
        if not warm:
            continue
        configs = _random_configs(probs[name], 200)
        rho = probs[name].ranks_alike(configs)
        verdicts = [w.get("passed") for w in warm]
        passed, failed = verdicts.count(True), verdicts.count(False)
        if rho is None:
            truth, right = "unknown", "–"
        else:
            truth = "ranks well" if rho >= threshold else "misleads"
            good = passed if truth == "ranks well" else failed
            totals[truth][0] += good
            totals[truth][1] += len(verdicts)
            right = f"{good}/{len(verdicts)}"
        rho_text = "–" if rho is None else f"{rho:.2f}"
        lines.append(
            f"| {name} | {rho_text} | {truth} | {passed} | {failed} | "
            f"{len(verdicts) - passed - failed} | {right} |"
        )
    summary = "; ".join(
        f"where the cheap fidelity {t}: right in {g}/{n} seeds" for t, (g, n) in totals.items() if n
    )
    return "\n".join(lines) + (f"\n\nThe gate {summary}." if summary else "")


def diagnostics(runs: Sequence[Run], names: Sequence[str]) -> str:
    """What the advisor did in the pipeline: gate readings, cuts, optimum kept."""
    head = (
        "| problem | seeds | gate after warm-up: median Spearman (failed) | full sprint: median "
        "Spearman (seeds with 4 pairs) | optimum inside warm-up / full space | full space / "
        "original (volume) |"
    )
    lines = [head, "|---|---|---|---|---|---|"]
    for name in names:
        mine = [r for r in runs if r.problem == name and r.method == "sprints"]
        if not mine:
            continue
        warm = [r.notes["sprints"][1] for r in mine if len(r.notes["sprints"]) > 1]
        full = [r.notes["sprints"][2] for r in mine if len(r.notes["sprints"]) > 2]
        rho = [w["gate"]["spearman"] for w in warm if w.get("gate", {}).get("spearman") is not None]
        failed = sum(w.get("gate", {}).get("passed") is False for w in warm)
        rho3 = [f["spearman"] for f in full if f.get("spearman") is not None]
        held = [
            f"{sum(bool(s['holds_optimum']) for s in group)}/{len(group)}"
            if group and group[0]["holds_optimum"] is not None
            else "–"
            for group in (warm, full)
        ]
        vol = [_kept(r.notes["sprints"]) for r in mine if len(r.notes["sprints"]) > 2]
        lines.append(
            f"| {name} | {len(mine)} | {_med(rho)} ({failed}/{len(warm)}) | "
            f"{_med(rho3)} ({len(rho3)} seeds) | "
            f"{held[0]} / {held[1]} | {statistics.median(vol) if vol else math.nan:.3g} |"
        )
    return "\n".join(lines)


def _kept(notes: Sequence[dict]) -> float:
    """The full sprint's space volume over the original's: the proposals' ratios multiplied."""
    ratios = [n.get("volume_ratio") for n in notes[:-1]]
    return float(np.prod([1.0 if r is None else r for r in ratios]))


def _med(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.2f}" if values else "–"


def runtime(runs: Sequence[Run], methods: Sequence[str], jobs: int) -> str:
    """Mean CPU seconds per run by method, and the whole run's CPU time over ``jobs`` cores:
    the wall time on an idle machine (a shared one takes longer)."""
    parts = []
    for m in methods:
        cpu = [r.cpu for r in runs if r.method == m and not math.isnan(r.cpu)]
        if cpu:
            parts.append(f"{m} {statistics.mean(cpu):.1f} s")
    total = sum(r.cpu for r in runs if not math.isnan(r.cpu))
    return (
        f"CPU per run: {', '.join(parts)}; {total / 60:.1f} CPU-minutes in all, "
        f"{total / 60 / jobs:.1f} min on {jobs} idle cores"
    )


def write_doc(block: str, doc: Path) -> None:
    """Replace the generated block of the Strategy section; create what is missing."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    wrapped = f"{BEGIN}\n{block.strip()}\n{END}"
    if BEGIN in text and END in text:
        pre, rest = text.split(BEGIN, 1)
        text = pre + wrapped + rest.split(END, 1)[1]
    elif "\n## Strategy" in text:
        pre, rest = text.split("\n## Strategy", 1)
        heading, _, body = rest.partition("\n")
        text = f"{pre}\n## Strategy{heading}\n\n{wrapped}\n{body}"
    else:
        text = text.rstrip("\n") + f"\n\n## Strategy\n\n{wrapped}\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text, encoding="utf-8")


def report(
    runs: Sequence[Run],
    probs: dict[str, Problem],
    names: Sequence[str],
    methods: Sequence[str],
    seeds: dict[str, int],
    budget: float,
    levels: Sequence[float],
    wall: float,
    jobs: int,
) -> str:
    """The generated block: setup, regret table, the advisor's record, accounting, runtime."""
    acq = ", ".join(sorted({r.acq for r in runs if r.method in ("sprints", "gp_minimize")}))
    reg = regrets(runs, probs, levels, scales(runs, probs))
    spent = max(r.evaluations[-1].spent for r in runs if r.evaluations)
    seed_text = ", ".join(f"{n} {seeds[n]}" for n in names)
    problem_lines = "\n".join(
        textwrap.fill(f"- **{n}**: {probs[n].description}.", 100, subsequent_indent="  ")
        for n in names
    )
    accounting = textwrap.fill(
        f"Budget accounting: the largest total any run charged was {spent:.2f} (a run stops "
        "asking once its budget is spent; the trial in flight may overrun it, and is not counted "
        f"at the budget levels). {runtime(runs, methods, jobs)}.",
        100,
    )
    return f"""\
Generated by `bench/strategy.py`: budget {budget:g} full-fidelity evaluations, GP acquisition
optimiser `{acq}`, {wall / 60:.1f} min on this machine.
Seeds: {seed_text}.

Problems:
{problem_lines}

Normalized regret of each method's recommendation (its best configuration at the highest
fidelity it measured, valued at full fidelity): 0 at the optimum, 1 at the median random
configuration. Median [25th, 75th percentile] over seeds; bold is the best median per column.

{table(reg, names, methods, levels)}

Mean rank of each method across the problems (1 is best; per problem, methods are ranked by
median regret, ties sharing the mean rank):

{mean_ranks(reg, names, methods, levels)}

The pipeline against full-fidelity GP and plain TPE, problem by problem (level: the
interquartile ranges of regret overlap):

{head_to_head(reg, names, levels)}

The fidelity gate after the warm-up against the truth (the cheap fidelity ranks well when
Spearman between the scout's and the warm-up's fidelity over 200 random configurations is at
least the gate's threshold, 0.5):

{gate_confusion(runs, probs, names)}

What the advisor did in the pipeline (the gate compares carried-over configurations across
two sprints' fidelities; the volume is the full sprint's space over the spec's, median):

{diagnostics(runs, names)}

{accounting}

![regret vs budget](benchmarks/strategy.png)
"""
