"""Storage on SQLite and PostgreSQL: same migrations, same code, scoped by gemeente."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select

from monitorbot.config import load_config
from monitorbot.store import db, models
from monitorbot.store.sync import sync_config
from tests.messages import declaration_row


def test_migrations_create_exactly_the_models(empty_engine):
    db.upgrade(empty_engine)
    db.upgrade(empty_engine)  # a second upgrade is a no-op
    assert db.current_revision(empty_engine) is not None
    with empty_engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), models.Base.metadata)
    assert diff == []


def test_the_schema_revision_constant_is_alembics_head(empty_engine):
    """Commands skip Alembic when the database is at SCHEMA_REVISION: it must be the head."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(db.alembic_config(empty_engine)).get_current_head()
    assert head == db.SCHEMA_REVISION
    assert db.stored_revision(empty_engine) is None
    db.upgrade(empty_engine)
    assert db.stored_revision(empty_engine) == head == db.current_revision(empty_engine)


def test_aggregation_indexes_exist(engine):
    indexes = {
        ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes("declaratieregel")
    }
    assert indexes["ix_declaratieregel_maand_perceel"] == [
        "gemeente_code",
        "zorgmaand",
        "perceel_id",
    ]
    assert indexes["ix_declaratieregel_perceel_maand_client"][:3] == [
        "gemeente_code",
        "perceel_id",
        "zorgmaand",
    ]


def test_config_sync_is_idempotent_and_records_changes(engine, config_dir):
    config = load_config(config_dir)
    with db.transaction(engine) as session:
        first = sync_config(session, config)
    with db.transaction(engine) as session:
        second = sync_config(session, config)
    assert first.gewijzigde_bestanden and second.gewijzigde_bestanden == []

    budget = config_dir / "begroting" / "9999-2026.yaml"
    budget.write_text(
        budget.read_text(encoding="utf-8").replace("versie:", "versie: x\n#", 1), encoding="utf-8"
    )
    with db.transaction(engine) as session:
        third = sync_config(session, load_config(config_dir))
    assert third.gewijzigde_bestanden == ["begroting/9999-2026.yaml"]
    with db.transaction(engine) as session:
        change = (
            session.execute(
                select(models.ConfigWijziging)
                .where(models.ConfigWijziging.bestand == "begroting/9999-2026.yaml")
                .order_by(models.ConfigWijziging.id.desc())
            )
            .scalars()
            .first()
        )
        assert change.diff and "versie: x" in change.diff
        rows = session.execute(select(func.count()).select_from(models.Begrotingsregel)).scalar()
        expected = sum(len(v.bedragen) for b in config.begrotingen.values() for v in b.versies)
        assert rows == expected


def test_budget_amounts_are_exact_cents(engine, config_dir):
    config = load_config(config_dir)
    with db.transaction(engine) as session:
        sync_config(session, config)
    begroting = config.begroting("9999", 2026)
    with db.transaction(engine) as session:
        stored = dict(
            session.execute(
                select(
                    models.Begrotingsregel.perceel_id, models.Begrotingsregel.bedrag_cents
                ).where(
                    models.Begrotingsregel.gemeente_code == "9999",
                    models.Begrotingsregel.jaar == 2026,
                )
            ).all()
        )
    assert stored == dict(begroting.laatste.bedragen)


def _line(gemeente: str, perceel: str, month: int, cents: int, client: str):
    return declaration_row(
        client=client,
        cents=cents,
        month=date(2024, month, 1),
        declared=date(2024, month, 28),
        gemeente=gemeente,
        perceel=perceel,
    )


def test_monthly_sums_and_unique_clients_are_sql_and_scoped_by_gemeente(engine):
    with db.transaction(engine) as session:
        session.add(
            models.Bronbestand(
                id=1,
                bestandsnaam="x.xml",
                sha256="0" * 64,
                soort="jw323",
                status="ingelezen",
                ingelezen_op=date(2024, 3, 1),
            )
        )
        session.flush()
        session.add_all(
            [
                _line("9999", "jeugd-ambulant", 1, 10_000, "a"),
                _line("9999", "jeugd-ambulant", 1, 5_000, "a"),
                _line("9999", "jeugd-ambulant", 1, -2_500, "b"),
                _line("9999", "jeugd-ambulant", 2, 7_000, "b"),
                _line("0399", "jeugd-ambulant", 1, 99_999, "c"),
            ]
        )
    line = models.Declaratieregel
    query = (
        select(
            line.zorgmaand,
            func.sum(line.bedrag_cents),
            func.count(func.distinct(line.client_pseudoniem)),
        )
        .where(line.gemeente_code == "9999", line.perceel_id == "jeugd-ambulant")
        .group_by(line.zorgmaand)
        .order_by(line.zorgmaand)
    )
    with db.transaction(engine) as session:
        rows = [(m, int(s), c) for m, s, c in session.execute(query).all()]
    assert rows == [(date(2024, 1, 1), 12_500, 2), (date(2024, 2, 1), 7_000, 1)]


