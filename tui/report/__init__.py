"""``sprintopt report``: the campaign told in one file (HTML, or Markdown with its charts).

The content comes from the engine (:func:`engine.campaign`); :mod:`tui.report.document`
arranges it in story order, :mod:`tui.report.charts` draws it with matplotlib and
:mod:`tui.report.render` writes HTML or Markdown. Imported only by the ``report`` command.
"""

from __future__ import annotations

from pathlib import Path

from engine import Campaign, write_export
from tui.report.document import blocks
from tui.report.render import to_html, to_markdown

FORMATS = ("html", "md")


def report_html(c: Campaign) -> str:
    """The report of ``c`` as one self-contained HTML page (its charts inline)."""
    return to_html(f"sprintopt report: {c.name}", blocks(c))


def write_report(c: Campaign, path: Path, fmt: str) -> list[Path]:
    """Write the report of ``c`` to ``path`` (Markdown: charts in ``<stem>_files/`` beside it);
    the files written, the report first."""
    if fmt == "html":
        write_export(path, report_html(c))
        return [path]
    bs = blocks(c)
    images = f"{path.stem}_files"
    text, files = to_markdown(bs, images)
    write_export(path, text)  # first: a path that cannot be written fails before the charts
    written = [path]
    if files:
        (path.parent / images).mkdir(mode=0o700, exist_ok=True)
    for rel, svg in files.items():
        write_export(path.parent / rel, svg)
        written.append(path.parent / rel)
    return written
