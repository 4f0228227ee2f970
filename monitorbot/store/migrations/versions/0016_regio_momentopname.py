"""regio_momentopname: a region's snapshot, read from its members' snapshots

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "regio_momentopname",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("regio", sa.String(length=100), nullable=False),
        sa.Column("peildatum", sa.Date(), nullable=False),
        sa.Column("soort", sa.String(length=10), nullable=False),
        sa.Column("berekend_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("inhoud", sa.Text(), nullable=False),
    )
    op.create_index(
        "ix_regio_momentopname_regio_peildatum",
        "regio_momentopname",
        ["regio", "peildatum", "berekend_op"],
    )


def downgrade() -> None:
    op.drop_index("ix_regio_momentopname_regio_peildatum", table_name="regio_momentopname")
    op.drop_table("regio_momentopname")
