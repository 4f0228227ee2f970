"""declaratie_antwoord, afgewezen_prestatie and declaratieregel.antwoord_id: the 325

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "declaratie_antwoord",
        sa.Column("id", BigId, nullable=False),
        sa.Column("gemeente_code", sa.String(length=4), nullable=False),
        sa.Column("bestand_id", BigId, nullable=False),
        sa.Column("aanbieder_agb", sa.String(length=8), nullable=False),
        sa.Column("wet", sa.String(length=3), nullable=False),
        sa.Column("bekend_op", sa.Date(), nullable=False),
        sa.Column("declaratie_identificatie", sa.String(length=40), nullable=False),
        sa.Column("declaratie_dagtekening", sa.Date(), nullable=False),
        sa.Column("declaratienummer", sa.String(length=40), nullable=True),
        sa.Column("declaratie_bestand_id", BigId, nullable=True),
        sa.Column("ingediend_cents", sa.BigInteger(), nullable=True),
        sa.Column("toegekend_cents", sa.BigInteger(), nullable=True),
        sa.Column("geheel_afgewezen", sa.Boolean(), nullable=False),
        sa.Column("afgewezen_cents", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["bestand_id"],
            ["bronbestand.id"],
            name=op.f("fk_declaratie_antwoord_bestand_id_bronbestand"),
        ),
        sa.ForeignKeyConstraint(
            ["declaratie_bestand_id"],
            ["bronbestand.id"],
            name=op.f("fk_declaratie_antwoord_declaratie_bestand_id_bronbestand"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declaratie_antwoord")),
    )
    op.create_index("ix_declaratie_antwoord_bestand_id", "declaratie_antwoord", ["bestand_id"])
    op.create_index(
        "ix_declaratie_antwoord_declaratie",
        "declaratie_antwoord",
        ["gemeente_code", "aanbieder_agb", "declaratie_identificatie", "declaratie_dagtekening"],
    )
    op.create_table(
        "afgewezen_prestatie",
        sa.Column("id", BigId, nullable=False),
        sa.Column("antwoord_id", BigId, nullable=False),
        sa.Column("productreferentie", sa.String(length=40), nullable=False),
        sa.Column("toewijzingnummer", sa.String(length=20), nullable=False),
        sa.Column("bedrag_cents", sa.BigInteger(), nullable=False),
        sa.Column("retourcodes", sa.String(length=200), nullable=False),
        sa.Column("regel", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["antwoord_id"],
            ["declaratie_antwoord.id"],
            name=op.f("fk_afgewezen_prestatie_antwoord_id_declaratie_antwoord"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_afgewezen_prestatie")),
    )
    op.create_index("ix_afgewezen_prestatie_antwoord_id", "afgewezen_prestatie", ["antwoord_id"])
    # A plain ADD COLUMN on both databases: no table copy on SQLite, where the
    # declaration table is the big one (SQLite takes the reference inline).
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE declaratieregel ADD COLUMN antwoord_id INTEGER CONSTRAINT "
            "fk_declaratieregel_antwoord_id_declaratie_antwoord "
            "REFERENCES declaratie_antwoord (id)"
        )
    else:
        op.add_column("declaratieregel", sa.Column("antwoord_id", BigId, nullable=True))
        op.create_foreign_key(
            op.f("fk_declaratieregel_antwoord_id_declaratie_antwoord"),
            "declaratieregel",
            "declaratie_antwoord",
            ["antwoord_id"],
            ["id"],
        )
    # Partial: only reversing rows have an answer, declared rows cost nothing on insert.
    op.create_index(
        "ix_declaratieregel_antwoord_id",
        "declaratieregel",
        ["antwoord_id"],
        sqlite_where=sa.text("antwoord_id IS NOT NULL"),
        postgresql_where=sa.text("antwoord_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_declaratieregel_antwoord_id", table_name="declaratieregel")
    with op.batch_alter_table("declaratieregel", schema=None) as batch_op:
        if op.get_bind().dialect.name != "sqlite":
            batch_op.drop_constraint(
                "fk_declaratieregel_antwoord_id_declaratie_antwoord", type_="foreignkey"
            )
        batch_op.drop_column("antwoord_id")
    op.drop_index("ix_afgewezen_prestatie_antwoord_id", table_name="afgewezen_prestatie")
    op.drop_table("afgewezen_prestatie")
    op.drop_index("ix_declaratie_antwoord_declaratie", table_name="declaratie_antwoord")
    op.drop_index("ix_declaratie_antwoord_bestand_id", table_name="declaratie_antwoord")
    op.drop_table("declaratie_antwoord")
