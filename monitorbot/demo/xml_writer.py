"""Writes iJw/iWmo 3.2 messages (301, 305, 306, 307, 315, 319, 323, 325) with lxml.

The schemas put a message's own elements in the message namespace and the
children of shared composite types (periods, amounts, names, products) in the
basisschema namespace; `MessageBuilder` keeps that distinction in one place, so
every message validates against the official XSDs.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from monitorbot.config.codes import (
    BERICHTCODES,
    STANDAARDEN,
    basis_namespace,
    message_namespace,
)
from monitorbot.demo import identities, months

if TYPE_CHECKING:
    from monitorbot.demo.answers import Answer
from monitorbot.demo.declarations import Batch, Row
from monitorbot.demo.identities import Client
from monitorbot.demo.population import Trajectory

XSD_VERSIE = {"jw": "0.1.0", "wmo": "1.0.0"}
"""BasisschemaXsdVersie and BerichtXsdVersie as stated in the shipped XSDs."""
VERWIJZER_NAMEN = {
    "02": "Huisartsenpraktijk Demodorp",
    "03": "Jeugdgezondheidszorg Demoland",
    "04": "Gecertificeerde Instelling Demoland",
    "05": "Ziekenhuis Demoland",
    "08": "Rechtbank Demoland",
}


def message_prefix(wet: str, code: str) -> str:
    """``JW323`` / ``WMO301``: the prefix of file names."""
    return f"{STANDAARDEN[wet][1].upper()}{code}"


@cache
def _qualified(namespace: str, name: str) -> str:
    """Clark notation, cached: a 323 creates hundreds of thousands of elements."""
    return f"{{{namespace}}}{name}"


class MessageBuilder:
    """Builds one message tree; `el` adds message elements, `base` basisschema ones."""

    def __init__(self, wet: str, code: str) -> None:
        self.wet = wet
        self.code = code
        self._ns = message_namespace(wet, code)
        self._base = basis_namespace(wet)
        self.root = etree.Element(
            f"{{{self._ns}}}Bericht", nsmap={None: self._ns, STANDAARDEN[wet][0]: self._base}
        )

    def el(self, parent: etree._Element, name: str, text: object = None) -> etree._Element:
        child = etree.SubElement(parent, _qualified(self._ns, name))
        if text is not None:
            child.text = str(text)
        return child

    def base(self, parent: etree._Element, name: str, text: object = None) -> etree._Element:
        child = etree.SubElement(parent, _qualified(self._base, name))
        if text is not None:
            child.text = str(text)
        return child

    def header(self, afzender: str, ontvanger: str, identificatie: str, dagtekening: date) -> None:
        header = self.el(self.root, "Header")
        self.el(header, "BerichtCode", BERICHTCODES[self.wet, self.code])
        self.el(header, "BerichtVersie", 3)
        self.el(header, "BerichtSubversie", 2)
        self.el(header, "Afzender", afzender)
        self.el(header, "Ontvanger", ontvanger)
        ident = self.el(header, "BerichtIdentificatie")
        self.base(ident, "Identificatie", identificatie)
        self.base(ident, "Dagtekening", dagtekening.isoformat())
        versie = self.el(header, "XsdVersie")
        self.base(versie, "BasisschemaXsdVersie", XSD_VERSIE[self.wet])
        self.base(versie, "BerichtXsdVersie", XSD_VERSIE[self.wet])

    def period(self, parent: etree._Element, name: str, begin: str, end: str) -> None:
        period = self.el(parent, name)
        self.base(period, "Begindatum", begin)
        self.base(period, "Einddatum", end)

    def amount(self, parent: etree._Element, name: str, cents: int, total: bool = False) -> None:
        amount = self.el(parent, name)
        self.base(amount, "TotaalBedrag" if total else "Bedrag", abs(cents))
        self.base(amount, "DebetCredit", "C" if cents < 0 else "D")

    def product(self, parent: etree._Element, trajectory: Trajectory) -> None:
        product = self.el(parent, "Product")
        self.base(product, "Categorie", trajectory.product.categorie)
        self.base(product, "Code", trajectory.product.code)

    def write(self, path: Path) -> None:
        """Serialise to `path`; its folder must exist."""
        path.write_bytes(
            etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        )


# --------------------------------------------------------------------------- 323


def write_declaration(batch: Batch, folder: Path) -> Path:
    """One 323: clients in order of first appearance, each with their Prestaties."""
    wet = batch.provider.wet
    builder = MessageBuilder(wet, "323")
    builder.header(batch.provider.agb, batch.ontvanger, batch.declaratienummer, batch.submitted)
    declaratie = builder.el(builder.root, "Declaratie")
    builder.el(declaratie, "DeclaratieNummer", batch.declaratienummer)
    builder.period(
        declaratie,
        "DeclaratiePeriode",
        months.first_day(batch.care_month).isoformat(),
        months.last_day(batch.care_month).isoformat(),
    )
    builder.el(declaratie, "DeclaratieDagtekening", batch.submitted.isoformat())
    total = batch.total_override if batch.total_override is not None else batch.net_cents
    builder.amount(declaratie, "TotaalIngediendBedrag", total, total=True)
    clienten = builder.el(declaratie, "Clienten")
    for bsn, rows in _rows_per_client(batch.rows):
        client = builder.el(clienten, "Client")
        builder.el(client, "Bsn", bsn)
        prestaties = builder.el(client, "Prestaties")
        for row in rows:
            _prestatie(builder, prestaties, row)
    name = f"{message_prefix(wet, '323')}_{batch.provider.agb}_{batch.declaratienummer}.xml"
    path = folder / name
    builder.write(path)
    return path


def _rows_per_client(rows: Iterable[Row]) -> list[tuple[str, list[Row]]]:
    grouped: dict[str, list[Row]] = {}
    for row in rows:
        grouped.setdefault(row.bsn, []).append(row)
    return list(grouped.items())


def _prestatie(builder: MessageBuilder, parent: etree._Element, row: Row) -> None:
    """Append one Prestatie: a copy of a pre-built skeleton with its texts filled in.

    A year of declarations has tens of thousands of Prestaties; copying a
    skeleton in C is several times faster than building seventeen elements.
    """
    skeleton, leaves = _prestatie_skeleton(builder.wet, row.vorig_referentie is not None)
    values = [
        row.referentie,
        *([row.vorig_referentie] if row.vorig_referentie else []),
        row.toewijzingnummer,
        row.categorie,
        row.productcode,
        row.begin.isoformat(),
        row.end_text or row.end.isoformat(),
        row.volume,
        row.eenheid,
        row.tarief,
        row.amount,
        row.debet_credit,
    ]
    prestatie = copy.deepcopy(skeleton)
    elements = list(prestatie.iter())
    for index, value in zip(leaves, values, strict=True):
        elements[index].text = str(value)
    parent.append(prestatie)


@cache
def _prestatie_skeleton(wet: str, with_vorig: bool) -> tuple[etree._Element, tuple[int, ...]]:
    """An empty Prestatie in schema order, and the positions of its leaves in `iter()`."""
    builder = MessageBuilder(wet, "323")
    prestatie = builder.el(builder.root, "Prestatie")
    referentie = builder.el(prestatie, "ProductReferentie")
    builder.base(referentie, "ReferentieNummer")
    if with_vorig:
        builder.base(referentie, "VorigReferentieNummer")
    for name in ("ToewijzingNummer", "ProductCategorie", "ProductCode"):
        builder.el(prestatie, name)
    period = builder.el(prestatie, "ProductPeriode")
    builder.base(period, "Begindatum")
    builder.base(period, "Einddatum")
    for name in ("GeleverdVolume", "Eenheid", "ProductTarief"):
        builder.el(prestatie, name)
    bedrag = builder.el(prestatie, "IngediendBedrag")
    builder.base(bedrag, "Bedrag")
    builder.base(bedrag, "DebetCredit")
    leaves = tuple(i for i, element in enumerate(prestatie.iter()) if len(element) == 0)
    return prestatie, leaves


# --------------------------------------------------------------------------- client data


def _geboortedatum(builder: MessageBuilder, parent: etree._Element, client: Client) -> None:
    geboren = builder.el(parent, "Geboortedatum")
    builder.base(geboren, "Datum", client.geboortedatum.isoformat())


def _client_identity(
    builder: MessageBuilder, parent: etree._Element, trajectory: Trajectory, full_name: bool
) -> None:
    client = trajectory.client
    builder.el(parent, "Bsn", client.bsn)
    _geboortedatum(builder, parent, client)
    builder.el(parent, "Geslacht", client.geslacht)
    naam = builder.el(parent, "Naam")
    geslachtsnaam = builder.base(naam, "Geslachtsnaam")
    builder.base(geslachtsnaam, "Achternaam", identities.ACHTERNAAM)
    builder.base(naam, "Voorletters", client.voorletters)
    if full_name:
        builder.base(naam, "NaamGebruik", "1")


def _omvang(builder: MessageBuilder, parent: etree._Element, trajectory: Trajectory) -> None:
    """The allocated volume: per month for contact time, per week for stays, total for one-offs."""
    product = trajectory.product
    kind = product.volume_kind
    if kind == "etmaal":
        volume, frequentie = 7, "2"
    elif kind == "huur":
        volume, frequentie = 1, "4"
    elif kind == "euro":
        volume, frequentie = round(trajectory.intensity), "6"
    elif product.eenheid == "01":
        volume, frequentie = round(trajectory.intensity * 60), "4"
    else:
        volume, frequentie = max(round(trajectory.intensity), 1), "4"
    omvang = builder.el(parent, "Omvang")
    builder.base(omvang, "Volume", volume)
    builder.base(omvang, "Eenheid", product.eenheid)
    builder.base(omvang, "Frequentie", frequentie)


def _toewijzingstijd(trajectory: Trajectory) -> str:
    minutes = 8 * 60 + trajectory.toewijzingnummer * 7 % (9 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def referentie_aanbieder(trajectory: Trajectory, refused: bool = False) -> str:
    return f"VZ{trajectory.toewijzingnummer}" + ("A" if refused else "")


def refusal_request_date(trajectory: Trajectory) -> date:
    """A refused earlier request: five to eight weeks before the one that was granted."""
    return trajectory.request_date - timedelta(days=35 + trajectory.toewijzingnummer % 21)


def refusal_date(trajectory: Trajectory) -> date:
    return refusal_request_date(trajectory) + timedelta(days=10 + trajectory.toewijzingnummer % 15)


# --------------------------------------------------------------------------- 301/305/307/315


def write_allocation(trajectory: Trajectory, folder: Path) -> Path:
    """301: the municipality allocates the product to the provider."""
    wet = trajectory.product.wet
    builder = MessageBuilder(wet, "301")
    identificatie = f"T{trajectory.toewijzingnummer}"
    builder.header(
        trajectory.gemeente, trajectory.provider.agb, identificatie, trajectory.alloc_date
    )
    client = builder.el(builder.root, "Client")
    _client_identity(builder, client, trajectory, full_name=True)
    contacten = builder.el(client, "Contactgegevens")
    contact = builder.el(contacten, "Contact")
    builder.el(contact, "Soort", "01")
    adres = builder.el(contact, "Adres")
    huis = builder.base(adres, "Huis")
    builder.base(huis, "Huisnummer", trajectory.client.huisnummer)
    builder.base(adres, "Postcode", identities.POSTCODE)
    builder.base(adres, "Straatnaam", identities.STRAAT)
    builder.base(adres, "Plaatsnaam", identities.PLAATS)
    producten = builder.el(client, "ToegewezenProducten")
    toegewezen = builder.el(producten, "ToegewezenProduct")
    builder.el(toegewezen, "ToewijzingNummer", trajectory.toewijzingnummer)
    if trajectory.via_315:
        builder.el(toegewezen, "ReferentieAanbieder", referentie_aanbieder(trajectory))
    builder.product(toegewezen, trajectory)
    builder.el(toegewezen, "Toewijzingsdatum", trajectory.alloc_date.isoformat())
    builder.el(toegewezen, "Toewijzingstijd", _toewijzingstijd(trajectory))
    builder.el(toegewezen, "Ingangsdatum", trajectory.alloc_date.isoformat())
    if trajectory.allocation_end is not None:
        builder.el(toegewezen, "Einddatum", trajectory.allocation_end.isoformat())
    _omvang(builder, toegewezen, trajectory)
    path = folder / f"{message_prefix(wet, '301')}_{trajectory.gemeente}_{identificatie}.xml"
    builder.write(path)
    return path


def write_request(trajectory: Trajectory, folder: Path, *, refused: bool = False) -> Path:
    """315: the provider asks for an allocation after a referral by a doctor, GI or court.

    `refused`: an earlier request for the same client that the municipality refused
    (`write_refusal`), under a reference and identity of its own."""
    wet = trajectory.product.wet
    builder = MessageBuilder(wet, "315")
    identificatie = f"V{trajectory.toewijzingnummer}" + ("A" if refused else "")
    day = refusal_request_date(trajectory) if refused else trajectory.request_date
    builder.header(trajectory.provider.agb, trajectory.gemeente, identificatie, day)
    client = builder.el(builder.root, "Client")
    _client_identity(builder, client, trajectory, full_name=False)
    producten = builder.el(client, "AangevraagdeProducten")
    aangevraagd = builder.el(producten, "AangevraagdProduct")
    builder.el(aangevraagd, "ReferentieAanbieder", referentie_aanbieder(trajectory, refused))
    builder.product(aangevraagd, trajectory)
    builder.el(aangevraagd, "ToewijzingIngangsdatum", trajectory.alloc_date.isoformat())
    _omvang(builder, aangevraagd, trajectory)
    verwijzer = builder.el(aangevraagd, "Verwijzer")
    builder.base(verwijzer, "Type", trajectory.referrer)
    if trajectory.referrer in VERWIJZER_NAMEN:
        builder.base(verwijzer, "Naam", VERWIJZER_NAMEN[trajectory.referrer])
    path = folder / f"{message_prefix(wet, '315')}_{trajectory.provider.agb}_{identificatie}.xml"
    builder.write(path)
    return path


def write_start(trajectory: Trajectory, dagtekening: date, folder: Path) -> Path:
    """305: the provider reports the actual start of care (ends the waiting clock)."""
    wet = trajectory.product.wet
    builder = MessageBuilder(wet, "305")
    identificatie = f"S{trajectory.toewijzingnummer}"
    builder.header(trajectory.provider.agb, trajectory.gemeente, identificatie, dagtekening)
    client = builder.el(builder.root, "Client")
    _client_identity(builder, client, trajectory, full_name=False)
    producten = builder.el(client, "StartProducten")
    start = builder.el(producten, "StartProduct")
    builder.el(start, "ToewijzingNummer", trajectory.toewijzingnummer)
    builder.product(start, trajectory)
    builder.el(start, "ToewijzingIngangsdatum", trajectory.alloc_date.isoformat())
    builder.el(start, "Begindatum", trajectory.begin.isoformat())
    builder.el(start, "StatusAanlevering", "1")
    path = folder / f"{message_prefix(wet, '305')}_{trajectory.provider.agb}_{identificatie}.xml"
    builder.write(path)
    return path


def write_stop(trajectory: Trajectory, dagtekening: date, folder: Path) -> Path:
    """307: the provider reports the end of care and why."""
    wet = trajectory.product.wet
    builder = MessageBuilder(wet, "307")
    identificatie = f"E{trajectory.toewijzingnummer}"
    builder.header(trajectory.provider.agb, trajectory.gemeente, identificatie, dagtekening)
    client = builder.el(builder.root, "Client")
    _client_identity(builder, client, trajectory, full_name=False)
    producten = builder.el(client, "StopProducten")
    stop = builder.el(producten, "StopProduct")
    builder.el(stop, "ToewijzingNummer", trajectory.toewijzingnummer)
    builder.product(stop, trajectory)
    builder.el(stop, "ToewijzingIngangsdatum", trajectory.alloc_date.isoformat())
    builder.el(stop, "Begindatum", trajectory.begin.isoformat())
    builder.el(stop, "RedenBeeindiging", trajectory.stop_reason)
    builder.el(stop, "Einddatum", trajectory.end.isoformat())
    builder.el(stop, "StatusAanlevering", "1")
    path = folder / f"{message_prefix(wet, '307')}_{trajectory.provider.agb}_{identificatie}.xml"
    builder.write(path)
    return path


# --------------------------------------------------------------------------- 319/306/325


def write_refusal(trajectory: Trajectory, folder: Path) -> Path:
    """319: the municipality refuses the earlier request (reden 1: no grounds for care)."""
    wet = trajectory.product.wet
    builder = MessageBuilder(wet, "319")
    identificatie = f"W{trajectory.toewijzingnummer}"
    builder.header(
        trajectory.gemeente, trajectory.provider.agb, identificatie, refusal_date(trajectory)
    )
    antwoord = builder.el(builder.root, "Antwoord")
    builder.el(antwoord, "ReferentieAanbieder", referentie_aanbieder(trajectory, refused=True))
    builder.el(antwoord, "VerzoekAntwoord", "1")
    builder.el(antwoord, "RedenAfwijzingVerzoek", "1")
    path = folder / f"{message_prefix(wet, '319')}_{trajectory.gemeente}_{identificatie}.xml"
    builder.write(path)
    return path


def write_start_return(
    trajectory: Trajectory, started_on: date, dagtekening: date, folder: Path
) -> Path:
    """306: the municipality's technical verdict on a 305 that it could not link to an
    allocation (9019); its header keeps the 305's sender and receiver."""
    wet = trajectory.product.wet
    builder = MessageBuilder(wet, "306")
    identificatie = f"R{trajectory.toewijzingnummer}"
    builder.header(trajectory.provider.agb, trajectory.gemeente, identificatie, dagtekening)
    header = builder.root[0]
    builder.el(header, "IdentificatieRetour", f"S{trajectory.toewijzingnummer}")
    builder.el(header, "DagtekeningRetour", started_on.isoformat())
    versie = builder.el(header, "XsdVersieRetour")
    builder.base(versie, "BasisschemaXsdVersie", XSD_VERSIE[wet])
    builder.base(versie, "BerichtXsdVersie", XSD_VERSIE[wet])
    builder.el(builder.el(header, "RetourCodes"), "RetourCode", "0200")
    client = builder.el(builder.root, "Client")
    _client_identity(builder, client, trajectory, full_name=False)
    producten = builder.el(client, "StartProducten")
    start = builder.el(producten, "StartProduct")
    builder.el(start, "ToewijzingNummer", trajectory.toewijzingnummer)
    builder.el(start, "Begindatum", trajectory.begin.isoformat())
    builder.el(start, "StatusAanlevering", "1")
    builder.el(builder.el(start, "RetourCodes"), "RetourCode", "9019")
    builder.el(builder.el(client, "RetourCodes"), "RetourCode", "0200")
    path = folder / f"{message_prefix(wet, '306')}_{trajectory.provider.agb}_{identificatie}.xml"
    builder.write(path)
    return path


