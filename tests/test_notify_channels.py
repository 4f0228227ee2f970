"""Renderers and senders against fake servers, with the real clients.

slack-sdk's WebClient and WebhookClient, urllib and smtplib talk over real
sockets to the fakes in `tests/fakes.py`; nothing on the sending side is
mocked. The sample messages are built by hand here, the way the alert and
digest builders fill them: aggregates only, a chart, a table, an action.
"""

from __future__ import annotations

import email
import email.policy
import io
import json
import re
from functools import cache
from pathlib import Path

import pytest
from PIL import Image

from monitorbot.config.models import (
    ConsoleChannel,
    Deployment,
    EmailChannel,
    FileChannel,
    MattermostChannel,
    SlackChannel,
    SlackWebhookChannel,
    SmtpSettings,
    TeamsChannel,
)
from monitorbot.config.settings import Settings, load_settings
from monitorbot.core.privacy import passes_elfproef
from monitorbot.notify.channels import (
    ConsoleSender,
    EmailSender,
    FileSender,
    MattermostSender,
    PermanentFailure,
    SlackApiSender,
    SlackWebhookSender,
    TeamsSender,
    TemporaryFailure,
    sender_for,
)
from monitorbot.notify.message import Attachment, Message, MessageField, Section, Table
from monitorbot.notify.render import (
    CHART_ELSEWHERE,
    CHART_IN_EMAIL,
    SLACK_MAX_BLOCKS,
    SLACK_MAX_FIELDS,
    SLACK_MAX_TEXT,
    message_id,
    to_email,
    to_mattermost,
    to_slack,
    to_teams,
    to_text,
)
from tests.fakes import FakeSlackApi, FakeSmtp, FakeWebhook, free_port, self_signed_certificate

TOKEN = "xoxb-test-token"
CHANNEL_ID = "C0KERNTEAM1"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --------------------------------------------------------------------------- sample messages


