"""Console login through OpenID Connect, against a real local provider (oidc-provider-mock):
discovery, state, the code exchange and the signed ID token over HTTP, on both databases.

Roles come from the token's group claim through `console_oidc.groepen`, at every login.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient

from monitorbot.config.models import OidcSettings
from monitorbot.core.states import Rol
from monitorbot.store import db
from monitorbot.store.queries import accounts
from monitorbot.web.accounts import set_active
from monitorbot.web.app import create_console
from monitorbot.web.oidc import OidcLogin, grants_of
from tests.console_site import NOW, PASSWORD, fill
from tests.test_console import CSRF, login

GROUPS = {
    "g-controllers": [{"rol": "controller", "gemeente": "0384"}],
    "g-managers": [{"rol": "lezer", "gemeente": "0384"}, {"rol": "lezer", "gemeente": "0999"}],
}


@pytest.fixture(scope="module")
def provider():
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def site(engine, provider):
    settings = OidcSettings(
        naam="Entra ID", issuer=provider, client_id="monitorbot", groepen=GROUPS
    )
    return replace(fill(engine), oidc=OidcLogin(settings, "geheim-van-de-client"))


@pytest.fixture
def client(site):
    return TestClient(create_console(site, secret="s"), follow_redirects=False)


def via_provider(client: TestClient, provider: str, sub: str, claims: dict):
    """The whole round: our form, the provider's consent, back to our callback."""
    assert httpx.put(f"{provider}/users/{quote(sub)}", json=claims).status_code == 204
    page = client.get("/login?volgende=/gemeente/0384/signaleringen")
    assert "Inloggen met Entra ID</button>" in page.text
    token = CSRF.search(page.text).group(1)
    to_provider = client.post(
        "/login/oidc", data={"csrf": token, "volgende": "/gemeente/0384/signaleringen"}
    )
    assert to_provider.status_code == 302
    assert to_provider.headers["location"].startswith(f"{provider}/oauth2/authorize")
    back = httpx.post(to_provider.headers["location"], data={"sub": sub})
    assert back.status_code in (302, 303), back.text
    return client.get(back.headers["location"])


def roles_of(engine, naam: str) -> set[tuple[str, str]]:
    with db.transaction(engine) as session:
        found = accounts.account(session, naam)
        return set(accounts.roles(session, found.id)) if found else set()


def test_a_group_member_logs_in_with_the_roles_the_mapping_gives(client, provider, engine):
    done = via_provider(
        client,
        provider,
        "c.janssen@testdorp.nl",
        {"preferred_username": "c.janssen@testdorp.nl", "groups": ["g-controllers", "g-other"]},
    )
    assert done.status_code == 303 and done.headers["location"] == "/gemeente/0384/signaleringen"
    assert client.get("/gemeente/0384/signaleringen").status_code == 200
    assert roles_of(engine, "c.janssen@testdorp.nl") == {("controller", "0384")}
    with db.transaction(engine) as session:
        assert accounts.account(session, "c.janssen@testdorp.nl").wachtwoord_hash is None


def test_roles_follow_the_groups_at_every_login(client, provider, engine):
    sub = "m.devries@testdorp.nl"
    via_provider(client, provider, sub, {"preferred_username": sub, "groups": ["g-controllers"]})
    client.cookies.clear()
    via_provider(client, provider, sub, {"preferred_username": sub, "groups": ["g-managers"]})
    assert roles_of(engine, sub) == {("lezer", "0384"), ("lezer", "0999")}
    page = client.get("/gemeente/0384/signaleringen")
    assert page.status_code == 200 and "Bevestigen</button>" not in page.text


def test_no_mapped_group_no_account(client, provider, engine):
    refused = via_provider(
        client, provider, "x@testdorp.nl", {"preferred_username": "x@testdorp.nl", "groups": []}
    )
    assert refused.status_code == 403 and "geen rol in monitorbot" in refused.text
    with db.transaction(engine) as session:
        assert accounts.account(session, "x@testdorp.nl") is None
    assert client.get("/gemeente/0384").status_code == 303  # still to the login


def test_a_local_account_is_never_taken_over_and_a_switched_off_one_stays_off(
    client, provider, engine
):
    refused = via_provider(
        client, provider, "anna", {"preferred_username": "anna", "groups": ["g-managers"]}
    )
    assert refused.status_code == 403 and "al een ander account" in refused.text
    assert roles_of(engine, "anna") == {("controller", "0384")}  # untouched
    assert login(client, "anna", PASSWORD).status_code == 303  # her password still works
    client.cookies.clear()
    sub = "weg@testdorp.nl"
    via_provider(client, provider, sub, {"preferred_username": sub, "groups": ["g-managers"]})
    with db.transaction(engine) as session:
        set_active(session, sub, False, door="test", now=NOW)
    client.cookies.clear()
    off = via_provider(client, provider, sub, {"preferred_username": sub, "groups": ["g-managers"]})
    assert off.status_code == 403 and "uitgeschakeld" in off.text


