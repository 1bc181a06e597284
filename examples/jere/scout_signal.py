"""Does the scout's value still rank configurations? Ties at one epoch, and rank correlation.

Samples configurations of ``paper.toml``'s space with a fixed seed (Optuna's random sampler),
runs each in-process at the scout's fidelity (sprint ``define``: one epoch on a sixth of the
data, schedule off), and prints, for each per-epoch quantity of :mod:`examples.jere.epoch_score`,
how many trials tie at the same value. The first ``--full`` of them also run at a reference
fidelity (the ``full`` sprint's, by default: 3 epochs, all the data, calibrated; test scores off),
and it prints the Spearman correlation of each one-epoch quantity with the reference values.

    python -m examples.jere.scout_signal            # 20 scout configurations, 6 at full fidelity
    python -m examples.jere.scout_signal --quick    # 6 and 3 (at the warm-up fidelity)
    python -m examples.jere.scout_signal --spec examples/jere/tiny.toml   # seconds
"""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from engine.objective import Fidelity
from engine.spec import Spec, load_spec, sprint_fidelity

SPEC = Path(__file__).with_name("paper.toml")
QUANTITIES = ("f1_default", "f1_best", "average_precision")


@dataclass
class Recorder:
    """A reporter that only records (no pruning)."""

    reports: list[tuple[int, float]] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)

    def report(self, value: float, step: int) -> None:
        self.reports.append((step, value))

    def set_attr(self, key: str, value: Any) -> None:
        self.attrs[key] = value


@dataclass(frozen=True)
class Run:
    """One trial's last-epoch quantities, its returned value and its cost."""

    last: dict[str, Any]
    value: float
    seconds: float


def sample_configs(spec: Spec, n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` configurations from the spec's space, the same ones for the same seed."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = spec.to_space()
    distributions = space.to_optuna()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    configs = []
    for _ in range(n):
        trial = study.ask(distributions)
        configs.append(space.config(trial.params))
        study.tell(trial, 0.0)
    return configs


def run_trial(config: dict[str, Any], fidelity: Fidelity) -> Run:
    from examples.jere.objective import objective

    recorder = Recorder()
    started = time.perf_counter()
    value = objective(dict(config), fidelity, recorder)
    return Run(recorder.attrs["epochs"][-1], value, time.perf_counter() - started)


def ties(values: Sequence[float]) -> str:
    counts = Counter(round(v, 12) for v in values)
    return (
        f"{len(counts):>2} distinct, largest tie {max(counts.values()):>2}, "
        f"{counts.get(0.0, 0):>2} at exactly 0"
    )


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman's rho with average ranks for ties; NaN when either side is constant."""
    from scipy.stats import spearmanr

    if len(set(a)) < 2 or len(set(b)) < 2:
        return math.nan
    return float(spearmanr(a, b).statistic)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 scout and 3 warm-up runs")
    parser.add_argument("--scout", type=int, default=20, help="configurations at one epoch")
    parser.add_argument("--full", type=int, default=6, help="of which also at the reference")
    parser.add_argument("--reference", choices=("full", "warmup"), default="full")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--spec", type=Path, default=SPEC, help="default: paper.toml")
    args = parser.parse_args(argv)
    if args.quick:
        args.scout, args.full, args.reference = 6, 3, "warmup"
    spec = load_spec(args.spec)
    sprints = {s.name: s for s in spec.sprints}
    scout = sprint_fidelity(spec, sprints["define"])
    reference = sprint_fidelity(spec, sprints[args.reference])
    reference = replace(reference, extra={**reference.extra, "evaluate_test": False})
    configs = sample_configs(spec, args.scout, args.seed)

    print(f"scout fidelity: {scout.describe()}; {args.scout} configurations, seed {args.seed}")
    print(f"{'lr':>9} {'mult':>6} {'weighting':>11}  " + "  ".join(QUANTITIES))
    runs = []
    for config in configs:
        run = run_trial(config, scout)
        runs.append(run)
        print(
            f"{_describe(config)}  " + "  ".join(f"{run.last[q]:>{len(q)}.4g}" for q in QUANTITIES)
        )
    print("\nties among the scout's trials:")
    for q in QUANTITIES:
        print(f"  {q:<18} {ties([r.last[q] for r in runs])}")
    epoch_seconds = [r.last["seconds"] for r in runs]
    inference = [r.last["seconds_inference"] for r in runs]
    sweep = [r.last["seconds_scores"] for r in runs]
    print(
        f"cost per scout epoch (mean): training {_mean(epoch_seconds):.1f} s, "
        f"inference {_mean(inference):.1f} s, all three quantities {_mean(sweep):.3f} s "
        f"(max {max(sweep):.3f} s)"
    )
    if args.full < 2:
        return
    print(f"\nreference fidelity ({args.reference}): {reference.describe()}")
    references = []
    for config in configs[: args.full]:
        ref = run_trial(config, reference)
        references.append(ref)
        print(
            f"{_describe(config)}  returned {ref.value:.4f}  f1_default "
            f"{ref.last['f1_default']:.4f}  f1_best {ref.last['f1_best']:.4f}  "
            f"({ref.seconds:.0f} s)",
            flush=True,
        )
    n = len(references)
    returned = [r.value for r in references]
    default = [r.last["f1_default"] for r in references]
    print(f"\nSpearman over {n} configurations, one-epoch quantity vs the reference's")
    print(f"  {'':<18} {'returned value':>14} {'f1_default':>11}")
    for q in QUANTITIES:
        ours = [r.last[q] for r in runs[:n]]
        print(f"  {q:<18} {spearman(ours, returned):>+14.2f} {spearman(ours, default):>+11.2f}")


def _describe(config: dict[str, Any]) -> str:
    """The knobs that matter most (the learning rate dominates)."""
    lr = config.get("lr_encoder", config.get("lr", math.nan))
    mult = config.get("head_lr_mult", 1.0)
    return f"{lr:>9.3g} {mult:>6.3g} {config.get('loss_weighting', 'static'):>11}"


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


if __name__ == "__main__":
    main()
