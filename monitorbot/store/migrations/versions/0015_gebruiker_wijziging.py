"""gebruiker_wijziging: every account change with its author (console, command line or the
identity provider); gebruiker.extern_id: the identity provider's stable subject of an account

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 20:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gebruiker", schema=None) as batch_op:
        batch_op.add_column(sa.Column("extern_id", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint("uq_gebruiker_extern_id", ["extern_id"])
    op.create_table(
        "gebruiker_wijziging",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("gebruiker", sa.String(length=100), nullable=False, index=True),
        sa.Column("gemeente_code", sa.String(length=4), nullable=True, index=True),
        sa.Column("wat", sa.String(length=200), nullable=False),
        sa.Column("door", sa.String(length=100), nullable=False),
        sa.Column("op", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("gebruiker_wijziging")
    with op.batch_alter_table("gebruiker", schema=None) as batch_op:
        batch_op.drop_constraint("uq_gebruiker_extern_id", type_="unique")
        batch_op.drop_column("extern_id")
