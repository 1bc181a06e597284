"""optuna-dashboard's study notes, where it is installed: each sprint's story beside its trials.

optuna-dashboard (the ``dashboard`` extra) shows a study's note, a Markdown text it keeps in
the study's system attributes (``save_note`` and ``get_note`` are its API). Each sprint's study
gets the note ``engine.sprint_note`` writes: its plan, the proposal after it and the decision.
The notes are a courtesy: without the package nothing happens, and writing them never fails or
holds up what called it (a decision, a closing worker, an open). A fault is logged once per
process and the notes are brought up to date at the next chance, since each refresh writes
every note that differs from what the dashboard shows.
"""

from __future__ import annotations

import importlib
import logging
from types import ModuleType

from engine.faults import describe, is_storage_fault
from engine.read.reader import SessionReader
from engine.sprint_note import Story, sprint_note

log = logging.getLogger("sprintopt.dashboard")
_said: set[str] = set()  # the kinds of fault logged already in this process


def write_notes(session: SessionReader) -> int:
    """Bring each sprint's note up to date; how many were (re)written. Never raises."""
    api = _dashboard()
    if api is None:
        return 0
    try:
        return _write(api, session)
    except Exception as exc:  # best effort: the caller's work is done and stands
        _say_once(exc)
        return 0


def _dashboard() -> ModuleType | None:
    """optuna-dashboard, imported on first use (it loads scikit-learn); None if missing."""
    try:
        return importlib.import_module("optuna_dashboard")
    except ImportError:
        return None


def _write(api: ModuleType, session: SessionReader) -> int:
    store, sid = session.store, session.record.id
    story = Story(session.name, store.sprints(sid), store.proposals(sid), store.decisions(sid))
    written = 0
    for sprint in story.sprints:
        try:
            study = session.study(sprint)
        except KeyError:
            continue  # a sprint not yet set up has no study: its setup writes its note
        body = sprint_note(story, sprint)
        if api.get_note(study) != body:  # save_note bumps the note's version every time
            api.save_note(study, body)
            written += 1
    return written


def _say_once(exc: Exception) -> None:
    kind = "storage" if is_storage_fault(exc) else "error"
    if kind in _said:
        log.debug("optuna-dashboard notes not written: %s", describe(exc))
        return
    _said.add(kind)
    if kind == "storage":
        log.warning(
            "optuna-dashboard notes not written (%s); they are brought up to date at the "
            "next close, decision or open",
            describe(exc),
        )
    else:
        log.warning("optuna-dashboard notes not written: %s", describe(exc), exc_info=True)
