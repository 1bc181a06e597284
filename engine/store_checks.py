"""What the store checks before it writes: the tables a database holds, and whose a study is."""

from __future__ import annotations

import json

from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Connection

from engine.attrs import PREFIX
from engine.errors import DamagedStoreError, ForeignDatabaseError, NoSessionsError, StoreError
from engine.optuna_internals import (
    OPTUNA_TABLES,
    STUDIES,
    STUDY_DIRECTIONS,
    STUDY_USER_ATTRIBUTES,
    TRIAL_TABLES,
    TRIALS,
)
from engine.schema import ADDED_LATER, SCHEMA_VERSION, WIDENED, meta_t, metadata, sprints_t
from engine.states import SprintState

SESSION_ATTR = PREFIX + "session"  # the study attribute naming the session that created it


def _foreign(where: str, tables: set[str]) -> str:
    if tables & OPTUNA_TABLES:
        held = "Optuna's tables"
    else:
        shown = sorted(tables)
        held = f"other tables ({', '.join(shown[:5])}{', ...' if len(shown) > 5 else ''})"
    return (
        f"{where} holds {held} and no sprintopt session; use an empty database, or ask to add "
        "sprintopt's tables beside them (sprintopt run --share-database; its existing studies "
        "are never adopted)"
    )


def _check_version(where: str, version: str | None) -> None:
    damaged = f"{where} is damaged: it has no schema version" if version is None else None
    if version is not None and not version.strip().isdigit():
        damaged = f"{where} is damaged: its schema version {version!r} is not a number"
    if damaged:
        raise DamagedStoreError(
            f"{damaged}; it was left untouched (restore it from a backup, or start a new database)"
        )
    if int(version or 0) > SCHEMA_VERSION:
        raise StoreError(
            f"this database was written by a newer sprintopt (schema {version}); upgrade"
        )


def check_schema(conn: Connection, where: str, create: bool, adopt_foreign: bool) -> set[str]:
    """Read (never write) what the database holds: the session tables that must be made (all
    of them in an empty database; in one written before them, those :data:`ADDED_LATER`)."""
    names = set(inspect(conn).get_table_names())
    ours = set(metadata.tables)
    if not names & ours:
        if not create:
            raise NoSessionsError(f"{where} holds no sprintopt sessions")
        others = names - ours
        if others and not adopt_foreign:
            raise ForeignDatabaseError(_foreign(where, others))
        return ours
    missing = sorted(ours - names - ADDED_LATER)
    if missing:
        tables = f"table {missing[0]} is" if len(missing) == 1 else "tables {} are"
        raise DamagedStoreError(
            f"{where} is damaged: its {tables.format(', '.join(missing))} missing; it "
            "was left untouched (restore it from a backup, or start a new database)"
        )
    version = conn.execute(select(meta_t.c.value).where(meta_t.c.key == "schema_version")).scalar()
    _check_version(where, version)
    lost = sorted(TRIAL_TABLES - names)
    ran = select(func.count()).select_from(sprints_t).where(sprints_t.c.state != SprintState.SETUP)
    if lost and conn.execute(ran).scalar():
        raise DamagedStoreError(
            f"{where} is damaged: its sprints ran but Optuna's {', '.join(lost)} "
            f"{'is' if len(lost) == 1 else 'are'} missing; it was left untouched "
            "(restore it from a backup, or start a new database)"
        )
    return (ours & ADDED_LATER) - names


def narrow_columns(conn: Connection) -> list[tuple[str, str, int]]:
    """The :data:`engine.schema.WIDENED` columns this database holds narrower than now."""
    found = []
    tables = set(inspect(conn).get_table_names())
    for table, column, length in WIDENED:
        if table not in tables:
            continue
        col = next((c for c in inspect(conn).get_columns(table) if c["name"] == column), None)
        now = getattr(col["type"], "length", None) if col is not None else None
        if now is not None and now < length:
            found.append((table, column, length))
    return found


def widen(conn: Connection) -> None:
    """Widen, on PostgreSQL, what a database from before holds narrower than now (a longer
    varchar is only a catalog change there); SQLite keeps text of any length."""
    if conn.dialect.name != "postgresql":
        return
    for table, column, length in narrow_columns(conn):
        conn.execute(text(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE VARCHAR({length})"))


def foreign_study(
    conn: Connection, where: str, study: str, session: str, direction: str
) -> str | None:
    """Why an existing Optuna study named ``study`` is not ``session``'s own to use, if so.

    None when there is no such study, when it carries the session's tag, or when it is
    empty, untagged and of the sprint's direction (this session died between creating and
    tagging it). Any other study would lend its trials to the sprint's budget: never adopt
    it. Reads Optuna's ``studies``, ``study_user_attributes``, ``study_directions`` and
    ``trials`` tables (named in :mod:`engine.optuna_internals`).
    """
    if STUDIES.name not in inspect(conn).get_table_names():
        return None
    found = conn.execute(select(STUDIES.c.study_id).where(STUDIES.c.study_name == study)).scalar()
    if found is None:
        return None
    ua = STUDY_USER_ATTRIBUTES.c
    attrs = {
        key: json.loads(value)
        for key, value in conn.execute(select(ua.key, ua.value_json).where(ua.study_id == found))
    }
    trials = conn.execute(
        select(func.count()).select_from(TRIALS).where(TRIALS.c.study_id == found)
    ).scalar()
    sd = STUDY_DIRECTIONS.c
    directions = [
        str(d).lower()
        for (d,) in conn.execute(
            select(sd.direction).where(sd.study_id == found).order_by(sd.objective)
        )
    ]
    if attrs.get(SESSION_ATTR) == session:
        return None
    if not attrs and not trials and directions == [direction]:
        return None
    owner = attrs.get(SESSION_ATTR)
    made_by = f" (it belongs to session {owner!r})" if owner else ""
    return (
        f"{where} already holds an Optuna study named {study!r} that "
        f"sprintopt did not create for session {session!r}{made_by}: {trials} "
        f"trial{'' if trials == 1 else 's'}, direction {'/'.join(directions) or 'unset'}, "
        f"the sprint would {direction}. It is never adopted (its trials would use up the "
        "sprint's budget): give the session another name (sprintopt run --name) or use "
        "another database"
    )
