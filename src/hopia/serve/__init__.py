"""The hopia service: a versioned JSON API and server-rendered pages for clinicians.

Authentication by API token (``Authorization: Bearer``) or browser session, roles
(admin, data_scientist, clinician, viewer), an append-only audit trail of every read of
patient-level data (modelled on FHIR AuditEvent).

Names are imported on first use, so that ``hopia --help`` does not load FastAPI.

Examples
--------
>>> from hopia.serve import ServeConfig, create_app
>>> app = create_app(ServeConfig(warehouse_url="duckdb:///none.duckdb",
...                              app_db_url="sqlite://", models_dir="models"))
>>> "/api/v1/health" in app.openapi()["paths"]
True
"""

from typing import TYPE_CHECKING

from hopia._lazy import lazy_exports

if TYPE_CHECKING:
    from hopia.serve._accounts import (
        add_user,
        authenticate,
        create_token,
        disable_user,
        list_users,
    )
    from hopia.serve._app import create_app
    from hopia.serve._audit import list_audit, record_access
    from hopia.serve._state import ServeConfig
    from hopia.serve.db import PATIENT_ROLES, ROLES, open_app_db

_HOMES = {
    "PATIENT_ROLES": "hopia.serve.db",
    "ROLES": "hopia.serve.db",
    "ServeConfig": "hopia.serve._state",
    "add_user": "hopia.serve._accounts",
    "authenticate": "hopia.serve._accounts",
    "create_app": "hopia.serve._app",
    "create_token": "hopia.serve._accounts",
    "disable_user": "hopia.serve._accounts",
    "list_audit": "hopia.serve._audit",
    "list_users": "hopia.serve._accounts",
    "open_app_db": "hopia.serve.db",
    "record_access": "hopia.serve._audit",
}

__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
__all__ = [
    "PATIENT_ROLES",
    "ROLES",
    "ServeConfig",
    "add_user",
    "authenticate",
    "create_app",
    "create_token",
    "disable_user",
    "list_audit",
    "list_users",
    "open_app_db",
    "record_access",
]
