"""regio_momentopname: a region's snapshot, read from its members' snapshots;
gebruiker_regio: an account that reads a region's pages (regio-lezer); outbox.regio: a
message to a region's channel (the regional digest), which belongs to no one gemeente

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

    op.create_table(
        "gebruiker_regio",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column(
            "gebruiker_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.ForeignKey("gebruiker.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("regio", sa.String(length=100), nullable=False),
        sa.UniqueConstraint("gebruiker_id", "regio", name="uq_gebruiker_regio"),
    )

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("regio", sa.String(length=100), nullable=True))
        batch_op.alter_column("gemeente_code", existing_type=sa.String(length=4), nullable=True)
    with op.batch_alter_table("notificatie_log", schema=None) as batch_op:
        batch_op.alter_column("gemeente_code", existing_type=sa.String(length=4), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("notificatie_log", schema=None) as batch_op:
        batch_op.alter_column("gemeente_code", existing_type=sa.String(length=4), nullable=False)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("gemeente_code", existing_type=sa.String(length=4), nullable=False)
        batch_op.drop_column("regio")
    op.drop_table("gebruiker_regio")
    op.drop_index("ix_regio_momentopname_regio_peildatum", table_name="regio_momentopname")
    op.drop_table("regio_momentopname")
