"""The pages in a real browser: Debian's Chromium driven by Playwright against uvicorn."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from serve_support import PASSWORD

from hopia.serve import ServeConfig, create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(
    synth_warehouse_url: str, users_db: tuple[Path, dict[str, str]], tmp_path: Path, test_model: Any
) -> Iterator[str]:
    """uvicorn serving the app (synthetic hospital, one model) on 127.0.0.1 (plain HTTP, so
    cookies without Secure)."""
    import uvicorn

    app_db = tmp_path / "app.sqlite"
    shutil.copyfile(users_db[0], app_db)
    config = ServeConfig(
        warehouse_url=synth_warehouse_url,
        app_db_url=f"sqlite:///{app_db}",
        models_dir=tmp_path / "models",
        secure_cookies=False,
        min_cell=2,
        model_source=lambda: [test_model],
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config), host="127.0.0.1", port=port, log_level="warning", access_log=False
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.browser
def test_clinician_signs_in_opens_a_patient_and_signs_out(
    live_server: str, population_person: int
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 1366}, locale="en-GB")
            page.goto(f"{live_server}/patients")
            expect(page).to_have_url(re.compile(r"/login\?next=/patients$"))
            page.get_by_label("Username").fill("clinician")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page).to_have_url(f"{live_server}/patients")

            page.get_by_role("link", name="Models").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Models")
            expect(page.get_by_role("link", name="long_stay_7d")).to_be_visible()

            page.get_by_role("link", name="Patients").click()
            page.get_by_label("Person identifier").fill(str(population_person))
            page.get_by_role("button", name="Open").click()
            expect(page.get_by_role("heading", level=1)).to_have_text(
                f"Patient {population_person}"
            )
            risk = page.get_by_role("article", name="Risk long_stay_7d")
            expect(risk.locator(".percent")).to_have_text(re.compile(r"^\d+\.\d %$"))
            expect(risk.locator("ul.factors li").first).to_be_visible()
            expect(page.locator("svg.chart").first).to_be_visible()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "patient-page.png"), full_page=True)

            page.get_by_role("link", name="FR", exact=True).click()
            expect(page.get_by_role("heading", name="Risques")).to_be_visible()

            page.get_by_role("button", name="Se déconnecter").click()
            expect(page).to_have_url(f"{live_server}/login")
            page.goto(f"{live_server}/patients/1")
            expect(page).to_have_url(re.compile(r"/login"))
        finally:
            browser.close()
