"""Export every trial of a session, with its sprint and fidelity, as CSV or JSON."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import stat
from dataclasses import asdict
from pathlib import Path
from typing import Any

from engine.errors import SprintoptError
from engine.limits import shown
from engine.read.model import TrialRow


class ExportError(SprintoptError):
    """The export cannot be written where it was asked for; the message says why."""


def to_records(rows: list[TrialRow]) -> list[dict[str, Any]]:
    return [asdict(r) for r in rows]


def to_json(rows: list[TrialRow]) -> str:
    return json.dumps(to_records(rows), indent=2, default=str)


def to_csv(rows: list[TrialRow]) -> str:
    names = sorted({k for r in rows for k in r.params})
    columns = [
        "sprint",
        "number",
        "state",
        "value",
        "step",
        "fidelity",
        "wall_time",
        "worker",
        "reason",
    ]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns + [f"param.{n}" for n in names])
    for r in rows:
        d = asdict(r)
        writer.writerow(
            [d[c] if d[c] is not None else "" for c in columns]
            + [r.params.get(n, "") for n in names]
        )
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
