"""instelling: facts about the database itself (the pseudonym key's fingerprint)

A database filled under one pseudonym key and then fed under another would count
every client twice; it now remembers a one-way fingerprint of its key.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instelling",
        sa.Column("naam", sa.String(length=50), nullable=False),
        sa.Column("waarde", sa.String(length=200), nullable=False),
        sa.Column("gezet_op", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("naam", name=op.f("pk_instelling")),
    )


def downgrade() -> None:
    op.drop_table("instelling")
