"""The allocation lifecycle: request (315) → allocation (301) → start (305) → stop (307).

One row per allocation in `toewijzing`, filled in as messages arrive, in any
order. That makes waiting time (allocation → start of care) and the waiting
list (allocated, not started, not stopped) plain queries.

Care-flow messages are small (one client each) and numerous, so this module
keeps an in-memory index of a municipality's allocations for the run and
writes with single Core statements instead of ORM round trips.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.orm import Session

from monitorbot.config import Config
from monitorbot.ingest import xml_messages as xm
from monitorbot.store import models

#: StatusAanlevering 3: the provider withdraws an earlier start or stop.
WITHDRAWN = "3"
T = models.Toewijzing.__table__


@dataclass
class _Known:
    id: int
    aanbieder: str | None
    client: str | None
    categorie: str | None
    toewijzingsdatum: date | None


@dataclass
class AllocationIndex:
    """A municipality's allocations by number, by provider reference and by client."""

    by_number: dict[str, _Known] = field(default_factory=dict)
    by_reference: dict[tuple[str | None, str], _Known] = field(default_factory=dict)
    by_client: dict[tuple[str | None, str | None], list[_Known]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, gemeente: str) -> AllocationIndex:
        index = cls()
        rows = session.execute(
            select(
                T.c.id,
                T.c.toewijzingnummer,
                T.c.aanbieder_agb,
                T.c.referentie_aanbieder,
                T.c.client_pseudoniem,
                T.c.productcategorie,
                T.c.toewijzingsdatum,
            ).where(T.c.gemeente_code == gemeente)
        ).all()
        for row in rows:
            known = _Known(
                row.id,
                row.aanbieder_agb,
                row.client_pseudoniem,
                row.productcategorie,
                row.toewijzingsdatum,
            )
            index.remember(known, row.toewijzingnummer, row.referentie_aanbieder)
        return index

    def remember(self, known: _Known, number: str | None, reference: str | None) -> None:
        if number:
            self.by_number[number] = known
        if reference:
            self.by_reference.setdefault((known.aanbieder, reference), known)
        if known.client:
            entries = self.by_client.setdefault((known.aanbieder, known.client), [])
            if known not in entries:
                entries.append(known)

    def latest_for_client(
        self, aanbieder: str, client: str, categorie: str | None
    ) -> _Known | None:
        """For a 305/307 without ToewijzingNummer: the client's latest allocation here."""
        candidates = [
            k
            for k in self.by_client.get((aanbieder, client), [])
            if categorie is None or k.categorie in (None, categorie)
        ]
        if not candidates:
            return None
        return max(candidates, key=lambda k: k.toewijzingsdatum or date.min)


