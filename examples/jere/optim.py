"""The optimizer's four parameter groups and the learning-rate schedules the paper compares."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from examples.jere.config import TrialConfig

GROUPS = ("encoder", "encoder_no_decay", "heads", "heads_no_decay")


def no_decay(module: nn.Module, name: str) -> bool:
    """Biases and normalisation weights are not decayed (decay would fight their role)."""
    return name.endswith("bias") or "norm" in type(module).__name__.lower()


def parameter_groups(
    model: nn.Module, config: TrialConfig, extra: nn.Module | None = None
) -> list[dict[str, Any]]:
    """Encoder and head parameters, each split by decay; ``extra`` (loss weights) never decays.

    Every group carries its own ``lr`` and ``weight_decay`` and a ``name`` from :data:`GROUPS`.
    Groups that would be empty are left out.
    """
    members: dict[str, list[nn.Parameter]] = {name: [] for name in GROUPS}
    encoder = getattr(model, "encoder", None)
    encoder_ids = {id(p) for p in encoder.parameters()} if encoder is not None else set()
    for module in model.modules():
        for name, parameter in module.named_parameters(recurse=False):
            if not parameter.requires_grad:
                continue
            part = "encoder" if id(parameter) in encoder_ids else "heads"
            members[part + ("_no_decay" if no_decay(module, name) else "")].append(parameter)
    if extra is not None:
        members["heads_no_decay"] += [p for p in extra.parameters() if p.requires_grad]
    settings = {
        "encoder": (config.encoder_lr, config.encoder_wd),
        "encoder_no_decay": (config.encoder_lr, 0.0),
        "heads": (config.heads_lr, config.heads_wd),
        "heads_no_decay": (config.heads_lr, 0.0),
    }
    return [
        {
            "name": name,
            "params": members[name],
            "lr": settings[name][0],
            "weight_decay": settings[name][1],
        }
        for name in GROUPS
        if members[name]
    ]


def make_optimizer(
    model: nn.Module, config: TrialConfig, extra: nn.Module | None = None
) -> torch.optim.AdamW:
    groups = parameter_groups(model, config, extra)
    try:
        # The fused kernel is ~7x faster than the default loop on a CPU (0.18 s -> 0.025 s a
        # step for MiniLM, whose 11.7 M-row embedding dominates); it needs float parameters.
        return torch.optim.AdamW(groups, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.AdamW(groups)


def make_scheduler(
    optimizer: torch.optim.Optimizer, config: TrialConfig, scheduler: str, total_steps: int
) -> Any | None:
    """The schedule over ``total_steps`` optimizer steps (the whole horizon, not the stop).

    ``off`` keeps every group's learning rate constant; ``linear`` warms up over
    ``pct_start`` of the steps then decays linearly to zero (SpERT); ``one_cycle`` is torch's
    one-cycle policy with each group's own learning rate as its peak.
    """
    total_steps = max(1, total_steps)
    if scheduler == "off":
        return None
    if scheduler == "linear":
        from transformers import get_linear_schedule_with_warmup

        warmup = int(round(config.pct_start * total_steps))
        return get_linear_schedule_with_warmup(optimizer, warmup, total_steps)
    if scheduler == "one_cycle":
        return torch.optim.lr_scheduler.OneCycleLR(
            optimizer,
            max_lr=[group["lr"] for group in optimizer.param_groups],
            total_steps=total_steps,
            pct_start=config.pct_start,
            anneal_strategy=config.anneal_strategy,
            div_factor=config.div_factor,
            final_div_factor=config.final_div_factor,
            three_phase=config.three_phase,
            # AdamW's beta1 is left alone, so one_cycle differs from linear only in the rate.
            cycle_momentum=False,
        )
    raise ValueError(f"unknown scheduler {scheduler!r}")
