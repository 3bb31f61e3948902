"""The application database: users, API tokens, browser sessions and the audit trail.

SQLite (WAL mode) by default, PostgreSQL by URL (``HOPIA_APP_DB``). Secrets are never
stored in clear: passwords are argon2 hashes, API tokens and session ids are SHA-256
digests of 256-bit random values (high-entropy secrets do not need a slow hash, and a
digest can be looked up). Audit records are append-only: the ORM refuses to update or
delete them and the database itself has triggers (SQLite) or rules (PostgreSQL) that
ignore such statements.

Examples
--------
>>> from hopia.serve.db import open_app_db, User
>>> engine, Session = open_app_db("sqlite://")
>>> with Session() as db:
...     db.query(User).count()
0
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import (
    DDL,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool

ROLES: tuple[str, ...] = ("admin", "data_scientist", "clinician", "viewer")
"""Roles a user can have (one per user)."""

PATIENT_ROLES: frozenset[str] = frozenset({"clinician", "data_scientist"})
"""Roles allowed to read patient-level data; the others see aggregates only."""


def now() -> dt.datetime:
    """The current naive UTC time (what every timestamp of this database holds)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base of the application tables."""


class User(Base):
    """A person who can sign in; ``role`` is one of :data:`ROLES`."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)


class ApiToken(Base):
    """A bearer token for the API, stored as the SHA-256 digest of its value."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class BrowserSession(Base):
    """A signed-in browser, keyed by the SHA-256 digest of its cookie value."""

    __tablename__ = "browser_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)


class AuditRecord(Base):
    """One access to patient-level data, modelled on FHIR R4 ``AuditEvent``.

    ``action`` is the FHIR AuditEventAction code (``R`` read, ``E`` execute …), ``outcome``
    the FHIR AuditEventOutcome code (``0`` success, ``4`` minor failure such as a refused
    access, ``8`` serious failure), ``entity`` the FHIR reference of the person read
    (``Patient/123``), ``what`` the kind of data (``timeline``, ``prediction:mortality``),
    ``purpose`` a v3 PurposeOfUse code.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recorded: Mapped[dt.datetime] = mapped_column(DateTime, default=now, index=True)
    action: Mapped[str] = mapped_column(String(1), default="R")
    subtype: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(2))
    outcome_desc: Mapped[str] = mapped_column(String(255), default="")
    who: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(8))
    client_address: Mapped[str] = mapped_column(String(64), default="")
    person_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    what: Mapped[str] = mapped_column(String(128))
    purpose: Mapped[str] = mapped_column(String(16), default="TREAT")

    def to_fhir(self) -> dict[str, Any]:
        """This record as a FHIR R4 ``AuditEvent`` resource (a JSON-ready dict)."""
        entity: list[dict[str, Any]] = []
        if self.person_id is not None:
            entity.append(
                {
                    "what": {"reference": f"Patient/{self.person_id}"},
                    "type": {
                        "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                        "code": "1",
                        "display": "Person",
                    },
                    "detail": [{"type": "hopia-data", "valueString": self.what}],
                }
            )
        return {
            "resourceType": "AuditEvent",
            "id": str(self.id),
            "type": {
                "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
                "code": "rest",
                "display": "RESTful Operation",
            },
            "subtype": [{"code": self.subtype}],
            "action": self.action,
            "recorded": self.recorded.isoformat() + "Z",
            "outcome": self.outcome,
            "outcomeDesc": self.outcome_desc or None,
            "purposeOfEvent": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                            "code": self.purpose,
                        }
                    ]
                }
            ],
            "agent": [
                {
                    "who": {"identifier": {"value": self.who}},
                    "role": [{"text": self.role}],
                    "requestor": True,
                    "network": {"address": self.client_address, "type": "2"},
                }
            ],
            "source": {"observer": {"display": f"hopia-serve ({self.channel})"}},
            "entity": entity,
        }


def _refuse_change(mapper: Any, connection: Any, target: AuditRecord) -> None:
    raise PermissionError("audit records are append-only")


event.listen(AuditRecord, "before_update", _refuse_change)
event.listen(AuditRecord, "before_delete", _refuse_change)

for _statement in ("UPDATE", "DELETE"):
    event.listen(
        AuditRecord.__table__,
        "after_create",
        DDL(
            f"CREATE TRIGGER audit_event_no_{_statement.lower()} BEFORE {_statement} "
            "ON audit_event BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END"
        ).execute_if(dialect="sqlite"),
    )
    event.listen(
        AuditRecord.__table__,
        "after_create",
        DDL(
            f"CREATE RULE audit_event_no_{_statement.lower()} AS ON {_statement} "
            "TO audit_event DO INSTEAD NOTHING"
        ).execute_if(dialect="postgresql"),
    )


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


SQLITE_OVERFLOW = 64
"""Connections a file SQLite app database may open beyond the pool's 5 kept ones."""


def open_app_db(url: str) -> tuple[Engine, Callable[[], Session]]:
    """Connect to (and create the tables of) the application database.

    Parameters
    ----------
    url
        SQLAlchemy URL: ``sqlite:///path/app.sqlite`` (WAL mode), ``sqlite://`` (in
        memory, one shared connection) or ``postgresql+psycopg://…``.

    Returns
    -------
    engine, session_factory
        The engine and a ``sessionmaker`` bound to it.

    Examples
    --------
    >>> engine, Session = open_app_db("sqlite://")
    >>> engine.dialect.name
    'sqlite'
    """
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False}
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path in ("", ":memory:"):
            kwargs["poolclass"] = StaticPool
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # more connections than the server's worker threads (40) plus its event loop, so
            # that taking one never waits (the token check takes one on the event loop)
            kwargs["max_overflow"] = SQLITE_OVERFLOW
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    Base.metadata.create_all(engine)
    return engine, sessionmaker(engine, expire_on_commit=False)
