"""budget versions and dated corrections: what was known at a peildatum

A begroting has versions, each with the date it was adopted (`vastgesteld_op`);
a prognosis correction is dated and may end (`tot`), and a perceel may have
several over a year (the latest that applies at a peildatum wins).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("begrotingsregel", schema=None) as batch_op:
        batch_op.add_column(sa.Column("vastgesteld_op", sa.Date(), nullable=True))
        batch_op.drop_constraint("uq_begrotingsregel_gemeente_code_jaar_perceel_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_begrotingsregel_gemeente_code_jaar_versie_perceel_id",
            ["gemeente_code", "jaar", "versie", "perceel_id"],
        )
    with op.batch_alter_table("prognose_correctie", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tot", sa.Date(), nullable=True))
        batch_op.drop_constraint(
            "uq_prognose_correctie_gemeente_code_jaar_perceel_id", type_="unique"
        )
        batch_op.create_unique_constraint(
            "uq_prognose_correctie_gemeente_code_jaar_perceel_id_datum",
            ["gemeente_code", "jaar", "perceel_id", "datum"],
        )


def downgrade() -> None:
    with op.batch_alter_table("prognose_correctie", schema=None) as batch_op:
        batch_op.drop_constraint(
            "uq_prognose_correctie_gemeente_code_jaar_perceel_id_datum", type_="unique"
        )
        batch_op.create_unique_constraint(
            "uq_prognose_correctie_gemeente_code_jaar_perceel_id",
            ["gemeente_code", "jaar", "perceel_id"],
        )
        batch_op.drop_column("tot")
    with op.batch_alter_table("begrotingsregel", schema=None) as batch_op:
        batch_op.drop_constraint(
            "uq_begrotingsregel_gemeente_code_jaar_versie_perceel_id", type_="unique"
        )
        batch_op.create_unique_constraint(
            "uq_begrotingsregel_gemeente_code_jaar_perceel_id",
            ["gemeente_code", "jaar", "perceel_id"],
        )
        batch_op.drop_column("vastgesteld_op")