class Lifecycle:
    """Applies the records of one care-flow message to the allocation rows."""

    def __init__(
        self,
        session: Session,
        header: xm.MessageHeader,
        gemeente: str,
        aanbieder: str,
        config: Config,
        bestand_id: int,
        index: AllocationIndex,
    ):
        self.session = session
        self.header = header
        self.gemeente = gemeente
        self.aanbieder = aanbieder
        self.config = config
        self.bestand_id = bestand_id
        self.index = index

    def apply(self, record: xm.Record) -> None:
        if isinstance(record, xm.VerzoekToewijzing):
            self._request(record)
        elif isinstance(record, xm.Toewijzing):
            self._allocation(record)
        elif isinstance(record, xm.StartZorg):
            self._start(record)
        elif isinstance(record, xm.StopZorg):
            self._stop(record)

    # ------------------------------------------------------------------ writes

    def _perceel(self, categorie: str | None, code: str | None) -> str | None:
        if not categorie:
            return None
        return self.config.percelen.map_line(self.header.wet, categorie, code or "", self.aanbieder)

    def _insert(
        self,
        client: str,
        categorie: str | None,
        code: str | None,
        number: str | None,
        reference: str | None,
        **values: object,
    ) -> None:
        row = dict(
            gemeente_code=self.gemeente,
            toewijzingnummer=number,
            client_pseudoniem=client,
            aanbieder_agb=self.aanbieder,
            wet=self.header.wet,
            productcategorie=categorie,
            productcode=code,
            perceel_id=self._perceel(categorie, code),
            referentie_aanbieder=reference,
            bijgewerkt_door_bestand=self.bestand_id,
        )
        row.update(values)
        new_id = self.session.execute(insert(T).values(**row).returning(T.c.id)).scalar_one()
        known = _Known(new_id, self.aanbieder, client, categorie, values.get("toewijzingsdatum"))  # type: ignore[arg-type]
        self.index.remember(known, number, reference)

    def _update(self, known: _Known, **values: object) -> None:
        values["bijgewerkt_door_bestand"] = self.bestand_id
        self.session.execute(update(T).where(T.c.id == known.id).values(**values))

    # ------------------------------------------------------------------ records

    def _request(self, record: xm.VerzoekToewijzing) -> None:
        values = dict(verzoek_datum=self.header.dagtekening, verwijzer_type=record.verwijzer_type)
        known = self.index.by_reference.get((self.aanbieder, record.referentie_aanbieder))
        if known is None:
            self._insert(
                record.client,
                record.productcategorie,
                record.productcode,
                None,
                record.referentie_aanbieder,
                **values,
            )
            return
        self._update(
            known,
            **values,
            productcategorie=func.coalesce(T.c.productcategorie, record.productcategorie),
            productcode=func.coalesce(T.c.productcode, record.productcode),
            perceel_id=func.coalesce(
                T.c.perceel_id, self._perceel(record.productcategorie, record.productcode)
            ),
        )

    def _allocation(self, record: xm.Toewijzing) -> None:
        values: dict[str, object] = dict(
            ingangsdatum=record.ingangsdatum,
            einddatum_toewijzing=record.einddatum,
            leeftijdsklasse=record.age_band,
        )
        known = self.index.by_number.get(record.toewijzingnummer)
        if known is None and record.referentie_aanbieder:
            known = self.index.by_reference.get((self.aanbieder, record.referentie_aanbieder))
        if known is None:
            self._insert(
                record.client,
                record.productcategorie,
                record.productcode,
                record.toewijzingnummer,
                record.referentie_aanbieder,
                toewijzingsdatum=record.toewijzingsdatum,
                **values,
            )
            return
        if record.productcategorie:
            values.update(
                productcategorie=record.productcategorie,
                productcode=record.productcode,
                perceel_id=self._perceel(record.productcategorie, record.productcode),
            )
        # A changed allocation is re-sent with the same number: the waiting clock
        # started at the first allocation, so the earliest date is kept.
        earliest = case(
            (T.c.toewijzingsdatum.is_(None), record.toewijzingsdatum),
            (T.c.toewijzingsdatum > record.toewijzingsdatum, record.toewijzingsdatum),
            else_=T.c.toewijzingsdatum,
        )
        self._update(
            known,
            toewijzingnummer=record.toewijzingnummer,
            client_pseudoniem=record.client,
            toewijzingsdatum=earliest,
            referentie_aanbieder=func.coalesce(
                record.referentie_aanbieder, T.c.referentie_aanbieder
            ),
            **values,
        )
        if known.toewijzingsdatum is None or record.toewijzingsdatum < known.toewijzingsdatum:
            known.toewijzingsdatum = record.toewijzingsdatum
        known.client = record.client
        self.index.remember(known, record.toewijzingnummer, record.referentie_aanbieder)

    def _find_for_care(
        self, number: str | None, client: str, categorie: str | None
    ) -> _Known | None:
        if number and number in self.index.by_number:
            return self.index.by_number[number]
        return self.index.latest_for_client(self.aanbieder, client, categorie)

    def _start(self, record: xm.StartZorg) -> None:
        start = None if record.status_aanlevering == WITHDRAWN else record.begindatum
        known = self._find_for_care(record.toewijzingnummer, record.client, record.productcategorie)
        if known is None:
            self._insert(
                record.client,
                record.productcategorie,
                record.productcode,
                record.toewijzingnummer,
                None,
                start_datum=start,
            )
            return
        self._update(known, start_datum=start)

    def _stop(self, record: xm.StopZorg) -> None:
        known = self._find_for_care(record.toewijzingnummer, record.client, record.productcategorie)
        if record.status_aanlevering == WITHDRAWN:
            if known is not None:
                self._update(known, stop_datum=None, reden_beeindiging=None)
            return
        values = dict(stop_datum=record.einddatum, reden_beeindiging=record.reden_beeindiging)
        if known is None:
            self._insert(
                record.client,
                record.productcategorie,
                record.productcode,
                record.toewijzingnummer,
                None,
                start_datum=record.begindatum,
                **values,
            )
            return
        self._update(known, start_datum=func.coalesce(T.c.start_datum, record.begindatum), **values)
