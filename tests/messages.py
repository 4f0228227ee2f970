"""Builders of small schema-valid iJw/iWmo messages for tests (lxml, pretty-printed)."""

from __future__ import annotations

from datetime import date

from lxml import etree
from lxml.builder import ElementMaker

from monitorbot.config.codes import BERICHTCODES


class Message:
    """Builds a schema-valid message with lxml, pretty-printed so lines are realistic."""

    def __init__(self, wet: str, code: str):
        standard, prefix = ("ijw", "jw") if wet == "jw" else ("iwmo", "wmo")
        self.ns = f"http://www.istandaarden.nl/{standard}/3_2/{prefix}{code}/schema"
        self.basis = f"http://www.istandaarden.nl/{standard}/3_2/basisschema/schema"
        self.M = ElementMaker(namespace=self.ns, nsmap={None: self.ns, "b": self.basis})
        self.B = ElementMaker(namespace=self.basis, nsmap={"b": self.basis})
        self.wet, self.code = wet, code

    def header(self) -> etree._Element:
        """A 301 goes from the municipality to the provider, the others the other way."""
        M, B = self.M, self.B
        afzender, ontvanger = ("0384", "12345678") if self.code == "301" else ("12345678", "0384")
        return M.Header(
            M.BerichtCode(BERICHTCODES[(self.wet, self.code)]),
            M.BerichtVersie("3"),
            M.BerichtSubversie("2"),
            M.Afzender(afzender),
            M.Ontvanger(ontvanger),
            M.BerichtIdentificatie(B.Identificatie("BER-0001"), B.Dagtekening("2026-02-05")),
            M.XsdVersie(B.BasisschemaXsdVersie("1.0.0"), B.BerichtXsdVersie("1.0.0")),
        )

    def person(self, bsn: str, birth: str = "2012-03-15", full_name: bool = False) -> list:
        M, B = self.M, self.B
        naam = [B.Geslachtsnaam(B.Achternaam("Jansen"))]
        naam.append(B.Voornamen("Pieter Jan"))
        if full_name:
            naam.append(B.NaamGebruik("1"))
        return [
            M.Bsn(bsn),
            M.Geboortedatum(B.Datum(birth)),
            M.Geslacht("1"),
            M.Naam(*naam),
        ]

    def product(self, categorie: str | None, code: str | None) -> list:
        if categorie is None:
            return []
        parts = [self.B.Categorie(categorie)]
        if code is not None:
            parts.append(self.B.Code(code))
        return [self.M.Product(*parts)]

    def to_bytes(self, *body: etree._Element) -> bytes:
        root = self.M.Bericht(self.header(), *body)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def prestatie(
    m: Message,
    ref: str,
    *,
    vorig: str | None = None,
    toewijzing: str = "123",
    categorie: str = "45",
    code: str = "45A01",
    begin: str = "2026-01-01",
    end: str = "2026-01-31",
    volume: str = "10",
    eenheid: str = "04",
    tarief: str | None = "8900",
    bedrag: str = "89000",
    dc: str = "D",
):
    M, B = m.M, m.B
    referentie = [B.ReferentieNummer(ref)] + ([B.VorigReferentieNummer(vorig)] if vorig else [])
    parts = [
        M.ProductReferentie(*referentie),
        M.ToewijzingNummer(toewijzing),
        M.ProductCategorie(categorie),
        M.ProductCode(code),
        M.ProductPeriode(B.Begindatum(begin), B.Einddatum(end)),
        M.GeleverdVolume(volume),
        M.Eenheid(eenheid),
    ]
    if tarief is not None:
        parts.append(M.ProductTarief(tarief))
    parts.append(M.IngediendBedrag(B.Bedrag(bedrag), B.DebetCredit(dc)))
    return M.Prestatie(*parts)


