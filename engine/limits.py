"""The bounds on what sprintopt accepts from a user, and on how much of it a message repeats.

Each bound keeps a value inside what the runtime can turn into numbers: Optuna's distributions
(floats stored in a DOUBLE column, step grids checked in 28-digit decimals), ``timedelta``, a
sampler seed (NumPy takes 0 .. 2**32 - 1), JSON columns (finite numbers, 64-bit integers).
"""

from __future__ import annotations

#: A spec file is read up to this many bytes; a larger one (or /dev/zero) is refused.
MAX_SPEC_BYTES = 1024 * 1024
#: Seeds are 0 .. 2**31 - 1; a worker folds the sprint and its id in, then reduces mod 2**32.
MAX_SEED = 2**31 - 1
#: Any time limit (a sprint's `timeout`, a trial's `trial_timeout`): ten years, in seconds.
MAX_SECONDS = 10 * 365.25 * 24 * 3600
#: Int parameters stay where a float (Optuna stores every parameter as one) is exact.
MAX_INT_PARAM = 2**53
#: A float step is at least this fraction of the largest bound (|low| or |high|). Grid points
#: are computed and checked in floats (about 16 digits): finer, a point Optuna just sampled can
#: fail its own on-the-grid check, and Optuna's 28-digit decimal check of the step can fail.
MIN_STEP_RATIO = 1e-7
#: A fidelity's resource (epochs, samples) in whole steps, and the factor between sprints.
MAX_RESOURCE = 10**12
MAX_FIDELITY_STEP = 1000.0
#: Counts in the spec that have no natural bound of their own (top_k, carry_over, ...).
MAX_COUNT = 100_000
#: Integers inside free-form values (frozen, fidelity extras) must fit in 64 bits, as in TOML.
MAX_JSON_INT = 2**63 - 1
#: Nesting of arrays and tables inside free-form values.
MAX_DEPTH = 32
#: Names of parameters and frozen values (Optuna's param_name column holds 512).
MAX_PARAM_NAME = 200
#: A session name (it becomes `sessions/<name>.db`).
MAX_SESSION_NAME = 80
#: How much of a user's text any message repeats.
ECHO_LIMIT = 200


def shown(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis: a message never repeats megabytes."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"
