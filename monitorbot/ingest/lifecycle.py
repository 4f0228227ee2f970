"""The allocation lifecycle: request (315) → allocation (301) → start (305) → stop (307).

Each message becomes one event (`toewijzing_bericht`) on the allocation it is
about, with its Dagtekening as the day it became known; the lifecycle at a
peildatum is derived from the events known then (`store.queries.allocations`).
The allocation row itself (`toewijzing`) only holds who, which provider and
which product, so messages can arrive in any order.

Care-flow messages are small (one client each) and numerous, so this module
keeps an in-memory index of a municipality's allocations for the run, writes
allocation rows with single Core statements and a message's events in one
insert.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from monitorbot.config import Config
from monitorbot.core.states import Zorgbericht
from monitorbot.ingest import xml_messages as xm
from monitorbot.store import models

#: StatusAanlevering 3: the provider withdraws an earlier start or stop.
WITHDRAWN = "3"
T = models.Toewijzing.__table__
E = models.ToewijzingBericht.__table__


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
    """Turns the records of one care-flow message into events on allocation rows."""

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
        self.events: list[dict[str, object]] = []

    def apply(self, record: xm.Record) -> None:
        if isinstance(record, xm.VerzoekToewijzing):
            self._request(record)
        elif isinstance(record, xm.Toewijzing):
            self._allocation(record)
        elif isinstance(record, xm.StartZorg):
            self._start(record)
        elif isinstance(record, xm.StopZorg):
            self._stop(record)
        elif isinstance(record, xm.VerzoekWijziging):
            self._change_request(record)
        elif isinstance(record, xm.VerzoekAntwoord):
            self._answer(record)

    def write(self) -> None:
        """Store the message's events (one insert for all its records)."""
        if self.events:
            self.session.execute(insert(E), self.events)
            self.events = []

    # ------------------------------------------------------------------ writes

    def _perceel(self, categorie: str | None, code: str | None) -> str | None:
        if not categorie:
            return None
        return self.config.percelen.map_line(self.header.wet, categorie, code or "", self.aanbieder)

    def _event(
        self,
        known: _Known,
        bericht: Zorgbericht,
        datum: date,
        *,
        begindatum: date | None = None,
        einddatum: date | None = None,
        reden: str | None = None,
        ingetrokken: bool = False,
        antwoord: str | None = None,
        allocated: xm.Toewijzing | None = None,
    ) -> None:
        self.events.append(
            dict(
                gemeente_code=self.gemeente,
                toewijzing_id=known.id,
                bestand_id=self.bestand_id,
                bericht=bericht.value,
                bekend_op=self.header.dagtekening,
                datum=datum,
                begindatum=begindatum,
                einddatum=einddatum,
                reden=reden,
                ingetrokken=ingetrokken,
                antwoord=antwoord,
                omvang_volume=allocated and allocated.omvang_volume,
                omvang_eenheid=allocated and allocated.omvang_eenheid,
                omvang_frequentie=allocated and allocated.omvang_frequentie,
                budget_cents=allocated and allocated.budget_cents,
            )
        )

    def _insert(
        self,
        client: str | None,
        categorie: str | None,
        code: str | None,
        number: str | None,
        reference: str | None,
        **values: object,
    ) -> _Known:
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
        new_id = self.session.execute(_insert_returning_id(), row).scalar_one()
        known = _Known(new_id, self.aanbieder, client, categorie, values.get("toewijzingsdatum"))  # type: ignore[arg-type]
        self.index.remember(known, number, reference)
        return known

    def _update(self, known: _Known, **values: object) -> None:
        values["bijgewerkt_door_bestand"] = self.bestand_id
        self.session.execute(update(T).where(T.c.id == known.id).values(**values))

    # ------------------------------------------------------------------ records

    def _request(self, record: xm.VerzoekToewijzing) -> None:
        known = self.index.by_reference.get((self.aanbieder, record.referentie_aanbieder))
        if known is None:
            known = self._insert(
                record.client,
                record.productcategorie,
                record.productcode,
                None,
                record.referentie_aanbieder,
            )
        else:
            self._update(
                known,
                client_pseudoniem=func.coalesce(T.c.client_pseudoniem, record.client),
                productcategorie=func.coalesce(T.c.productcategorie, record.productcategorie),
                productcode=func.coalesce(T.c.productcode, record.productcode),
                perceel_id=func.coalesce(
                    T.c.perceel_id, self._perceel(record.productcategorie, record.productcode)
                ),
            )
            if known.client is None:
                known.client = record.client
                self.index.remember(known, None, record.referentie_aanbieder)
        self._event(
            known,
            Zorgbericht.VERZOEK,
            self.header.dagtekening,
            begindatum=record.toewijzing_ingangsdatum,
            reden=record.verwijzer_type,
        )

    def _allocation(self, record: xm.Toewijzing) -> None:
        known = self.index.by_number.get(record.toewijzingnummer)
        if known is None and record.referentie_aanbieder:
            known = self.index.by_reference.get((self.aanbieder, record.referentie_aanbieder))
        if known is None:
            known = self._insert(
                record.client,
                record.productcategorie,
                record.productcode,
                record.toewijzingnummer,
                record.referentie_aanbieder,
                toewijzingsdatum=record.toewijzingsdatum,
                leeftijdsklasse=record.age_band,
            )
        else:
            self._update_allocation(known, record)
        self._event(
            known,
            Zorgbericht.TOEWIJZING,
            record.toewijzingsdatum,
            begindatum=record.ingangsdatum,
            einddatum=record.einddatum,
            allocated=record,
        )

    def _update_allocation(self, known: _Known, record: xm.Toewijzing) -> None:
        values: dict[str, object] = dict(leeftijdsklasse=record.age_band)
        if record.productcategorie:
            values.update(
                productcategorie=record.productcategorie,
                productcode=record.productcode,
                perceel_id=self._perceel(record.productcategorie, record.productcode),
            )
        # The earliest allocation date helps match a later 305/307 without number.
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

    def _for_care(self, number: str | None, record: xm.StartZorg | xm.StopZorg) -> _Known:
        """The allocation a 305/307 is about; one is made when none is known (yet).

        Only a message without ToewijzingNummer is matched to the client's latest
        allocation; one with a number not seen yet gets its own row, which its 301
        fills in when it arrives (messages come in any order)."""
        if number and number in self.index.by_number:
            return self.index.by_number[number]
        known = None
        if not number:
            known = self.index.latest_for_client(
                self.aanbieder, record.client, record.productcategorie
            )
        if known is None:
            known = self._insert(
                record.client, record.productcategorie, record.productcode, number, None
            )
        return known

    def _start(self, record: xm.StartZorg) -> None:
        known = self._for_care(record.toewijzingnummer, record)
        self._event(
            known,
            Zorgbericht.START,
            record.begindatum,
            ingetrokken=record.status_aanlevering == WITHDRAWN,
        )

    def _stop(self, record: xm.StopZorg) -> None:
        known = self._for_care(record.toewijzingnummer, record)
        self._event(
            known,
            Zorgbericht.STOP,
            record.einddatum,
            begindatum=record.begindatum,
            reden=record.reden_beeindiging,
            ingetrokken=record.status_aanlevering == WITHDRAWN,
        )

    def _answer(self, record: xm.VerzoekAntwoord) -> None:
        """A 319 answers the request with this ReferentieAanbieder (refused or in onderzoek);
        one that arrives before its 315 gets the request's row, the 315 fills it in."""
        known = self._request_row(record.referentie_aanbieder, None)
        self._event(
            known,
            Zorgbericht.ANTWOORD,
            self.header.dagtekening,
            reden=record.reden_afwijzing,
            antwoord=record.antwoord,
        )

    def _change_request(self, record: xm.VerzoekWijziging) -> None:
        """A 317 is a request of its own (its own ReferentieAanbieder), answered by a 301
        that allocates the change or a 319 that refuses it."""
        known = self._request_row(record.referentie_aanbieder, record.client)
        self._event(
            known, Zorgbericht.WIJZIGING, self.header.dagtekening, reden=record.reden_verzoek
        )

    def _request_row(self, reference: str, client: str | None) -> _Known:
        """The row of the request with this ReferentieAanbieder; made when none is known
        (a 319 may come before its 315, a 317 is a request of its own)."""
        known = self.index.by_reference.get((self.aanbieder, reference))
        if known is None:
            known = self._insert(client, None, None, None, reference)
        return known


@functools.cache
def _insert_returning_id() -> ReturningInsert[tuple[int]]:
    """One statement for every new allocation, its values given as parameters: building
    an INSERT per row from literal values costs more than running it."""
    return insert(T).returning(T.c.id)
