"""Export every trial of a session, with its sprint and fidelity, as CSV or JSON.

Both give the same columns (:func:`columns`): CSV as its header, JSON as each flat record's
keys, with only the intermediate values added. Parameters are ``param.NAME``, the objective's
own attributes ``attr.KEY`` (a list or a table as its JSON text) and the sprint's fidelity as
numbers ``fidelity.KEY`` beside its description in ``fidelity``.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import stat
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from engine.errors import SprintoptError
from engine.limits import shown
from engine.read.model import TrialRow


class ExportError(SprintoptError):
    """The export cannot be written where it was asked for; the message says why."""


#: The columns every export starts with; ``fidelity.*``, ``attr.*`` and ``param.*`` follow.
COLUMNS = (
    "sprint",
    "number",
    "state",
    "value",
    "step",
    "sprint_name",
    "started",
    "ended",
    "wall_time",
    "worker",
    "carried_over",
    "retry_of",
    "reason",
    "fidelity",
)
#: What a JSON record holds beside the columns: the objective's reports, step to value.
INTERMEDIATE = "intermediate_values"


def columns(rows: Sequence[TrialRow]) -> list[str]:
    """The export's columns, the CSV header and every JSON record's keys (bar the reports)."""
    fidelity: dict[str, None] = {}  # in first-seen order: the resource and fractions lead
    for r in rows:
        fidelity.update(dict.fromkeys(r.fidelity_values))
    attrs = sorted({k for r in rows for k in r.attrs})
    params = sorted({k for r in rows for k in r.params})
    return [
        *COLUMNS,
        *(f"fidelity.{k}" for k in fidelity),
        *(f"attr.{k}" for k in attrs),
        *(f"param.{k}" for k in params),
    ]


def to_records(rows: Sequence[TrialRow]) -> list[dict[str, Any]]:
    """One flat record per row with every column (None where a row has no value)."""
    names = columns(rows)
    made = [_record(r) for r in rows]
    return [{name: record.get(name) for name in names} for record in made]


def _record(r: TrialRow) -> dict[str, Any]:
    return {
        "sprint": r.sprint,
        "number": r.number,
        "state": r.state,
        "value": r.value,
        "step": r.step,
        "sprint_name": r.sprint_name,
        "started": _time(r.started),
        "ended": _time(r.ended),
        "wall_time": r.wall_time,
        "worker": r.worker,
        "carried_over": r.carried_over,
        "retry_of": r.retry_of,
        "reason": r.reason,
        "fidelity": r.fidelity,
        **{f"fidelity.{k}": v for k, v in r.fidelity_values.items()},
        **{f"attr.{k}": _scalar(v) for k, v in r.attrs.items()},
        **{f"param.{k}": v for k, v in r.params.items()},
    }


def _time(at: datetime | None) -> str | None:
    """ISO 8601 with its offset: the rows hold naive UTC."""
    return at.replace(tzinfo=timezone.utc).isoformat() if at is not None else None


def _scalar(value: Any) -> Any:
    """A value one cell can hold: a list or a table is given as its JSON text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, sort_keys=True)


def to_json(rows: Sequence[TrialRow]) -> str:
    """The CSV's columns as flat records, each with its intermediate values too."""
    records = [
        {**record, INTERMEDIATE: {str(step): v for step, v in sorted(r.intermediate.items())}}
        for record, r in zip(to_records(rows), rows, strict=True)
    ]
    return json.dumps(records, indent=2, default=str)


def to_csv(rows: Sequence[TrialRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns(rows))
    for record in to_records(rows):
        writer.writerow("" if v is None else v for v in record.values())
    return out.getvalue()


def write_export(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path``, a file: a new one is created 0600 whatever the umask.

    An existing regular file is overwritten and keeps its mode (it is the user's file); a
    directory, a device or a FIFO is refused before anything is written, and no mode is ever
    set on a path before it is known to be a file this call created.
    """
    where = shown(str(path))
    data = text.encode("utf-8")
    try:
        fd, created = _open_for_export(path)
    except FileNotFoundError:
        parent = Path(path).parent
        raise ExportError(
            f"cannot write {where}: the folder {shown(str(parent))} does not exist"
        ) from None
    except IsADirectoryError:
        raise ExportError(f"cannot write {where}: it is a folder; give a file name") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise ExportError(f"cannot write {where}: {_reason(exc)}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ExportError(f"cannot write {where}: not a regular file; give a file name")
        if created:
            os.fchmod(fd, 0o600)  # the umask may have taken more (or, at 0o000, nothing)
        os.ftruncate(fd, 0)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except OSError as exc:
        raise ExportError(f"cannot write {where}: {_reason(exc)}") from None
    finally:
        os.close(fd)


def _open_for_export(path: str | Path) -> tuple[int, bool]:
    """An fd open for writing, and whether this call created the file."""
    flags = os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600), True
    except FileExistsError:
        # Non-blocking: a FIFO without a reader fails at once (ENXIO) instead of hanging here.
        return os.open(path, flags | getattr(os, "O_NONBLOCK", 0)), False


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.errno == errno.ENXIO:
        return "not a regular file; give a file name"
    return getattr(exc, "strerror", None) or shown(str(exc))
