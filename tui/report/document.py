"""The report as a list of blocks (headings, paragraphs, tables, code, charts), in story order.

HTML and Markdown are two renderings of the same blocks (:mod:`tui.report.render`), so the
two formats never tell different stories.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine import Campaign, ProposalPart, SprintPart, pruner_text, show_value
from tui.format import duration, num
from tui.report import charts


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str = ""


@dataclass(frozen=True)
class Para:
    text: str
    kind: str = ""  # "" | "note" | "warn" | "lead"


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Code:
    text: str
    language: str = ""


@dataclass(frozen=True)
class Chart:
    name: str  # unique in the report: the id of its figure, the file name beside Markdown
    svg: str
    caption: str


Block = Heading | Para | Table | Code | Chart


def blocks(c: Campaign, draw: bool = True) -> list[Block]:
    """The whole report; ``draw=False`` leaves the charts out (their text stays)."""
    out: list[Block] = [Heading(1, f"Campaign report: {c.name}")]
    when = c.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    if c.running:
        out.append(
            Para(
                f"This session is still {c.state}: this report is a snapshot taken {when}; "
                "sprints, trials and decisions after it are not in it.",
                "warn",
            )
        )
    out.append(
        Para(
            f"{len(c.sprints)} sprint(s), {c.trials} trials, {len(c.proposals)} proposal(s); "
            f"direction: {c.direction}; storage: {c.storage}; created "
            f"{c.created_at.strftime('%Y-%m-%d %H:%M')} UTC; report written {when}.",
            "note",
        )
    )
    out += _headline(c)
    out += [Heading(2, "The spec and the plan", "spec")]
    out += [Para("Planned sprints:"), Table(("plan",), tuple((line,) for line in c.planned))]
    out.append(Code(c.spec_text.rstrip("\n"), "toml"))
    out += [Heading(2, "The campaign at a glance", "glance")]
    out += _chart(
        draw,
        "progress",
        lambda: charts.progress(c),
        "Best value so far within each sprint over the objective's time spent (summed over "
        "workers); each band is a sprint at its own fidelity, so values of two bands are not "
        "compared. Dots: completed trials.",
    )
    out += _chart(
        draw,
        "importance",
        lambda: charts.importance(c),
        "Importance of each parameter at the close of each sprint (the advisor's evidence).",
    )
    proposals = {p.after_sprint: p for p in c.proposals}
    for part in c.sprints:
        out += _sprint(part, draw)
        if part.number in proposals:
            out += _proposal(proposals[part.number], draw)
    out += _recommendation(c)
    return out


def _chart(draw: bool, name: str, make: Callable[[], str | None], caption: str) -> list[Block]:
    if not draw:
        return []
    svg = make()
    return [] if svg is None else [Chart(name, svg, caption)]


def _headline(c: Campaign) -> list[Block]:
    r = c.recommendation
    if r is None:
        return [Para("No trial has completed yet: there is no best configuration.", "lead")]
    return [
        Para(
            f"Best at the highest fidelity reached: {num(r.value)} (trial {r.trial} of "
            f"sprint {r.sprint}, {r.sprint_name}, at {r.fidelity}) with "
            f"{_config(r.params)}.",
            "lead",
        )
    ]


def _sprint(s: SprintPart, draw: bool) -> list[Block]:
    states = ", ".join(f"{n} {k}" for k, n in sorted(s.counts.items())) or "none yet"
    facts: list[tuple[str, str]] = [
        ("state", str(s.state)),
        ("fidelity", s.fidelity),
        ("sampler", s.sampler),
        ("pruner", s.pruner_line),
        ("budget", f"{s.budget} trials"),
        ("trials", states),
        ("wall time", duration(s.wall_seconds) + (" so far" if s.closed is None else "")),
        ("objective time", duration(s.trial_seconds) + " summed over trials"),
    ]
    if s.best is not None:
        facts.append(("best", f"{num(s.best.value)} (trial {s.best.number})"))
        facts.append(("best configuration", _config(s.best.params)))
    out: list[Block] = [
        Heading(2, f"Sprint {s.number}: {s.name}", f"sprint-{s.number}"),
        Table(("", ""), tuple(facts)),
        Para("Its space against the spec's:"),
        Table(
            ("parameter", "spec", f"sprint {s.number}", "change"),
            tuple(
                (r.name, r.spec, r.sprint, "" if r.action == "keep" else r.action) for r in s.space
            ),
        ),
    ]
    out += _chart(
        draw,
        f"curves-{s.number}",
        lambda: charts.curves(s),
        f"Learning curves of sprint {s.number}'s best trials (intermediate values by step).",
    )
    return out


def _proposal(p: ProposalPart, draw: bool) -> list[Block]:
    ev = p.evidence
    out: list[Block] = [
        Heading(3, f"Proposal after sprint {p.after_sprint}", f"proposal-{p.after_sprint}")
    ]
    if ev.summary:
        out.append(Para(ev.summary))
    nxt = p.plan
    out.append(
        Para(
            f"Next sprint: {nxt.name}, {nxt.budget} trials at {nxt.fidelity.describe()}, "
            f"{nxt.sampler} sampler, pruner {pruner_text(nxt)}"
            + (f" ({ev.next.reason})" if ev.next is not None and ev.next.reason else "")
            + "."
        )
    )
    if p.gate is not None:
        g = p.gate.evidence
        verdict = {True: "passed", False: "failed", None: "no verdict"}[g.passed]
        out.append(Para(f"Fidelity gate: {verdict}. {g.reason}"))
        out += _chart(
            draw,
            f"gate-{p.after_sprint}",
            lambda: charts.gate(p.gate, p.after_sprint) if p.gate is not None else None,
            f"The gate after sprint {p.after_sprint}: each carried-over configuration's rank at "
            f"the two fidelities (on the dashed line, both rank it alike).",
        )
    imp = ev.importance
    if imp is not None and imp.values is None and imp.reason:
        out.append(Para(f"Importance not computed: {imp.reason}", "note"))
    if p.changes:
        out.append(
            Table(
                ("parameter", "now", "proposed", "change", "importance", "why"),
                tuple(
                    (c.name, c.old, c.new, c.action, num(c.importance, 2), c.reason)
                    for c in p.changes
                ),
            )
        )
    if ev.kept is not None:
        k = ev.kept
        out.append(
            Para(
                f"The proposed space keeps {k.trials} of {k.of} ranked trials and "
                f"{k.top_k} of the top {k.of_top_k}"
                + (
                    f" ({ev.volume.describe()}, against the sprint's space)"
                    if ev.volume.describe()
                    else ""
                )
                + "."
            )
        )
    if ev.carry_over is not None and ev.carry_over.count:
        co = ev.carry_over
        out.append(
            Para(
                f"Carried over: {co.count} configuration(s) ({co.best} best, {co.probes} "
                "probes"
                + (f", {co.outside} of them outside the new ranges" if co.outside else "")
                + "), re-evaluated first at the next fidelity."
            )
        )
    out += [Para(f"Note: {n}", "note") for n in ev.notes]
    d = p.decision
    if d is None:
        out.append(Para("Decision: none yet; the proposal waits for the operator.", "warn"))
        return out
    line = f"Decision: {d.action} by {d.operator} at {d.at.strftime('%Y-%m-%d %H:%M:%S')} UTC"
    out.append(Para(line + (f". Note: “{d.note}”" if d.note else ".")))
    if d.edits:
        out.append(Table(("edited from the proposal",), tuple((e,) for e in d.edits)))
    return out


def _recommendation(c: Campaign) -> list[Block]:
    out: list[Block] = [Heading(2, "Recommendation", "recommendation")]
    r = c.recommendation
    if r is None:
        out.append(Para("No trial has completed yet."))
        return out
    out.append(
        Para(
            f"The best configuration measured at the highest fidelity the campaign reached "
            f"({r.fidelity}, sprint {r.sprint} {r.sprint_name}): trial {r.trial}, value "
            f"{num(r.value)}."
        )
    )
    out.append(
        Table(("parameter", "value"), tuple((k, show_value(v)) for k, v in r.params.items()))
    )
    out.append(
        Para(
            "To reproduce it: keep the spec above and put this table in it (the parameters "
            "frozen at the best values, one sprint at the fidelity above), or run the whole "
            f"campaign again from the spec, same seed: `{r.command}`."
        )
    )
    out.append(Code(r.frozen_toml, "toml"))
    if c.attrs:
        # One row per attribute (a dict's scalars each on their own row), one column per
        # trial: a workload records many, and nested logs (per-epoch losses) say "n entries".
        flat = [_flatten(a) for _, _, a in c.attrs]
        names = list(dict.fromkeys(k for f in flat for k in f))
        out.append(Para("What the objective recorded on the best trials at that fidelity:"))
        out.append(
            Table(
                ("trial", *(f"#{n} ({num(v)})" for n, v, _ in c.attrs)),
                tuple((k, *(f.get(k, "") for f in flat)) for k in names),
            )
        )
    return out


def _flatten(attrs: Mapping[str, Any], prefix: str = "", depth: int = 3) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in attrs.items():
        key = prefix + str(k)
        if isinstance(v, Mapping) and depth > 1:
            out.update(_flatten(v, key + ".", depth - 1))
        elif isinstance(v, Mapping | list | tuple):
            out[key] = f"{len(v)} entries"
        else:
            out[key] = _attr(v)
    return out


def _config(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={show_value(v)}" for k, v in params.items()) or "no parameters"


def _attr(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return num(value)
    return show_value(value)


def texts(bs: Sequence[Block]) -> list[str]:
    """Every text the blocks show (for tests and search): headings, paragraphs, cells."""
    out: list[str] = []
    for b in bs:
        if isinstance(b, Heading | Para):
            out.append(b.text)
        elif isinstance(b, Table):
            out += [cell for row in (b.header, *b.rows) for cell in row]
        elif isinstance(b, Code):
            out.append(b.text)
        else:
            out.append(b.caption)
    return out
