"""The KPIs a gemeente file may name, each computed on constructed cases with exact figures."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from monitorbot.config import load_config
from monitorbot.core.calendar import Peildatum
from monitorbot.evaluate.metrics import MetricContext, kpi
from monitorbot.store import db, models
from monitorbot.store.sync import sync_config
from tests.messages import declaration_row, source_file_row

PEILDATUM = Peildatum.parse("2026-10")  # everything known by the end of October 2026


def _kpis(engine, config) -> dict[str, float]:
    with db.transaction(engine) as session:
        context = MetricContext(session, config, None, "9999", PEILDATUM)  # type: ignore[arg-type]
        return {
            m.labels["kpi"]: m.waarde
            for m in kpi(context, "gemeente")
            if not m.labels.get("perceel")
        }


def _trajectory(
    session,
    number: str,
    start: date,
    stop: date | None,
    *,
    stop_known: date | None = None,
    withdrawn: bool = False,
    gemeente: str = "9999",
    client: str | None = None,
) -> None:
    row = models.Toewijzing(
        gemeente_code=gemeente,
        toewijzingnummer=number,
        wet="jw",
        perceel_id="jeugd-ambulant",
        aanbieder_agb="12345678",
        client_pseudoniem=client or f"client-{number}",
        toewijzingsdatum=start - timedelta(days=20),
    )
    session.add(row)
    session.flush()
    events = [
        ("301", start - timedelta(days=20), start - timedelta(days=20), False),
        ("305", start, start, False),
    ]
    if stop is not None:
        events.append(("307", stop_known or stop, stop, False))
    if stop is not None and withdrawn:  # the provider takes the stop back a week later
        events.append(("307", (stop_known or stop) + timedelta(days=7), stop, True))
    for bericht, known, day, withdrawal in events:
        session.add(
            models.ToewijzingBericht(
                gemeente_code=gemeente,
                toewijzing_id=row.id,
                bericht=bericht,
                bekend_op=known,
                datum=day,
                begindatum=start if bericht == "307" else None,
                ingetrokken=withdrawal,
            )
        )


@pytest.fixture
def seeded(engine, config_dir):
    config = load_config(config_dir)
    with db.transaction(engine) as session:
        sync_config(session, config)
        session.add(source_file_row())
    return engine, config


def test_doorlooptijd_is_the_mean_months_from_start_to_stop_of_trajectories_ended_this_year(seeded):
    engine, config = seeded
    days = [30, 60, 90, 120, 150, 180, 210, 240, 270, 300]  # mean 165 days
    with db.transaction(engine) as session:
        for n, length in enumerate(days):
            start = date(2025, 12, 1) + timedelta(days=n)
            _trajectory(session, f"T{n}", start, start + timedelta(days=length))
        # None of these count:
        _trajectory(session, "oud", date(2024, 1, 1), date(2025, 6, 30))  # ended before the year
        _trajectory(session, "loopt", date(2026, 3, 1), None)  # still running
        _trajectory(
            session, "laat", date(2026, 2, 1), date(2026, 10, 20), stop_known=date(2026, 11, 4)
        )  # its stop arrived after the peildatum
        _trajectory(session, "ingetrokken", date(2026, 2, 1), date(2026, 3, 1), withdrawn=True)
        _trajectory(session, "elders", date(2026, 2, 1), date(2026, 3, 1), gemeente="0399")
    assert _kpis(engine, config)["doorlooptijd"] == pytest.approx(165 / (365.25 / 12))


def test_doorlooptijd_is_not_computed_for_fewer_than_ten_clients(seeded):
    engine, config = seeded
    with db.transaction(engine) as session:
        for n in range(9):
            _trajectory(session, f"T{n}", date(2026, 1, 5), date(2026, 4, 5), client=f"c{n}")
        for n in range(12):  # twelve trajectories of three clients: still three persons
            _trajectory(session, f"U{n}", date(2026, 1, 5), date(2026, 4, 5), client=f"c{n % 3}")
    assert "doorlooptijd" not in _kpis(engine, config)


def _clients(session, perceel: str, count: int, prefix: str) -> None:
    for n in range(count):
        session.add(
            declaration_row(
                client=f"{prefix}{n:030d}",
                cents=10_000,
                month=date(2026, 5, 1),
                declared=date(2026, 6, 10),
                perceel=perceel,
            )
        )


def test_verblijf_vs_pleegzorg_is_clients_in_groepsverblijf_per_100_in_pleegzorg(seeded):
    engine, config = seeded
    with db.transaction(engine) as session:
        _clients(session, "jeugd-verblijf", 30, "v")
        _clients(session, "jeugd-pleegzorg", 12, "p")
        _clients(session, "jeugd-ambulant", 50, "a")  # neither
    assert _kpis(engine, config)["verblijf_vs_pleegzorg"] == pytest.approx(250.0)


def test_verblijf_vs_pleegzorg_stays_suppressed_under_ten_clients(seeded):
    engine, config = seeded
    with db.transaction(engine) as session:
        _clients(session, "jeugd-verblijf", 30, "v")
        _clients(session, "jeugd-pleegzorg", 9, "p")
    assert "verblijf_vs_pleegzorg" not in _kpis(engine, config)


def test_a_kpi_without_what_it_needs_is_refused(config_dir):
    from monitorbot.config import ConfigError

    gemeente = config_dir / "gemeenten" / "9999-demodorp.yaml"
    text = gemeente.read_text(encoding="utf-8")
    gemeente.write_text(
        text.replace("verblijf: [jeugd-verblijf], pleegzorg: [jeugd-pleegzorg], ", ""),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_config(config_dir)
    (problem,) = info.value.problems
    assert problem.key.startswith("kpi_doelen[")
    assert "geef de percelen van elk" in problem.message


@pytest.mark.parametrize(
    ("kpi_line", "message"),
    [
        (
            "{kpi: verblijf_vs_pleegzorg, verblijf: [jeugd-verblijf], "
            "pleegzorg: [jeugd-verblijf], richting: '<', doel: 40}",
            "staat zowel bij verblijf als bij pleegzorg",
        ),
        (
            "{kpi: aandeel_lokaal_team, perceel: jeugd-zin, richting: '>', doel: 50}",
            "geldt voor de hele gemeente: laat perceel weg",
        ),
    ],
)
def test_a_kpi_setting_that_would_be_ignored_or_double_counted_is_refused(
    config_dir, kpi_line, message
):
    from monitorbot.config import ConfigError

    gemeente = config_dir / "gemeenten" / "9999-demodorp.yaml"
    text = gemeente.read_text(encoding="utf-8")
    gemeente.write_text(
        text.replace("kpi_doelen:\n", f"kpi_doelen:\n  - {kpi_line}\n"), encoding="utf-8"
    )
    with pytest.raises(ConfigError) as info:
        load_config(config_dir)
    assert message in str(info.value.problems[0])
