"""The store's SQL for rows written once: notices claimed and trial slots handed back.

Each function inserts under a unique key inside the caller's transaction; a second insert of
the same key raises ``IntegrityError``, which the store turns into "someone got there first"
outside the transaction (a failed statement leaves it unusable on PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from engine.records import now
from engine.schema import notices_t, retries_t
from engine.states import NoticeEvent


def claim_notice(conn: Connection, session_id: int, event: NoticeEvent, key: str) -> None:
    """Insert the claim on telling a person of ``event`` (its occurrence named by ``key``)."""
    conn.execute(
        insert(notices_t).values(session_id=session_id, event=event, key=key, created_at=now())
    )


def record_retry(conn: Connection, study: str, trial_number: int, reason: str) -> None:
    """Insert the record that a trial's slot was released."""
    conn.execute(
        insert(retries_t).values(
            study_name=study, trial_number=trial_number, reason=reason, created_at=now()
        )
    )


def retried_numbers(conn: Connection, study: str) -> set[int]:
    """The numbers of the study's trials whose slot was handed back."""
    rows = conn.execute(select(retries_t.c.trial_number).where(retries_t.c.study_name == study))
    return {int(r[0]) for r in rows}
