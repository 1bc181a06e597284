"""The report's blocks as one self-contained HTML file, or as Markdown with its charts beside.

The HTML carries everything inline (styles, charts as SVG) and no script; its content
security policy forbids every fetch, so a browser opening it offline makes no request at all
(and one that a later change might add shows as an error in the browser's console).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from tui.report.document import Block, Chart, Code, Heading, Para, Table

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; background: #fff; }
h1 { font-size: 1.6rem; margin-bottom: .3rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .9rem; }
th, td { border: 1px solid #ddd; padding: .2rem .5rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
pre { background: #f6f8fa; padding: .7rem; overflow-x: auto; font-size: .85rem; }
figure { margin: 1rem 0; } figure svg { max-width: 100%; height: auto; }
figcaption { font-size: .85rem; color: #555; }
.lead { font-size: 1.1rem; background: #eef6ee; padding: .6rem .8rem; border-left: 4px solid #2a7; }
.warn { background: #fff6e0; padding: .5rem .8rem; border-left: 4px solid #e90; }
.note { color: #555; }
"""


def to_html(title: str, blocks: Sequence[Block]) -> str:
    body = "\n".join(_html_block(b) for b in blocks)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _html_block(b: Block) -> str:
    e = html.escape
    if isinstance(b, Heading):
        anchor = f' id="{e(b.anchor)}"' if b.anchor else ""
        return f"<h{b.level}{anchor}>{e(b.text)}</h{b.level}>"
    if isinstance(b, Para):
        cls = f' class="{b.kind}"' if b.kind else ""
        return f"<p{cls}>{_inline_code(e(b.text))}</p>"
    if isinstance(b, Table):
        head = (
            ""
            if not any(b.header)
            else "<thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in b.header) + "</tr></thead>"
        )
        rows = "".join(
            "<tr>" + "".join(f"<td>{e(cell)}</td>" for cell in row) + "</tr>" for row in b.rows
        )
        return f"<table>{head}<tbody>{rows}</tbody></table>"
    if isinstance(b, Code):
        return f"<pre><code>{e(b.text)}</code></pre>"
    return (
        f'<figure class="chart" id="chart-{e(b.name)}">{b.svg}'
        f"<figcaption>{e(b.caption)}</figcaption></figure>"
    )


def _inline_code(escaped: str) -> str:
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)


def to_markdown(blocks: Sequence[Block], images: str) -> tuple[str, dict[str, str]]:
    """The Markdown text, and the charts to write beside it: {relative path: SVG}.

    ``images`` is the folder (relative to the Markdown file) the charts go in.
    """
    parts: list[str] = []
    files: dict[str, str] = {}
    for b in blocks:
        if isinstance(b, Heading):
            parts.append("#" * b.level + " " + _md_text(b.text))
        elif isinstance(b, Para):
            text = b.text if "`" in b.text else _md_text(b.text)
            parts.append(f"> {text}" if b.kind in ("warn", "lead") else text)
        elif isinstance(b, Table):
            header = b.header if any(b.header) else tuple(" " for _ in b.header)
            lines = [_md_row(header), "|" + "|".join(" --- " for _ in header) + "|"]
            lines += [_md_row(row) for row in b.rows]
            parts.append("\n".join(lines))
        elif isinstance(b, Code):
            fence = "````" if "```" in b.text else "```"
            parts.append(f"{fence}{b.language}\n{b.text}\n{fence}")
        elif isinstance(b, Chart):
            path = f"{images}/{b.name}.svg"
            files[path] = b.svg
            parts.append(f"![{_md_text(b.caption)}]({path})")
    return "\n\n".join(parts) + "\n", files


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(_md_text(c).replace("|", "\\|") or " " for c in cells) + " |"


def _md_text(text: str) -> str:
    """Text as Markdown reads it: characters that would turn into markup are escaped."""
    text = text.replace("\\", "\\\\")
    text = re.sub(r"([*_\[\]<>#`])", r"\\\1", text)
    return text.replace("\n", " ")
