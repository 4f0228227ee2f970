"""regio_momentopname: a region's snapshot, read from its members' snapshots;
gebruiker_regio: an account that reads a region's pages (regio-lezer); outbox.regio: a
message to a region's channel (the regional digest), which belongs to no one gemeente;
stored snapshots' corrections in euros, as snapshots now write them (they held cents,
which read back as euros: a hundred times too much)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 00:10:00
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _corrections_in_euros(node: Any) -> bool:
    """Every stored correction (a mapping with perceel, prognose, reden, door, datum)
    whose prognose is an integer number of cents, in euros; whether one changed."""
    changed = False
    if isinstance(node, dict):
        if {"perceel", "prognose", "reden", "door", "datum"} <= node.keys() and isinstance(
            node["prognose"], int
        ):
            node["prognose"] = node["prognose"] / 100
            changed = True
        for value in node.values():
            changed = _corrections_in_euros(value) or changed
    elif isinstance(node, list):
        for value in node:
            changed = _corrections_in_euros(value) or changed
    return changed


def _rewrite_stored_corrections() -> None:
    snapshots = sa.table(
        "momentopname", sa.column("id", sa.BigInteger), sa.column("inhoud", sa.Text)
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(snapshots.c.id, snapshots.c.inhoud).where(
            snapshots.c.inhoud.like('%"correctie":{%')
        )
    ).all()
    for row_id, text in rows:
        content = json.loads(text)
        if _corrections_in_euros(content):
            connection.execute(
                snapshots.update()
                .where(snapshots.c.id == row_id)
                .values(inhoud=json.dumps(content, ensure_ascii=False, separators=(",", ":")))
            )


def upgrade() -> None:
    _rewrite_stored_corrections()
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
