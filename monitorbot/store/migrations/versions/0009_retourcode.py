"""retourcode: technical return messages (302, 306, 308, 316, 318, 320) as what they are

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "retourcode",
        sa.Column("id", BigId, nullable=False),
        sa.Column("gemeente_code", sa.String(length=4), nullable=False),
        sa.Column("bestand_id", BigId, nullable=False),
        sa.Column("aanbieder_agb", sa.String(length=8), nullable=True),
        sa.Column("berichttype", sa.String(length=10), nullable=False),
        sa.Column("bekend_op", sa.Date(), nullable=False),
        sa.Column("retour_identificatie", sa.String(length=40), nullable=True),
        sa.Column("retour_dagtekening", sa.Date(), nullable=True),
        sa.Column("niveau", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=4), nullable=False),
        sa.Column("aantal", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bestand_id"], ["bronbestand.id"], name=op.f("fk_retourcode_bestand_id_bronbestand")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retourcode")),
    )
    op.create_index("ix_retourcode_bestand_id", "retourcode", ["bestand_id"])
    op.create_index("ix_retourcode_gemeente_bekend", "retourcode", ["gemeente_code", "bekend_op"])


def downgrade() -> None:
    op.drop_index("ix_retourcode_gemeente_bekend", table_name="retourcode")
    op.drop_index("ix_retourcode_bestand_id", table_name="retourcode")
    op.drop_table("retourcode")