def test_a_callback_without_the_sessions_state_or_a_form_without_csrf_is_refused(client, provider):
    assert client.post("/login/oidc", data={"csrf": "vervalst"}).status_code == 403
    forged = client.get("/login/oidc/terug?code=abc&state=niet-van-deze-sessie")
    assert forged.status_code == 401 and "niet gelukt" in forged.text
    assert client.get("/gemeente/0384").status_code == 303


def test_an_account_without_password_cannot_log_in_locally(client, provider, engine):
    sub = "alleen-oidc@testdorp.nl"
    via_provider(client, provider, sub, {"preferred_username": sub, "groups": ["g-managers"]})
    client.cookies.clear()
    for guess in ("", "een-lang-wachtwoord-1"):
        refused = client.post(
            "/login",
            data={"naam": sub, "wachtwoord": guess, "csrf": CSRF.search(
                client.get("/login").text).group(1), "volgende": "/"},
        )  # fmt: skip
        assert refused.status_code == 401


def test_the_mapping_names_only_configured_gemeenten(config_dir):
    from monitorbot.config import ConfigError, load_config

    path = config_dir / "monitorbot.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + "console_oidc:\n  issuer: https://login.example/tenant/v2.0\n  client_id: x\n"
        + "  groepen:\n    g1: [{rol: controller, gemeente: '0363'}]\n",
        encoding="utf-8",
    )
    wrong = r"console_oidc.groepen.g1.gemeente: waarde '0363'.*toegestaan: 9991, 9992, .*, 9999"
    with pytest.raises(ConfigError, match=wrong):
        load_config(config_dir)


def test_grants_come_from_known_groups_only():
    settings = OidcSettings(issuer="https://idp.example", client_id="c", groepen=GROUPS)
    assert grants_of(settings, {"groups": "g-controllers"}) == {(Rol.CONTROLLER, "0384")}
    assert grants_of(settings, {"groups": ["onbekend"]}) == set()
    assert grants_of(settings, {}) == set()


def test_the_account_follows_the_subject_not_its_changing_name(client, provider, engine):
    """Entra names change (a marriage, a new domain); the subject does not. Another subject
    presenting a taken name gets nothing of that account."""
    sub = "subject-123"
    first = {"preferred_username": "j.devries@testdorp.nl", "groups": ["g-controllers"]}
    via_provider(client, provider, sub, first)
    client.cookies.clear()
    renamed = {"preferred_username": "j.bakker@testdorp.nl", "groups": ["g-managers"]}
    assert via_provider(client, provider, sub, renamed).status_code == 303
    assert roles_of(engine, "j.devries@testdorp.nl") == {("lezer", "0384"), ("lezer", "0999")}
    with db.transaction(engine) as session:
        assert accounts.account(session, "j.bakker@testdorp.nl") is None
        changes = [(c.wat, c.door) for c in accounts.changes(session, "0384", [])]
    assert ("rol controller afgenomen", "identiteitsprovider") in changes
    client.cookies.clear()
    impostor = {"preferred_username": "j.devries@testdorp.nl", "groups": ["g-controllers"]}
    refused = via_provider(client, provider, "another-subject", impostor)
    assert refused.status_code == 403 and "al een ander account" in refused.text
    assert roles_of(engine, "j.devries@testdorp.nl") == {("lezer", "0384"), ("lezer", "0999")}


def test_a_plain_http_issuer_is_only_for_this_machine():
    from pydantic import ValidationError

    for issuer in ("http://localhost:9400", "http://127.0.0.1:8080/realm", "https://idp.example"):
        OidcSettings(issuer=issuer, client_id="c", groepen=GROUPS)
    with pytest.raises(ValidationError):
        OidcSettings(issuer="http://idp.example", client_id="c", groepen=GROUPS)


def test_the_login_form_may_lead_to_the_provider_and_nowhere_else(client, provider):
    """CSP form-action also governs the redirect after a form: the provider's origin is
    allowed there (found by the browser test), no other site."""
    csp = client.get("/login").headers["content-security-policy"]
    assert f"form-action 'self' {provider};" in csp
    assert "script-src 'none'" in csp
