"""The console in a real browser (Debian's Chromium driven by Playwright), checked by axe-core.

A controller's visit (anna: controller of Testdorp, beheerder of Demodorp): log in,
read the table, open the alerts, acknowledge one with a note, set a silence, read the
data quality, download the workbook, add a correction (written to the begroting file),
try a threshold change on history and save it (written to the gemeente's own rule
file), give a colleague a role; a lezer sees no button and another gemeente's page is
not there. Every page is checked with axe-core (WCAG 2.1 AA rules): no serious or
critical violation. The console runs in a thread on a free port over the hand-made
snapshot.
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
import uvicorn

from monitorbot.config.models import OidcSettings
from monitorbot.core.states import Rol
from monitorbot.store import db
from monitorbot.web.accounts import set_role
from monitorbot.web.app import create_console
from monitorbot.web.oidc import OidcLogin
from monitorbot.web.trials import TrialJobs
from tests.conftest import CONFIG_DIR, chromium_binary
from tests.console_site import NOW, PASSWORD, fill
from tests.test_console_rules import HandMadeReplay

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """A real local OpenID provider on `localhost`: another site than the console's
    127.0.0.1, so its redirect back is a cross-site navigation, as with Entra ID."""
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory, provider: str) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("console")
    engine = db.make_engine(f"sqlite:///{folder / 'console.db'}")
    db.upgrade(engine)
    config = folder / "config"
    shutil.copytree(CONFIG_DIR, config)
    alerts = folder / "alerts"
    shutil.copytree(CONFIG_DIR.parent / "alerts", alerts)
    oidc = OidcLogin(
        OidcSettings(
            issuer=provider,
            client_id="monitorbot",
            groepen={"g-managers": [{"rol": "lezer", "gemeente": "0384"}]},
        ),
        "geheim-van-de-client",
    )
    site = replace(
        fill(engine),
        config_dir=config,
        alerts_dir=alerts,
        trials=TrialJobs(HandMadeReplay()),
        oidc=oidc,
    )
    with db.transaction(engine) as session:
        set_role(session, "anna", Rol.BEHEERDER, "9999", grant=True, door="test", now=NOW)
    app = create_console(site, secret="browser-test")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "de console startte niet"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    engine.dispose()


@pytest.fixture(scope="module")
def browser(base_url: str):
    from playwright.sync_api import sync_playwright

    executable = chromium_binary()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="nl-NL")
    yield context.new_page()
    context.close()


def assert_accessible(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    serious = [
        v for v in results.response["violations"] if v.get("impact") in {"serious", "critical"}
    ]
    assert not serious, f"{page.url}:\n" + "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}"
        for v in serious
    )


def log_in(page, base_url: str, naam: str) -> None:
    page.goto(f"{base_url}/gemeente/0384")
    assert page.url.startswith(f"{base_url}/login")
    page.get_by_label("Account").fill(naam)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen", exact=True).click()


def test_a_controller_reads_the_table_and_acknowledges_an_alert(page, base_url):
    page.goto(f"{base_url}/login")
    assert_accessible(page)
    log_in(page, base_url, "anna")
    page.wait_for_url(f"{base_url}/gemeente/0384")
    assert "Testdorp (0384)" in page.get_by_role("table").inner_text()
    row = page.get_by_role("row", name="Jeugd zorg in natura (ZIN)")
    assert row.get_by_role("cell").all_inner_texts()[:4] == [
        "5.915",
        "7.261",
        "7.061 – 7.461",
        "-1.346",
    ]
    assert page.get_by_role(
        "img", name="Cumulatieve kosten Jeugd zorg in natura (ZIN) 2026"
    ).first.is_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Signaleringen").click()
    page.wait_for_url(f"{base_url}/gemeente/0384/signaleringen")
    alert = page.get_by_role("region", name="#7 Jeugd zorg in natura (ZIN)")
    assert alert.is_visible()
    assert_accessible(page)
    alert.get_by_label("Notitie bij het bevestigen").fill("besproken in kernteam 12-11")
    alert.get_by_role("button", name="Bevestigen").click()
    page.wait_for_url(f"{base_url}/gemeente/0384/signaleringen")
    assert page.get_by_role("status").inner_text() == (
        "Signalering #7 bevestigd: besproken in kernteam 12-11"
    )
    assert "Bevestigd door anna" in page.inner_text("main")
    assert_accessible(page)

    page.get_by_role("link", name="Stiltes").click()
    page.get_by_label("Regel (bv. wachttijd-boven-norm)").fill("wachttijd-boven-norm")
    page.get_by_label("Aanbieder (AGB-code, 8 cijfers)").fill("98990102")
    page.get_by_label("Reden").fill("nieuw contract per 1 januari")
    page.get_by_role("button", name="Stilte instellen").click()
    page.wait_for_url(f"{base_url}/gemeente/0384/stiltes")
    assert page.get_by_role("status").inner_text().startswith("Stilte #")
    assert "nieuw contract per 1 januari" in page.get_by_role("table").inner_text()
    assert_accessible(page)

    page.get_by_role("link", name="Datakwaliteit").click()
    assert "jw323-kapot.xml" in page.inner_text("main")
    assert_accessible(page)
    page.get_by_role("link", name="Rapporten").click()
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="werkmap stand 10-11-2026").click()
    assert download.value.suggested_filename == "monitorbot-0384-2026-11-10.xlsx"

    # Demodorp's corrections are written to its begroting file (anna is its controller too)
    page.goto(f"{base_url}/gemeente/9999/correcties")
    page.get_by_label("Perceel").select_option("jeugd-zin")
    page.get_by_label("Prognose 2026 in euro's (bv. 7.300.000)").fill("7.300.000")
    page.get_by_label("Reden").fill("nieuw contract verblijf per 1 november")
    page.get_by_role("button", name="Correctie vastleggen").click()
    page.wait_for_url(f"{base_url}/gemeente/9999/correcties")
    assert "€ 7.300.000" in page.get_by_role("table").inner_text()
    assert_accessible(page)

    # a threshold change, tried on history in the background, then saved for Demodorp only
    page.get_by_role("link", name="Regels").click()
    page.wait_for_url(f"{base_url}/gemeente/9999/regels")
    assert_accessible(page)
    page.get_by_role("link", name="perceel-prognose-boven-begroting").click()
    assert_accessible(page)
    page.get_by_label("Drempel kritiek (leeg: geen)").fill("< -25 %")
    page.get_by_role("button", name="Proberen op de geschiedenis").click()
    page.get_by_role("button", name="Voorstel opslaan").wait_for(timeout=15_000)  # refreshes
    assert "oktober 2026 (2 mnd vooraf)" in page.get_by_role("table").nth(1).inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Voorstel opslaan").click()
    assert "opgeslagen in alerts/gemeente-9999.yaml" in page.get_by_role("status").inner_text()
    assert "Bestand: eigen (gemeente-9999.yaml)" in page.inner_text("main")
    assert_accessible(page)

    # anna is Demodorp's beheerder too: she gives a colleague a role there
    page.get_by_role("link", name="Accounts").click()
    page.get_by_label("Accountnaam").fill("piet")
    page.get_by_label("Rol in 9999").select_option("kernteam")
    page.get_by_label("Tijdelijk wachtwoord").fill("een-tijdelijk-wachtwoord")
    page.get_by_role("button", name="Toevoegen").click()
    page.wait_for_url(f"{base_url}/gemeente/9999/accounts")
    assert page.get_by_role("status").inner_text() == (
        "Account piet aangemaakt: kernteam in deze gemeente."
    )
    assert_accessible(page)

    page.get_by_role("button", name="Uitloggen").click()
    page.wait_for_url(f"{base_url}/login")


def test_a_lezer_cannot_act_and_another_gemeente_is_not_there(page, base_url):
    log_in(page, base_url, "bert")
    page.wait_for_url(f"{base_url}/gemeente/0384")
    page.goto(f"{base_url}/gemeente/0384/signaleringen")
    assert page.get_by_role("button", name="Bevestigen").count() == 0
    response = page.goto(f"{base_url}/gemeente/0999")
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", name="Niet gevonden").is_visible()
    assert_accessible(page)


def test_a_manager_logs_in_through_the_identity_provider_in_a_real_browser(
    page, base_url, provider
):
    """The whole round in Chromium: the button, the provider's page, the cross-site way
    back (the session cookie must come along with the login's state), a lezer's page."""
    import httpx

    claims = {"preferred_username": "m.devries@testdorp.nl", "groups": ["g-managers"]}
    assert httpx.put(f"{provider}/users/m.devries", json=claims).status_code == 204
    page.goto(f"{base_url}/gemeente/0384/signaleringen")
    assert_accessible(page)
    page.get_by_role("button", name="Inloggen met Entra ID").click()
    page.wait_for_url(f"{provider}/**")
    page.get_by_placeholder("sub").fill("m.devries")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{base_url}/gemeente/0384/signaleringen")
    assert page.get_by_role("heading", name="Signaleringen Testdorp").is_visible()
    assert page.get_by_role("button", name="Bevestigen").count() == 0  # a lezer
    assert "m.devries@testdorp.nl" in page.inner_text("header")


def test_a_region_reader_reads_the_regional_table(page, base_url):
    log_in(page, base_url, "rita")
    page.goto(f"{base_url}/")
    page.get_by_role("link", name="Testregio").click()
    page.wait_for_url(f"{base_url}/regio/testregio")
    assert page.get_by_role("heading", name="Regio Testregio").is_visible()
    table = page.get_by_role("table", name=re.compile(r"^Testregio \(2 gemeenten\)"))
    assert table.get_by_role("rowheader", name="Regio").count() == 2  # a perceel and the total
    assert "8.161" in table.inner_text()
    comparison = page.get_by_role("table", name=re.compile("de gemeenten vergeleken"))
    assert "€ 12.500" in comparison.inner_text()
    assert_accessible(page)
