"""The session tables (``sprintopt_*``), which live beside Optuna's own in one database.

Only :mod:`engine.store` reads and writes them. A change here that older code cannot read bumps
``SCHEMA_VERSION``; a database written by a newer version is refused, not misread. A table older
code does not need (``ADDED_LATER``) is made by the first writer that opens an older database.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from engine.states import (
    Action,
    NoticeEvent,
    ProposalStatus,
    SessionState,
    SprintState,
    StrEnum,
)

SCHEMA_VERSION = 1


class State(TypeDecorator[StrEnum]):
    """A lifecycle state, stored as its text: only a member of its type is written (every
    driver gets a plain ``str``), and what is read back is the member."""

    impl = String(16)
    cache_ok = True

    def __init__(self, kind: type[StrEnum]) -> None:
        super().__init__()
        self.kind = kind

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else str(self.kind(value))

    def process_result_value(self, value: str | None, dialect: Dialect) -> StrEnum | None:
        return None if value is None else self.kind(value)


#: The longest --gpu id (an index, or a GPU-/MIG- UUID as CUDA_VISIBLE_DEVICES takes it).
MAX_GPU_ID = 128

metadata = MetaData()

meta_t = Table(
    "sprintopt_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
)
sessions_t = Table(
    "sprintopt_sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(80), nullable=False, unique=True),
    Column("state", State(SessionState), nullable=False),
    Column("spec", JSON, nullable=False),
    Column("spec_text", Text, nullable=False),
    Column("sys_path", JSON, nullable=False),
    Column("stop_requested", Boolean, nullable=False, default=False),
    Column("created_at", DateTime, nullable=False),
)
sprints_t = Table(
    "sprintopt_sprints",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("sprintopt_sessions.id"), nullable=False),
    Column("number", Integer, nullable=False),  # 1-based position in the session
    Column("study_name", String(200), nullable=False, unique=True),
    Column("plan", JSON, nullable=False),
    Column("state", State(SprintState), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("closed_at", DateTime),
    UniqueConstraint("session_id", "number"),
)
proposals_t = Table(
    "sprintopt_proposals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("sprintopt_sessions.id"), nullable=False),
    Column("after_sprint", Integer, nullable=False),
    Column("plan", JSON, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("carry_over", JSON, nullable=False),
    Column("status", State(ProposalStatus), nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("session_id", "after_sprint"),
)
decisions_t = Table(
    "sprintopt_decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "proposal_id", Integer, ForeignKey("sprintopt_proposals.id"), nullable=False, unique=True
    ),
    Column("session_id", Integer, ForeignKey("sprintopt_sessions.id"), nullable=False),
    Column("action", State(Action), nullable=False),
    Column("applied", JSON, nullable=False),
    Column("operator", String(200), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("created_at", DateTime, nullable=False),
)
workers_t = Table(
    "sprintopt_workers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("sprintopt_sessions.id"), nullable=False),
    Column("host", String(200), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("gpu", String(MAX_GPU_ID)),
    Column("log_path", Text),
    Column("started_at", DateTime, nullable=False),
    Column("last_seen", DateTime, nullable=False),
    Column("stopped_at", DateTime),
)
retries_t = Table(
    "sprintopt_retries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("study_name", String(200), nullable=False),
    Column("trial_number", Integer, nullable=False),
    Column("reason", String(32), nullable=False),  # stale | stopped | operator
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("study_name", "trial_number"),
)
notices_t = Table(
    "sprintopt_notices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("session_id", Integer, ForeignKey("sprintopt_sessions.id"), nullable=False),
    Column("event", State(NoticeEvent), nullable=False),
    # Which occurrence: the sprint a proposal follows, a failure streak's sprint and first trial.
    Column("key", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("session_id", "event", "key"),  # one process claims each notice
)
#: Each worker's latest GPU sample, taken with its heartbeat (engine.gpu's dict: a sample or
#: why there is none). A table of its own: an older database gains it without changing a row.
worker_gpus_t = Table(
    "sprintopt_worker_gpus",
    metadata,
    Column("worker_id", Integer, ForeignKey("sprintopt_workers.id"), primary_key=True),
    Column("sample", JSON, nullable=False),
    Column("sampled_at", DateTime, nullable=False),
)
#: Tables a database written before them may lack: readers do without them, writers add them.
ADDED_LATER = frozenset({notices_t.name, worker_gpus_t.name})
#: Columns made wider after databases were written with them: (table, column, length). Only
#: PostgreSQL enforces a length, and a writer widens them there (``store_checks.widen``).
WIDENED = ((workers_t.name, "gpu", MAX_GPU_ID),)  # was 32: a GPU UUID alone is 40