def write_answer(answer: Answer, folder: Path) -> Path:
    """325: the answer on one 323, listing the rejected Prestaties with their retourcode."""
    batch = answer.batch
    wet = batch.provider.wet
    builder = MessageBuilder(wet, "325")
    builder.header(batch.ontvanger, batch.provider.agb, answer.identificatie, answer.dagtekening)
    header = builder.root[0]
    beantwoord = builder.el(header, "DeclaratieIdentificatie")
    builder.base(beantwoord, "Identificatie", batch.declaratienummer)
    builder.base(beantwoord, "Dagtekening", batch.submitted.isoformat())
    versie = builder.el(header, "XsdVersieDeclaratie")
    builder.base(versie, "BasisschemaXsdVersie", XSD_VERSIE[wet])
    builder.base(versie, "BerichtXsdVersie", XSD_VERSIE[wet])
    builder.el(builder.el(header, "RetourCodes"), "RetourCode", "0200")
    antwoord = builder.el(builder.root, "DeclaratieAntwoord")
    builder.el(antwoord, "DeclaratieNummer", batch.declaratienummer)
    builder.amount(antwoord, "TotaalIngediendBedrag", answer.ingediend_cents, total=True)
    builder.amount(antwoord, "TotaalToegekendBedrag", answer.toegekend_cents, total=True)
    if answer.rejected:
        clienten = builder.el(antwoord, "Clienten")
        per_client: dict[str, list[tuple[Row, str]]] = {}
        for row, code in answer.rejected:
            per_client.setdefault(row.bsn, []).append((row, code))
        for bsn, rows in per_client.items():
            client = builder.el(clienten, "Client")
            builder.el(client, "Bsn", bsn)
            prestaties = builder.el(client, "Prestaties")
            for row, code in rows:
                _judged_prestatie(builder, prestaties, row, code)
            builder.el(builder.el(client, "RetourCodes"), "RetourCode", "0200")
    builder.el(builder.el(antwoord, "RetourCodes"), "RetourCode", "0200")
    name = f"{message_prefix(wet, '325')}_{batch.ontvanger}_{answer.identificatie}.xml"
    path = folder / name
    builder.write(path)
    return path


def _judged_prestatie(builder: MessageBuilder, parent: etree._Element, row: Row, code: str) -> None:
    prestatie = builder.el(parent, "Prestatie")
    builder.base(builder.el(prestatie, "ProductReferentie"), "ReferentieNummer", row.referentie)
    builder.el(prestatie, "ToewijzingNummer", row.toewijzingnummer)
    builder.el(prestatie, "ProductCategorie", row.categorie)
    builder.el(prestatie, "ProductCode", row.productcode)
    builder.period(prestatie, "ProductPeriode", row.begin.isoformat(), row.end.isoformat())
    builder.el(prestatie, "GeleverdVolume", row.volume)
    builder.el(prestatie, "Eenheid", row.eenheid)
    builder.el(prestatie, "ProductTarief", row.tarief)
    builder.amount(prestatie, "IngediendBedrag", row.signed_amount)
    builder.el(builder.el(prestatie, "RetourCodes"), "RetourCode", code)
