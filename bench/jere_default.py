"""The untuned baseline for the JERE demo: SpERT's defaults at paper.toml's full fidelity.

Run: .venv/bin/python bench/jere_default.py [SPEC]
Prints the calibrated validation score and the test-split scores the tuned session is
compared with (the objective's `test` attribute).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.spec import load_spec  # noqa: E402
from engine.sprint import planned_sprint  # noqa: E402
from examples.jere.objective import objective  # noqa: E402


class Recorder:
    """A reporter that never prunes and keeps what the objective stores."""

    def __init__(self) -> None:
        self.attrs: dict[str, Any] = {}
        self.reports: list[tuple[int, float]] = []

    def report(self, value: float, step: int) -> None:
        self.reports.append((step, value))

    def set_attr(self, key: str, value: Any) -> None:
        self.attrs[key] = value


def main() -> None:
    spec = load_spec(sys.argv[1] if len(sys.argv) > 1 else REPO / "examples/jere/paper.toml")
    plan = planned_sprint(spec, len(spec.sprints) - 1)
    fidelity = plan.fidelity
    config = dict(spec.frozen)  # searched parameters left out: the model's defaults apply
    start = time.perf_counter()
    recorder = Recorder()
    score = objective(config, fidelity, recorder)
    print(
        f"default configuration at {fidelity.describe()}: calibrated validation score "
        f"{score:.4f} in {time.perf_counter() - start:.0f} s"
    )
    print("per-epoch validation:", [round(v, 4) for _, v in recorder.reports])
    print("test:", json.dumps(recorder.attrs.get("test"), indent=1))


if __name__ == "__main__":
    main()