@cache
def chart_png() -> bytes:
    """A small trend chart as the alert builder draws it (as declared, complete, fan, budget)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    months = list(range(1, 13))
    declared = [480, 470, 505, 490, 300, 120, None, None, None, None, None, None]
    figure = Figure(figsize=(4, 2.4), dpi=60)
    axes = figure.subplots()
    axes.plot(months[:6], declared[:6], label="gedeclareerd")
    axes.plot(months[:6], [480, 475, 510, 505, 500, 495], linestyle="--", label="verwacht compleet")
    axes.fill_between(months[5:], [480] * 7, [540] * 7, alpha=0.3, label="prognose (80%)")
    axes.axhline(415, color="black", linewidth=1, label="begroting")
    axes.legend(fontsize=6)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


@cache
def report_xlsx() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["perceel", "begroting", "prognose"])
    workbook.active.append(["Jeugd ZIN", 4984400, 6069000])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def kernteam_alert() -> Message:
    jeugd = Section(
        title="Jeugd zorg in natura: prognose 22% boven de begroting",
        text=(
            "De prognose 2026 is € 6.069.000 tegen € 4.984.000 begroot. "
            "De groei komt vooral uit hogere kosten per cliënt."
        ),
        fields=[
            MessageField("Begroting 2026", "€ 4.984.000"),
            MessageField("Prognose 2026", "€ 6.069.000 (80%: 5.810.000 – 6.330.000)"),
            MessageField("Restant", "€ -1.084.000 (N)"),
            MessageField("Afwijking", "-22%"),
            MessageField("Unieke cliënten", "478 (-0,5%)"),
            MessageField("Kosten per cliënt", "€ 12.697 (+18%)"),
            MessageField("Top-10 cliënten", "+13 %-punt van de groei"),
            MessageField("Indexatie", "5,0% begroot, 6,8% werkelijk"),
        ],
        state="nieuw",
        severity="kritiek",
        action="Bespreek de groei met de drie grootste aanbieders en informeer de wethouder.",
        chart="jeugd-zin-2026.png",
        details=[
            "Groei exclusief indexatie +31,5%: +13 %-punt door de 10 duurste cliënten, "
            "+18 %-punt door hogere kosten per cliënt; het aantal cliënten daalde 0,5%.",
            "Late declaraties zijn meegerekend: maart en april zijn voor 80% compleet.",
        ],
    )
    hulp = Section(
        title="Wmo huishoudelijke hulp: wachttijd weer binnen de norm",
        text="De gemiddelde wachttijd is 24 dagen; de norm is 28 dagen.",
        fields=[MessageField("Wachttijd", "24 dagen"), MessageField("Norm", "28 dagen")],
        state="opgelost",
        severity="waarschuwing",
    )
    return Message(
        kind="alerts",
        gemeente="0384",
        title="Demodorp — meldingen kernteam, maart 2026",
        summary="2 meldingen: 1 nieuw (kritiek), 1 opgelost. Cijfers zoals bekend op 10-03-2026.",
        sections=[jeugd, hulp],
        attachments=[
            Attachment(
                "jeugd-zin-2026.png",
                "image/png",
                chart_png(),
                "Jeugd ZIN 2026: gedeclareerd, verwacht compleet, prognose en begroting",
            )
        ],
        footer="monitorbot · Demodorp (0384) · stil zetten: monitorbot alerts silence",
    )


BUDGET_TABLE = Table(
    columns=["perceel", "Begroting 2026", "Prognose 2026", "Restant-budget", "V/N", "afwijking"],
    rows=[
        ["Jeugd zorg in natura (ZIN)", "4.984", "6.069", "-1.084", "N", "-22%"],
        ["Jeugd pers.geb. budget (PGB)", "33", "12", "21", "V", "63%"],
        ["Wmo begeleiding ZIN", "1.772", "1.590", "182", "V", "10%"],
        ["Totaal", "6.789", "7.671", "-881", "N", "-13%"],
    ],
    align=["l", "r", "r", "r", "l", "r"],
)


def manager_digest() -> Message:
    return Message(
        kind="digest",
        gemeente="0384",
        title="Demodorp — overzicht voor managers, maart 2026",
        summary="De prognose 2026 ligt € 881.000 boven de begroting (-13%), vooral door Jeugd ZIN.",
        sections=[
            Section(
                title="Begroting en prognose 2026 (× € 1.000)",
                table=BUDGET_TABLE,
            ),
            Section(
                title="Hoogtepunten",
                text=(
                    "Jeugd ZIN: kosten per cliënt +18%, het aantal cliënten gelijk. "
                    "Wmo begeleiding blijft € 182.000 onder de begroting. "
                    "De wachttijd huishoudelijke hulp is weer binnen de norm."
                ),
            ),
            Section(
                title="Open meldingen",
                fields=[MessageField("Kritiek", "1"), MessageField("Waarschuwing", "2")],
            ),
            Section(
                title="Datakwaliteit",
                text="3 bevindingen: 2 onbekende productcodes (€ 12.400), 1 dubbele declaratie.",
            ),
        ],
        attachments=[Attachment("begroting-0384-2026.xlsx", XLSX, report_xlsx(), "Begroting 2026")],
        footer="Het Excel-bestand met alle cijfers zit in de bijlage van de e-mail.",
    )


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def slack() -> FakeSlackApi:
    with FakeSlackApi(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def webhook() -> FakeWebhook:
    with FakeWebhook() as fake:
        yield fake


@pytest.fixture
def smtp() -> FakeSmtp:
    with FakeSmtp() as fake:
        yield fake


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


def slack_sender(fake: FakeSlackApi, channel: str = "#kernteam-sociaal-domein") -> SlackApiSender:
    return SlackApiSender(channel, TOKEN, fake.base_url, timeout=5)


def parse_mail(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


# --------------------------------------------------------------------------- rendering


def test_text_reads_as_a_report_with_badge_fields_action_and_aligned_table():
    alert = to_text(kernteam_alert())
    assert alert.startswith("Demodorp — meldingen kernteam, maart 2026\n=====")
    assert "[Kritiek · Nieuw] Jeugd zorg in natura: prognose 22% boven de begroting" in alert
    assert "[Waarschuwing · Opgelost] Wmo huishoudelijke hulp" in alert
    assert "  Restant: € -1.084.000 (N)" in alert
    assert "Actie: Bespreek de groei" in alert
    assert "Grafiek: Jeugd ZIN 2026" in alert
    assert alert.rstrip().endswith("monitorbot alerts silence")

    digest = to_text(manager_digest()).splitlines()
    header = next(line for line in digest if "Begroting 2026" in line)
    total = next(line for line in digest if line.strip().startswith("Totaal"))
    # numbers are right-aligned under their header: the columns end at the same place
    assert header.index("Prognose 2026") + len("Prognose 2026") == total.index("7.671") + len(
        "7.671"
    )


def test_slack_blocks_follow_block_kit_and_its_limits():
    payload = to_slack(kernteam_alert())
    types = [b["type"] for b in payload.blocks]
    assert types[:2] == ["header", "context"]
    assert payload.blocks[0]["text"] == {
        "type": "plain_text",
        "text": "Demodorp — meldingen kernteam, maart 2026",
    }
    first = payload.blocks[3]["text"]["text"]
    assert first.startswith(
        "*Jeugd zorg in natura: prognose 22% boven de begroting*\n_Kritiek · Nieuw_"
    )
    fields = payload.blocks[4]["fields"]
    assert fields[2] == {"type": "mrkdwn", "text": "*Restant*\n€ -1.084.000 (N)"}
    actions = [b for b in payload.blocks if b["type"] == "context" and "Actie:" in json.dumps(b)]
    assert actions[0]["elements"][0]["text"].startswith("*Actie:* Bespreek")
    assert types.count("divider") == 2
    assert [r.part for r in payload.thread] == ["toelichting-1"]
    assert payload.text.startswith("Demodorp — meldingen kernteam")

    digest = to_slack(manager_digest())
    table = next(b for b in digest.blocks if "```" in b.get("text", {}).get("text", ""))
    assert "Totaal" in table["text"]["text"] and "-1.084" in table["text"]["text"]


def test_slack_moves_what_does_not_fit_into_the_thread():
    many = Section(
        title="Aanbieder boven budgetindicatie",
        text="x" * 5000,
        fields=[MessageField(f"veld {i}", "1") for i in range(25)],
        action="Neem contact op.",
    )
    payload = to_slack(Message("alerts", "0384", "Veel meldingen", "30 meldingen.", [many] * 30))
    assert len(payload.blocks) <= SLACK_MAX_BLOCKS
    for block in payload.blocks:
        assert len(block.get("fields", [])) <= SLACK_MAX_FIELDS
        assert len(block.get("text", {}).get("text", "")) <= SLACK_MAX_TEXT
    assert "onderdelen staan in de draad" in json.dumps(payload.blocks[-1])
    shown = sum(1 for b in payload.blocks if b["type"] == "divider")
    assert shown + len(payload.thread) == 30


def test_adaptive_card_has_facts_table_severity_colour_and_chart_note():
    body = to_teams(kernteam_alert())
    assert body["type"] == "message"
    attachment = body["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    first = card["body"][2]["items"]
    assert first[0] == {
        "type": "TextBlock",
        "text": "Kritiek · Nieuw",
        "wrap": True,
        "weight": "Bolder",
        "size": "Small",
        "color": "attention",
    }
    facts = next(i for i in first if i["type"] == "FactSet")["facts"]
    assert {"title": "Afwijking", "value": "-22%"} in facts
    assert any(i.get("text") == CHART_ELSEWHERE for i in first)
    assert card["body"][3]["items"][0]["color"] == "good"  # resolved

    table = to_teams(manager_digest())["attachments"][0]["content"]["body"][2]["items"][1]
    assert table["type"] == "Table" and table["firstRowAsHeader"] is True
    assert table["columns"][1]["horizontalCellContentAlignment"] == "Right"
    assert len(table["rows"]) == 5


def test_email_has_text_html_and_inline_png_referenced_by_cid():
    mail = to_email(
        kernteam_alert(),
        sender="monitorbot@demodorp.example",
        recipients=["kernteam@demodorp.example"],
        message_id_key="0384:alerts:2026-03:kernteam",
    )
    parsed = parse_mail(mail.as_bytes())
    assert parsed["Subject"] == "Demodorp — meldingen kernteam, maart 2026"
    assert parsed["Message-ID"] == message_id(
        "0384:alerts:2026-03:kernteam", "monitorbot@demodorp.example"
    )
    kinds = [part.get_content_type() for part in parsed.walk()]
    assert kinds == [
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
    ]
    html = parsed.get_body(("html",)).get_content()
    image = next(p for p in parsed.walk() if p.get_content_type() == "image/png")
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html
    assert '<html lang="nl">' in html and "<strong>Actie:</strong>" in html
    assert parsed.get_body(("plain",)).get_content() == to_text(kernteam_alert())
    assert image.get_content() == chart_png()


def test_rendered_messages_contain_no_bsn_like_number():
    """No 9-digit number that passes the 11-proef in any payload of either message."""
    for message in (kernteam_alert(), manager_digest()):
        mail = to_email(
            message, sender="a@b.example", recipients=["c@d.example"], message_id_key="k"
        )
        texts = [
            to_text(message),
            json.dumps(
                to_slack(message).__dict__, default=lambda o: o.__dict__, ensure_ascii=False
            ),
            json.dumps(to_teams(message), ensure_ascii=False),
            to_mattermost(message)["text"],
            *(p.get_content() for p in mail.walk() if p.get_content_maintype() == "text"),
        ]
        for text in texts:
            for match in re.finditer(r"(?<!\d)\d{9}(?!\d)", text):
                assert not passes_elfproef(match.group()), "BSN-achtig nummer in een bericht"
            digits = re.sub(r"(?<=\d)[ .\-](?=\d)", "", text)  # 1234.56.782 is a BSN too
            assert not any(
                passes_elfproef(m.group()) for m in re.finditer(r"(?<!\d)\d{9}(?!\d)", digits)
            )


# --------------------------------------------------------------------------- Slack Web API


def test_slack_posts_blocks_with_key_metadata_then_chart_and_details_in_thread(slack):
    detail = slack_sender(slack).send(kernteam_alert(), "0384:alerts:2026-03:kernteam")

    (parent,) = slack.posted()
    assert detail == f"geplaatst (ts {parent['ts']})"
    assert parent["metadata"] == {
        "event_type": "monitorbot_melding",
        "event_payload": {"key": "0384:alerts:2026-03:kernteam"},
    }
    assert parent["blocks"] == to_slack(kernteam_alert()).blocks
    assert slack.calls("chat.postMessage")[0].headers["Authorization"] == f"Bearer {TOKEN}"

    chart, details = slack.replies[parent["ts"]]
    assert chart["files"][0]["name"] == "jeugd-zin-2026.png"
    upload = slack.uploads[chart["files"][0]["id"]]
    assert upload["data"] == chart_png() and upload["title"].startswith("Jeugd ZIN 2026")
    with Image.open(io.BytesIO(upload["data"])) as image:
        assert image.format == "PNG" and image.size == (240, 144)
    assert "Groei exclusief indexatie" in details["text"]
    assert details["metadata"]["event_payload"]["part"] == "toelichting-1"


def test_slack_resend_after_a_crash_finds_the_message_and_posts_nothing(slack):
    sender = slack_sender(slack)
    sender.send(kernteam_alert(), "0384:alerts:2026-03:kernteam")
    # the process dies before the outbox records the result; a new process resends
    detail = slack_sender(slack).send(kernteam_alert(), "0384:alerts:2026-03:kernteam")

    assert detail.startswith("al geplaatst") and detail.endswith("0 aangevuld")
    assert len(slack.posted()) == 1
    assert len(slack.replies[slack.posted()[0]["ts"]]) == 2
    assert len(slack.calls("chat.postMessage")) == 2  # the parent and one thread reply

    sender.send(kernteam_alert(), "0384:alerts:2026-04:kernteam")  # another key is news
    assert len(slack.posted()) == 2


def test_slack_send_interrupted_after_posting_resumes_the_thread(slack):
    slack.fail_next(status=500, method="upload")
    with pytest.raises(TemporaryFailure):
        slack_sender(slack).send(kernteam_alert(), "k1")
    assert len(slack.posted()) == 1 and slack.posted()[0]["ts"] not in slack.replies

    detail = slack_sender(slack).send(kernteam_alert(), "k1")
    assert detail.endswith("2 aangevuld")
    (parent,) = slack.posted()
    assert [bool(r.get("files")) for r in slack.replies[parent["ts"]]] == [True, False]


def test_slack_429_is_temporary_with_retry_after(slack):
    slack.fail_next(status=429, retry_after=1, method="chat.postMessage")
    with pytest.raises(TemporaryFailure) as failure:
        slack_sender(slack).send(kernteam_alert(), "k1")
    assert failure.value.retry_after == 1.0
    assert slack.posted() == []
    slack_sender(slack).send(kernteam_alert(), "k1")  # the retry goes through
    assert len(slack.posted()) == 1


def test_slack_5xx_is_temporary(slack):
    slack.fail_next(status=503, body="Service Unavailable", method="conversations.history")
    with pytest.raises(TemporaryFailure) as failure:
        slack_sender(slack).send(kernteam_alert(), "k1")
    assert failure.value.retry_after is None
    assert "503" in failure.value.detail


@pytest.mark.parametrize(
    ("error", "hint"),
    [
        ("invalid_auth", "MONITORBOT_SLACK_TOKEN"),
        ("token_revoked", "MONITORBOT_SLACK_TOKEN"),
        ("channel_not_found", "kanaal"),
        ("not_in_channel", "/invite"),
    ],
)
def test_slack_refusals_are_permanent(slack, error, hint):
    slack.fail_next(error=error, method="chat.postMessage")
    with pytest.raises(PermanentFailure) as failure:
        slack_sender(slack).send(kernteam_alert(), "k1")
    assert error in failure.value.detail and hint in failure.value.detail
    assert TOKEN not in failure.value.detail


def test_slack_wrong_token_and_unknown_channel_are_permanent(slack):
    with pytest.raises(PermanentFailure, match="invalid_auth"):
        SlackApiSender("#kernteam-sociaal-domein", "xoxb-wrong", slack.base_url).send(
            kernteam_alert(), "k1"
        )
    with pytest.raises(PermanentFailure, match="niet gevonden"):
        slack_sender(slack, "#bestaat-niet").send(kernteam_alert(), "k1")
    with pytest.raises(PermanentFailure, match="channel_not_found"):
        slack_sender(slack, "C0ONBEKEND1").send(kernteam_alert(), "k1")


def test_missing_slack_token_names_the_variable(tmp_path, slack):
    settings = Settings(slack_token=None, slack_api_url=slack.base_url)
    sender = sender_for(SlackChannel(type="slack", kanaal="#x"), settings, Deployment(), tmp_path)
    with pytest.raises(PermanentFailure, match="MONITORBOT_SLACK_TOKEN is niet gezet"):
        sender.send(kernteam_alert(), "k1")
    assert slack.requests == []


def test_unreachable_slack_is_temporary():
    closed = f"http://127.0.0.1:{free_port()}/api/"
    with pytest.raises(TemporaryFailure, match="niet bereikbaar"):
        SlackApiSender("C0KERNTEAM1", TOKEN, closed, timeout=2).send(kernteam_alert(), "k1")


# --------------------------------------------------------------------------- webhooks


def test_teams_webhook_receives_the_adaptive_card(webhook):
    sender = TeamsSender("TEAMS_URL", {"TEAMS_URL": webhook.url})
    assert sender.send(kernteam_alert(), "k1") == "verstuurd (HTTP 200)"
    (body,) = webhook.bodies
    assert body == to_teams(kernteam_alert())
    assert webhook.requests[0].headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("status", [401, 403, 404, 410])
def test_webhook_gone_or_refused_is_permanent_without_leaking_the_url(webhook, status):
    webhook.fail_next(status=status)
    with pytest.raises(PermanentFailure) as failure:
        TeamsSender("TEAMS_URL", {"TEAMS_URL": webhook.url}).send(kernteam_alert(), "k1")
    assert f"HTTP {status}" in failure.value.detail and "TEAMS_URL" in failure.value.detail
    assert "geheim-token" not in str(failure.value) and failure.value.__cause__ is None


def test_webhook_429_and_5xx_are_temporary(webhook):
    sender = MattermostSender("MM_URL", {"MM_URL": webhook.url})
    webhook.fail_next(status=429, retry_after=7)
    with pytest.raises(TemporaryFailure) as failure:
        sender.send(kernteam_alert(), "k1")
    assert failure.value.retry_after == 7.0
    webhook.fail_next(status=502)
    with pytest.raises(TemporaryFailure, match="HTTP 502"):
        sender.send(kernteam_alert(), "k1")
    with pytest.raises(TemporaryFailure, match="niet bereikbaar"):
        MattermostSender("MM_URL", {"MM_URL": f"http://127.0.0.1:{free_port()}/x"}).send(
            kernteam_alert(), "k1"
        )


def test_missing_webhook_variable_is_permanent_and_named(tmp_path):
    sender = sender_for(TeamsChannel(type="teams"), Settings(), Deployment(), tmp_path, environ={})
    with pytest.raises(PermanentFailure, match="MONITORBOT_TEAMS_WEBHOOK_URL is niet gezet"):
        sender.send(kernteam_alert(), "k1")


def test_mattermost_gets_markdown_with_a_table(webhook):
    MattermostSender("MM_URL", {"MM_URL": webhook.url}).send(manager_digest(), "k1")
    text = webhook.bodies[0]["text"]
    assert text.startswith("#### Demodorp — overzicht voor managers, maart 2026")
    assert "| perceel | Begroting 2026 |" in text and "|---|---:|---:|---:|---|---:|" in text
    assert "| Totaal | 6.789 | 7.671 | -881 | N | -13% |" in text


def test_slack_webhook_gets_one_message_without_thread(webhook):
    SlackWebhookSender("SLACK_URL", {"SLACK_URL": webhook.url}).send(kernteam_alert(), "k1")
    (body,) = webhook.bodies
    assert body["blocks"][0]["type"] == "header"
    text = json.dumps(body, ensure_ascii=False)
    assert "Groei exclusief indexatie" in text and CHART_IN_EMAIL in text
    webhook.fail_next(status=404, body="no_service")
    with pytest.raises(PermanentFailure, match="HTTP 404"):
        SlackWebhookSender("SLACK_URL", {"SLACK_URL": webhook.url}).send(kernteam_alert(), "k1")


# --------------------------------------------------------------------------- e-mail


def email_sender(fake: FakeSmtp, **smtp: object) -> EmailSender:
    settings = SmtpSettings(
        host="127.0.0.1", port=fake.port, afzender="monitorbot@demodorp.example", **smtp
    )
    return EmailSender(settings, ["management@demodorp.example"], None, timeout=5)


def test_email_arrives_with_parts_png_and_stable_message_id(smtp):
    sender = email_sender(smtp, tls="geen")
    assert sender.send(kernteam_alert(), "0384:k1") == "verstuurd aan 1 ontvanger(s)"
    sender.send(kernteam_alert(), "0384:k1")  # a resend after a crash: same Message-ID

    first, again = (parse_mail(m.content) for m in smtp.received)
    assert smtp.received[0].rcpt_tos == ["management@demodorp.example"]
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"].endswith("@demodorp.example>")
    types = {p.get_content_type() for p in first.walk()}
    assert {"text/plain", "text/html", "image/png"} <= types
    png = next(p for p in first.walk() if p.get_content_type() == "image/png").get_content()
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as image:
        image.verify()


def test_email_attaches_the_report_only_when_configured(smtp, tmp_path):
    deployment = Deployment(smtp=SmtpSettings(host="127.0.0.1", port=smtp.port, tls="geen"))
    for attach in (False, True):
        channel = EmailChannel(type="email", aan=["m@demodorp.example"], rapport_bijvoegen=attach)
        sender_for(channel, Settings(), deployment, tmp_path).send(manager_digest(), f"d{attach}")
    without, with_report = (parse_mail(m.content) for m in smtp.received)
    assert list(without.iter_attachments()) == []
    (report,) = with_report.iter_attachments()
    assert report.get_filename() == "begroting-0384-2026.xlsx"
    assert report.get_content() == report_xlsx()
    html = with_report.get_body(("html",)).get_content()
    assert '<th style="' in html and ">-1.084</td>" in html


def test_email_over_starttls_with_login(certificate, monkeypatch, tmp_path):
    cert, key = certificate
    with FakeSmtp(tls=(cert, key), users={"monitorbot": "s3cret"}) as fake:
        monkeypatch.setenv("MONITORBOT_SMTP_PASSWORD", "s3cret")
        smtp = SmtpSettings(
            host="127.0.0.1",
            port=fake.port,
            tls="starttls",
            gebruiker="monitorbot",
            ca_bestand=str(cert),
        )
        channel = EmailChannel(type="email", aan=["m@demodorp.example"])
        sender = sender_for(channel, load_settings(), Deployment(smtp=smtp), tmp_path)
        sender.send(kernteam_alert(), "k1")
        assert len(fake.received) == 1

        wrong = EmailSender(smtp, ["m@demodorp.example"], "fout", timeout=5)
        with pytest.raises(PermanentFailure, match="inloggen geweigerd") as failure:
            wrong.send(kernteam_alert(), "k2")
        assert "fout" not in failure.value.detail

        untrusted = email_sender(fake, tls="starttls")
        with pytest.raises(PermanentFailure, match="niet vertrouwd"):
            untrusted.send(kernteam_alert(), "k3")
        assert len(fake.received) == 1


def test_smtp_password_missing_is_permanent(smtp):
    with pytest.raises(PermanentFailure, match="MONITORBOT_SMTP_PASSWORD"):
        email_sender(smtp, tls="geen", gebruiker="monitorbot").send(kernteam_alert(), "k1")


def test_smtp_5xx_is_permanent_and_4xx_temporary(smtp):
    smtp.handler.rcpt_reply = "550 5.1.1 Mailbox unavailable"
    with pytest.raises(PermanentFailure, match="550"):
        email_sender(smtp, tls="geen").send(kernteam_alert(), "k1")
    smtp.handler.rcpt_reply = None
    smtp.handler.data_reply = "451 4.3.0 Try again later"
    with pytest.raises(TemporaryFailure, match="451"):
        email_sender(smtp, tls="geen").send(kernteam_alert(), "k1")
    smtp.handler.data_reply = "554 5.7.1 Rejected as spam"
    with pytest.raises(PermanentFailure, match="554"):
        email_sender(smtp, tls="geen").send(kernteam_alert(), "k1")
    assert smtp.received == []


def test_unreachable_smtp_is_temporary():
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), tls="geen")
    with pytest.raises(TemporaryFailure, match="niet bereikbaar"):
        EmailSender(settings, ["m@demodorp.example"], None, timeout=2).send(kernteam_alert(), "k1")


# --------------------------------------------------------------------------- local output


def test_console_prints_the_text():
    stream = io.StringIO()
    assert ConsoleSender(stream).send(manager_digest(), "k1") == "afgedrukt"
    assert stream.getvalue().startswith(to_text(manager_digest()))


def test_file_sender_is_idempotent_per_key(tmp_path):
    sender = sender_for(FileChannel(type="bestand"), Settings(), Deployment(), tmp_path)
    assert isinstance(sender, FileSender)
    sender.send(kernteam_alert(), "0384:alerts/2026-03")
    sender.send(kernteam_alert(), "0384:alerts/2026-03")
    folder = tmp_path / "berichten-uit"
    assert sorted(p.name for p in folder.iterdir()) == [
        "0384_alerts_2026-03-jeugd-zin-2026.png",
        "0384_alerts_2026-03.txt",
    ]
    assert (folder / "0384_alerts_2026-03.txt").read_text("utf-8") == to_text(kernteam_alert())


def test_sender_for_maps_every_channel_type(tmp_path):
    settings = Settings(slack_token="xoxb-x")
    cases = [
        (ConsoleChannel(type="console"), "console"),
        (FileChannel(type="bestand", map="uit"), "bestand:uit"),
        (SlackChannel(type="slack", kanaal="#kernteam"), "slack:#kernteam"),
        (SlackWebhookChannel(type="slack_webhook"), "slack_webhook"),
        (TeamsChannel(type="teams"), "teams"),
        (MattermostChannel(type="mattermost"), "mattermost"),
        (EmailChannel(type="email", aan=["m@x.example"]), "email"),
    ]
    for channel, name in cases:
        assert sender_for(channel, settings, Deployment(), tmp_path, environ={}).name == name


def test_a_rejected_webhook_body_is_logged_without_addresses():
    from monitorbot.notify.channels import PermanentFailure, check_http_status

    with pytest.raises(PermanentFailure) as excinfo:
        check_http_status(
            "Teams", "MONITORBOT_TEAMS_WEBHOOK_URL", 400, {}, "fout: zie https://x.example/t/abc123"
        )
    assert "abc123" not in str(excinfo.value) and "<adres>" in str(excinfo.value)
