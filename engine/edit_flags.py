"""The operator's edit flags (``--set``, ``--freeze``, ...) and what each takes.

Kept apart from :mod:`engine.decision`, which parses the edits, so the command line builds its
parser (and prints ``--help``) without loading the spec, pydantic or Optuna.
"""

from __future__ import annotations

#: Each flag, what it takes, and an example: for the command line's help text.
EDIT_FLAGS: dict[str, str] = {
    "set": "NAME=LOW:HIGH  set a numeric range (a side left empty stays), e.g. lr=1e-5:3e-4",
    "freeze": "NAME=VALUE  search NAME no more; the objective gets VALUE, e.g. dropout=0.1",
    "unfreeze": "NAME  search NAME again over its spec range, e.g. dropout",
    "drop": "NAME=CHOICE  stop trying one choice, e.g. scheduler=constant",
    "restore": "NAME=CHOICE  try a dropped choice again, e.g. scheduler=constant",
    "fidelity": "KEY=VALUE  the resource amount, a data fraction or a user key, e.g. epochs=3",
    "trials": "N  the next sprint's trial budget, e.g. 60",
    "sampler": "KIND  tpe, gp or random",
    "pruner": "KIND  hyperband, median or none",
    "min-resource": "N  the first step (epoch) the pruner may stop a trial at, e.g. 2",
}
