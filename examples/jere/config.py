"""What a trial is told: the hyperparameters (config) and the run settings (fidelity), checked.

Unknown keys are errors, not silently ignored: a typo in a spec would otherwise tune nothing.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_type_hints

SCHEDULERS = ("off", "linear", "one_cycle")
SCHEDULER_ALIASES = {"linear_warmup": "linear", "constant": "off", "none": "off"}
WEIGHTINGS = ("static", "uncertainty", "dwa")
#: What each epoch reports (computed in :mod:`examples.jere.epoch_score`).
EpochMetric = Literal["f1_best", "average_precision", "f1_default"]
EPOCH_METRICS: tuple[str, ...] = get_args(EpochMetric)


class ConfigError(ValueError):
    """A config or fidelity key is unknown or its value is out of range."""


@dataclass(frozen=True)
class TrialConfig:
    """The model's hyperparameters; SpERT's defaults unless noted.

    ``lr`` and ``weight_decay`` are the base values; ``lr_encoder``/``lr_heads`` and
    ``wd_encoder``/``wd_heads`` override them per parameter group (``lr_heads`` defaults to
    ``lr_encoder × head_lr_mult``).
    """

    lr: float = 5e-5
    lr_encoder: float | None = None
    lr_heads: float | None = None
    head_lr_mult: float = 1.0
    weight_decay: float = 0.01
    wd_encoder: float | None = None
    wd_heads: float | None = None
    scheduler: str = "linear"
    pct_start: float = 0.1
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    three_phase: bool = False
    anneal_strategy: str = "cos"
    dropout: float = 0.1
    width_emb_dim: int = 25
    max_span_size: int = 10
    neg_entity_count: int = 100
    neg_relation_count: int = 100
    batch_size: int = 4
    eval_batch_size: int = 8
    max_grad_norm: float = 1.0
    loss_weighting: str = "static"
    w_mention: float = 1.0
    w_entity: float = 0.25
    w_relation: float = 1.0
    dwa_temperature: float = 2.0
    seed: int = 0

    @classmethod
    def from_dict(cls, config: Mapping[str, Any]) -> TrialConfig:
        values = _coerce(cls, config, "config", hint=RunSettings)
        values["scheduler"] = SCHEDULER_ALIASES.get(
            values.get("scheduler", "linear"), values.get("scheduler", "linear")
        )
        made = cls(**values)
        made.check()
        return made

    def check(self) -> None:
        _choice("scheduler", self.scheduler, SCHEDULERS)
        _choice("loss_weighting", self.loss_weighting, WEIGHTINGS)
        _choice("anneal_strategy", self.anneal_strategy, ("cos", "linear"))
        for name in (
            "lr",
            "lr_encoder",
            "lr_heads",
            "head_lr_mult",
            "div_factor",
            "final_div_factor",
            "max_grad_norm",
            "dwa_temperature",
        ):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ConfigError(f"config {name} must be positive, got {value}")
        if not 0.0 < self.pct_start < 1.0:
            raise ConfigError(f"config pct_start must be in (0, 1), got {self.pct_start}")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"config dropout must be in [0, 1), got {self.dropout}")
        for name in ("width_emb_dim", "max_span_size", "batch_size", "eval_batch_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"config {name} must be at least 1")

    @property
    def encoder_lr(self) -> float:
        return self.lr_encoder if self.lr_encoder is not None else self.lr

    @property
    def heads_lr(self) -> float:
        return self.lr_heads if self.lr_heads is not None else self.encoder_lr * self.head_lr_mult

    @property
    def encoder_wd(self) -> float:
        return self.wd_encoder if self.wd_encoder is not None else self.weight_decay

    @property
    def heads_wd(self) -> float:
        return self.wd_heads if self.wd_heads is not None else self.weight_decay

    @property
    def static_weights(self) -> dict[str, float]:
        return {"mention": self.w_mention, "entity": self.w_entity, "relation": self.w_relation}


@dataclass(frozen=True)
class RunSettings:
    """Settings from ``fidelity.extra``: encoder, data, schedule length, evaluation.

    ``scheduler`` overrides the config's (phase 1 runs with the schedule off). The schedule
    spans ``max_epochs`` (default: the fidelity's epochs); training stops after the fidelity's
    epochs or ``stop_after_epoch`` (an epoch number, or ``"warmup"`` for ⌈pct_start·max_epochs⌉),
    whichever is first. ``t_mention``/``t_rel`` are the fixed thresholds of every per-epoch
    report; calibration starts from them. ``epoch_metric`` is the quantity each epoch reports:
    ``f1_best`` (relation micro-F1 at the best thresholds on the validation subset, the
    default), ``average_precision``, or ``f1_default`` (at ``t_mention``/``t_rel``).
    """

    encoder: str = "tiny"
    data: str = "synthetic"
    data_prefix: str = "synth"
    n_train: int = 600
    n_dev: int = 150
    n_test: int = 150
    data_seed: int = 0
    difficulty: str = "medium"
    scheduler: str | None = None
    max_epochs: int | None = None
    stop_after_epoch: int | str | None = None
    t_mention: float = 0.5
    t_rel: float = 0.4
    epoch_metric: str = "f1_best"
    calibrate: bool = True
    calibration_calls: int = 30
    per_type_thresholds: bool = False
    max_pair_spans: int = 40
    evaluate_test: bool = False
    num_threads: int | None = None
    device: str = "auto"

    @classmethod
    def from_extra(cls, extra: Mapping[str, Any]) -> RunSettings:
        values = _coerce(cls, extra, "fidelity", hint=TrialConfig)
        if "scheduler" in values and values["scheduler"] is not None:
            values["scheduler"] = SCHEDULER_ALIASES.get(values["scheduler"], values["scheduler"])
            _choice("fidelity scheduler", values["scheduler"], SCHEDULERS)
        _choice("fidelity epoch_metric", values.get("epoch_metric", "f1_best"), EPOCH_METRICS)
        stop = values.get("stop_after_epoch")
        if stop is not None and stop != "warmup" and not (isinstance(stop, int) and stop >= 1):
            raise ConfigError(
                f"fidelity stop_after_epoch must be an epoch number or 'warmup', got {stop!r}"
            )
        return cls(**values)

    def epochs(self, fidelity_epochs: int, config: TrialConfig) -> tuple[int, int]:
        """(epochs to train, epochs the schedule spans)."""
        horizon = self.max_epochs or fidelity_epochs
        train = min(fidelity_epochs, horizon)
        if self.stop_after_epoch == "warmup":
            train = min(train, max(1, math.ceil(config.pct_start * horizon - 1e-9)))
        elif self.stop_after_epoch is not None:
            train = min(train, int(self.stop_after_epoch))
        return train, horizon


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {list(allowed)}, got {value!r}")


def _coerce(cls: type, given: Mapping[str, Any], where: str, hint: type) -> dict[str, Any]:
    """Check the keys against the dataclass and cast values (samplers hand out numpy types)."""
    hints = get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in given.items():
        if key not in known:
            other = {f.name for f in dataclasses.fields(hint)}
            place = (
                " (it is a fidelity setting: put it in [fidelity.extra])"
                if (key in other and where == "config")
                else (" (it is a hyperparameter: put it in [space])" if key in other else "")
            )
            raise ConfigError(
                f"unknown {where} key {key!r}{place}; known keys: {', '.join(sorted(known))}"
            )
        values[key] = _cast(value, hints[key], f"{where} {key}")
    return values


def _cast(value: Any, kind: Any, name: str) -> Any:
    """Cast ``value`` to one of the types of the hint ``kind`` (a type or a union of types)."""
    allowed = get_args(kind) or (kind,)
    if hasattr(value, "item"):  # numpy scalars from samplers
        value = value.item()
    if value is None and type(None) in allowed:
        return None
    if isinstance(value, bool):
        if bool in allowed:
            return value
    elif isinstance(value, str):
        if str in allowed:
            return value
    elif isinstance(value, int | float):
        if int in allowed and float(value) == int(value):
            return int(value)
        if float in allowed:
            return float(value)
    names = " or ".join(getattr(t, "__name__", str(t)) for t in allowed)
    raise ConfigError(f"{name} has the wrong type: {value!r} (expected {names})")
