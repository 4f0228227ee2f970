"""care-flow messages as events, waiting-list exports kept per file

An allocation's lifecycle (315 → 301 → 305 → 307) used to live in the columns
of one `toewijzing` row that every later message overwrote, so a replay saw
today's starts and stops. From now on each message is one `toewijzing_bericht`
row with the day it became known (its Dagtekening), and the lifecycle is derived
as of a peildatum. Existing rows become one event per filled-in date, known on
that date (the closest a migration can tell). Waiting-list export rows move to
`wachtlijst_regel`, per file, so the export known at a peildatum is the list.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
LIFECYCLE_COLUMNS = (
    ("verzoek_datum", sa.Date()),
    ("verwijzer_type", sa.String(length=2)),
    ("ingangsdatum", sa.Date()),
    ("einddatum_toewijzing", sa.Date()),
    ("start_datum", sa.Date()),
    ("stop_datum", sa.Date()),
    ("reden_beeindiging", sa.String(length=2)),
)
EXPORT_PREFIX = "wachtlijst-"

# (bericht, datum column, begindatum column, einddatum column, reden column)
EVENTS = (
    ("315", "verzoek_datum", "NULL", "NULL", "verwijzer_type"),
    ("301", "toewijzingsdatum", "ingangsdatum", "einddatum_toewijzing", "NULL"),
    ("305", "start_datum", "NULL", "NULL", "NULL"),
    ("307", "stop_datum", "start_datum", "NULL", "reden_beeindiging"),
)


def upgrade() -> None:
    op.create_table(
        "toewijzing_bericht",
        sa.Column("id", BigId, nullable=False),
        sa.Column("gemeente_code", sa.String(length=4), nullable=False),
        sa.Column("toewijzing_id", BigId, nullable=False),
        sa.Column("bestand_id", BigId, nullable=True),
        sa.Column("bericht", sa.String(length=3), nullable=False),
        sa.Column("bekend_op", sa.Date(), nullable=False),
        sa.Column("datum", sa.Date(), nullable=False),
        sa.Column("begindatum", sa.Date(), nullable=True),
        sa.Column("einddatum", sa.Date(), nullable=True),
        sa.Column("reden", sa.String(length=2), nullable=True),
        sa.Column("ingetrokken", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["toewijzing_id"],
            ["toewijzing.id"],
            name=op.f("fk_toewijzing_bericht_toewijzing_id_toewijzing"),
        ),
        sa.ForeignKeyConstraint(
            ["bestand_id"],
            ["bronbestand.id"],
            name=op.f("fk_toewijzing_bericht_bestand_id_bronbestand"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_toewijzing_bericht")),
    )
    op.create_index(
        "ix_toewijzing_bericht_bekend", "toewijzing_bericht", ["gemeente_code", "bekend_op"]
    )
    op.create_index(
        "ix_toewijzing_bericht_toewijzing", "toewijzing_bericht", ["toewijzing_id", "bericht"]
    )
    op.create_table(
        "wachtlijst_regel",
        sa.Column("id", BigId, nullable=False),
        sa.Column("gemeente_code", sa.String(length=4), nullable=False),
        sa.Column("bestand_id", BigId, nullable=False),
        sa.Column("perceel_id", sa.String(length=60), nullable=False),
        sa.Column("aanbieder_agb", sa.String(length=8), nullable=True),
        sa.Column("toewijzingsdatum", sa.Date(), nullable=False),
        sa.Column("startdatum", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["bestand_id"],
            ["bronbestand.id"],
            name=op.f("fk_wachtlijst_regel_bestand_id_bronbestand"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wachtlijst_regel")),
    )
    op.create_index("ix_wachtlijst_regel_bestand_id", "wachtlijst_regel", ["bestand_id"])

    op.execute(
        "INSERT INTO wachtlijst_regel (gemeente_code, bestand_id, perceel_id, aanbieder_agb,"
        " toewijzingsdatum, startdatum)"
        " SELECT gemeente_code, bijgewerkt_door_bestand, perceel_id, aanbieder_agb,"
        " toewijzingsdatum, start_datum FROM toewijzing"
        f" WHERE toewijzingnummer LIKE '{EXPORT_PREFIX}%' AND bijgewerkt_door_bestand IS NOT NULL"
        " AND perceel_id IS NOT NULL AND toewijzingsdatum IS NOT NULL"
    )
    op.execute(f"DELETE FROM toewijzing WHERE toewijzingnummer LIKE '{EXPORT_PREFIX}%'")
    for bericht, datum, begin, einde, reden in EVENTS:
        op.execute(
            "INSERT INTO toewijzing_bericht (gemeente_code, toewijzing_id, bestand_id, bericht,"
            " bekend_op, datum, begindatum, einddatum, reden, ingetrokken)"
            f" SELECT gemeente_code, id, bijgewerkt_door_bestand, '{bericht}', {datum}, {datum},"
            f" {begin}, {einde}, {reden}, false FROM toewijzing WHERE {datum} IS NOT NULL"
        )
    op.drop_index("ix_toewijzing_wachtlijst", table_name="toewijzing")
    # A plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): batch mode would copy the
    # table, which the new foreign key from toewijzing_bericht forbids.
    for name, _type in LIFECYCLE_COLUMNS:
        op.drop_column("toewijzing", name)


def downgrade() -> None:
    for name, type_ in LIFECYCLE_COLUMNS:
        op.add_column("toewijzing", sa.Column(name, type_, nullable=True))
    op.create_index(
        "ix_toewijzing_wachtlijst", "toewijzing", ["gemeente_code", "perceel_id", "start_datum"]
    )
    # The latest known state goes back into the row, as before 0006.
    restored = {
        "verzoek_datum": _latest("datum", "315"),
        "verwijzer_type": _latest("reden", "315"),
        "ingangsdatum": _latest("begindatum", "301"),
        "einddatum_toewijzing": _latest("einddatum", "301"),
        "start_datum": _latest("datum", "305", live=True),
        "stop_datum": _latest("datum", "307", live=True),
        "reden_beeindiging": _latest("reden", "307", live=True),
    }
    op.execute("UPDATE toewijzing SET " + ", ".join(f"{c} = {v}" for c, v in restored.items()))
    op.execute(
        "INSERT INTO toewijzing (gemeente_code, toewijzingnummer, aanbieder_agb, wet, perceel_id,"
        " toewijzingsdatum, start_datum, bijgewerkt_door_bestand)"
        f" SELECT gemeente_code, '{EXPORT_PREFIX}' || bestand_id || '-' || id, aanbieder_agb,"
        " 'jw', perceel_id, toewijzingsdatum, startdatum, bestand_id FROM wachtlijst_regel"
    )
    op.drop_index("ix_wachtlijst_regel_bestand_id", table_name="wachtlijst_regel")
    op.drop_table("wachtlijst_regel")
    op.drop_index("ix_toewijzing_bericht_toewijzing", table_name="toewijzing_bericht")
    op.drop_index("ix_toewijzing_bericht_bekend", table_name="toewijzing_bericht")
    op.drop_table("toewijzing_bericht")


def _latest(column: str, bericht: str, live: bool = False) -> str:
    withdrawn = " AND NOT e.ingetrokken" if live else ""
    return (
        f"(SELECT MAX(e.{column}) FROM toewijzing_bericht e WHERE e.toewijzing_id = toewijzing.id"
        f" AND e.bericht = '{bericht}'{withdrawn})"
    )
