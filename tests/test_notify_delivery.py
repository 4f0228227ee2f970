"""The outbox end to end: `monitorbot evaluate` and `digest` on the demo, to fake Slack/Teams/SMTP.

Real slack-sdk, real urllib and real smtplib talk to servers on 127.0.0.1
(tests/fakes.py); nothing on the sending side is mocked. A crash is simulated
by letting the real send happen and then failing before the outbox row commits.
"""

from __future__ import annotations

import email
import email.policy
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from monitorbot.cli.app import app
from monitorbot.config import load_config, load_settings
from monitorbot.notify.channels import sender_for
from monitorbot.notify.message import Message, Section
from monitorbot.notify.outbox import deliver, enqueue
from monitorbot.store import db, models
from tests.fakes import FakeSlackApi, FakeSmtp, FakeWebhook

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "xoxb-test-token"
NOW = datetime(2026, 11, 10, 8, tzinfo=UTC)


def _configure(config_dir: Path, smtp_port: int) -> None:
    """The repository's config, with SMTP pointed at the fake server."""
    deployment = config_dir / "monitorbot.yaml"
    text = deployment.read_text(encoding="utf-8")
    text = text.replace("  host: localhost\n  port: 587\n  tls: starttls", "")
    deployment.write_text(
        text.replace("smtp:\n", f"smtp:\n  host: 127.0.0.1\n  port: {smtp_port}\n  tls: geen"),
        encoding="utf-8",
    )


@pytest.fixture
def servers():
    with FakeSlackApi(token=TOKEN) as slack, FakeWebhook() as teams, FakeSmtp() as smtp:
        yield slack, teams, smtp


@pytest.fixture
def demo_copy(demo_database, tmp_path):
    """A private copy of the ingested demo (SQLite), so evaluate may store its state."""
    if demo_database.engine.dialect.name != "sqlite":
        pytest.skip("copying the demo database is a SQLite file copy")
    target = tmp_path / "demo.db"
    shutil.copy(demo_database.engine.url.database, target)
    return f"sqlite:///{target}"


def _cli(url: str, config_dir: Path, servers, *args: str):
    slack, teams, _ = servers
    env = {
        "MONITORBOT_DATABASE_URL": url,
        "MONITORBOT_FORECASTS_DIR": str(ROOT / "forecasts"),
        "MONITORBOT_ALERTS_DIR": str(ROOT / "alerts"),
        "MONITORBOT_SLACK_TOKEN": TOKEN,
        "MONITORBOT_SLACK_API_URL": slack.base_url,
        "MONITORBOT_TEAMS_WEBHOOK_URL": teams.url,
    }
    return CliRunner().invoke(app, ["--config-dir", str(config_dir), *args], env=env)


