"""`monitorbot demo` end to end on SQLite: the table, the files, and a safe second run."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from monitorbot.cli.app import app
from monitorbot.store import db, models
from monitorbot.web.accounts import verify


@pytest.mark.slow
def test_demo_runs_end_to_end_and_twice_is_safe(tmp_path, config_dir, monkeypatch):
    monkeypatch.delenv("MONITORBOT_DATABASE_URL", raising=False)
    data = tmp_path / "data"
    args = [
        "--config-dir",
        str(config_dir),
        "--data-dir",
        str(data),
        "demo",
        "--vandaag",
        "2026-11-10",
    ]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "Jeugd zorg in natura (ZIN)" in first.output
    assert "Waar alles staat" in first.output
    for suffix in ("xlsx", "csv", "md"):
        assert (data / "rapporten" / f"begroting-9999-2026.{suffix}").stat().st_size > 0
    # What a user types next shows the demo's own table, figure for figure.
    report = ["report", "budget", "--gemeente", "9999", "--year", "2026", "--as-of", "2026-11-10"]
    budget = CliRunner().invoke(app, [*args[:4], *report])
    assert budget.exit_code == 0, budget.output
    table = budget.output.strip()
    assert "prognose stand 10-11-2026" in table
    assert table in first.output
    engine = db.make_engine(f"sqlite:///{data / 'monitorbot.db'}")
    with db.transaction(engine) as session:
        lines = session.execute(select(func.count()).select_from(models.Declaratieregel)).scalar()

    login = re.search(r"account demo, wachtwoord (\S+)\)", first.output)
    assert login, "the demo says how to open the console and with which login"
    with db.transaction(engine) as session:
        assert verify(session, "demo", login.group(1)) is not None

    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0, second.output
    assert "0 ingelezen" in second.output
    again_login = re.search(r"account demo, wachtwoord (\S+)\)", second.output)
    assert again_login and again_login.group(1) != login.group(1)  # renewed, not left lying
    with db.transaction(engine) as session:
        again = session.execute(select(func.count()).select_from(models.Declaratieregel)).scalar()
    assert again == lines > 50_000