def declaration_323(
    *,
    prestaties: list[dict],
    ident: str = "BER-0001",
    ontvanger: str = "9999",
    afzender: str = "12345678",
    total_override: int | None = None,
    dagtekening: date = date(2024, 3, 5),
    wet: str = "jw",
) -> bytes:
    """A 323 with the given Prestaties (dicts: bsn, ref, categorie, code, begin, end,
    volume, tarief, amount, dc, raw_begin); the total adds up unless overridden."""
    m = Message(wet, "323")
    M, B = m.M, m.B
    by_client: dict[str, list] = {}
    total = 0
    for item in prestaties:
        volume = item.get("volume", 1)
        tarief = item.get("tarief", 8900)
        amount = item.get("amount", volume * tarief)
        dc = item.get("dc", "D")
        total += amount if dc == "D" else -amount
        begin = item.get("raw_begin") or item.get("begin", date(2024, 2, 1)).isoformat()
        element = prestatie(
            m,
            item["ref"],
            categorie=item.get("categorie", "45"),
            code=item.get("code", "45A01"),
            begin=begin,
            end=item.get("end", date(2024, 2, 29)).isoformat(),
            volume=str(volume),
            tarief=str(tarief),
            bedrag=str(amount),
            dc=dc,
            toewijzing=item.get("toewijzing", "123"),
        )
        by_client.setdefault(item["bsn"], []).append(element)
    if total_override is not None:
        total = total_override
    body = M.Declaratie(
        M.DeclaratieNummer("DECL" + ident.replace("-", "")[:8]),
        M.DeclaratiePeriode(B.Begindatum("2024-01-01"), B.Einddatum("2024-02-29")),
        M.DeclaratieDagtekening(dagtekening.isoformat()),
        M.TotaalIngediendBedrag(
            B.TotaalBedrag(str(abs(total))), B.DebetCredit("D" if total >= 0 else "C")
        ),
        M.Clienten(
            *[M.Client(M.Bsn(bsn), M.Prestaties(*items)) for bsn, items in by_client.items()]
        ),
    )
    return _with_header(
        m, body, ident=ident, afzender=afzender, ontvanger=ontvanger, dagtekening=dagtekening
    )


def _with_header(
    m: Message,
    body: etree._Element,
    *,
    ident: str,
    afzender: str,
    ontvanger: str,
    dagtekening: date,
) -> bytes:
    header = m.header()
    header.find(f"{{{m.ns}}}Afzender").text = afzender
    header.find(f"{{{m.ns}}}Ontvanger").text = ontvanger
    identificatie = header.find(f"{{{m.ns}}}BerichtIdentificatie")
    identificatie[0].text = ident
    identificatie[1].text = dagtekening.isoformat()
    root = m.M.Bericht(header, body)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def allocation_301(
    *,
    bsn: str,
    number: str,
    allocated: date,
    categorie: str = "45",
    code: str = "45A01",
    gemeente: str = "9999",
    aanbieder: str = "12345678",
    ident: str = "T301-1",
    reference: str | None = None,
    omvang: tuple[int, str, str] | None = None,
    budget: int | None = None,
) -> bytes:
    """A 301 with one allocated product; `omvang` is (Volume, Eenheid, Frequentie)."""
    m = Message("jw", "301")
    M, B = m.M, m.B
    commitment = []
    if omvang is not None:
        volume, eenheid, frequentie = omvang
        commitment.append(
            M.Omvang(B.Volume(str(volume)), B.Eenheid(eenheid), B.Frequentie(frequentie))
        )
    if budget is not None:
        commitment.append(M.Budget(str(budget)))
    client = M.Client(
        *m.person(bsn, full_name=True),
        M.Contactgegevens(M.Contact(M.Soort("01"))),
        M.ToegewezenProducten(
            M.ToegewezenProduct(
                M.ToewijzingNummer(number),
                *([M.ReferentieAanbieder(reference)] if reference else []),
                *m.product(categorie, code),
                M.Toewijzingsdatum(allocated.isoformat()),
                M.Toewijzingstijd("09:00:00"),
                M.Ingangsdatum(allocated.isoformat()),
                *commitment,
            )
        ),
    )
    return _with_header(
        m, client, ident=ident, afzender=gemeente, ontvanger=aanbieder, dagtekening=allocated
    )


