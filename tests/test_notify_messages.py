"""The kernteam message and the manager digest built from the demo: content people act on."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from PIL import Image

from monitorbot.config import load_config
from monitorbot.core.calendar import Peildatum
from monitorbot.core.privacy import passes_elfproef
from monitorbot.evaluate.engine import evaluate
from monitorbot.evaluate.rules import load_rules
from monitorbot.forecast.spec import load_forecast_spec
from monitorbot.notify.alerts import alert_messages
from monitorbot.notify.digest import digest_message
from monitorbot.notify.message import Message
from monitorbot.notify.render import to_text
from monitorbot.store import db

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 10, 8, tzinfo=UTC)
PEILDATUM = Peildatum.op(date(2026, 11, 10))
pytestmark = pytest.mark.parametrize("demo_database", ["sqlite"], indirect=True)


@pytest.fixture
def built(demo_database):
    config = load_config(ROOT / "config")
    spec = load_forecast_spec(ROOT / "forecasts")
    rules = load_rules([ROOT / "alerts"])
    with db.transaction(demo_database.engine) as session:
        # Stored (so the digest sees the open alerts), then rolled back: the shared
        # demo database stays as it was.
        evaluation = evaluate(session, config, spec, rules, "9999", now=NOW, peildatum=PEILDATUM)
        messages = alert_messages(evaluation)
        digest = digest_message(evaluation.snapshot, with_workbook=True)
        session.rollback()
    return messages, digest


def _all_text(message: Message) -> str:
    data = message.to_json()
    data.pop("attachments")
    return repr(data) + to_text(message)


def test_kernteam_message_leads_with_the_overrun_and_explains_it(built):
    messages, _ = built
    kernteam = messages["kernteam"]
    title = re.fullmatch(
        r"monitorbot Demodorp: (\d+) signalering\(en\) — stand 10-11-2026", kernteam.title
    )
    assert title, kernteam.title
    # One rule's providers share a section: at least one alert per section.
    assert int(title.group(1)) >= len(kernteam.sections)
    first = kernteam.sections[0]
    assert (first.title, first.severity, first.state) == (
        "Jeugd zorg in natura (ZIN)",
        "kritiek",
        "nieuw",
    )
    fields = {f.label: f.value for f in first.fields}
    assert fields["Begroting"] == "€ 5.915.000"
    assert fields["V/N"] == "N"
    assert fields["Afwijking"].startswith("-2")
    assert first.action.startswith("Bespreek in het kernteam")
    assert first.details[0].startswith(
        "Waarom (januari t/m oktober 2026 t.o.v. dezelfde maanden van 2025): Kostengroei "
    )
    assert "%-punt door de 10 duurste cliënten" in first.details[0]
    # The why is told once per perceel, not again under the growth rule.
    explained = [s for s in kernteam.sections if s.details and s.title == first.title]
    assert len(explained) == 1


def test_the_chart_is_a_real_png_attached_once(built):
    messages, _ = built
    kernteam = messages["kernteam"]
    charts = [a for a in kernteam.attachments if a.mime == "image/png"]
    assert [a.name for a in charts] == ["jeugd-zin-2026.png"]
    image = Image.open(io.BytesIO(charts[0].data))
    assert image.format == "PNG" and image.size == (800, 420)
    assert kernteam.sections[0].chart == "jeugd-zin-2026.png"


def test_messages_survive_the_outbox_round_trip(built):
    messages, digest = built
    for message in [*messages.values(), digest]:
        assert Message.from_json(message.to_json()) == message


def test_digest_has_the_table_three_highlights_and_the_status(built):
    _, digest = built
    table, highlights, alerts, waiting, quality, _delivery = digest.sections
    assert table.table is not None
    rows = {row[0].strip(): row for row in table.table.rows}
    assert rows["Jeugd zorg in natura (ZIN)"][1] == "5.915"
    assert rows["Jeugd zorg in natura (ZIN)"][4] == "N"
    assert rows["Totaal"][1] == "10.660"
    sentences = [t for t in re.split(r"(?<=\.) (?=[A-Z])", highlights.text) if t]
    assert len(sentences) == 3
    assert sentences[0].startswith("Jeugd zorg in natura (ZIN): prognose € 7.")
    # Three different things: the overrun, then a provider and a waiting time, not its totals.
    assert not any(s.startswith(("Subtotaal", "Totaal")) for s in sentences)
    assert alerts.table is not None and alerts.table.rows[0][0] == "kritiek"
    assert "Jeugdhulp De Knikkerbaan" in waiting.text
    assert "1 bestand(en) in quarantaine" in quality.text
    assert [a.name for a in digest.attachments] == ["begroting-9999-2026.xlsx"]


def test_no_bsn_pseudonym_or_client_row_in_any_message(built, demo_dir, demo_database):
    messages, digest = built
    text = "".join(_all_text(m) for m in [*messages.values(), digest])
    assert not [n for n in re.findall(r"(?<!\d)\d{9}(?!\d)", text) if passes_elfproef(n)]
    bsns = {
        bsn
        for file in sorted((demo_dir / "berichten").rglob("*323*.xml"))[:300]
        for bsn in re.findall(r"<(?:\w+:)?Bsn>(\d{9})<", file.read_text(encoding="utf-8"))
    }
    assert bsns and not [b for b in bsns if b in text]
    assert not re.search(r"\b[0-9a-f]{32}\b", text)  # no pseudonym (32 hex characters)
