"""The command line's argument types: a bad number is argparse's usage error (exit 2), before
anything runs."""

from __future__ import annotations

import argparse
import re

from engine import shown

#: More worker processes than this on one box is a typo, not a plan.
MAX_WORKERS = 1024
#: What CUDA_VISIBLE_DEVICES takes: an index, or a GPU or MIG UUID.
GPU_ID = re.compile(r"^(\d{1,4}|(GPU|MIG)-[0-9A-Za-z-]{1,80})$")


def worker_count(text: str) -> int:
    """``--workers``: a whole number from 1 to :data:`MAX_WORKERS`."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{shown(text)!r} is not a whole number") from None
    if not 1 <= value <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(
            f"{shown(text)}: start from 1 to {MAX_WORKERS} workers (stop them with sprintopt stop)"
        )
    return value


def seconds(text: str) -> float:
    """``--interval``: a number of seconds from 0.1 to 3600."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{shown(text)!r} is not a number of seconds") from None
    if not 0.1 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"{shown(text)}: give 0.1 to 3600 seconds")
    return value


def gpu_id(text: str) -> str:
    """``--gpu``: one id as CUDA_VISIBLE_DEVICES takes it (0, 3, GPU-<uuid>, MIG-<uuid>)."""
    value = text.strip()
    if not GPU_ID.match(value):
        raise argparse.ArgumentTypeError(
            f"{shown(text)!r} is not a GPU id: give an index such as 0, or a GPU-/MIG- UUID"
        )
    return value


def gpu_list(text: str) -> list[str]:
    """``--gpus``: comma-separated GPU ids, one worker each (0,1 or 0,2,3)."""
    entries = text.split(",")
    if any(not e.strip() for e in entries):
        raise argparse.ArgumentTypeError(
            f"{shown(text)!r} has an empty entry: list GPU ids separated by commas, e.g. 0,1"
        )
    if len(entries) > MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"at most {MAX_WORKERS} GPUs, one worker each")
    return [gpu_id(e) for e in entries]
