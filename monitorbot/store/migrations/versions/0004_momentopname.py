"""momentopname: the snapshot each evaluation computed, read by every output

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "momentopname",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("gemeente_code", sa.String(length=4), nullable=False),
        sa.Column("peildatum", sa.Date(), nullable=False),
        sa.Column("soort", sa.String(length=10), nullable=False),
        sa.Column("berekend_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("inhoud", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_momentopname")),
    )
    op.create_index(
        "ix_momentopname_gemeente_peildatum",
        "momentopname",
        ["gemeente_code", "peildatum", "berekend_op"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_momentopname_gemeente_peildatum", table_name="momentopname")
    op.drop_table("momentopname")
