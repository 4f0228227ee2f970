"""toewijzing_bericht: a 301's Omvang (volume, unit, frequency) and Budget

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

COLUMNS = (
    ("omvang_volume", sa.Integer()),
    ("omvang_eenheid", sa.String(length=2)),
    ("omvang_frequentie", sa.String(length=2)),
    ("budget_cents", sa.BigInteger()),
)


def upgrade() -> None:
    # Plain ADD COLUMNs (nullable): no table copy on SQLite.
    for name, kind in COLUMNS:
        op.add_column("toewijzing_bericht", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("toewijzing_bericht", schema=None) as batch_op:
        for name, _kind in reversed(COLUMNS):
            batch_op.drop_column(name)
