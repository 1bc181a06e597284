"""Optimizer groups, schedules, stop-after-epoch, loss weighting, and a tiny model that learns."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from examples.jere.batching import collate_samples
from examples.jere.config import ConfigError, RunSettings, TrialConfig
from examples.jere.encoder import load_encoder, load_tokenizer
from examples.jere.encoding import encode_documents
from examples.jere.model import JointModel
from examples.jere.optim import make_optimizer, make_scheduler
from examples.jere.sampling import training_sample
from examples.jere.schema import CONLL04, Document, Entity, Relation
from examples.jere.train import task_losses
from examples.jere.weighting import DynamicWeightAverage, UncertaintyWeighting, make_weighting


def tiny_model(words: set[str]) -> tuple[JointModel, object]:
    tokenizer = load_tokenizer("tiny", frozenset(words))
    encoder, hidden = load_encoder("tiny", tokenizer)
    return JointModel(
        encoder, hidden, len(CONLL04.entity_types), len(CONLL04.relation_types)
    ), tokenizer


@pytest.fixture(scope="module")
def model() -> JointModel:
    torch.manual_seed(0)
    return tiny_model({"a"})[0]


def rates(
    config: TrialConfig, scheduler: str, steps: int, model: JointModel
) -> list[dict[str, float]]:
    """The learning rate of each group at each of ``steps`` optimizer steps."""
    optimizer = make_optimizer(model, config)
    schedule = make_scheduler(optimizer, config, scheduler, steps)
    seen = []
    for _ in range(steps):
        seen.append({g["name"]: g["lr"] for g in optimizer.param_groups})
        optimizer.step()
        if schedule is not None:
            schedule.step()
    return seen


def test_four_groups_with_their_own_rates_and_no_decay_on_bias_and_norm(model: JointModel) -> None:
    config = TrialConfig(lr_encoder=1e-4, lr_heads=1e-3, wd_encoder=0.02, wd_heads=0.1)
    weighting = UncertaintyWeighting()
    groups = {g["name"]: g for g in make_optimizer(model, config, weighting).param_groups}
    assert set(groups) == {"encoder", "encoder_no_decay", "heads", "heads_no_decay"}
    assert (groups["encoder"]["lr"], groups["encoder"]["weight_decay"]) == (1e-4, 0.02)
    assert (groups["encoder_no_decay"]["lr"], groups["encoder_no_decay"]["weight_decay"]) == (
        1e-4,
        0.0,
    )
    assert (groups["heads"]["lr"], groups["heads"]["weight_decay"]) == (1e-3, 0.1)
    assert (groups["heads_no_decay"]["lr"], groups["heads_no_decay"]["weight_decay"]) == (1e-3, 0.0)
    ids = {name: {id(p) for p in g["params"]} for name, g in groups.items()}
    encoder = model.encoder
    assert id(encoder.embeddings.LayerNorm.weight) in ids["encoder_no_decay"]
    assert id(encoder.encoder.layer[0].attention.self.query.bias) in ids["encoder_no_decay"]
    assert id(encoder.encoder.layer[0].attention.self.query.weight) in ids["encoder"]
    assert id(model.width_embedding.weight) in ids["heads"]
    assert id(model.relation_head.bias) in ids["heads_no_decay"]
    assert id(weighting.log_vars) in ids["heads_no_decay"]
    every = [p for g in groups.values() for p in g["params"]]
    assert len(every) == len({id(p) for p in every}) == len(list(model.parameters())) + 1


def test_lr_heads_defaults_to_the_encoder_rate_times_the_multiplier() -> None:
    config = TrialConfig.from_dict({"lr": 2e-5, "head_lr_mult": 10.0, "weight_decay": 0.05})
    assert config.encoder_lr == 2e-5 and config.heads_lr == pytest.approx(2e-4)
    assert config.encoder_wd == config.heads_wd == 0.05


def test_scheduler_off_keeps_the_rate_constant(model: JointModel) -> None:
    seen = rates(TrialConfig(lr_encoder=1e-4, lr_heads=1e-3), "off", 20, model)
    assert all(row == seen[0] for row in seen)
    assert seen[0]["encoder"] == 1e-4 and seen[0]["heads"] == 1e-3


@pytest.mark.parametrize(("pct_start", "steps"), [(0.3, 20), (0.25, 40), (0.1, 30)])
def test_the_one_cycle_peak_is_at_pct_start(
    model: JointModel, pct_start: float, steps: int
) -> None:
    config = TrialConfig(lr_encoder=1e-4, lr_heads=1e-3, pct_start=pct_start, div_factor=10.0)
    seen = rates(config, "one_cycle", steps, model)
    peak = int(np.argmax([row["heads"] for row in seen]))
    assert peak + 1 == math.ceil(pct_start * steps)  # the peak is hit on that step
    assert seen[peak]["heads"] == pytest.approx(1e-3)
    assert seen[peak]["encoder"] == pytest.approx(1e-4)  # each group peaks at its own rate
    assert seen[0]["heads"] == pytest.approx(1e-4)  # starts at max / div_factor


def test_linear_warms_up_then_decays_towards_zero(model: JointModel) -> None:
    seen = [row["heads"] for row in rates(TrialConfig(lr=1e-3, pct_start=0.2), "linear", 50, model)]
    peak = int(np.argmax(seen))
    assert peak == 10 and seen[peak] == pytest.approx(1e-3)
    assert all(a <= b for a, b in zip(seen[:peak], seen[1 : peak + 1], strict=True))
    assert all(a >= b for a, b in zip(seen[peak:-1], seen[peak + 1 :], strict=True))
    assert seen[-1] < 1e-4


def test_stop_after_epoch_cuts_training_but_not_the_schedule() -> None:
    config = TrialConfig(pct_start=0.3)
    assert RunSettings.from_extra({"stop_after_epoch": "warmup"}).epochs(10, config) == (3, 10)
    assert RunSettings.from_extra({"stop_after_epoch": 2}).epochs(10, config) == (2, 10)
    assert RunSettings.from_extra({"max_epochs": 8}).epochs(2, config) == (2, 8)
    assert RunSettings.from_extra({}).epochs(4, config) == (4, 4)
    with pytest.raises(ConfigError, match="stop_after_epoch"):
        RunSettings.from_extra({"stop_after_epoch": "soon"})


def test_uncertainty_weighting_follows_kendall() -> None:
    weighting = UncertaintyWeighting()
    with torch.no_grad():
        weighting.log_vars.copy_(torch.tensor([0.0, math.log(2.0), -1.0]))
    losses = {
        "mention": torch.tensor(1.0),
        "entity": torch.tensor(4.0),
        "relation": torch.tensor(0.5),
    }
    expected = 1.0 + (4.0 / 2.0 + math.log(2.0)) + (0.5 * math.e - 1.0)
    assert float(weighting.combine(losses).detach()) == pytest.approx(expected)
    assert weighting.weights()["entity"] == pytest.approx(0.5)


def test_dwa_favours_the_task_whose_loss_falls_slowest() -> None:
    weighting = DynamicWeightAverage(temperature=1.0)
    weighting.end_epoch({"mention": 1.0, "entity": 1.0, "relation": 1.0})
    assert weighting.weights() == {"mention": 1.0, "entity": 1.0, "relation": 1.0}
    weighting.end_epoch({"mention": 0.5, "entity": 0.9, "relation": 0.2})
    weights = weighting.weights()
    assert weights["entity"] > weights["mention"] > weights["relation"]
    assert sum(weights.values()) == pytest.approx(3.0)


def test_static_weighting_uses_the_config_weights() -> None:
    weighting = make_weighting("static", TrialConfig(w_entity=0.25).static_weights, 2.0)
    losses = {"mention": torch.tensor(1.0), "entity": torch.tensor(2.0)}
    assert float(weighting.combine(losses)) == pytest.approx(1.0 + 0.5)
    with pytest.raises(ValueError, match="loss_weighting"):
        make_weighting("gradnorm", {}, 2.0)


def test_the_tiny_model_overfits_two_sentences() -> None:
    documents = [
        Document(
            tuple("Ann Lee works for Acme Corp. in Boston .".split()),
            (Entity("Peop", 0, 2), Entity("Org", 4, 6), Entity("Loc", 7, 8)),
            (Relation("Work_For", 0, 1), Relation("OrgBased_In", 1, 2)),
        ),
        Document(
            tuple("Bob Stone killed Carl in Paris .".split()),
            (Entity("Peop", 0, 2), Entity("Peop", 3, 4), Entity("Loc", 5, 6)),
            (Relation("Kill", 0, 1),),
        ),
    ]
    torch.manual_seed(0)
    model, tokenizer = tiny_model({w for d in documents for w in d.tokens})
    encoded = encode_documents(documents, tokenizer, max_length=64)
    config = TrialConfig(lr=3e-3, dropout=0.0)
    optimizer = make_optimizer(model, config)
    rng = np.random.default_rng(0)
    totals = []
    for _ in range(50):
        samples = [training_sample(e, CONLL04, 4, 10, 10, rng) for e in encoded]
        losses = task_losses(model, collate_samples(samples, tokenizer.pad_token_id, 5))
        loss = sum(losses.values())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        totals.append(float(loss.detach()))
    assert set(losses) == {"mention", "entity", "relation"}
    assert np.mean(totals[-5:]) < 0.5 * np.mean(totals[:5])
