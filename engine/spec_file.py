"""Reading a spec file: a regular file of bounded size, in UTF-8, parsed as TOML."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Any

from engine.errors import SpecError
from engine.limits import MAX_SPEC_BYTES, shown

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def read_spec_text(path: str | Path) -> str:
    """The text of a spec file: a regular file of at most :data:`MAX_SPEC_BYTES`, in UTF-8."""
    where = shown(str(path))
    try:
        # Non-blocking, so a FIFO in the spec's place cannot hang the open; fstat judges it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise SpecError(f"{where}: no such file") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise SpecError(f"{where}: cannot read it ({_os_reason(exc)})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SpecError(f"{where}: not a regular file; give the path of a spec (TOML) file")
        data = _read_at_most(fd, MAX_SPEC_BYTES + 1)
    except OSError as exc:
        raise SpecError(f"{where}: cannot read it ({_os_reason(exc)})") from None
    finally:
        os.close(fd)
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError(
            f"{where}: larger than {MAX_SPEC_BYTES // 1024} KiB; a spec is a short TOML file"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{where}: cannot read it (not UTF-8 text: {exc.reason})") from None


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = os.read(fd, min(left, 65536))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _os_reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or shown(str(exc))


def parse_toml(text: str, source: str = "<spec>") -> dict[str, Any]:
    """The spec's text as TOML; a :class:`SpecError` if it is not TOML or nests too deeply."""
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise SpecError(f"{source}: not valid TOML: arrays or tables nested too deeply") from None
    except ValueError as exc:  # TOMLDecodeError, and integers of thousands of digits
        raise SpecError(f"{source}: not valid TOML: {shown(str(exc), 500)}") from None
