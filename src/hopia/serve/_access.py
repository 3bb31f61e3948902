"""What every patient-level API request does in the app database: check its token, write
its audit record.

:func:`access_store` gives an :class:`AccessStore`. On SQLite it runs the very statements of
:func:`~hopia.serve._accounts.user_for_token` and :func:`~hopia.serve._audit.record_access`
— compiled once by SQLAlchemy for the engine's dialect, their values converted by the
columns' own SQLAlchemy types — straight on a pooled DBAPI connection: the ORM session,
result and execution-context layers cost several times the query and the durable commit
themselves, on every request. Other databases go through a short ORM session.
Either way the token is checked against the database on each request and the audit record
is committed before the call returns.

Examples
--------
>>> from hopia.serve.db import open_app_db
>>> from hopia.serve._accounts import add_user, create_token
>>> engine, Session = open_app_db("sqlite://")
>>> with Session() as db:
...     _ = add_user(db, "alice", "correct horse battery", "clinician")
...     token = create_token(db, "alice")
>>> store = access_store(engine, Session)
>>> store.user_for_token(token).role
'clinician'
>>> store.record_access(who="alice", role="clinician", person_id=7, what="timeline",
...                     channel="api", client_address="127.0.0.1")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hopia.serve._accounts import _TOKEN_USER, digest, user_for_token
from hopia.serve._audit import _INSERT, audit_values, record_access
from hopia.serve.db import AuditRecord, User, now


class AccessStore(Protocol):
    """Token check and audit write of one request."""

    def user_for_token(self, value: str) -> User | None:
        """The active user a bearer token belongs to, or ``None``."""
        ...  # pragma: no cover - protocol

    def record_access(self, **details: Any) -> None:
        """Append one audit record (arguments of :func:`audit_values`) and commit it."""
        ...  # pragma: no cover - protocol


class SessionAccessStore:
    """Through a short ORM session per call (any database)."""

    def __init__(self, sessions: Callable[[], Session]) -> None:
        self.sessions = sessions

    def user_for_token(self, value: str) -> User | None:
        with self.sessions() as db:
            return user_for_token(db, value)

    def record_access(self, **details: Any) -> None:
        with self.sessions() as db:
            record_access(db, **details)


class SqliteAccessStore:
    """The same statements on a pooled DBAPI connection (SQLite)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        dialect = engine.dialect
        query = _TOKEN_USER.compile(dialect=dialect)
        self._query_sql = query.string
        self._query_params = list(query.positiontup or ())
        now_type = query.binds["now"].type.dialect_impl(dialect)
        self._now = now_type.bind_processor(dialect) or (lambda v: v)
        self._user_columns = [
            (str(column.key), column.type.dialect_impl(dialect).result_processor(dialect, None))
            for column in _TOKEN_USER.selected_columns
        ]
        columns = list(audit_values(who="", role="", person_id=None, what="", channel="",
                                    client_address=""))  # fmt: skip
        insert = _INSERT.compile(dialect=dialect, column_keys=columns)
        self._insert_sql = insert.string
        table = AuditRecord.__table__
        self._insert_params = [
            (name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in insert.positiontup or ()
        ]
        if self._query_params != ["token_hash", "now"] or len(self._insert_params) != len(
            columns
        ):  # pragma: no cover - a change of the statements must be seen here
            raise RuntimeError("unexpected parameters of the token or audit statement")

    def user_for_token(self, value: str) -> User | None:
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(self._query_sql, (digest(value), self._now(now())))
            row = cursor.fetchone()
            cursor.close()
        finally:
            connection.close()
        if row is None:
            return None
        return User(
            **{
                key: process(raw) if process else raw
                for (key, process), raw in zip(self._user_columns, row, strict=True)
            }
        )

    def record_access(self, **details: Any) -> None:
        values = audit_values(**details)
        params = [
            process(values[name]) if process else values[name]
            for name, process in self._insert_params
        ]
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(self._insert_sql, params)
            cursor.close()
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.close()


def access_store(engine: Engine, sessions: Callable[[], Session]) -> AccessStore:
    """The :class:`AccessStore` of an app database (see the module's description)."""
    if engine.dialect.name == "sqlite" and engine.dialect.driver == "pysqlite":
        return SqliteAccessStore(engine)
    return SessionAccessStore(sessions)
