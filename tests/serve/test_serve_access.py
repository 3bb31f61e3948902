"""The token check and audit write of API requests: the SQLite path equals the ORM path."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import update

from hopia.serve._access import SessionAccessStore, SqliteAccessStore, access_store
from hopia.serve._accounts import add_user, create_token, disable_user
from hopia.serve._audit import list_audit
from hopia.serve.db import ApiToken, open_app_db

_ROWS = ("who", "role", "person_id", "what", "channel", "client_address", "outcome",
         "outcome_desc", "action", "subtype", "purpose")  # fmt: skip


@pytest.fixture
def app_db(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine, sessions = open_app_db(f"sqlite:///{tmp_path / 'app.sqlite'}")
    with sessions() as db:
        for name, role in (("ana", "clinician"), ("bob", "viewer"), ("eve", "clinician")):
            add_user(db, name, "a long enough password", role)
    yield engine, sessions, tmp_path / "app.sqlite"
    engine.dispose()


def test_sqlite_gets_the_dbapi_store(app_db) -> None:  # type: ignore[no-untyped-def]
    engine, sessions, _ = app_db
    assert isinstance(access_store(engine, sessions), SqliteAccessStore)


def test_both_stores_accept_and_refuse_the_same_tokens(app_db) -> None:  # type: ignore[no-untyped-def]
    engine, sessions, _ = app_db
    with sessions() as db:
        valid = create_token(db, "ana")
        forever = create_token(db, "bob", days=None)
        revoked = create_token(db, "ana", name="revoked")
        expired = create_token(db, "ana", name="expired")
        of_disabled = create_token(db, "eve")
        db.execute(update(ApiToken).where(ApiToken.name == "revoked").values(revoked=True))
        db.execute(
            update(ApiToken)
            .where(ApiToken.name == "expired")
            .values(expires_at=dt.datetime(2000, 1, 1))
        )
        db.commit()
        disable_user(db, "eve")
    fast, plain = SqliteAccessStore(engine), SessionAccessStore(sessions)
    for token, expected in [
        (valid, ("ana", "clinician")), (forever, ("bob", "viewer")), (revoked, None),
        (expired, None), (of_disabled, None), ("hopia_not-a-token", None),
    ]:  # fmt: skip
        for store in (fast, plain):
            user = store.user_for_token(token)
            found = (user.username, user.role) if user is not None else None
            assert found == expected, (store, token)
            if user is not None:
                assert user.active is True and isinstance(user.created_at, dt.datetime)
                assert user.id == plain.user_for_token(token).id  # type: ignore[union-attr]


def test_both_stores_write_the_same_durable_records(app_db) -> None:  # type: ignore[no-untyped-def]
    engine, sessions, path = app_db
    details = dict(who="ana", role="clinician", person_id=42, what="prediction:" + "x" * 200,
                   channel="api", client_address="10.0.0.1", action="E", subtype="predict")  # fmt: skip
    refused = dict(who="bob", role="viewer", person_id=None, what="timeline", channel="api",
                   client_address="::1", outcome="4", outcome_desc="role viewer may not")  # fmt: skip
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for store in (SqliteAccessStore(engine), SessionAccessStore(sessions)):
        store.record_access(**details)
        store.record_access(**refused)
        # Committed when the call returns: another connection sees it at once.
        with sqlite3.connect(path) as other:
            assert other.execute("SELECT count(*) FROM audit_event").fetchone()[0] in (2, 4)
    with sessions() as db:
        records = list_audit(db)
    assert len(records) == 4
    rows = [tuple(getattr(r, name) for name in _ROWS) for r in records]
    assert rows[0] == rows[2] and rows[1] == rows[3]  # the two stores wrote the same values
    assert len(records[0].what) == 128 and records[0].person_id == 42
    assert records[1].outcome == "4" and records[1].person_id is None
    for record in records:
        assert started <= record.recorded <= dt.datetime.now(dt.UTC).replace(tzinfo=None)
        assert record.to_fhir()["resourceType"] == "AuditEvent"


def test_a_failed_audit_write_raises_and_leaves_nothing(app_db) -> None:  # type: ignore[no-untyped-def]
    engine, sessions, _ = app_db
    store = SqliteAccessStore(engine)
    with pytest.raises(TypeError):
        store.record_access(who="ana", role="clinician", person_id=1, what="timeline",
                            channel="api", client_address="", unknown="x")  # fmt: skip
    with engine.connect() as connection:
        connection.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON audit_event BEGIN "
            "SELECT RAISE(ABORT, 'disk full'); END"
        )
        connection.commit()
    with pytest.raises(sqlite3.IntegrityError):
        store.record_access(who="ana", role="clinician", person_id=1, what="timeline",
                            channel="api", client_address="")  # fmt: skip
    with sessions() as db:
        assert list_audit(db) == []
    # The connection went back to the pool usable (no transaction left open).
    assert store.user_for_token("hopia_not-a-token") is None
