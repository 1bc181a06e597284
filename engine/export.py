"""Export every trial of a session, with its sprint and fidelity, as CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict

from engine.readmodel import TrialRow


def to_records(rows: list[TrialRow]) -> list[dict]:
    return [asdict(r) for r in rows]


def to_json(rows: list[TrialRow]) -> str:
    return json.dumps(to_records(rows), indent=2, default=str)


def to_csv(rows: list[TrialRow]) -> str:
    names = sorted({k for r in rows for k in r.params})
    columns = [
        "sprint",
        "number",
        "state",
        "value",
        "step",
        "fidelity",
        "wall_time",
        "worker",
        "reason",
    ]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns + [f"param.{n}" for n in names])
    for r in rows:
        d = asdict(r)
        writer.writerow(
            [d[c] if d[c] is not None else "" for c in columns]
            + [r.params.get(n, "") for n in names]
        )
    return out.getvalue()
