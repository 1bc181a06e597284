"""What a reader that polls keeps per trial between polls.

:class:`engine.read.reader.TrialCache` hands out a trial unchanged since the last poll as the
same object, so what was made of it may be kept: a poll after one trial finished then makes
one trial's worth of rows, events and chart points, not ten thousand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from optuna.trial import FrozenTrial

T = TypeVar("T")

#: How a list of trials came from an earlier one (``TrialCache.patch``): that list, and the
#: positions of the trials new or replaced in this one.
Patch = tuple[Sequence[FrozenTrial], tuple[int, ...]]


class PerTrial(Generic[T]):
    """``make(trial, *inputs)`` for each trial of a list, kept while the trial is the same
    object and each of its inputs the same object (``is``, not ``==``: comparing two trials
    field by field costs what making the value again does)."""

    def __init__(self, make: Callable[..., T]) -> None:
        self._make = make
        # By ``id()`` of the trial (held, so the id stays its own): (trial, inputs, made).
        self._made: dict[int, tuple[FrozenTrial, tuple[object, ...], T]] = {}
        self._last: tuple[Sequence[FrozenTrial], list[T]] | None = None  # (trials, made)

    def each(
        self,
        trials: Sequence[FrozenTrial],
        inputs: Callable[[FrozenTrial], tuple[object, ...]] | None = None,
        patch: Patch | None = None,
    ) -> list[T]:
        """What was made of each trial, in order; forgets the trials not in ``trials``.

        ``patch``: how ``trials`` came from an earlier list. Where that is the list of the last
        call, only the trials at its positions are looked at: the caller passes it only where
        the inputs of the others cannot have changed.
        """
        last = self._last
        if patch is not None and last is not None and patch[0] is last[0] is not trials:
            out = self._patched(trials, last, patch[1], inputs)
        else:
            out = self._all(trials, inputs)
        self._last = trials, out
        return out

    def _one(
        self,
        t: FrozenTrial,
        inputs: Callable[[FrozenTrial], tuple[object, ...]] | None,
    ) -> tuple[FrozenTrial, tuple[object, ...], T]:
        args = () if inputs is None else inputs(t)
        old = self._made.get(id(t))
        if (
            old is None
            or old[0] is not t
            or any(a is not b for a, b in zip(old[1], args, strict=True))
        ):
            old = (t, args, self._make(t, *args))
        return old

    def _all(
        self,
        trials: Sequence[FrozenTrial],
        inputs: Callable[[FrozenTrial], tuple[object, ...]] | None,
    ) -> list[T]:
        made, out = {}, []
        for t in trials:
            made[id(t)] = entry = self._one(t, inputs)
            out.append(entry[2])
        self._made = made
        return out

    def _patched(
        self,
        trials: Sequence[FrozenTrial],
        last: tuple[Sequence[FrozenTrial], list[T]],
        positions: tuple[int, ...],
        inputs: Callable[[FrozenTrial], tuple[object, ...]] | None,
    ) -> list[T]:
        before, out = last
        out = list(out)
        for i in positions:
            if i < len(before):
                self._made.pop(id(before[i]), None)
            entry = self._made[id(trials[i])] = self._one(trials[i], inputs)
            if i < len(out):
                out[i] = entry[2]
            else:
                out.append(entry[2])
        return out
