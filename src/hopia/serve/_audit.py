"""The audit trail: one append-only record per access to patient-level data.

Examples
--------
>>> from hopia.serve.db import open_app_db
>>> _, Session = open_app_db("sqlite://")
>>> with Session() as db:
...     _ = record_access(db, who="alice", role="clinician", person_id=7, what="timeline",
...                       channel="api", client_address="127.0.0.1")
...     [(r.who, r.person_id, r.outcome) for r in list_audit(db, person_id=7)]
[('alice', 7, '0')]
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from hopia.serve.db import AuditRecord, now

OUTCOME_SUCCESS = "0"
OUTCOME_REFUSED = "4"
OUTCOME_FAILED = "8"


_INSERT = insert(cast(Table, AuditRecord.__table__))


def audit_values(
    *,
    who: str,
    role: str,
    person_id: int | None,
    what: str,
    channel: str,
    client_address: str,
    outcome: str = OUTCOME_SUCCESS,
    outcome_desc: str = "",
    action: str = "R",
    subtype: str = "read",
    purpose: str = "TREAT",
) -> dict[str, Any]:
    """The columns of one audit record, stamped now (what :func:`record_access` writes).

    Parameters
    ----------
    who, role
        Username and role of the agent.
    person_id
        The person whose data was read (``None`` when not known, e.g. a FHIR Bundle).
    what
        The kind of data read (``timeline``, ``prediction:<task>``, ``patient-page``).
    channel
        ``api`` or ``web``.
    client_address
        The client's network address.
    outcome
        FHIR AuditEventOutcome code: ``"0"`` success, ``"4"`` refused, ``"8"`` failed.
    outcome_desc
        Short reason for a non-success outcome (never patient data).
    action, subtype
        FHIR AuditEventAction code and the operation name.
    purpose
        v3 PurposeOfUse code.
    """
    return dict(
        recorded=now(),
        who=who,
        role=role,
        person_id=person_id,
        what=what[:128],
        channel=channel,
        client_address=client_address[:64],
        outcome=outcome,
        outcome_desc=outcome_desc[:255],
        action=action,
        subtype=subtype,
        purpose=purpose,
    )


def record_access(db: Session, **details: Any) -> AuditRecord:
    """Append one audit record and commit it.

    Parameters
    ----------
    db
        Open database session.
    **details
        The record's fields: the arguments of :func:`audit_values`.
    """
    values = audit_values(**details)
    # A Core INSERT (no unit of work: this runs on every read), committed before returning.
    result = cast(CursorResult[Any], db.execute(_INSERT, values))
    db.commit()
    key = result.inserted_primary_key
    return AuditRecord(id=key[0] if key is not None else None, **values)


def list_audit(
    db: Session,
    *,
    person_id: int | None = None,
    since: dt.datetime | None = None,
    who: str | None = None,
    limit: int | None = None,
) -> list[AuditRecord]:
    """Audit records, oldest first, optionally for one person, one user, or since a time (UTC)."""
    query = select(AuditRecord).order_by(AuditRecord.recorded, AuditRecord.id)
    if person_id is not None:
        query = query.where(AuditRecord.person_id == person_id)
    if since is not None:
        query = query.where(AuditRecord.recorded >= since)
    if who is not None:
        query = query.where(AuditRecord.who == who)
    if limit is not None:
        query = query.limit(limit)
    return list(db.scalars(query))