def test_migration_0006_turns_allocation_rows_into_events_and_back(empty_engine):
    """Rows written before care-flow events keep their meaning: one event per filled-in date."""
    from alembic import command
    from sqlalchemy import text

    from monitorbot.store.queries.allocations import allocations_known

    config = db.alembic_config(empty_engine)
    command.upgrade(config, "0005")
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO bronbestand (id, gemeente_code, bestandsnaam, sha256, soort, status,"
                " regels, bedrag_cents, ingelezen_op, periode_tot) VALUES"
                " (1, '9999', 'a.xml', 'a', 'jw305', 'ingelezen', 1, 0, '2025-06-01',"
                " '2025-04-12'),"
                " (2, '9999', 'wachtlijst-1.csv', 'b', 'wachtlijst', 'ingelezen', 1, 0,"
                " '2025-06-01', '2025-03-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO toewijzing (gemeente_code, toewijzingnummer, wet, perceel_id,"
                " aanbieder_agb, toewijzingsdatum, start_datum, stop_datum, reden_beeindiging,"
                " bijgewerkt_door_bestand) VALUES"
                " ('9999', '4711', 'jw', 'jeugd-ambulant', '12345678', '2025-03-01',"
                " '2025-04-12', '2025-05-31', '01', 1),"
                " ('9999', 'wachtlijst-2-2', 'jw', 'jeugd-ambulant', '12345678', '2025-03-01',"
                " NULL, NULL, NULL, 2)"
            )
        )
    command.upgrade(config, "head")  # 0006 converts; the query reads the newest schema

    def state(grens: date) -> list[tuple]:
        known = allocations_known("9999", grens, "Europe/Amsterdam")
        with empty_engine.connect() as connection:
            rows = connection.execute(
                select(known.c.toegewezen, known.c.gestart, known.c.gestopt).order_by(
                    known.c.gestart
                )
            ).all()
        return sorted((tuple(r) for r in rows), key=str)

    # On 1 April the 301 is known (its start is not) and so is the export (a week after 1 March).
    assert state(date(2025, 4, 1)) == [(date(2025, 3, 1), None, None)] * 2
    assert state(date(2025, 7, 1)) == sorted(
        [
            (date(2025, 3, 1), date(2025, 4, 12), date(2025, 5, 31)),
            (date(2025, 3, 1), None, None),  # the waiting-list export
        ],
        key=str,
    )
    command.downgrade(config, "0005")
    with empty_engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT toewijzingnummer, start_datum, stop_datum, reden_beeindiging"
                " FROM toewijzing ORDER BY toewijzingnummer"
            )
        ).all()
    assert [(r[0], str(r[1]), str(r[2]), r[3]) for r in rows] == [
        ("4711", "2025-04-12", "2025-05-31", "01"),
        ("wachtlijst-2-1", "None", "None", None),
    ]


def test_an_edit_to_percelen_moves_the_stored_lines_along(engine, config_dir):
    """Lines keep their product; their perceel follows percelen.yaml, history included."""
    from tests.messages import source_file_row

    config = load_config(config_dir)
    with db.transaction(engine) as session:
        sync_config(session, config)
        session.add(source_file_row())
        for n in range(3):
            session.add(
                declaration_row(
                    client=f"c{n}", cents=1000, month=date(2025, 3, 1), declared=date(2025, 4, 2)
                )
            )
    percelen = config_dir / "percelen.yaml"
    text = percelen.read_text(encoding="utf-8")
    marker = '      - {wet: jw, productcategorie: ["51", "52", "53", "54"]}\n'
    assert marker in text
    percelen.write_text(
        text.replace(
            marker, marker + '      - {wet: jw, productcategorie: ["45"], productcode: "45A*"}\n'
        ),
        encoding="utf-8",
    )
    with db.transaction(engine) as session:
        sync_config(session, load_config(config_dir))
        moved = session.execute(
            select(models.Declaratieregel.perceel_id, func.count()).group_by(
                models.Declaratieregel.perceel_id
            )
        ).all()
    assert moved == [("jeugd-ggz", 3)]


def test_migration_0016_reads_corrections_stored_in_cents_back_as_the_same_cents(empty_engine):
    """Snapshots stored before 0016 held a correction as cents, which read back as euros (a
    hundred times too much); after it they read as the amount the controller wrote."""
    from alembic import command
    from sqlalchemy import text

    from monitorbot.evaluate.snapshot import Snapshot
    from tests import snapshots as hand

    snapshot = hand.snapshot()
    row = snapshot.begroting.rows[0]
    corrected = replace(
        snapshot,
        begroting=replace(
            snapshot.begroting,
            rows=[
                replace(row, correctie=hand_correction(row.perceel)),
                *snapshot.begroting.rows[1:],
            ],
        ),
    )
    as_cents = corrected.to_json().replace('"prognose":6500000.0', '"prognose":650000000')
    assert '"prognose":650000000' in as_cents  # as 0015's code wrote it
    config = db.alembic_config(empty_engine)
    command.upgrade(config, "0015")
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO momentopname (id, gemeente_code, peildatum, soort, berekend_op,"
                " inhoud) VALUES (1, '0384', '2026-11-10', 'dag', '2026-11-10 06:00:00+00',"
                " :inhoud)"
            ),
            {"inhoud": as_cents},
        )
    command.upgrade(config, "head")
    with empty_engine.connect() as connection:
        stored = connection.execute(text("SELECT inhoud FROM momentopname")).scalar_one()
    read = Snapshot.from_json(stored)
    assert read.begroting.rows[0].correctie.prognose == 650_000_000
    assert read.begroting.rows[0].prognose_cents == 650_000_000.0


def hand_correction(perceel: str):
    from decimal import Decimal

    from monitorbot.config.models import PrognoseCorrectie

    return PrognoseCorrectie(
        perceel=perceel,
        prognose=Decimal("6500000.00"),
        reden="contract herzien",
        door="controller",
        datum=date(2026, 10, 1),
    )
