"""Widgets that show text as it is: what comes from the engine, the spec or the operator is
never parsed as markup (a choice named ``[a]`` or a note with ``[bold]`` shows as typed)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey


def plain(cell: Any) -> Any:
    """A cell as a :class:`Text` when it is a string, so the table never reads it as markup."""
    return Text(cell) if isinstance(cell, str) else cell


class PlainTable(DataTable):
    """A row table whose string cells and column labels are plain text; j/k move like arrows."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def add_row(self, *cells: Any, **kwargs: Any) -> RowKey:
        return super().add_row(*(plain(c) for c in cells), **kwargs)

    def add_column(self, label: Any, **kwargs: Any) -> ColumnKey:
        return super().add_column(plain(label), **kwargs)

    def update_cell(
        self, row_key: RowKey | str, column_key: ColumnKey | str, value: Any, **kwargs: Any
    ) -> None:
        super().update_cell(row_key, column_key, plain(value), **kwargs)