def start_305(
    *,
    bsn: str,
    number: str,
    started: date,
    gemeente: str = "9999",
    aanbieder: str = "12345678",
    ident: str = "T305-1",
    dagtekening: date | None = None,
    status: str = "1",
) -> bytes:
    m = Message("jw", "305")
    M, B = m.M, m.B
    person = m.person(bsn)
    client = M.Client(
        *person[:3],
        M.Naam(B.Geslachtsnaam(B.Achternaam("Jansen")), B.Voorletters("P")),
        M.StartProducten(
            M.StartProduct(
                M.ToewijzingNummer(number),
                M.Begindatum(started.isoformat()),
                M.StatusAanlevering(status),
            )
        ),
    )
    return _with_header(
        m,
        client,
        ident=ident,
        afzender=aanbieder,
        ontvanger=gemeente,
        dagtekening=dagtekening or started,
    )


def source_file_row(ingelezen_op=None):
    """The stored source file (id 1) that `declaration_row` lines point at."""
    from datetime import UTC, datetime

    from monitorbot.store import models

    return models.Bronbestand(
        id=1,
        bestandsnaam="t",
        sha256="1" * 64,
        soort="jw323",
        status="ingelezen",
        ingelezen_op=ingelezen_op or datetime(2025, 1, 1, tzinfo=UTC),
    )


def declaration_row(
    *,
    client: str,
    cents: int,
    month: date,
    declared: date,
    gemeente: str = "9999",
    perceel: str = "jeugd-ambulant",
):
    """A stored declaration line (one care month, file 1), for tests that seed the database."""
    from monitorbot.store import models

    return models.Declaratieregel(
        gemeente_code=gemeente,
        bestand_id=1,
        client_pseudoniem=client,
        wet="jw",
        productcategorie="45",
        productcode="45A01",
        perceel_id=perceel,
        aanbieder_agb="12345678",
        periode_begin=month,
        periode_eind=month.replace(day=28),
        zorgmaand=month,
        volume=1.0,
        eenheid="04",
        tarief_cents=abs(cents),
        bedrag_cents=cents,
        debet_credit="D" if cents >= 0 else "C",
        declaratiedatum=declared,
    )


def return_306(
    *,
    bsn: str,
    product_codes: list[str],
    header_codes: list[str] | None = None,
    ident: str = "R306-1",
    dagtekening: date = date(2024, 5, 3),
    returned: str = "T305-1",
    aanbieder: str = "12345678",
    gemeente: str = "9999",
    wet: str = "jw",
) -> bytes:
    """A technical return message on a 305 (its header keeps the 305's sender and receiver),
    with RetourCodes on the header, the client and the start product."""
    m = Message(wet, "306")
    M, B = m.M, m.B
    header = M.Header(
        M.BerichtCode("439" if wet == "jw" else "419"),
        M.BerichtVersie("3"),
        M.BerichtSubversie("2"),
        M.Afzender(aanbieder),
        M.Ontvanger(gemeente),
        M.BerichtIdentificatie(B.Identificatie(ident), B.Dagtekening(dagtekening.isoformat())),
        M.XsdVersie(B.BasisschemaXsdVersie("1.0.0"), B.BerichtXsdVersie("1.0.0")),
        M.IdentificatieRetour(returned),
        M.DagtekeningRetour((dagtekening.replace(day=1)).isoformat()),
        M.XsdVersieRetour(B.BasisschemaXsdVersie("1.0.0"), B.BerichtXsdVersie("1.0.0")),
        *([M.RetourCodes(*[M.RetourCode(c) for c in header_codes])] if header_codes else []),
    )
    client = M.Client(
        M.Bsn(bsn),
        M.Geboortedatum(B.Datum("2012-03-15")),
        M.Geslacht("1"),
        M.Naam(B.Geslachtsnaam(B.Achternaam("Jansen"))),
        M.StartProducten(
            M.StartProduct(
                M.ToewijzingNummer("4711"),
                M.Begindatum("2024-04-12"),
                M.StatusAanlevering("1"),
                M.RetourCodes(*[M.RetourCode(c) for c in product_codes]),
            )
        ),
        M.RetourCodes(M.RetourCode("0200")),
    )
    root = M.Bericht(header, client)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def request_315(
    *,
    bsn: str,
    reference: str,
    dagtekening: date,
    categorie: str = "45",
    code: str = "45A01",
    ident: str = "V315-1",
    gemeente: str = "9999",
    aanbieder: str = "12345678",
) -> bytes:
    """A provider's request for an allocation (315)."""
    m = Message("jw", "315")
    M, B = m.M, m.B
    client = M.Client(
        *m.person(bsn),
        M.AangevraagdeProducten(
            M.AangevraagdProduct(
                M.ReferentieAanbieder(reference),
                *m.product(categorie, code),
                M.ToewijzingIngangsdatum(dagtekening.isoformat()),
                M.Verwijzer(B.Type("02"), B.Naam("Huisarts"), B.ZorgverlenerCode("01234567")),
            )
        ),
    )
    return _with_header(
        m, client, ident=ident, afzender=aanbieder, ontvanger=gemeente, dagtekening=dagtekening
    )


