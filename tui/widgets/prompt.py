"""A one-line prompt docked at the bottom of a screen, like a shell's: type, Enter or Escape."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label


class PromptField(Input):
    """The prompt's input: it closes the prompt as it submits, not a message later, so keys
    typed right after Enter already reach the screen again."""

    async def action_submit(self) -> None:
        if isinstance(self.parent, PromptBar):
            self.parent.submit(self.value)

    async def _on_key(self, event: events.Key) -> None:
        # The field's own editing keys (ctrl+u, backspace, arrows, Enter) act here, in order
        # with the characters around them. Left to Textual's binding pass, which runs once the
        # key has bubbled up to the app, a burst read in one chunk (ctrl+u 2 . 5 over SSH) had
        # its characters inserted first and then wiped by the ctrl+u.
        bindings = self._bindings.key_to_bindings.get(event.key)
        if bindings and not event.is_printable:
            event.stop()
            event.prevent_default()
            await self.run_action(bindings[0].action)
            return
        await super()._on_key(event)


class PromptBar(Horizontal):
    """Asks for one line of text for a ``purpose``; hidden until :meth:`ask` is called."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=True)]

    @dataclass
    class Submitted(Message):
        purpose: str
        value: str

    @dataclass
    class Changed(Message):
        purpose: str
        value: str

    @dataclass
    class Cancelled(Message):
        purpose: str

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.purpose = ""
        self._before: Widget | None = None  # focused before the prompt opened; gets it back

    def compose(self) -> ComposeResult:
        yield Label("", id="prompt-label", markup=False)
        field = PromptField(id="prompt-input", select_on_focus=False)
        field.cursor_blink = False  # over a slow link every blink is a redraw
        yield field

    def ask(self, purpose: str, label: str, value: str = "", placeholder: str = "") -> None:
        self.purpose = purpose
        self.query_one(Label).update(label)
        field = self.query_one(Input)
        field.value = value
        field.placeholder = placeholder
        field.cursor_position = len(value)
        if not self.display:
            self._before = self.screen.focused
        self.display = True
        self.app.set_focus(field)  # now, not after a refresh: the next keys are for it
        self.screen.refresh_bindings()

    @property
    def is_open(self) -> bool:
        return bool(self.display)

    def close(self) -> None:
        if not self.display:
            return
        self.display = False
        if self._before is not None and self._before.is_attached:
            self.app.set_focus(self._before)
        self.screen.refresh_bindings()

    def submit(self, value: str) -> None:
        purpose = self.purpose  # before the next ask() reuses the prompt
        self.close()
        self.post_message(self.Submitted(purpose, value))

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.display:
            self.post_message(self.Changed(self.purpose, event.value))

    def action_cancel(self) -> None:
        self.close()
        self.post_message(self.Cancelled(self.purpose))
