"""message identity per the standard: sender + type + BerichtIdentificatie + Dagtekening

CDT_BerichtIdentificatie is "naam of nummer en dagtekening ter identificatie van
een totale aanlevering": the same Identificatie on another Dagtekening is another
message. `bronbestand` gets the Dagtekening and the unique constraint includes it.
Existing rows get the best date the stored rows tell: a declaration's earliest
declaratiedatum, a care-flow message's earliest bekend_op. `inhoud_sha256` (the
content without whitespace) tells a re-saved copy from a different message; old
rows have none, so a message that reuses their identity is refused, not dropped.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 04:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OLD = "uq_bronbestand_afzender_berichttype_bericht_identificatie"
NEW = "uq_bronbestand_bericht"


def upgrade() -> None:
    with op.batch_alter_table("bronbestand", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dagtekening", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("inhoud_sha256", sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE bronbestand SET dagtekening = COALESCE("
        "(SELECT MIN(d.declaratiedatum) FROM declaratieregel d"
        " WHERE d.bestand_id = bronbestand.id),"
        " (SELECT MIN(e.bekend_op) FROM toewijzing_bericht e"
        " WHERE e.bestand_id = bronbestand.id))"
        " WHERE bericht_identificatie IS NOT NULL"
    )
    with op.batch_alter_table("bronbestand", schema=None) as batch_op:
        batch_op.drop_constraint(OLD, type_="unique")
        batch_op.create_unique_constraint(
            NEW, ["afzender", "berichttype", "bericht_identificatie", "dagtekening"]
        )


def downgrade() -> None:
    with op.batch_alter_table("bronbestand", schema=None) as batch_op:
        batch_op.drop_constraint(NEW, type_="unique")
        batch_op.create_unique_constraint(OLD, ["afzender", "berichttype", "bericht_identificatie"])
        batch_op.drop_column("inhoud_sha256")
        batch_op.drop_column("dagtekening")
