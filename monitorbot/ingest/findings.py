"""Data-quality findings: the lines are kept, the problem is recorded next to them.

Findings never carry a BSN or a name: they point at a file, a line and an element,
and may carry a provider's AGB code and an amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from monitorbot.core.states import Bevindingsoort

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass
class Finding:
    soort: str
    omschrijving: str
    gemeente: str | None = None
    aanbieder: str | None = None
    regel: int | None = None
    element: str | None = None
    waarde: str | None = None
    bedrag_cents: int | None = None
    ernst: str = "waarschuwing"


class FindingCollector:
    """Collects a file's findings and writes them in the file's transaction."""

    def __init__(self, session: Session | None, bestand_id: int | None, now: datetime):
        self.session = session
        self.bestand_id = bestand_id
        self.now = now
        self.pending: list[Finding] = []
        self.count = 0

    def add(self, finding: Finding) -> None:
        Bevindingsoort(finding.soort)  # an unknown kind is a programming error
        self.pending.append(finding)
        self.count += 1

    def extend(self, findings: list[Finding]) -> None:
        """Findings made elsewhere (a worker reading part of the file)."""
        for finding in findings:
            self.add(finding)

    def flush(self) -> None:
        from sqlalchemy import insert

        from monitorbot.store import models

        assert self.session is not None, "a worker's collector hands its findings over"
        if not self.pending:
            return
        self.session.execute(
            insert(models.Bevinding.__table__),
            [
                {
                    "gemeente_code": f.gemeente,
                    "bestand_id": self.bestand_id,
                    "soort": f.soort,
                    "ernst": f.ernst,
                    "aanbieder_agb": f.aanbieder,
                    "regel": f.regel,
                    "element": f.element,
                    "waarde": (f.waarde or None) and f.waarde[:200],
                    "bedrag_cents": f.bedrag_cents,
                    "omschrijving": f.omschrijving,
                    "gevonden_op": self.now,
                }
                for f in self.pending
            ],
        )
        self.pending.clear()
