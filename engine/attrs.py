"""The names of the user attributes the engine writes on Optuna trials, in one place.

Everything under ``sprintopt.`` is the engine's own; the read model shows the rest as the
objective's attributes.
"""

from __future__ import annotations

PREFIX = "sprintopt."
#: A trial failed at once because the sprint's budget was taken (it never ran).
OVER_BUDGET = PREFIX + "over_budget"
#: Copies of earlier sprints' trials, added only to inform the sampler (``mix_fidelities``).
HISTORY = PREFIX + "history_from"
#: On a re-queued copy: the number of the trial whose slot it took over.
RETRY_OF = PREFIX + "retry_of"
#: On a re-queued copy: how many workers died running this configuration so far.
DEATHS = PREFIX + "worker_deaths"
#: A configuration carried over from the sprint before, re-evaluated first (the gate pairs them).
CARRIED = PREFIX + "carried_over"
#: Why a trial failed, in one line; the traceback, when there is one, is beside it.
FAIL_REASON = PREFIX + "fail_reason"
TRACEBACK = PREFIX + "traceback"
#: Who queued a configuration by hand from the app.
ENQUEUED_BY = PREFIX + "enqueued_by"
#: Written on every trial that runs: where, at what, and how long.
SPRINT = PREFIX + "sprint"
FIDELITY = PREFIX + "fidelity"
WORKER = PREFIX + "worker"
HOST = PREFIX + "host"
WALL_TIME = PREFIX + "wall_time"
