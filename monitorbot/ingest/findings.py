"""Data-quality findings: the lines are kept, the problem is recorded next to them.

Findings never carry a BSN or a name: they point at a file, a line and an element,
and may carry a provider's AGB code and an amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: Kinds of finding, with the Dutch label shown to controllers.
SOORTEN: dict[str, str] = {
    "totaal_mismatch": "TotaalIngediendBedrag wijkt af van de som van de prestaties",
    "dubbele_productreferentie": "zelfde ProductReferentie twee keer in één declaratie",
    "tarief_maal_volume": "tarief × volume is niet gelijk aan het bedrag",
    "periode_na_dagtekening": "zorgperiode ligt na de dagtekening van de declaratie",
    "bsn_11proef": "BSN voldoet niet aan de 11-proef",
    "onbekende_ontvanger": "ontvanger is geen geconfigureerde gemeente",
    "onbekende_productcategorie": "productcategorie onbekend",
    "niet_ingedeeld": "productcode valt onder geen enkel perceel",
    "credit_zonder_debet": "creditregel zonder bijbehorende debetregel",
    "onleesbare_rij": "rij in export kon niet worden gelezen",
}


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

    def __init__(self, session: Session, bestand_id: int | None, now: datetime):
        self.session = session
        self.bestand_id = bestand_id
        self.now = now
        self.pending: list[Finding] = []
        self.count = 0

    def add(self, finding: Finding) -> None:
        if finding.soort not in SOORTEN:
            raise ValueError(f"unknown finding kind {finding.soort!r}")
        self.pending.append(finding)
        self.count += 1

    def flush(self) -> None:
        # Imported here: the kinds above are the command line's vocabulary too
        # (`findings --soort`), and the command line starts without the database.
        from monitorbot.store import models

        self.session.add_all(
            models.Bevinding(
                gemeente_code=f.gemeente,
                bestand_id=self.bestand_id,
                soort=f.soort,
                ernst=f.ernst,
                aanbieder_agb=f.aanbieder,
                regel=f.regel,
                element=f.element,
                waarde=(f.waarde or None) and f.waarde[:200],
                bedrag_cents=f.bedrag_cents,
                omschrijving=f.omschrijving,
                gevonden_op=self.now,
            )
            for f in self.pending
        )
        self.pending.clear()
