"""Seconds per epoch of the JERE demo on this machine, for the tiny encoder and for MiniLM.

Usage: ``python bench/jere_speed.py [--encoders tiny minilm] [--n-train 600] [--n-dev 150]
[--epochs 1] [--batch-size 4] [--threads 2]``. Prints one line per encoder and measurement.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from examples.jere.config import RunSettings, TrialConfig
from examples.jere.datasets import prepared
from examples.jere.objective import _infer, _model
from examples.jere.train import Trainer, steps_per_epoch


def measure(encoder: str, args: argparse.Namespace) -> None:
    run = RunSettings(encoder=encoder, n_train=args.n_train, n_dev=args.n_dev, n_test=0)
    started = time.perf_counter()
    splits = prepared(run)
    prepare = time.perf_counter() - started
    trial = TrialConfig.from_dict(
        {"lr": 3e-3 if encoder == "tiny" else 5e-5, "batch_size": args.batch_size}
    )
    torch.manual_seed(0)
    started = time.perf_counter()
    model = _model(splits, run, trial)
    load = time.perf_counter() - started
    parameters = sum(p.numel() for p in model.parameters())
    trainer = Trainer(
        model,
        trial,
        splits.schema,
        scheduler="linear",
        steps_per_epoch=steps_per_epoch(len(splits.train), args.batch_size),
        horizon_epochs=args.epochs,
        pad_id=0,
        device=torch.device("cpu"),
    )
    pieces = sum(len(d.input_ids) for d in splits.train) / len(splits.train)
    print(
        f"{encoder}: {parameters / 1e6:.2f} M parameters, data+tokenizer {prepare:.2f} s, "
        f"model build {load:.2f} s, {len(splits.train)} train documents "
        f"({pieces:.1f} pieces on average), batch {args.batch_size}",
        flush=True,
    )
    for result in trainer.epochs(splits.train, args.epochs):
        started = time.perf_counter()
        _infer(model, splits.dev, trial, run, splits, 0.05, torch.device("cpu"))
        valid = time.perf_counter() - started
        print(
            f"{encoder}: epoch {result.epoch}: train {result.seconds:.1f} s "
            f"({result.seconds / len(splits.train) * 1000:.1f} ms/document), "
            f"validation pass over {len(splits.dev)} documents {valid:.1f} s, "
            f"losses { ({k: round(v, 3) for k, v in result.losses.items()}) }",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoders", nargs="+", default=["tiny", "minilm"])
    parser.add_argument("--n-train", type=int, default=600)
    parser.add_argument("--n-dev", type=int, default=150)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"torch {torch.__version__}, {args.threads} threads, "
        f"cuda {'yes' if torch.cuda.is_available() else 'no'} (measured on the CPU)"
    )
    for encoder in args.encoders:
        measure(encoder, args)


if __name__ == "__main__":
    main()
