"""Shared dependencies of the API routers, as ``Annotated`` aliases.

``DbSession`` (application database), ``CurrentUser`` (bearer token → active user, else
401), ``PatientReader`` (a user whose role may read patient-level data, else 403 — the
refusal is audited), ``Audit`` (writes audit records for the current request),
``WarehouseDep`` (a read-only warehouse connection lent for the request, else 503) and ``State``.

Examples
--------
>>> from fastapi import APIRouter
>>> router = APIRouter()
>>> @router.get("/whoami")
... def whoami(user: CurrentUser) -> str:
...     return user.username
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from hopia.serve._access import AccessStore
from hopia.serve._audit import OUTCOME_REFUSED, OUTCOME_SUCCESS, record_access
from hopia.serve._state import ServeState, WarehouseUnavailable
from hopia.serve.db import PATIENT_ROLES, User
from hopia.warehouse import Warehouse


async def get_state(request: Request) -> ServeState:
    """The service's shared state (``async``: no thread hop for a lookup)."""
    return request.app.state.hopia


State = Annotated[ServeState, Depends(get_state)]


async def get_db(state: State) -> AsyncIterator[Session]:
    """A database session for the duration of one request.

    ``async`` (no thread hop to open it: a session connects on its first query). Closing it
    returns its connection to the pool with a rollback: done in place for SQLite (a local
    call), in a thread for a database over the network.
    """
    db = state.sessions()
    try:
        yield db
    finally:
        if state.engine.dialect.name == "sqlite":
            db.close()
        else:
            await run_in_threadpool(db.close)


DbSession = Annotated[Session, Depends(get_db)]

_bearer = HTTPBearer(auto_error=False, description="An API token from `hopia token create`.")


async def get_current_user(
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The active user of the request's bearer token; 401 without a valid one.

    Checked against the database on every request (a disabled user or revoked token is
    refused at once): in place for SQLite (one indexed read of a local file, cheaper than
    a thread hop), in a thread for a database over the network.
    """
    user = None
    if credentials is not None:
        if state.engine.dialect.name == "sqlite":
            user = state.access.user_for_token(credentials.credentials)
        else:
            user = await run_in_threadpool(state.access.user_for_token, credentials.credentials)
    if user is None:
        raise HTTPException(
            status_code=401,
            detail="a valid API token is required (Authorization: Bearer …)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def client_address(request: Request) -> str:
    """The client's network address (``""`` when unknown)."""
    return request.client.host if request.client else ""


@dataclass
class AuditTrail:
    """Writes audit records for one request (who, role, client address, channel).

    Through ``store`` when given (API requests), else the session ``db`` (pages).
    """

    db: Session | None
    user: User
    address: str
    channel: str
    store: AccessStore | None = None

    def read(self, person_id: int | None, what: str, *, subtype: str = "read") -> None:
        """Record a successful read of a person's data."""
        self._record(
            person_id,
            what,
            outcome=OUTCOME_SUCCESS,
            subtype=subtype,
            action="E" if subtype == "predict" else "R",
        )

    def refused(self, person_id: int | None, what: str, reason: str) -> None:
        """Record a refused or failed attempt (no patient data in ``reason``)."""
        self._record(person_id, what, outcome=OUTCOME_REFUSED, outcome_desc=reason)

    def _record(self, person_id: int | None, what: str, **details: str) -> None:
        values: dict[str, Any] = dict(
            who=self.user.username,
            role=self.user.role,
            person_id=person_id,
            what=what,
            channel=self.channel,
            client_address=self.address,
            **details,
        )
        if self.store is not None:
            self.store.record_access(**values)
        else:
            assert self.db is not None
            record_access(self.db, **values)


def _person_in_path(request: Request) -> int | None:
    raw = request.path_params.get("person_id")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


async def get_patient_reader(request: Request, state: State, user: CurrentUser) -> User:
    """The current user if their role may read patient-level data; else 403 (audited).

    ``async``: allowed users pass without a thread hop; a refusal is written in a thread.
    """
    if user.role not in PATIENT_ROLES:
        route = request.scope.get("route")
        what = getattr(route, "name", "") or "patient data"
        await run_in_threadpool(
            AuditTrail(None, user, client_address(request), "api", state.access).refused,
            _person_in_path(request),
            what,
            f"role {user.role} may not read patient data",
        )
        raise HTTPException(
            status_code=403,
            detail="this role may not read patient-level data (clinician or data_scientist required)",
        )
    return user


PatientReader = Annotated[User, Depends(get_patient_reader)]


async def get_audit(request: Request, state: State, user: CurrentUser) -> AuditTrail:
    """An audit trail bound to the current API request (``async``: it only binds values)."""
    return AuditTrail(None, user, client_address(request), "api", state.access)


Audit = Annotated[AuditTrail, Depends(get_audit)]


async def get_warehouse(state: State) -> AsyncIterator[Warehouse]:
    """A read-only warehouse connection lent for this request; 503 when none is loaded.

    ``async``: an idle connection is lent and handed back in place; a new one is opened in
    a thread.
    """
    pool = state.warehouses
    try:
        warehouse = pool.lend(open_new=False) or await run_in_threadpool(pool.lend)
    except WarehouseUnavailable as error:
        raise HTTPException(status_code=503, detail=str(error)) from None
    assert warehouse is not None
    try:
        yield warehouse
    finally:
        pool.give_back(warehouse)


WarehouseDep = Annotated[Warehouse, Depends(get_warehouse)]
