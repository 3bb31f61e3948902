"""Service verbs: ``hopia serve``, ``hopia user add|list|disable``, ``hopia token create``,
``hopia audit``."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from hopia.errors import InputError

user_app = typer.Typer(help="Manage the people who can sign in.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)

AppDbOption = Annotated[
    str | None,
    typer.Option(
        "--app-db", help="Application database URL (default: HOPIA_APP_DB or ./hopia-data)."
    ),
]
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@contextmanager
def _db(url: str | None) -> Iterator[Any]:
    from hopia.serve.db import open_app_db
    from hopia.settings import get_settings

    engine, sessions = open_app_db(url or get_settings().app_db_url)
    try:
        with sessions() as db:
            yield db
    finally:
        engine.dispose()


def serve_cmd(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    secure_cookies: Annotated[
        bool | None,
        typer.Option(
            "--secure-cookies/--no-secure-cookies",
            help="Secure flag on cookies (default: on, except when listening on loopback "
            "over plain HTTP).",
        ),
    ] = None,
    warehouse: Annotated[
        str | None, typer.Option("--warehouse", "-w", help="Warehouse URL.")
    ] = None,
    app_db: AppDbOption = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes (one per core; each keeps its own compiled queries and caches).",
        ),
    ] = 1,
) -> None:
    """Start the scoring API and the web pages (uvicorn)."""
    import logging

    import uvicorn

    from hopia.serve import ServeConfig, create_app

    overrides: dict[str, Any] = {
        "secure_cookies": host not in _LOOPBACK if secure_cookies is None else secure_cookies
    }
    if warehouse:
        overrides["warehouse_url"] = warehouse
    if app_db:
        overrides["app_db_url"] = app_db
    config = ServeConfig.from_settings(**overrides)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    shown = f"[{host}]" if ":" in host else host
    typer.echo(
        f"hopia serving on http://{shown}:{port}/ (API: /api/v1, OpenAPI: /api/v1/openapi.json)"
    )
    # uvicorn's access log would print raw paths and query strings; hopia logs route templates.
    if workers == 1:
        uvicorn.run(create_app(config), host=host, port=port, access_log=False, log_level="info")
        return
    from hopia.serve._app import CONFIG_ENV, config_to_environment

    # The workers rebuild the same configuration (CSRF key included) from the environment.
    os.environ[CONFIG_ENV] = config_to_environment(config)
    uvicorn.run(
        "hopia.serve._app:app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        access_log=False,
        log_level="info",
    )


@user_app.command("add")
def user_add_cmd(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[
        str, typer.Option(help="admin, data_scientist, clinician or viewer.")
    ] = "clinician",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    app_db: AppDbOption = None,
) -> None:
    """Create a user (the password is prompted for, or read from stdin)."""
    from hopia.serve._accounts import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with _db(app_db) as db:
        user = add_user(db, username, password, role)
    typer.echo(f"user {user.username} ({user.role}) created")


@user_app.command("list")
def user_list_cmd(app_db: AppDbOption = None) -> None:
    """List users, their role and whether they are active."""
    from rich.console import Console
    from rich.table import Table

    from hopia.serve._accounts import list_users

    table = Table("username", "role", "active", "created (UTC)")
    with _db(app_db) as db:
        for user in list_users(db):
            table.add_row(
                user.username,
                user.role,
                "yes" if user.active else "no",
                f"{user.created_at:%Y-%m-%d %H:%M}",
            )
    Console().print(table)


@user_app.command("disable")
def user_disable_cmd(
    username: Annotated[str, typer.Argument(help="Login name.")], app_db: AppDbOption = None
) -> None:
    """Disable a user: sign-in, sessions and tokens stop working at once."""
    from hopia.serve._accounts import disable_user

    with _db(app_db) as db:
        disable_user(db, username)
    typer.echo(f"user {username} disabled")


@token_app.command("create")
def token_create_cmd(
    username: Annotated[str, typer.Argument(help="The user the token acts for.")],
    name: Annotated[str, typer.Option(help="A label (e.g. the client using it).")] = "",
    days: Annotated[int, typer.Option(min=0, help="Lifetime in days (0: never expires).")] = 90,
    app_db: AppDbOption = None,
) -> None:
    """Create an API token and print it once (only its hash is stored)."""
    from hopia.serve._accounts import create_token

    with _db(app_db) as db:
        value = create_token(db, username, name=name, days=days or None)
    typer.echo(value)


def _since(text: str | None) -> dt.datetime | None:
    """``2024-05-01``, ``2024-05-01T08:00`` (UTC) or a duration back from now (``24h``, ``7d``)."""
    if not text:
        return None
    from hopia.serve.db import now
    from hopia.tasks import parse_duration

    try:
        return now() - dt.timedelta(seconds=parse_duration(text))
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            "--since", f"expected a date, a date-time or a duration such as 24h, got {text!r}"
        ) from None


def audit_cmd(
    person: Annotated[int | None, typer.Option("--person", help="Only this person_id.")] = None,
    since: Annotated[
        str | None, typer.Option(help="From this UTC date/time, or this long ago (24h, 7d).")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", help="Only this username.")] = None,
    fhir: Annotated[bool, typer.Option("--fhir", help="Print FHIR AuditEvent JSON lines.")] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many records.")] = None,
    app_db: AppDbOption = None,
) -> None:
    """Print the audit trail of reads of patient-level data."""
    from rich.console import Console
    from rich.table import Table

    from hopia.serve._audit import list_audit

    with _db(app_db) as db:
        records = list_audit(db, person_id=person, since=_since(since), who=user, limit=limit)
    if fhir:
        for record in records:
            typer.echo(json.dumps(record.to_fhir(), ensure_ascii=False))
        return
    table = Table("when (UTC)", "who", "role", "person", "what", "channel", "client", "outcome")
    outcomes = {"0": "success", "4": "refused", "8": "failed"}
    for r in records:
        table.add_row(
            f"{r.recorded:%Y-%m-%d %H:%M:%S}", r.who, r.role, "" if r.person_id is None else str(r.person_id),
            r.what, r.channel, r.client_address,
            outcomes.get(r.outcome, r.outcome) + (f" ({r.outcome_desc})" if r.outcome_desc else ""),
        )  # fmt: skip
    Console(width=160).print(table)
    typer.echo(f"{len(records)} record(s)")


def register(app: typer.Typer) -> None:
    """Attach ``serve``, ``user``, ``token`` and ``audit`` to the ``hopia`` command."""
    app.command("serve")(serve_cmd)
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
    app.command("audit")(audit_cmd)
