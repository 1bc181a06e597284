"""The list of sessions: every session in a database or a folder of them, each summed up."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.errors import NoSessionsError, SprintoptError
from engine.faults import describe, is_storage_fault
from engine.settings import Settings
from engine.states import SprintState
from engine.store import Store, mask_url


@dataclass(frozen=True)
class SessionSummary:
    """A session found, or (``problem`` set) a database or session that cannot be listed."""

    name: str
    url: str
    state: str
    sprint: int
    planned: int
    sprint_name: str
    trials: int
    best_value: float | None
    #: Why this entry is no session that can be opened, in one line (None: it is one).
    problem: str | None = None

    @classmethod
    def unusable(cls, name: str, url: str, problem: str) -> SessionSummary:
        return cls(name, url, "unusable", 0, 0, "-", 0, None, problem)


def find_sessions(directory: Path | None = None, url: str | None = None) -> list[SessionSummary]:
    """The sessions in ``url``, or in every ``*.db`` under ``directory`` (default sessions/).

    Every store is opened read-only: listing never writes, creates or chmods anything. A ``url``
    that cannot be read (a server away, a damaged database) raises :class:`StoreError`; one
    without sprintopt tables just has no sessions. Under ``directory`` every file is listed:
    one that is not a session database, or cannot be read (locked, damaged), is an entry with
    its ``problem`` in one line, so one bad file neither ends the listing nor hides the others.
    A session that cannot be summed up is such an entry too, beside its file's other sessions.
    """
    if url is not None:
        try:
            return _in_store(url)
        except NoSessionsError:
            return []  # asked for by URL: a database without sessions simply has none
    base = directory or Settings().sessions_dir()
    out: list[SessionSummary] = []
    for path in sorted(base.glob("*.db")):
        u = f"sqlite:///{path.resolve()}"
        try:
            out += _in_store(u)
        except Exception as exc:  # one file's trouble, whatever it is, stays that file's
            out.append(SessionSummary.unusable(path.name, u, _why(exc, u, path)))
    return out


def _in_store(url: str) -> list[SessionSummary]:
    store = Store(url, readonly=True)
    try:
        out = []
        for rec in store.sessions():
            try:
                out.append(_summary(store, url, rec.name))
            except Exception as exc:  # a broken session does not hide its neighbours
                if is_storage_fault(exc):
                    raise  # the whole storage's trouble, not this session's
                why = f"session {rec.name} cannot be read: {_why(exc, url, None)}"
                out.append(SessionSummary.unusable(rec.name, url, why))
        return out
    finally:
        store.close()


def _why(exc: BaseException, url: str, path: Path | None) -> str:
    """The first line of what went wrong, naming the file by its name, not its whole path."""
    text = str(exc).strip().splitlines()[0] if isinstance(exc, SprintoptError) else ""
    text = text or describe(exc)
    if path is not None:
        for long in (mask_url(url), url, str(path.resolve()), str(path)):
            text = text.replace(long, path.name)
    return text


def _summary(store: Store, url: str, name: str) -> SessionSummary:
    rec = store.session(name)
    sprints = store.sprints(rec.id)
    trials, best = 0, None
    for s in reversed(sprints):
        if s.state == SprintState.SETUP:
            continue  # no study yet (a read-only store would not find Optuna's tables either)
        storage = store.optuna_storage()
        study_id = storage.get_study_id_from_name(s.study_name)
        trials += storage.get_n_trials(study_id)
        if best is None:
            try:
                best = storage.get_best_trial(study_id).value
            except ValueError:  # no completed trial in this sprint yet
                pass
    last = sprints[-1] if sprints else None
    return SessionSummary(
        name=name,
        url=url,
        state=rec.state,
        sprint=last.number if last else 0,
        planned=len(rec.spec.get("sprints", [])),
        sprint_name=last.plan.name if last else "-",
        trials=trials,
        best_value=best,
    )


def describe_url(url: str) -> str:
    return mask_url(url)
