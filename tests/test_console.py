"""The console over HTTP: sessions, CSRF, roles per gemeente, headers; on both databases.

The browser walk and the accessibility check are in test_console_browser.py.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from monitorbot.store import db, models
from monitorbot.web.accounts import LoginBrake
from monitorbot.web.app import create_console
from tests.console_site import NOW, PASSWORD, fill

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PAGES = [
    "/",
    "/gemeente/0384",
    "/gemeente/0384/signaleringen",
    "/gemeente/0384/grafiek/1/jeugd-zin.png",
]


@pytest.fixture
def site(engine):
    return fill(engine)


@pytest.fixture
def client(site):
    return TestClient(create_console(site, secret="test-geheim"), follow_redirects=False)


def csrf_of(client: TestClient, path: str = "/login") -> str:
    return CSRF.search(client.get(path).text).group(1)


def login(client: TestClient, naam: str, password: str = PASSWORD):
    return client.post(
        "/login",
        data={"naam": naam, "wachtwoord": password, "csrf": csrf_of(client), "volgende": "/"},
    )


@pytest.mark.parametrize("path", PAGES)
def test_every_page_without_a_session_goes_to_the_login(client, path):
    response = client.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?volgende=")


def test_a_controller_reads_the_table_from_the_stored_snapshot(client):
    assert login(client, "anna").headers["location"] == "/"
    assert client.get("/").headers["location"] == "/gemeente/0384"
    page = client.get("/gemeente/0384")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    # the figures of the snapshot, as the digest and the workbook show them (× € 1.000)
    assert "Jeugd zorg in natura (ZIN)</th>" in text
    assert (
        '<td class="getal">5.915</td><td class="getal">7.261</td>'
        '<td class="getal">7.061 – 7.461</td><td class="getal">-1.346</td>' in text
    )
    assert "stand 10-11-2026" in text
    chart = client.get("/gemeente/0384/grafiek/1/jeugd-zin.png")
    assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG")


def test_another_gemeentes_pages_are_not_there(client):
    login(client, "olga")
    for path in PAGES[1:]:
        assert client.get(path).status_code == 404, path
    token = csrf_of(client, "/login")  # a token of olga's own session
    refused = client.post(
        "/gemeente/0384/signaleringen/7/bevestigen", data={"csrf": token, "notitie": "x"}
    )
    assert refused.status_code == 404


def test_the_kernteam_acknowledges_with_a_note_and_the_author_is_recorded(client, site):
    login(client, "kees")
    page = client.get("/gemeente/0384/signaleringen")
    assert "Bevestigen</button>" in page.text
    # its history as known when the snapshot was made: not the evaluation after it
    assert (
        "Verloop per peilmaand: oktober 2026: -22,8 % (drempel -15,0 %); "
        "september 2026: -12,0 % (drempel -15,0 %)</p>" in page.text
    )
    assert "november 2026:" not in page.text
    token = CSRF.search(page.text).group(1)
    done = client.post(
        "/gemeente/0384/signaleringen/7/bevestigen",
        data={"csrf": token, "notitie": "besproken in kernteam 12-11"},
    )
    assert done.status_code == 303
    after = client.get("/gemeente/0384/signaleringen").text
    assert "Bevestigd door kees, 12-11-2026 10:00: besproken in kernteam 12-11" in after
    with db.transaction(site.engine) as session:
        row = session.get(models.AlertState, 7)
        assert (row.bevestigd_door, row.bevestiging) == ("kees", "besproken in kernteam 12-11")
    again = client.post(
        "/gemeente/0384/signaleringen/7/bevestigen", data={"csrf": token, "notitie": "nog eens"}
    )
    assert again.status_code == 409 and "al bevestigd door kees" in again.text
    with db.transaction(site.engine) as session:
        assert session.get(models.AlertState, 7).bevestiging == "besproken in kernteam 12-11"


def test_a_lezer_can_look_but_not_acknowledge(client, site):
    login(client, "bert")
    page = client.get("/gemeente/0384/signaleringen")
    assert page.status_code == 200 and "Bevestigen</button>" not in page.text
    token = CSRF.search(page.text).group(1)
    refused = client.post(
        "/gemeente/0384/signaleringen/7/bevestigen", data={"csrf": token, "notitie": "x"}
    )
    assert refused.status_code == 403
    with db.transaction(site.engine) as session:
        assert session.get(models.AlertState, 7).bevestigd_op is None


def test_forms_without_the_sessions_csrf_token_are_refused(client, site):
    assert client.post("/login", data={"naam": "anna", "wachtwoord": PASSWORD}).status_code == 403
    login(client, "anna")
    for token in ("", "vervalst"):
        refused = client.post(
            "/gemeente/0384/signaleringen/7/bevestigen", data={"csrf": token, "notitie": "x"}
        )
        assert refused.status_code == 403
    assert client.post("/uitloggen", data={}).status_code == 403
    with db.transaction(site.engine) as session:
        assert session.get(models.AlertState, 7).bevestigd_op is None


def test_a_note_that_may_hold_a_bsn_is_refused(client):
    login(client, "anna")
    token = csrf_of(client, "/gemeente/0384/signaleringen")
    refused = client.post(
        "/gemeente/0384/signaleringen/7/bevestigen", data={"csrf": token, "notitie": "123456782"}
    )
    assert refused.status_code == 400
    assert "123456782" not in refused.text


def test_logging_out_ends_the_session_and_every_copy_of_it(client, site):
    login(client, "anna")
    copy = TestClient(create_console(site, secret="test-geheim"), follow_redirects=False)
    copy.cookies.update(client.cookies)
    assert copy.get("/gemeente/0384").status_code == 200
    token = csrf_of(client, "/gemeente/0384")
    assert client.post("/uitloggen", data={"csrf": token}).status_code == 303
    assert client.get("/gemeente/0384").status_code == 303
    assert copy.get("/gemeente/0384").status_code == 303  # a copied cookie ends too


def test_wrong_passwords_are_braked_per_account_and_the_right_one_then_waits(site):
    moment = [0.0]
    brake = LoginBrake(max_failures=3, window=60, clock=lambda: moment[0])
    client = TestClient(create_console(site, secret="s", brake=brake), follow_redirects=False)
    for _ in range(3):
        assert login(client, "anna", "fout-wachtwoord-99").status_code == 401
    assert login(client, "anna").status_code == 429  # right, but too soon
    assert login(client, "nobody-here", PASSWORD).status_code == 429  # same address
    moment[0] = 61.0
    assert login(client, "anna").status_code == 303
    # colleagues behind one address log in all day: a right password takes its attempt back
    for naam in ("bert", "kees", "olga", "bert", "kees"):
        assert login(client, naam).status_code == 303, naam


def test_a_disabled_account_loses_its_open_session(client, site):
    login(client, "anna")
    assert client.get("/gemeente/0384").status_code == 200
    with db.transaction(site.engine) as session:
        account = session.scalars(
            select(models.Gebruiker).where(models.Gebruiker.naam == "anna")
        ).one()
        account.actief = False
    assert client.get("/gemeente/0384").status_code == 303


def test_every_response_is_hardened_and_the_cookie_is_httponly_and_lax(client):
    response = login(client, "anna")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    page = client.get("/gemeente/0384")
    csp = page.headers["content-security-policy"]
    assert "script-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert "<script" not in page.text and " style=" not in page.text


def test_no_page_holds_a_bsn_or_a_pseudonym(client):
    login(client, "anna")
    for path in PAGES[:3]:
        text = client.get(path, follow_redirects=True).text
        assert not re.search(r"(?<![\d.])\d{9}(?![\d.])", text), path
        assert not re.search(r"[0-9a-f]{32}", text), path


def test_the_password_is_stored_as_an_argon2_hash_only(site):
    with db.transaction(site.engine) as session:
        hashes = session.scalars(select(models.Gebruiker.wachtwoord_hash)).all()
    assert hashes and all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_accounts_are_managed_from_the_command_line(database_url, config_dir, tmp_path):
    from typer.testing import CliRunner

    from monitorbot.cli.app import app

    env = {"MONITORBOT_DATABASE_URL": database_url}
    base = ["--config-dir", str(config_dir), "--data-dir", str(tmp_path / "data"), "gebruikers"]

    def run(*args: str, stdin: str | None = None):
        return CliRunner().invoke(app, [*base, *args], env=env, input=stdin)

    made = run(
        "toevoegen",
        "j.jansen",
        "--rol",
        "kernteam",
        "--gemeente",
        "9999",
        "--wachtwoord-stdin",
        stdin="een-lang-wachtwoord-9\n",
    )
    assert made.exit_code == 0, made.output
    assert (
        run(
            "toevoegen",
            "kort",
            "--rol",
            "lezer",
            "--gemeente",
            "9999",
            "--wachtwoord-stdin",
            stdin="kort\n",
        ).exit_code
        == 2
    )
    assert (
        run(
            "toevoegen",
            "x",
            "--rol",
            "baas",
            "--gemeente",
            "9999",
            "--wachtwoord-stdin",
            stdin="een-lang-wachtwoord-9\n",
        ).exit_code
        == 2
    )
    assert run("rol", "j.jansen", "--rol", "controller", "--gemeente", "9999").exit_code == 0
    assert run("uitschakelen", "j.jansen").exit_code == 0
    listed = run("lijst").output
    assert "j.jansen (uitgeschakeld): controller in 9999, kernteam in 9999" in listed
    assert "een-lang-wachtwoord-9" not in listed


def test_a_controller_sets_and_ends_a_silence_and_a_lezer_cannot(client, site):
    login(client, "anna")
    page = client.get("/gemeente/0384/stiltes")
    assert "Stilte instellen</button>" in page.text
    token = CSRF.search(page.text).group(1)
    form = {"csrf": token, "regel": "wachttijd-boven-norm", "aanbieder": "98990102"}
    made = client.post("/gemeente/0384/stiltes", data={**form, "dagen": "30", "reden": "contract"})
    assert made.status_code == 303
    listed = client.get("/gemeente/0384/stiltes").text
    assert "Stilte #1 ingesteld voor 30 dagen." in listed
    assert "regel = wachttijd-boven-norm, aanbieder = 98990102" in listed
    assert "12-12-2026 10:00" in listed  # 30 days after 12-11 09:00 UTC, Amsterdam time
    for bad, reason in (
        ({"regel": "", "aanbieder": ""}, "minstens een regel"),
        ({"aanbieder": "123"}, "8 cijfers"),
        ({"dagen": "400"}, "1 tot 365"),
        ({"reden": "cliënt 123456782"}, "BSN"),
    ):
        refused = client.post(
            "/gemeente/0384/stiltes", data={**form, "dagen": "30", "reden": "r", **bad}
        )
        assert refused.status_code == 400 and reason in refused.text, bad
    assert (
        client.post("/gemeente/0384/stiltes/1/beeindigen", data={"csrf": token}).status_code == 303
    )
    assert "beëindigd" in client.get("/gemeente/0384/stiltes").text
    twice = client.post("/gemeente/0384/stiltes/1/beeindigen", data={"csrf": token})
    assert twice.status_code == 409 and "al beëindigd door anna" in twice.text
    with db.transaction(site.engine) as session:
        assert session.get(models.Silence, 1).beeindigd_door == "anna"

    client.post("/uitloggen", data={"csrf": token})
    login(client, "kees")
    page = client.get("/gemeente/0384/stiltes")
    assert page.status_code == 200 and "Stilte instellen" not in page.text
    token = CSRF.search(page.text).group(1)
    refused = client.post("/gemeente/0384/stiltes", data={**form, "csrf": token, "reden": "x"})
    assert refused.status_code == 403
    with db.transaction(site.engine) as session:
        assert len(session.scalars(select(models.Silence)).all()) == 1


def test_data_quality_and_reports_come_from_the_snapshot(client):
    login(client, "bert")
    quality = client.get("/gemeente/0384/datakwaliteit").text
    assert "jw323-kapot.xml" in quality and "regel 3: ongeldige datum" in quality
    assert "Stichting Het Speelkwartier (98990103)" in quality
    reports = client.get("/gemeente/0384/rapporten").text
    assert "/gemeente/0384/rapporten/1/werkmap.xlsx" in reports
    book = client.get("/gemeente/0384/rapporten/1/werkmap.xlsx")
    assert book.status_code == 200 and book.content[:2] == b"PK"
    assert 'filename="monitorbot-0384-2026-11-10.xlsx"' in book.headers["content-disposition"]
    csv = client.get("/gemeente/0384/rapporten/1/begroting.csv")
    assert csv.content.startswith("\ufeff".encode()) and b";7261259,00;" in csv.content
    assert client.get("/gemeente/0384/rapporten/1/geheim.txt").status_code == 404
    assert client.get("/gemeente/0384/rapporten/99/werkmap.xlsx").status_code == 404


@pytest.fixture
def writing_client(engine, config_dir):
    """A console that writes corrections into a private copy of config/ (gemeente 9999)."""
    from dataclasses import replace

    from monitorbot.core.states import Rol
    from monitorbot.web.accounts import set_role

    site = replace(fill(engine), config_dir=config_dir)
    with db.transaction(engine) as session:
        set_role(session, "anna", Rol.CONTROLLER, "9999", grant=True, door="test", now=NOW)
        set_role(session, "kees", Rol.KERNTEAM, "9999", grant=True, door="test", now=NOW)
    return TestClient(create_console(site, secret="s"), follow_redirects=False)


def test_a_correction_is_written_to_the_begroting_file_dated_and_recorded(
    writing_client, config_dir, engine
):
    from monitorbot.config import load_config

    client = writing_client
    login(client, "anna")
    page = client.get("/gemeente/9999/correcties")
    assert "Correctie vastleggen</button>" in page.text
    token = CSRF.search(page.text).group(1)
    form = {
        "csrf": token,
        "perceel": "jeugd-zin",
        "reden": "nieuw contract verblijf",
        "jaar": "2026",
    }
    done = client.post("/gemeente/9999/correcties", data={**form, "prognose": "7.300.000"})
    assert done.status_code == 303
    text = (config_dir / "begroting" / "9999-2026.yaml").read_text(encoding="utf-8")
    assert text.startswith("# Primitieve begroting 2026")  # comments and layout kept
    assert "      jeugd-zin: 5915000                 # groei 4 % per jaar" in text
    correction = load_config(config_dir).begroting("9999", 2026).prognose_correcties[-1]
    assert (correction.perceel, correction.prognose, correction.door) == (
        "jeugd-zin",
        730_000_000,
        "anna",
    )
    assert str(correction.datum) == "2026-11-12" and correction.tot is None
    listed = client.get("/gemeente/9999/correcties").text
    assert "telt mee vanaf de volgende evaluatie" in listed
    assert "€ 7.300.000" in listed and "12-11-2026 10:00</strong>, anna" in listed
    with db.transaction(engine) as session:
        row = session.scalars(
            select(models.ConfigWijziging).order_by(models.ConfigWijziging.id.desc())
        ).first()
        assert (row.bestand, row.door) == ("begroting/9999-2026.yaml", "anna")
        assert "+  - perceel: jeugd-zin" in row.diff

    ended = client.post(
        "/gemeente/9999/correcties/beeindigen",
        data={"csrf": token, "perceel": "jeugd-zin", "jaar": "2026"},
    )
    assert ended.status_code == 303
    again = load_config(config_dir).begroting("9999", 2026).prognose_correcties[-1]
    assert str(again.tot) == "2026-11-12"


def test_a_correction_the_configuration_refuses_changes_nothing(writing_client, config_dir):
    client = writing_client
    before = (config_dir / "begroting" / "9999-2026.yaml").read_bytes()
    login(client, "anna")
    token = csrf_of(client, "/gemeente/9999/correcties")
    base = {"csrf": token, "perceel": "jeugd-zin", "reden": "nieuw contract", "jaar": "2026"}
    for changes, reason in (
        ({"prognose": "7.300.000,505"}, "meer dan twee decimalen"),
        ({"prognose": "zeven miljoen"}, "geen bedrag"),
        ({"prognose": "100", "perceel": "bestaat-niet"}, "onbekend perceel"),
        ({"prognose": "100", "reden": "ok"}, "3 tot 500 tekens"),
        ({"prognose": "100", "jaar": "2031"}, "geen begroting 2031"),
    ):
        refused = client.post("/gemeente/9999/correcties", data={**base, **changes})
        assert refused.status_code == 400 and reason in refused.text, changes
        if reason == "onbekend perceel":  # the file by its name in config/, no server path
            assert "begroting/9999-2026.yaml:" in refused.text
            assert str(config_dir) not in refused.text and "/tmp" not in refused.text
    assert (config_dir / "begroting" / "9999-2026.yaml").read_bytes() == before
    client.post("/uitloggen", data={"csrf": token})
    login(client, "kees")
    token = csrf_of(client, "/gemeente/9999/correcties")
    refused = client.post(
        "/gemeente/9999/correcties", data={**base, "csrf": token, "prognose": "1"}
    )
    assert refused.status_code == 403
    assert (config_dir / "begroting" / "9999-2026.yaml").read_bytes() == before


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example", "https://evil.example"])
def test_after_login_only_a_path_on_this_site_is_followed(client, target):
    response = client.post(
        "/login",
        data={"naam": "anna", "wachtwoord": PASSWORD, "csrf": csrf_of(client), "volgende": target},
    )
    assert response.headers["location"] == "/"


#: Every page and action of a gemeente, with the form an action needs.
ROUTES = [
    ("get", "/gemeente/0384", {}),
    ("get", "/gemeente/0384/signaleringen", {}),
    ("get", "/gemeente/0384/stiltes", {}),
    ("get", "/gemeente/0384/correcties", {}),
    ("get", "/gemeente/0384/datakwaliteit", {}),
    ("get", "/gemeente/0384/rapporten", {}),
    ("get", "/gemeente/0384/rapporten/1/werkmap.xlsx", {}),
    ("get", "/gemeente/0384/rapporten/1/rapport.html", {}),
    ("get", "/gemeente/0384/rapporten/1/begroting.csv", {}),
    ("get", "/gemeente/0384/grafiek/1/jeugd-zin.png", {}),
    ("post", "/gemeente/0384/signaleringen/7/bevestigen", {"notitie": "x"}),
    ("post", "/gemeente/0384/stiltes", {"regel": "r", "dagen": "1", "reden": "x"}),
    ("post", "/gemeente/0384/stiltes/1/beeindigen", {}),
    (
        "post",
        "/gemeente/0384/correcties",
        {"perceel": "jeugd-zin", "prognose": "1", "reden": "xyz", "jaar": "2026"},
    ),
    ("post", "/gemeente/0384/correcties/beeindigen", {"perceel": "jeugd-zin", "jaar": "2026"}),
]


@pytest.mark.parametrize(("method", "path", "form"), ROUTES)
def test_every_route_of_another_gemeente_is_a_404(client, site, method, path, form):
    """olga is controller elsewhere: with her own valid token, nothing of 0384 exists."""
    login(client, "olga")
    token = csrf_of(client, "/login")
    if method == "get":
        response = client.get(path)
    else:
        response = client.post(path, data={**form, "csrf": token})
    assert response.status_code == 404, path
    with db.transaction(site.engine) as session:
        assert session.get(models.AlertState, 7).bevestigd_op is None
        assert not session.scalars(select(models.Silence)).all()


def test_no_page_or_download_holds_a_bsn_or_a_pseudonym(client):
    login(client, "anna")
    for method, path, _form in ROUTES:
        if method != "get" or path.endswith((".xlsx", ".png")):
            continue
        text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", client.get(path).text)
        assert not re.search(r"(?<![\d.])\d{9}(?![\d.])", text), path
        assert not re.search(r"[0-9a-f]{32}", text), path


def test_alerts_resolved_in_the_last_three_months_are_listed_apart(client, site):
    """As the evaluation knew them: resolved ones apart from the open, older ones left out."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from monitorbot.core.states import AlertStatus
    from tests import snapshots

    snapshot = snapshots.snapshot()
    open_alert = snapshot.signaleringen[0]
    resolved = [
        replace(open_alert, id=id_, titel=titel, status=AlertStatus.RESOLVED, opgelost_op=when)
        for id_, titel, when in (
            (11, "Wmo huishoudelijke hulp", datetime(2026, 9, 30, 22, tzinfo=UTC)),
            (12, "Jeugd met verblijf", datetime(2026, 10, 2, 6, tzinfo=UTC)),
            (13, "Wmo vervoer", datetime(2026, 5, 1, 6, tzinfo=UTC)),  # long ago
        )
    ]
    later = replace(snapshot, signaleringen=(open_alert, *resolved))
    with db.transaction(site.engine) as session:
        session.add(
            models.Momentopname(
                gemeente_code="0384",
                peildatum=later.peildatum.grens,
                soort=later.peildatum.soort.value,
                berekend_op=later.berekend_op,
                inhoud=later.to_json(),
            )
        )
    login(client, "kees")
    page = re.sub(r"\s+", " ", client.get("/gemeente/0384/signaleringen").text)
    head, _, tail = page.partition("Opgelost in de 3 maanden voor deze evaluatie</h2>")
    assert "#7 Jeugd zorg in natura (ZIN)</h2>" in head and "Wmo" not in head
    rows = re.findall(r'<th scope="row">#(\d+) [^<]+</th>.*?<td>([\d-]+)</td></tr>', tail)
    assert rows == [("12", "02-10-2026"), ("11", "01-10-2026")]  # newest first, local dates
    assert "Wmo vervoer" not in tail


