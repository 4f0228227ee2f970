"""toewijzing_bericht.antwoord: a 319's answer on a request (1 afgewezen, 2 in onderzoek)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("toewijzing_bericht", sa.Column("antwoord", sa.String(length=1), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("toewijzing_bericht", schema=None) as batch_op:
        batch_op.drop_column("antwoord")
