"""gebruiker and gebruiker_rol: console accounts and their roles per gemeente

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 17:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gebruiker",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("naam", sa.String(length=100), nullable=False, unique=True),
        sa.Column("wachtwoord_hash", sa.String(length=200), nullable=True),
        sa.Column("actief", sa.Boolean(), nullable=False),
        sa.Column("aangemaakt_op", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sessie_versie", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_table(
        "gebruiker_rol",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column(
            "gebruiker_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.ForeignKey("gebruiker.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("rol", sa.String(length=20), nullable=False),
        sa.Column("gemeente_code", sa.String(length=4), nullable=False),
        sa.UniqueConstraint("gebruiker_id", "rol", "gemeente_code"),
    )


def downgrade() -> None:
    op.drop_table("gebruiker_rol")
    op.drop_table("gebruiker")