# --------------------------------------------------------------------------- the region


def test_a_region_reader_sees_the_regional_table_and_no_members_own_pages(client):
    login(client, "rita")
    home = client.get("/")
    assert home.status_code == 200 and 'href="/regio/testregio">Testregio</a>' in home.text
    assert "/gemeente/" not in home.text
    page = client.get("/regio/testregio")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    # Testdorp's own line as its table shows it, Elders' correction, and their sum
    assert (
        '<th scope="row">Testdorp</th> <td class="getal">5.915</td>'
        '<td class="getal">7.261</td><td class="getal">7.061 – 7.461</td>' in text
    )
    assert (
        '<th scope="row">Elders</th> <td class="getal">1.000</td><td class="getal">900 *</td>'
        in text
    )
    assert (
        '<th scope="row">Regio</th> <td class="getal">6.915</td><td class="getal">8.161</td>'
        in text
    )
    comparison = text.split("De gemeenten vergeleken")[1]
    assert (
        '<th scope="row">Kosten per cliënt jeugdhulp</th><td class="getal">€ 12.500</td>'
        '<td class="getal">—</td><td class="getal">€ 12.000</td>' in comparison
    )
    # another region that exists: not hers (regio-lezer of Testregio only)
    for path in ("/gemeente/0384", "/gemeente/0999", "/regio/andere", "/regio/elders"):
        assert client.get(path).status_code == 404, path


def test_a_region_is_shown_to_whoever_may_read_every_member_and_to_nobody_else(client):
    login(client, "gert")  # lezer in both members
    assert client.get("/regio/testregio").status_code == 200
    client.post("/uitloggen", data={"csrf": csrf_of(client, "/")})
    login(client, "anna")  # controller of one member only
    assert client.get("/regio/testregio").status_code == 404
    assert client.get("/regio/andere").status_code == 404
    assert "/regio/" not in client.get("/gemeente/0384").text


def test_an_unknown_regional_snapshot_is_a_404(client):
    login(client, "rita")
    assert client.get("/regio/testregio?momentopname=999").status_code == 404
