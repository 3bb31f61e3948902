"""A busy app database gives 503 + Retry-After (not a 500), and no patient data unaudited."""

from __future__ import annotations

import sqlite3

from serve_support import Service

from hopia.serve import list_audit
from hopia.serve._app import BUSY


def _app_db_path(service: Service) -> str:
    return service.config.app_db_url.split(":///", 1)[1]


def test_a_held_write_lock_gives_503_then_the_read_succeeds(service: Service) -> None:
    url = "/api/v1/patients/1/timeline"
    # Another writer holds SQLite's write lock past busy_timeout (5 s): the audit record of
    # the read cannot be written, so the data must not be sent.
    blocker = sqlite3.connect(_app_db_path(service), isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        busy = service.client.get(url, headers=service.headers("clinician"))
        page = service.client.get("/", headers={"Accept-Language": "fr"})
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "1"
    assert busy.json() == {"detail": BUSY}
    assert "stays" not in busy.text
    assert page.status_code in (200, 303, 307)  # a page that writes nothing is not refused
    with service.client.app.state.hopia.sessions() as db:
        assert [r.what for r in list_audit(db, person_id=1)] == []
    # the lock gone, the same request is answered and audited
    done = service.client.get(url, headers=service.headers("clinician"))
    assert done.status_code == 200
    with service.client.app.state.hopia.sessions() as db:
        assert len(list_audit(db, person_id=1)) == 1


def test_other_database_errors_stay_server_errors() -> None:
    import sqlalchemy.exc

    from hopia.serve._app import overloaded

    assert overloaded(sqlalchemy.exc.TimeoutError("QueuePool limit reached"))
    locked = sqlite3.OperationalError("database is locked")
    assert overloaded(sqlalchemy.exc.OperationalError("INSERT …", {}, locked))
    missing = sqlite3.OperationalError("no such table: audit_event")
    assert not overloaded(sqlalchemy.exc.OperationalError("INSERT …", {}, missing))
    assert not overloaded(ValueError("database is locked"))
