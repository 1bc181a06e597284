"""The store: with its engine.store_* modules, the one place that speaks SQL to our tables and
Optuna's (each self-contained group of statements sits in its own module of functions)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import optuna
from sqlalchemy import (
    create_engine,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError

from engine import store_checks, store_claims, store_gpus, store_trials, store_workers
from engine.budget import Ledger
from engine.connecting import engine_options
from engine.dbfile import _check_file, _tune_sqlite, reading
from engine.errors import SessionError, StoreError
from engine.optuna_internals import OPTUNA_TABLES, mark_reads
from engine.records import (
    DecisionRecord,
    ProposalRecord,
    SessionRecord,
    SprintRecord,
    WorkerRecord,
    decision_from_row,
    now,
    proposal_from_row,
    session_from_row,
    sprint_from_row,
)
from engine.schema import (
    SCHEMA_VERSION,
    decisions_t,
    meta_t,
    metadata,
    proposals_t,
    sessions_t,
    sprints_t,
)
from engine.settings import Settings
from engine.sprint import SprintPlan
from engine.states import Action, NoticeEvent, ProposalStatus, SessionState, SprintState
from engine.storage_url import _secrets, _without_password, mask_url, parse_url
from engine.store_trials import TrialBatch


def _reason(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__


class Store:
    """One session database: our tables through SQLAlchemy Core, the trials through Optuna."""

    def __init__(
        self,
        url: str,
        *,
        create: bool = False,
        readonly: bool = False,
        adopt_foreign: bool = False,
        settings: Settings | None = None,
    ) -> None:
        """Open the database at ``url``, checking it before anything is written.

        ``create`` makes a missing SQLite file (owner-only) and the session tables in an empty
        database; a database holding other tables is refused unless ``adopt_foreign``.
        ``readonly`` is for readers (status, export, the app): they never create, chmod, take
        SQLite's write lock up front, or switch the journal mode. A damaged, foreign or
        non-database file raises a :class:`StoreError` and is left as it was. ``settings``:
        what the entry point read (a library caller that passes none gets the environment's).
        """
        self.url = url
        self.settings = settings or Settings.from_environ()
        self.readonly = readonly
        parsed = parse_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        writer = create and not readonly
        if self.is_sqlite:
            _check_file(Path(parsed.database or ""), create=writer)
        try:
            self.engine = create_engine(url, **engine_options(parsed))
        except (ImportError, ArgumentError) as exc:
            raise StoreError(
                f"cannot use storage {mask_url(url)}: {exc}; for PostgreSQL, "
                "pip install 'sprintopt[postgres]'"
            ) from None
        self._optuna: optuna.storages.RDBStorage | None = None
        try:
            to_make = self._check_schema(writer, adopt_foreign)
            if self.is_sqlite:
                self.engine.dispose()  # the check's connection predates the tuning
                _tune_sqlite(self.engine, writer=not readonly, on_stale=self._drop_connections)
            if to_make == set(metadata.tables):
                self._create_schema()
            elif to_make and not readonly:  # a database from before these tables
                self._add_tables(to_make)
            if not readonly and not self.is_sqlite:
                with self.begin() as conn:  # a database from before a column grew
                    store_checks.widen(conn)
        except DBAPIError as exc:
            self.engine.dispose()
            # Chained: a worker tells an unreachable server (wait) from a damaged database.
            raise StoreError(f"cannot open storage {mask_url(url)}: {_reason(exc)}") from exc
        except StoreError:
            self.engine.dispose()
            raise

    def _check_schema(self, create: bool, adopt_foreign: bool) -> set[str]:
        """Read (never write) what the database holds; the session tables that must be made."""
        with self.engine.connect() as conn:
            return store_checks.check_schema(conn, mask_url(self.url), create, adopt_foreign)

    def _add_tables(self, names: set[str]) -> None:
        """Add tables a database written before them lacks (:data:`engine.schema.ADDED_LATER`).

        On SQLite writers queue (``BEGIN IMMEDIATE``) and each checks first; on PostgreSQL two
        that race may both try, and the loser's error is harmless once the table exists."""
        tables = [metadata.tables[n] for n in sorted(names)]
        try:
            with self.begin() as conn:
                metadata.create_all(conn, tables=tables)
        except DBAPIError:
            with self.engine.connect() as conn:
                if not names <= set(inspect(conn).get_table_names()):
                    raise

    def _create_schema(self) -> None:
        with self.begin() as conn:  # BEGIN IMMEDIATE on SQLite: two creators queue
            metadata.create_all(conn)
            version = conn.execute(
                select(meta_t.c.value).where(meta_t.c.key == "schema_version")
            ).scalar()
            if version is None:
                conn.execute(insert(meta_t).values(key="schema_version", value=str(SCHEMA_VERSION)))

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A transaction that may write (on SQLite it queues for the write lock up front)."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A transaction that only reads: on SQLite it takes no write lock
        (:func:`engine.dbfile.reading`), so readers never queue behind the workers' writes."""
        with reading(), self.engine.begin() as conn:
            yield conn

    def close(self) -> None:
        self.engine.dispose()
        if self._optuna is not None:
            self._optuna.engine.dispose()

    def _drop_connections(self) -> None:
        """Close every idle connection of both pools now; those in use are dropped on return."""
        self.close()

    # -- Optuna's storage ------------------------------------------------------------------
    def optuna_storage(
        self, stale_callback: Callable[[optuna.Study, optuna.trial.FrozenTrial], None] | None = None
    ) -> optuna.storages.RDBStorage:
        """Optuna's storage on the same database, with the same engine options as ours.

        A read-only store never creates Optuna's tables; before they exist there is nothing to
        read, which it says.
        """
        if self._optuna is None:
            if self.readonly:
                with self.read() as conn:
                    present = set(inspect(conn).get_table_names())
                if not OPTUNA_TABLES <= present:
                    raise StoreError(
                        f"{mask_url(self.url)} has no Optuna tables yet: its session is still "
                        "being set up (sprintopt run or a worker finishes that)"
                    )
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                    storage = optuna.storages.RDBStorage(
                        self.url,
                        engine_kwargs=engine_options(parse_url(self.url)),
                        heartbeat_interval=self.settings.heartbeat,
                        grace_period=self.settings.grace_period,
                        heartbeat_stale_trial_callback=stale_callback,
                        skip_table_creation=self.readonly,
                    )
            except DBAPIError as exc:
                raise StoreError(
                    f"cannot open storage {mask_url(self.url)}: {_reason(exc)}"
                ) from exc
            if self.is_sqlite:
                storage.engine.dispose()  # pooled connections predate the tuning below
                _tune_sqlite(
                    storage.engine, writer=not self.readonly, on_stale=self._drop_connections
                )
                mark_reads(storage, reading)  # Optuna's reads take no write lock either
            self._optuna = storage
        return self._optuna

    def foreign_study(self, study: str, session: str, direction: str) -> str | None:
        """Why an existing Optuna study named ``study`` is not ``session``'s own to use, if so
        (see :func:`engine.store_checks.foreign_study`)."""
        with self.read() as conn:
            return store_checks.foreign_study(conn, mask_url(self.url), study, session, direction)

    # -- sessions --------------------------------------------------------------------------
    def create_session(
        self, name: str, spec: dict[str, Any], spec_text: str, sys_path: list[str]
    ) -> SessionRecord:
        """Store a new session; a password in the spec's ``storage`` is masked in the snapshot
        (workers get the URL from their environment, never from here)."""
        storage = (spec.get("session") or {}).get("storage")
        if isinstance(storage, str) and _secrets(storage):
            spec = {**spec, "session": {**spec["session"], "storage": mask_url(storage)}}
            spec_text = _without_password(spec_text, storage)
        try:
            with self.begin() as conn:
                conn.execute(
                    insert(sessions_t).values(
                        name=name,
                        state=SessionState.RUNNING,
                        spec=spec,
                        spec_text=spec_text,
                        sys_path=sys_path,
                        stop_requested=False,
                        created_at=now(),
                    )
                )
        except IntegrityError:
            raise SessionError(f"a session named {name!r} already exists") from None
        return self.session(name)

    def find_session(self, name: str) -> SessionRecord | None:
        with self.read() as conn:
            row = conn.execute(select(sessions_t).where(sessions_t.c.name == name)).first()
        return None if row is None else session_from_row(row)

    def session(self, name: str) -> SessionRecord:
        rec = self.find_session(name)
        if rec is None:
            known = ", ".join(s.name for s in self.sessions()) or "none"
            raise SessionError(f"no session named {name!r} in {mask_url(self.url)} (have: {known})")
        return rec

    def sessions(self) -> list[SessionRecord]:
        with self.read() as conn:
            return [
                session_from_row(r)
                for r in conn.execute(select(sessions_t).order_by(sessions_t.c.id))
            ]

    def set_session_state(self, session_id: int, state: str) -> None:
        with self.begin() as conn:
            conn.execute(
                update(sessions_t).where(sessions_t.c.id == session_id).values(state=state)
            )

    def request_stop(self, session_id: int, stop: bool = True) -> None:
        with self.begin() as conn:
            conn.execute(
                update(sessions_t).where(sessions_t.c.id == session_id).values(stop_requested=stop)
            )

    # -- sprints ---------------------------------------------------------------------------
    def add_sprint(
        self, conn: Connection, session_id: int, number: int, study: str, plan: SprintPlan
    ) -> None:
        conn.execute(
            insert(sprints_t).values(
                session_id=session_id,
                number=number,
                study_name=study,
                plan=plan.to_dict(),
                state=SprintState.SETUP,
                started_at=now(),
            )
        )

    def sprints(self, session_id: int) -> list[SprintRecord]:
        with self.read() as conn:
            rows = conn.execute(
                select(sprints_t)
                .where(sprints_t.c.session_id == session_id)
                .order_by(sprints_t.c.number)
            )
            return [sprint_from_row(r) for r in rows]

    def claim_setup(self, sprint_id: int, seen: datetime) -> bool:
        """Claim setting up a sprint in setup whose ``started_at`` is still ``seen`` (one
        statement: of processes that try at once, one wins). The claim renews ``started_at``,
        so a claimer that dies is taken over once it is a grace period old."""
        with self.begin() as conn:
            res = conn.execute(
                update(sprints_t)
                .where(sprints_t.c.id == sprint_id)
                .where(sprints_t.c.state == SprintState.SETUP)
                .where(sprints_t.c.started_at == seen)
                .values(started_at=now())
            )
            return res.rowcount == 1

    def mark_sprint_running(self, sprint_id: int) -> bool:
        with self.begin() as conn:
            res = conn.execute(
                update(sprints_t)
                .where(sprints_t.c.id == sprint_id)
                .where(sprints_t.c.state == SprintState.SETUP)
                .values(state=SprintState.RUNNING, started_at=now())
            )
            return res.rowcount == 1

    def close_sprint(
        self, sprint: SprintRecord, proposal: dict[str, Any] | None, session_state: SessionState
    ) -> bool:
        """Close a running sprint and store its proposal in one transaction; True for the winner."""
        with self.begin() as conn:
            res = conn.execute(
                update(sprints_t)
                .where(sprints_t.c.id == sprint.id)
                .where(sprints_t.c.state == SprintState.RUNNING)
                .values(state=SprintState.CLOSED, closed_at=now())
            )
            if res.rowcount != 1:
                return False
            if proposal is not None:
                conn.execute(
                    insert(proposals_t).values(
                        session_id=sprint.session_id,
                        after_sprint=sprint.number,
                        status=ProposalStatus.OPEN,
                        created_at=now(),
                        **proposal,
                    )
                )
            conn.execute(
                update(sessions_t)
                .where(sessions_t.c.id == sprint.session_id)
                .values(state=session_state)
            )
            return True

    # -- proposals and decisions -------------------------------------------------------------
    def proposals(self, session_id: int) -> list[ProposalRecord]:
        with self.read() as conn:
            rows = conn.execute(
                select(proposals_t)
                .where(proposals_t.c.session_id == session_id)
                .order_by(proposals_t.c.id)
            )
            return [proposal_from_row(r) for r in rows]

    def open_proposal(self, session_id: int) -> ProposalRecord | None:
        return next(
            (p for p in self.proposals(session_id) if p.status == ProposalStatus.OPEN), None
        )

    def decide(
        self,
        proposal: ProposalRecord,
        action: Action,
        applied: SprintPlan | None,
        operator: str,
        note: str,
        next_sprint: tuple[int, str, SprintPlan] | None,
    ) -> bool:
        """Append the decision and (if any) the next sprint; False if someone decided first."""
        with self.begin() as conn:
            res = conn.execute(
                update(proposals_t)
                .where(proposals_t.c.id == proposal.id)
                .where(proposals_t.c.status == ProposalStatus.OPEN)
                .values(status=ProposalStatus.DECIDED)
            )
            if res.rowcount != 1:
                return False
            conn.execute(
                insert(decisions_t).values(
                    proposal_id=proposal.id,
                    session_id=proposal.session_id,
                    action=action,
                    applied=None if applied is None else applied.to_dict(),
                    operator=operator,
                    note=note,
                    created_at=now(),
                )
            )
            if next_sprint is not None:
                number, study, plan = next_sprint
                self.add_sprint(conn, proposal.session_id, number, study, plan)
            state = SessionState.FINISHED if next_sprint is None else SessionState.RUNNING
            conn.execute(
                update(sessions_t).where(sessions_t.c.id == proposal.session_id).values(state=state)
            )
            return True

    def decisions(self, session_id: int) -> list[DecisionRecord]:
        with self.read() as conn:
            rows = conn.execute(
                select(decisions_t)
                .where(decisions_t.c.session_id == session_id)
                .order_by(decisions_t.c.id)
            )
            return [decision_from_row(r) for r in rows]

    # -- workers ---------------------------------------------------------------------------
    def register_worker(
        self, session_id: int, host: str, pid: int, gpu: str | None, log_path: str | None
    ) -> int:
        with self.begin() as conn:
            return store_workers.register(conn, session_id, host, pid, gpu, log_path)

    def touch_worker(self, worker_id: int, stopped: bool = False) -> None:
        with self.begin() as conn:
            store_workers.touch(conn, worker_id, stopped)

    def workers(self, session_id: int) -> list[WorkerRecord]:
        with self.read() as conn:
            return store_workers.session_workers(conn, session_id)

    def record_gpu(self, worker_id: int, sample: dict[str, Any]) -> None:
        """Keep the worker's latest GPU sample (:mod:`engine.store_gpus`)."""
        with self.begin() as conn:
            store_gpus.record(conn, worker_id, sample)

    def gpu_samples(self, session_id: int) -> dict[int, tuple[dict[str, Any], datetime]]:
        """The session's workers' latest GPU samples, by worker id, with when each was taken."""
        with self.read() as conn:
            return store_gpus.latest(conn, session_id)

    # -- rows written once (:mod:`engine.store_claims`): whichever process gets there first --
    def _once(self, write: Callable[[Connection], None]) -> bool:
        """Run ``write`` in its own transaction; False if its row was already there. The
        transaction is left before the error is read: a failed statement spoils it."""
        try:
            with self.begin() as conn:
                write(conn)
            return True
        except IntegrityError:
            return False

    def claim_notice(self, session_id: int, event: NoticeEvent, key: str) -> bool:
        """Claim telling a person of ``event`` (its occurrence named by ``key``); False if
        another process claimed it first."""
        return self._once(lambda conn: store_claims.claim_notice(conn, session_id, event, key))

    def record_retry(self, study: str, trial_number: int, reason: str) -> bool:
        """Record once that a trial's slot was released (dead worker, stop); False if it was."""
        return self._once(lambda conn: store_claims.record_retry(conn, study, trial_number, reason))

    def retried_numbers(self, study: str) -> set[int]:
        with self.read() as conn:
            return store_claims.retried_numbers(conn, study)

    # -- Optuna's trial tables (:mod:`engine.store_trials`) ---------------------------------
    def ledger(self, study: str) -> Ledger:
        """The study's budget in one read (:func:`engine.store_trials.ledger`)."""
        with self.read() as conn:
            return store_trials.ledger(conn, study)

    def unbeaten_trial_ids(self, study: str, started_before: datetime) -> list[int]:
        """Running trials that never recorded a heartbeat and started before the given time
        (:func:`engine.store_trials.unbeaten_trial_ids`)."""
        with self.read() as conn:
            return store_trials.unbeaten_trial_ids(conn, study, started_before)

    def study_trials(self, study: str, after: int = -1, again: Collection[int] = ()) -> TrialBatch:
        """The study's trials whose storage id is above ``after`` or in ``again``, and a summary
        of those up to ``after`` (:func:`engine.store_trials.study_trials`)."""
        with self.read() as conn:
            return store_trials.study_trials(conn, study, after, again)

    def set_user_attrs(self, trial_id: int, attrs: dict[str, Any]) -> bool:
        """Set a running trial's user attributes in one transaction, not one each; False if
        it is no longer running (:func:`engine.store_trials.set_user_attrs`)."""
        with self.begin() as conn:
            return store_trials.set_user_attrs(conn, trial_id, attrs)

    def study_trial_ends(self, study: str) -> dict[int, bool]:
        """The storage id of each of the study's trials, with whether it has finished."""
        with self.read() as conn:
            return store_trials.study_trial_ends(conn, study)

    def count_sessions(self) -> int:
        with self.read() as conn:
            return int(conn.execute(select(func.count()).select_from(sessions_t)).scalar() or 0)


__all__ = ["SCHEMA_VERSION", "Store", "TrialBatch", "mask_url"]
