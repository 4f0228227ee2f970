"""config_wijziging.door and silence.beeindigd_door: who changed a config file from the
console (NULL: by hand), who ended a silence

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("config_wijziging", sa.Column("door", sa.String(length=100), nullable=True))
    op.add_column("silence", sa.Column("beeindigd_door", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("silence", schema=None) as batch_op:
        batch_op.drop_column("beeindigd_door")
    with op.batch_alter_table("config_wijziging", schema=None) as batch_op:
        batch_op.drop_column("door")