def answer_319(
    *,
    reference: str,
    dagtekening: date,
    antwoord: str = "1",
    reden: str | None = "3",
    ident: str = "A319-1",
    gemeente: str = "9999",
    aanbieder: str = "12345678",
) -> bytes:
    """The municipality's answer on a request: refused (1, with a reason) or in onderzoek (2)."""
    m = Message("jw", "319")
    M = m.M
    parts = [M.ReferentieAanbieder(reference), M.VerzoekAntwoord(antwoord)]
    if reden is not None:
        parts.append(M.RedenAfwijzingVerzoek(reden))
    return _with_header(
        m,
        M.Antwoord(*parts),
        ident=ident,
        afzender=gemeente,
        ontvanger=aanbieder,
        dagtekening=dagtekening,
    )


def change_317(
    *,
    bsn: str,
    reference: str,
    dagtekening: date,
    number: str = "4711",
    ident: str = "W317-1",
    gemeente: str = "9999",
    aanbieder: str = "12345678",
    wet: str = "jw",
) -> bytes:
    """A provider's request to change an allocation (317): end it on a new date."""
    m = Message(wet, "317")
    M = m.M
    client = M.Client(
        M.Bsn(bsn),
        M.Verzoek(
            M.ReferentieAanbieder(reference),
            M.RedenVerzoek("1"),
            M.TeWijzigenProducten(
                M.TeWijzigenProduct(
                    M.ToewijzingNummer(number),
                    M.GewensteIngangsdatum(dagtekening.isoformat()),
                    M.Einddatum("2024-12-31"),
                )
            ),
        ),
    )
    return _with_header(
        m, client, ident=ident, afzender=aanbieder, ontvanger=gemeente, dagtekening=dagtekening
    )


