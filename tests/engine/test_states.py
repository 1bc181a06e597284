"""Lifecycle states are types: stored as their text, read back as members, nothing else written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, select
from sqlalchemy.exc import StatementError

from engine.schema import metadata, sessions_t
from engine.states import Action, ProposalStatus, SessionState, SprintState


def test_a_member_is_its_stored_text():
    assert SessionState.AWAITING == "awaiting" and f"{SprintState.CLOSED}" == "closed"
    assert json.dumps({"status": ProposalStatus.OPEN}) == '{"status": "open"}'
    assert [a.value for a in Action] == ["accepted", "edited", "rejected"]


def _row(**state: object) -> dict[str, object]:
    from engine.records import now

    return dict(
        name="s",
        spec={},
        spec_text="",
        sys_path=[],
        stop_requested=False,
        created_at=now(),
        **state,
    )


def test_the_column_writes_text_and_reads_members(tmp_path: Path):
    engine = create_engine(f"sqlite:///{tmp_path / 'db'}")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(sessions_t).values(**_row(state=SessionState.AWAITING)))
        raw = conn.exec_driver_sql("select state from sprintopt_sessions").scalar()
        read = conn.execute(select(sessions_t.c.state)).scalar()
    assert type(raw) is str and raw == "awaiting"  # what any driver gets: a plain str
    assert read is SessionState.AWAITING


def test_the_column_refuses_what_is_no_state_of_its_kind(tmp_path: Path):
    engine = create_engine(f"sqlite:///{tmp_path / 'db'}")
    metadata.create_all(engine)
    for wrong in (SprintState.CLOSED, "paused"):
        with (
            engine.begin() as conn,
            pytest.raises(StatementError, match="is not a valid SessionState"),
        ):
            conn.execute(insert(sessions_t).values(**_row(state=wrong)))
    with engine.connect() as conn:
        assert conn.execute(select(sessions_t)).all() == []
