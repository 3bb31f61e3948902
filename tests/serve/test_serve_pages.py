"""Server-rendered pages through the test client: sign-in, CSRF, roles, audit, languages."""

from __future__ import annotations

import re

from serve_support import PASSWORD, Service

from hopia.serve import list_audit


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "no CSRF field in the form"
    return match.group(1)


def sign_in(service: Service, username: str, next_path: str = "/") -> None:
    form = service.client.get("/login")
    response = service.client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "csrf_token": _csrf(form.text),
            "next": next_path,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == next_path


def test_pages_redirect_to_login_with_next(service: Service) -> None:
    response = service.client.get("/patients/1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/patients/1"


def test_login_without_csrf_token_is_refused(service: Service) -> None:
    service.client.get("/login")
    response = service.client.post(
        "/login", data={"username": "clinician", "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 400
    assert "hopia_session" not in response.cookies


def test_wrong_password_is_refused(service: Service) -> None:
    form = service.client.get("/login")
    response = service.client.post(
        "/login",
        data={
            "username": "clinician",
            "password": "wrong password!",
            "csrf_token": _csrf(form.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 401
    assert "Unknown username or wrong password" in response.text


def test_session_cookie_flags(service: Service) -> None:
    form = service.client.get("/login")
    assert "httponly" in form.headers["set-cookie"].lower()
    assert "samesite=strict" in form.headers["set-cookie"].lower()
    response = service.client.post(
        "/login",
        data={"username": "clinician", "password": PASSWORD, "csrf_token": _csrf(form.text)},
        follow_redirects=False,
    )
    session_cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("hopia_session=")
    )
    assert "HttpOnly" in session_cookie
    assert "SameSite=lax" in session_cookie or "samesite=lax" in session_cookie.lower()


def test_open_redirects_are_refused(service: Service) -> None:
    form = service.client.get("/login")
    response = service.client.post(
        "/login",
        data={"username": "clinician", "password": PASSWORD, "csrf_token": _csrf(form.text),
              "next": "//evil.example/"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.headers["location"] == "/"


def test_overview_shows_the_warehouse(service: Service) -> None:
    sign_in(service, "viewer")
    page = service.client.get("/")
    assert page.status_code == 200
    assert "visit_occurrence" in page.text
    assert 'href="/static/hopia.css"' in page.text


def test_patient_page_shows_timeline_and_is_audited(service: Service) -> None:
    sign_in(service, "clinician")
    page = service.client.get("/patients/1")
    assert page.status_code == 200
    assert "REA" in page.text and "CARDIO" in page.text
    assert page.text.count("<svg") >= 3  # the unit band and two series
    assert "polyline" in page.text
    assert "Subendocardial infarction" in page.text
    with service.client.app.state.hopia.sessions() as db:
        records = list_audit(db)
    assert [(r.who, r.person_id, r.what, r.channel, r.outcome) for r in records] == [
        ("clinician", 1, "patient-page", "web", "0")
    ]


def test_patient_page_can_focus_on_an_older_stay(service: Service) -> None:
    sign_in(service, "clinician")
    page = service.client.get("/patients/1?stay=9")
    assert page.status_code == 200
    assert "No measurement during this stay." in page.text


def test_viewer_cannot_open_a_patient_and_the_refusal_is_audited(service: Service) -> None:
    sign_in(service, "viewer")
    page = service.client.get("/patients/1")
    assert page.status_code == 403
    assert "Timeline" not in page.text
    with service.client.app.state.hopia.sessions() as db:
        assert [(r.who, r.outcome) for r in list_audit(db)] == [("viewer", "4")]


def test_unknown_patient_is_404_page(service: Service) -> None:
    sign_in(service, "clinician")
    assert service.client.get("/patients/424242").status_code == 404
    assert service.client.get("/patients/abc").status_code == 422


def test_patient_search_redirects(service: Service) -> None:
    sign_in(service, "clinician")
    response = service.client.get("/patients?person_id=2", follow_redirects=False)
    assert response.headers["location"] == "/patients/2"


def test_french_by_query_cookie_and_accept_language(service: Service) -> None:
    assert "Se connecter" in service.client.get("/login?lang=fr").text
    assert "Se connecter" in service.client.get("/login").text  # remembered in a cookie
    service.client.cookies.delete("hopia_lang")
    page = service.client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert '<html lang="fr">' in page.text
    assert "Sign in" in service.client.get("/login?lang=en").text


def test_logout_needs_csrf_and_ends_the_session(service: Service) -> None:
    sign_in(service, "clinician")
    page = service.client.get("/")
    assert service.client.post("/logout", data={}, follow_redirects=False).status_code == 400
    response = service.client.post(
        "/logout", data={"csrf_token": _csrf(page.text)}, follow_redirects=False
    )
    assert response.headers["location"] == "/login"
    assert service.client.get("/", follow_redirects=False).status_code == 303


def test_tasks_and_attrition_pages(service: Service) -> None:
    sign_in(service, "viewer")
    assert "inhospital_mortality" in service.client.get("/tasks").text
    page = service.client.get("/tasks/inhospital_mortality")
    assert page.status_code == 200
    assert "visit type in" in page.text
    assert service.client.get("/tasks/nope").status_code == 404


def test_static_assets_are_served_from_the_package(service: Service) -> None:
    css = service.client.get("/static/hopia.css")
    assert css.status_code == 200
    assert "svg.chart" in css.text


def _luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_colours_pass_wcag_aa_contrast(service: Service) -> None:
    css = service.client.get("/static/hopia.css").text
    colour = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", css))
    pairs = [("ink", "paper"), ("muted", "paper"), ("muted", "wash"), ("brand-dark", "paper")]
    pairs += [("paper", name) for name in ("brand", "good", "bad")]
    for fg, bg in pairs:
        assert _contrast(colour[fg], colour[bg]) >= 4.5, (fg, bg)
    for unit_fill in re.findall(r"\.unit-\d \{ fill: (#[0-9a-f]{6}); \}", css):
        assert _contrast("#ffffff", unit_fill) >= 4.5


def test_every_visible_input_has_a_label_and_charts_have_names(service: Service) -> None:
    sign_in(service, "clinician")
    for path in ("/login?lang=fr", "/patients", "/patients/1"):
        html = service.client.get(path).text
        assert re.search(r'<html lang="(en|fr)">', html)
        for input_id in re.findall(r'<input id="([^"]+)"', html):
            assert f'<label for="{input_id}">' in html
    html = service.client.get("/patients/1").text
    for svg in re.findall(r"<svg[^>]*>", html):
        assert 'role="img"' in svg and "aria-labelledby" in svg


def test_patient_page_shows_each_models_risk_and_factors(
    scoring_service: Service, population_person: int
) -> None:
    sign_in(scoring_service, "clinician")
    page = scoring_service.client.get(f"/patients/{population_person}")
    assert page.status_code == 200
    risk = re.search(r'data-risk="([0-9.]+)"', page.text)
    assert risk and 0 <= float(risk.group(1)) <= 1
    assert page.text.count('<li class="raises">') + page.text.count('<li class="lowers">') >= 1
    french = scoring_service.client.get(f"/patients/{population_person}?lang=fr")
    assert "Principaux facteurs" in french.text


def test_models_pages(scoring_service: Service) -> None:
    sign_in(scoring_service, "viewer")
    listing = scoring_service.client.get("/models")
    assert 'href="/models/long_stay_7d/1"' in listing.text
    card = scoring_service.client.get("/models/long_stay_7d/1")
    assert "intended_use" in card.text and "LogisticRegression" in card.text
    assert scoring_service.client.get("/models/long_stay_7d/1/report").status_code == 404
    assert scoring_service.client.get("/models/nope/1").status_code == 404
