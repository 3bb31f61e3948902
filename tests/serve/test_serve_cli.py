"""``hopia user``, ``hopia token``, ``hopia audit`` through the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hopia.cli import app
from hopia.serve import list_audit, open_app_db, record_access
from hopia.serve._accounts import user_for_token

runner = CliRunner()


def test_user_token_and_audit_verbs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.sqlite'}"
    added = runner.invoke(
        app, ["user", "add", "marie", "--role", "clinician", "--password-stdin", "--app-db", url],
        input="a very long password\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "marie (clinician) created" in added.output
    duplicate = runner.invoke(
        app,
        ["user", "add", "marie", "--password-stdin", "--app-db", url],
        input="another password!\n",
    )
    assert duplicate.exit_code != 0
    assert isinstance(duplicate.exception, ValueError)
    listed = runner.invoke(app, ["user", "list", "--app-db", url])
    assert "marie" in listed.output and "clinician" in listed.output

    token = runner.invoke(app, ["token", "create", "marie", "--app-db", url]).output.strip()
    engine, sessions = open_app_db(url)
    with sessions() as db:
        assert user_for_token(db, token).username == "marie"
        record_access(db, who="marie", role="clinician", person_id=42, what="timeline",
                      channel="api", client_address="10.0.0.7")  # fmt: skip
        record_access(db, who="marie", role="clinician", person_id=43, what="timeline",
                      channel="web", client_address="10.0.0.7")  # fmt: skip
        assert len(list_audit(db)) == 2

    printed = runner.invoke(app, ["audit", "--person", "42", "--since", "1h", "--app-db", url])
    assert printed.exit_code == 0, printed.output
    assert "42" in printed.output and "1 record(s)" in printed.output
    as_fhir = runner.invoke(app, ["audit", "--fhir", "--app-db", url])
    events = [json.loads(line) for line in as_fhir.output.splitlines()]
    assert [e["entity"][0]["what"]["reference"] for e in events] == ["Patient/42", "Patient/43"]
    bad_since = runner.invoke(app, ["audit", "--since", "yesterday-ish", "--app-db", url])
    assert bad_since.exit_code != 0

    disabled = runner.invoke(app, ["user", "disable", "marie", "--app-db", url])
    assert disabled.exit_code == 0
    with sessions() as db:
        assert user_for_token(db, token) is None
    engine.dispose()