def answer_325(
    *,
    declaration: str = "BER-0001",
    declared_on: date = date(2024, 3, 5),
    rejected: dict[str, list[str]] | None = None,
    clients: dict[str, dict[str, int]] | None = None,
    client_codes: dict[str, list[str]] | None = None,
    ingediend: int | None = None,
    toegekend: int | None = None,
    header_codes: tuple[str, ...] = ("0200",),
    declaration_codes: tuple[str, ...] = ("0200",),
    ident: str = "ANT-1",
    dagtekening: date = date(2024, 3, 20),
    gemeente: str = "9999",
    aanbieder: str = "12345678",
    wet: str = "jw",
    without_answer: bool = False,
) -> bytes:
    """A declaratie-antwoord on the 323 `declaration` of `declared_on`.

    `clients` maps a BSN to its listed Prestaties (reference -> amount in cents);
    `rejected` maps a reference to its retourcodes (default 0611 when listed there,
    0200 otherwise); `client_codes` gives a client's own codes. The totals default to
    consistent figures: `ingediend` must be given, `toegekend` is ingediend minus the
    listed rejected amounts unless given."""
    m = Message(wet, "325")
    M, B = m.M, m.B
    rejected = rejected or {}
    clients = clients or {}
    client_codes = client_codes or {}
    header = M.Header(
        M.BerichtCode("491" if wet == "jw" else "485"),
        M.BerichtVersie("3"),
        M.BerichtSubversie("2"),
        M.Afzender(gemeente),
        M.Ontvanger(aanbieder),
        M.BerichtIdentificatie(B.Identificatie(ident), B.Dagtekening(dagtekening.isoformat())),
        M.XsdVersie(B.BasisschemaXsdVersie("1.0.0"), B.BerichtXsdVersie("1.0.0")),
        M.DeclaratieIdentificatie(
            B.Identificatie(declaration), B.Dagtekening(declared_on.isoformat())
        ),
        M.XsdVersieDeclaratie(B.BasisschemaXsdVersie("1.0.0"), B.BerichtXsdVersie("1.0.0")),
        M.RetourCodes(*[M.RetourCode(c) for c in header_codes]),
    )
    if without_answer:
        root = M.Bericht(header)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    listed_rejected = 0
    client_elements = []
    for bsn, lines in clients.items():
        own = client_codes.get(bsn, ["0200"])
        items = []
        for ref, cents in lines.items():
            codes = rejected.get(ref, ["0200"])
            if any(c not in ("0200", "0233", "8001") for c in codes + own):
                listed_rejected += cents
            items.append(
                M.Prestatie(
                    M.ProductReferentie(B.ReferentieNummer(ref)),
                    M.ToewijzingNummer("123"),
                    M.ProductCategorie("45"),
                    M.ProductCode("45A01"),
                    M.ProductPeriode(B.Begindatum("2024-02-01"), B.Einddatum("2024-02-29")),
                    M.GeleverdVolume("1"),
                    M.Eenheid("04"),
                    M.ProductTarief(str(abs(cents))),
                    M.IngediendBedrag(B.Bedrag(str(abs(cents))), B.DebetCredit("D")),
                    M.RetourCodes(*[M.RetourCode(c) for c in codes]),
                )
            )
        client_elements.append(
            M.Client(
                M.Bsn(bsn),
                M.Prestaties(*items),
                M.RetourCodes(*[M.RetourCode(c) for c in own]),
            )
        )
    ingediend = 0 if ingediend is None else ingediend
    if toegekend is None:
        toegekend = ingediend - listed_rejected
    answer = M.DeclaratieAntwoord(
        M.DeclaratieNummer("DECL" + declaration.replace("-", "")[:8]),
        M.TotaalIngediendBedrag(B.TotaalBedrag(str(abs(ingediend))), B.DebetCredit("D")),
        M.TotaalToegekendBedrag(
            B.TotaalBedrag(str(abs(toegekend))), B.DebetCredit("D" if toegekend >= 0 else "C")
        ),
        *([M.Clienten(*client_elements)] if client_elements else []),
        M.RetourCodes(*[M.RetourCode(c) for c in declaration_codes]),
    )
    root = M.Bericht(header, answer)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def technical_return(
    wet: str,
    code: str,
    *,
    ident: str = "RET-1",
    returned: str = "ORIG-1",
    codes: tuple[str, ...] = ("0200",),
    dagtekening: date = date(2024, 5, 3),
    gemeente: str = "9999",
    aanbieder: str = "12345678",
) -> bytes:
    """A technical return message (302, 306, ..., 320) that judges the whole message in
    its header: the client part is optional in every one of them. Its header keeps the
    original's sender and receiver (302 and 320 judge what the municipality sent)."""
    m = Message(wet, code)
    M, B = m.M, m.B
    from_gemeente = code in ("302", "320")
    header = M.Header(
        M.BerichtCode(BERICHTCODES.get((wet, code), "999")),
        M.BerichtVersie("3"),
        M.BerichtSubversie("2"),
        M.Afzender(gemeente if from_gemeente else aanbieder),
        M.Ontvanger(aanbieder if from_gemeente else gemeente),
        M.BerichtIdentificatie(B.Identificatie(ident), B.Dagtekening(dagtekening.isoformat())),
        M.XsdVersie(B.BasisschemaXsdVersie("1.0.0"), B.BerichtXsdVersie("1.0.0")),
        M.IdentificatieRetour(returned),
        M.DagtekeningRetour(dagtekening.replace(day=1).isoformat()),
        M.XsdVersieRetour(B.BasisschemaXsdVersie("1.0.0"), B.BerichtXsdVersie("1.0.0")),
        M.RetourCodes(*[M.RetourCode(c) for c in codes]),
    )
    root = M.Bericht(header)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
