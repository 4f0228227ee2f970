"""The Accounts page: a beheerder manages who has which role in their gemeente, every change
recorded with its author; nobody manages a gemeente they are not beheerder of. Both databases."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from monitorbot.core.states import Rol
from monitorbot.store import db
from monitorbot.store.queries import accounts
from monitorbot.web.accounts import set_role, sync_external
from monitorbot.web.app import create_console
from tests.console_site import NOW, PASSWORD, fill
from tests.test_console import csrf_of, login

PAGE = "/gemeente/0384/accounts"


@pytest.fixture
def site(engine):
    """As console_site, plus `bea`: beheerder in 0384, and `olga` also lezer in 0384."""
    site = fill(engine)
    with db.transaction(engine) as session:
        from monitorbot.web.accounts import create

        create(session, "bea", PASSWORD, NOW, door="test")
        set_role(session, "bea", Rol.BEHEERDER, "0384", grant=True, door="test", now=NOW)
        set_role(session, "olga", Rol.LEZER, "0384", grant=True, door="test", now=NOW)
    return site


@pytest.fixture
def client(site):
    return TestClient(create_console(site, secret="s"), follow_redirects=False)


def roles(engine, naam: str) -> set[tuple[str, str]]:
    with db.transaction(engine) as session:
        found = accounts.account(session, naam)
        return set(accounts.roles(session, found.id)) if found else set()


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_a_beheerder_adds_an_account_changes_a_role_and_every_change_is_recorded(client, engine):
    login(client, "bea")
    page = client.get(PAGE)
    assert page.status_code == 200 and ">Accounts</a>" in page.text
    token = csrf_of(client, PAGE)
    done = client.post(
        PAGE,
        data={"csrf": token, "naam": "piet", "rol": "kernteam", "wachtwoord": "een-ander-lang-ww"},
    )
    assert done.status_code == 303
    assert roles(engine, "piet") == {("kernteam", "0384")}
    assert login(client, "piet", "een-ander-lang-ww").status_code == 303
    client.cookies.clear()
    login(client, "bea")
    token = csrf_of(client, PAGE)
    client.post(f"{PAGE}/rol", data={"csrf": token, "naam": "piet", "rol": "controller"})
    assert roles(engine, "piet") == {("controller", "0384")}
    client.post(f"{PAGE}/rol", data={"csrf": token, "naam": "kees", "rol": "geen"})
    assert roles(engine, "kees") == set()
    text = flat(client.get(PAGE).text)
    assert '<th scope="row">kees</th><td>kernteam' not in text  # no role here: not listed
    for wie, wat in (
        ("piet", "account aangemaakt"),
        ("piet", "rol kernteam gegeven"),
        ("piet", "rol kernteam afgenomen"),
        ("piet", "rol controller gegeven"),
        ("kees", "rol kernteam afgenomen"),
    ):
        assert f'<th scope="row">{wie}</th><td>{wat}</td><td>bea</td>' in text, (wie, wat)


def test_switching_off_ends_the_session_and_is_only_for_a_beheerder_of_all_its_gemeenten(
    client, engine
):
    login(client, "bert")
    bert = client.cookies.get("monitorbot_sessie")
    client.cookies.clear()
    login(client, "bea")
    token = csrf_of(client, PAGE)
    off = client.post(f"{PAGE}/actief", data={"csrf": token, "naam": "bert", "aan": "0"})
    assert off.status_code == 303
    other = TestClient(client.app, follow_redirects=False, cookies={"monitorbot_sessie": bert})
    assert other.get("/gemeente/0384").status_code == 303  # bert's session has ended
    # olga also has a role in 0999, where bea is no beheerder
    refused = client.post(f"{PAGE}/actief", data={"csrf": token, "naam": "olga", "aan": "0"})
    assert refused.status_code == 400 and "geen beheerder" in refused.text
    refused = client.post(f"{PAGE}/actief", data={"csrf": token, "naam": "bea", "aan": "0"})
    assert refused.status_code == 400
    refused = client.post(f"{PAGE}/rol", data={"csrf": token, "naam": "bea", "rol": "lezer"})
    assert refused.status_code == 400 and roles(engine, "bea") == {("beheerder", "0384")}


def test_only_a_beheerder_of_this_gemeente_manages_it(client, engine):
    for naam, status in (("anna", 403), ("olga", 403)):
        client.cookies.clear()
        login(client, naam)
        token = csrf_of(client, "/login")
        assert client.get(PAGE).status_code == status
        refused = client.post(
            PAGE, data={"csrf": token, "naam": "x", "rol": "beheerder", "wachtwoord": "x" * 12}
        )
        assert refused.status_code == status
        assert ">Accounts</a>" not in client.get("/gemeente/0384").text
    client.cookies.clear()
    login(client, "bea")
    token = csrf_of(client, PAGE)
    assert client.post(PAGE, data={"naam": "y", "rol": "lezer"}).status_code == 403  # no CSRF
    assert client.get("/gemeente/0999/accounts").status_code == 404
    with db.transaction(engine) as session:
        assert accounts.account(session, "x") is None and accounts.account(session, "y") is None


def test_an_identity_provider_account_gets_its_roles_from_its_groups_only(client, engine):
    with db.transaction(engine) as session:
        sync_external(session, "idp|ext", "ext@testdorp.nl", {(Rol.LEZER, "0384")}, NOW)
    login(client, "bea")
    token = csrf_of(client, PAGE)
    text = flat(client.get(PAGE).text)
    assert '<th scope="row">ext@testdorp.nl</th><td>lezer</td><td>identiteitsprovider</td>' in text
    assert "<td>rol lezer gegeven</td><td>identiteitsprovider</td>" in text
    for path, reason in ((PAGE, "bestaat al een account"), (f"{PAGE}/rol", "identiteitsprovider")):
        form = {"csrf": token, "naam": "ext@testdorp.nl", "rol": "controller"}
        refused = client.post(path, data=form)
        assert refused.status_code == 400 and reason in refused.text
    assert roles(engine, "ext@testdorp.nl") == {("lezer", "0384")}


def test_the_command_line_is_recorded_as_the_author(database_url, config_dir, tmp_path):
    from typer.testing import CliRunner

    from monitorbot.cli.app import app
    from monitorbot.store.db import make_engine

    env = {"MONITORBOT_DATABASE_URL": database_url}
    base = ["--config-dir", str(config_dir), "--data-dir", str(tmp_path / "d"), "gebruikers"]
    runner = CliRunner()
    added = runner.invoke(
        app,
        [*base, "toevoegen", "jan", "--rol", "lezer", "--gemeente", "9999", "--wachtwoord-stdin"],
        input="een-lang-wachtwoord-9\n",
        env=env,
    )
    assert added.exit_code == 0, added.output
    assert runner.invoke(app, [*base, "uitschakelen", "jan"], env=env).exit_code == 0
    engine = make_engine(database_url)
    with db.transaction(engine) as session:
        made = [(c.wat, c.door) for c in accounts.changes(session, "9999", ["jan"])]
    engine.dispose()
    assert made == [
        ("uitgeschakeld", "opdrachtregel"),
        ("rol lezer gegeven", "opdrachtregel"),
        ("account aangemaakt", "opdrachtregel"),
    ]


def test_a_beheerder_cannot_take_over_an_account_that_is_not_wholly_theirs(client, engine):
    """Account names are shared: bob (beheerder in 0999) may not give himself p.jansen,
    whose only role bea took away, nor anna, who has a role in 0384."""
    with db.transaction(engine) as session:
        from monitorbot.web.accounts import create

        create(session, "bob", PASSWORD, NOW, door="test")
        set_role(session, "bob", Rol.BEHEERDER, "0999", grant=True, door="test", now=NOW)
    login(client, "bea")
    token = csrf_of(client, PAGE)
    form = {"csrf": token, "naam": "p.jansen", "rol": "lezer", "wachtwoord": "wachtwoord-van-bea"}
    assert client.post(PAGE, data=form).status_code == 303
    client.post(f"{PAGE}/rol", data={"csrf": token, "naam": "p.jansen", "rol": "geen"})
    assert roles(engine, "p.jansen") == set()
    client.cookies.clear()
    login(client, "bob")
    token = csrf_of(client, "/gemeente/0999/accounts")
    for naam in ("p.jansen", "anna"):
        refused = client.post(
            "/gemeente/0999/accounts",
            data={"csrf": token, "naam": naam, "rol": "controller", "wachtwoord": "van-bob-123456"},
        )
        assert refused.status_code == 400 and "bestaat al een account" in refused.text
    assert roles(engine, "p.jansen") == set()
    assert roles(engine, "anna") == {("controller", "0384")}
    page = client.get("/gemeente/0999/accounts").text
    assert "0384" not in page  # bob sees nothing of another gemeente


def test_an_unknown_switch_or_target_is_refused(client):
    login(client, "bea")
    token = csrf_of(client, PAGE)
    refused = client.post(f"{PAGE}/actief", data={"csrf": token, "naam": "bert", "aan": "ja"})
    assert refused.status_code == 400