@pytest.mark.parametrize("demo_database", ["sqlite"], indirect=True)
def test_evaluate_posts_to_slack_teams_and_email_once(demo_copy, config_dir, servers):
    slack, teams, smtp = servers
    _configure(config_dir, smtp.port)
    now = "--nu", "2026-11-10T08:00"
    first = _cli(demo_copy, config_dir, servers, "evaluate", "--gemeente", "9999", *now)
    assert first.exit_code == 0, first.output
    # Console: the kernteam message printed readably.
    assert "monitorbot Demodorp:" in first.output
    assert "[Kritiek · Nieuw] Jeugd zorg in natura (ZIN)" in first.output
    assert "verzonden: kernteam via slack" in first.output
    # Slack: one message with blocks and the idempotency key, the chart in its thread.
    [post] = slack.posted()
    assert post["blocks"][0]["type"] == "header"
    assert post["metadata"]["event_payload"]["key"].startswith("mb-")
    assert [u["data"][:8] for u in slack.uploads.values()] == [b"\x89PNG\r\n\x1a\n"]
    # Teams: one Adaptive Card.
    [card] = teams.bodies
    assert card["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    # E-mail to the managers: text and HTML.
    [mail] = smtp.received
    assert mail.rcpt_tos == ["management@demodorp.example"]
    parsed = email.message_from_bytes(mail.content, policy=email.policy.default)
    parts = {part.get_content_type() for part in parsed.walk()}
    assert {"text/plain", "text/html"} <= parts

    again = _cli(demo_copy, config_dir, servers, "evaluate", "--gemeente", "9999", *now)
    assert again.exit_code == 0, again.output
    assert "Niets nieuws te melden." in again.output
    assert len(slack.posted()) == 1 and len(teams.bodies) == 1 and len(smtp.received) == 1

    digest = _cli(demo_copy, config_dir, servers, "digest", "--gemeente", "9999", *now)
    assert digest.exit_code == 0, digest.output
    assert "overzicht, stand 10-11-2026" in digest.output
    assert len(smtp.received) == 2
    subject = email.message_from_bytes(smtp.received[1].content, policy=email.policy.default)
    assert "overzicht, stand 10-11-2026" in subject["Subject"]
    # The digest of a period goes out once, however often it is run.
    _cli(demo_copy, config_dir, servers, "digest", "--gemeente", "9999", "--nu", "2026-11-12T08:00")
    assert len(smtp.received) == 2


# --------------------------------------------------------------------------- the outbox


def _message(gemeente: str = "9999") -> Message:
    return Message(
        kind="alerts",
        gemeente=gemeente,
        title="monitorbot Demodorp: 1 signalering(en) — peilmaand oktober 2026",
        summary="Test",
        sections=[Section(title="Jeugd zorg in natura (ZIN)", text="Prognose boven begroting.")],
    )


@pytest.fixture
def outbox_setup(engine, config_dir, servers, monkeypatch):
    slack, teams, smtp = servers
    _configure(config_dir, smtp.port)
    monkeypatch.setenv("MONITORBOT_SLACK_TOKEN", TOKEN)
    monkeypatch.setenv("MONITORBOT_SLACK_API_URL", slack.base_url)
    monkeypatch.setenv("MONITORBOT_TEAMS_WEBHOOK_URL", teams.url)
    config = load_config(config_dir)
    settings = load_settings(config_dir=config_dir)
    return engine, config, settings


def _rows(engine) -> dict[str, models.Outbox]:
    """Outbox rows by destination type and position ("slack#1")."""
    with db.transaction(engine) as session:
        rows = session.scalars(select(models.Outbox)).all()
        return {r.ontvanger_type.rsplit("#", 1)[0]: r for r in rows}


def test_retries_with_backoff_and_retry_after(outbox_setup, servers):
    engine, config, settings = outbox_setup
    slack, teams, _ = servers
    with db.transaction(engine) as session:
        enqueue(session, config, _message(), "kernteam", now=NOW)
    slack.fail_next(status=429, retry_after=120, method="chat.postMessage")
    teams.fail_next(status=500)
    report = deliver(engine, config, settings, clock=lambda: NOW)
    assert len(report.uitgesteld) == 2 and len(report.verzonden) == 1  # console went out
    rows = _rows(engine)
    assert rows["slack#1"].status == "mislukt"
    assert rows["slack#1"].volgende_poging.replace(tzinfo=UTC) >= NOW + timedelta(seconds=120)
    assert rows["teams#2"].volgende_poging.replace(tzinfo=UTC) == NOW + timedelta(seconds=30)
    # Not due yet: nothing is tried.
    assert (
        deliver(engine, config, settings, clock=lambda: NOW + timedelta(seconds=10)).verzonden == []
    )
    later = deliver(engine, config, settings, clock=lambda: NOW + timedelta(minutes=3))
    assert len(later.verzonden) == 2
    assert len(slack.posted()) == 1 and len(teams.bodies) == 1
    with db.transaction(engine) as session:
        results = session.scalars(
            select(models.NotificatieLog.resultaat).order_by(models.NotificatieLog.id)
        ).all()
    assert sorted(results) == ["tijdelijk", "tijdelijk", "verzonden", "verzonden", "verzonden"]


def test_a_permanent_error_on_one_channel_does_not_stop_the_others(outbox_setup, servers):
    engine, config, settings = outbox_setup
    slack, teams, _ = servers
    slack.fail_next(error="channel_not_found", method="chat.postMessage")
    with db.transaction(engine) as session:
        enqueue(session, config, _message(), "kernteam", now=NOW)
    report = deliver(engine, config, settings, clock=lambda: NOW)
    assert [line.split(":")[0] for line in report.permanent] == ["kernteam via slack"]
    assert len(teams.bodies) == 1
    assert _rows(engine)["slack#1"].status == "permanent"
    # Permanent means permanent: a later run does not try again.
    deliver(engine, config, settings, clock=lambda: NOW + timedelta(hours=2))
    assert slack.calls("chat.postMessage").__len__() == 1


def test_no_second_slack_message_after_a_crash_between_send_and_commit(outbox_setup, servers):
    engine, config, settings = outbox_setup
    slack, _, _ = servers
    with db.transaction(engine) as session:
        enqueue(session, config, _message(), "kernteam", now=NOW)

    class Crash(BaseException):
        """Like the process being killed: not an error the sender handles."""

    class CrashAfterSending:
        """The real sender, then the process 'dies' before the outbox row is committed."""

        def __init__(self, destination) -> None:
            self.real = sender_for(
                destination, settings, config.deployment, Path(settings.data_dir)
            )
            self.name = self.real.name

        def send(self, message, key):
            detail = self.real.send(message, key)
            if self.name.startswith("slack"):
                raise Crash
            return detail

    with pytest.raises(Crash):
        deliver(engine, config, settings, clock=lambda: NOW, make_sender=CrashAfterSending)
    assert len(slack.posted()) == 1
    assert _rows(engine)["slack#1"].status == "bezig"  # the row never learned it was sent
    # Within the lease no other sender touches it (the Teams row, never claimed, goes out).
    within = deliver(engine, config, settings, clock=lambda: NOW + timedelta(minutes=5))
    assert [line.split(":")[0] for line in within.verzonden] == ["kernteam via teams"]
    assert _rows(engine)["slack#1"].status == "bezig"
    # After the restart and the lease: the key is in the channel's history, no second post.
    report = deliver(engine, config, settings, clock=lambda: NOW + timedelta(minutes=11))
    assert len(slack.posted()) == 1
    assert any(line.startswith("kernteam via slack") for line in report.verzonden)
    with db.transaction(engine) as session:
        sent = session.scalar(
            select(func.count())
            .select_from(models.Outbox)
            .where(models.Outbox.status == "verzonden")
        )
    assert sent == 3  # console before the crash, teams during the lease, slack after it


def test_a_row_is_claimed_by_one_sender_only(outbox_setup):
    from monitorbot.notify.outbox import _claim

    engine, config, _ = outbox_setup
    with db.transaction(engine) as session:
        row_id = enqueue(session, config, _message(), "kernteam", now=NOW)[0].id
    assert _claim(engine, row_id, NOW) is True
    assert _claim(engine, row_id, NOW) is False  # a second sender, same moment
    assert _claim(engine, row_id, NOW + timedelta(minutes=11)) is True  # the lease has passed


def test_an_unexpected_error_is_retried_and_never_leaks_its_text(outbox_setup):
    engine, config, settings = outbox_setup
    with db.transaction(engine) as session:
        enqueue(session, config, _message(), "kernteam", now=NOW)

    class Broken:
        name = "kapot"

        def __init__(self, destination) -> None:
            pass

        def send(self, message, key):
            raise ValueError("https://hooks.example/geheim-token-123 gaf rommel terug")

    report = deliver(engine, config, settings, clock=lambda: NOW, make_sender=Broken)
    assert len(report.uitgesteld) == 3 and not report.permanent
    with db.transaction(engine) as session:
        details = session.scalars(select(models.NotificatieLog.detail)).all()
        errors = session.scalars(select(models.Outbox.laatste_fout)).all()
    assert set(details) == {"ValueError"} and set(errors) == {"ValueError"}


def test_a_channel_the_municipality_lacks_is_recorded_not_lost(outbox_setup):
    engine, config, _ = outbox_setup
    with db.transaction(engine) as session:
        [row] = enqueue(session, config, _message(), "raad", now=NOW)
        assert row.status == "permanent"
        assert row.laatste_fout == "kanaal 'raad' staat niet bij de kanalen van gemeente 9999"


def test_a_message_that_failed_for_good_makes_the_run_exit_1(
    outbox_setup, servers, monkeypatch, tmp_path
):
    """`run --eenmalig` keeps the promise of every command: 1 when something was not delivered."""
    from monitorbot.app import make_app
    from monitorbot.cli.run_cmd import _run_once
    from monitorbot.service.scheduler import Service

    engine, config, settings = outbox_setup
    slack, _, _ = servers
    slack.fail_next(error="channel_not_found", method="chat.postMessage")
    with db.transaction(engine) as session:
        enqueue(session, config, _message(), "kernteam", now=NOW)
    monkeypatch.setenv("MONITORBOT_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    service = Service(make_app(settings.config_dir, tmp_path / "data"), clock=lambda: NOW)
    assert _run_once(service) == 1
    assert _run_once(service) == 0  # nothing left to deliver: the failure was reported once
