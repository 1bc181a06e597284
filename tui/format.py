"""How values read on screen: numbers, durations, times and trial states (words, not colours)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from engine import mask_url

# A glyph and a word for each state, so states read the same with NO_COLOR or on a mono link.
STATES = {
    "complete": "✓ complete",
    "pruned": "✂ pruned",
    "failed": "✗ failed",
    "running": "▶ running",
    "waiting": "… waiting",
    "retried": "↻ retried",
}


def state(name: str) -> str:
    return STATES.get(name, name)


def num(value: Any, digits: int = 5) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    return f"{hours // 24}d{hours % 24:02d}h"


#: Past this an estimate says only that it is long: wall times that far out say nothing more.
LONGEST_SHOWN = 99 * 86400.0


def estimate(seconds: float | None) -> str:
    """A time still to go: "unknown", "~1m05s", or "> 99d" past :data:`LONGEST_SHOWN`."""
    if seconds is None:
        return "unknown"
    if seconds > LONGEST_SHOWN:
        return "> 99d"
    return f"~{duration(seconds)}"


def bar(fraction: float, width: int, full: str = "█", empty: str = "░") -> str:
    """A progress bar ``width`` cells wide, ``fraction`` (clamped to 0..1) of them full."""
    cells = round(min(1.0, max(0.0, fraction)) * width)
    return full * cells + empty * (width - cells)


def clock(at: datetime | None) -> str:
    """A naive-UTC store time as local HH:MM:SS."""
    if at is None:
        return "-"
    return at.replace(tzinfo=timezone.utc).astimezone().strftime("%H:%M:%S")


def config(params: dict[str, Any] | None, limit: int = 0) -> str:
    if not params:
        return "-"
    text = ", ".join(f"{k}={num(v, 4)}" for k, v in sorted(params.items()))
    return text if not limit or len(text) <= limit else text[: limit - 1] + "…"


def where(url: str) -> str:
    """A storage URL fit to show: no password, and a SQLite file by its name only."""
    masked = mask_url(url)
    return masked.rsplit("/", 1)[-1] if masked.startswith("sqlite:") else masked
