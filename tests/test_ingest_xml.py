"""The iJw/iWmo message reader: exact records, whole-file refusals, no personal data out."""

from __future__ import annotations

import hashlib
import hmac
import time
import traceback
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from monitorbot.core.privacy import DEMO_KEY, Pseudonymizer
from monitorbot.ingest import xml_messages
from monitorbot.ingest.errors import RejectedInput
from monitorbot.ingest.xml_messages import (
    DeclaratieHeader,
    MessageHeader,
    Prestatie,
    StartZorg,
    StopZorg,
    Toewijzing,
    VerzoekToewijzing,
    parse_message,
    sniff_message,
)
from tests.messages import Message, prestatie

PSEUDONYMIZE = Pseudonymizer(DEMO_KEY)
BSN_A = "111222333"  # passes the 11-check
BSN_B = "123456782"  # passes the 11-check
BSN_BAD = "123456789"  # fails the 11-check


def pseudonym(bsn: str) -> str:
    """Independent HMAC-SHA256 computation, to check the Pseudonymizer as well."""
    return hmac.new(DEMO_KEY, bsn.encode(), hashlib.sha256).hexdigest()[:32]


# --------------------------------------------------------------------------- message builders


def declaratie(
    m: Message,
    clients: list[tuple[str, list]],
    totaal: str = "78000",
    dc: str = "D",
    begin: str = "2026-01-01",
):
    M, B = m.M, m.B
    return M.Declaratie(
        M.DeclaratieNummer("DECL0001"),
        M.DeclaratiePeriode(B.Begindatum(begin), B.Einddatum("2026-01-31")),
        M.DeclaratieDagtekening("2026-02-05"),
        M.TotaalIngediendBedrag(B.TotaalBedrag(totaal), B.DebetCredit(dc)),
        M.Clienten(*[M.Client(M.Bsn(bsn), M.Prestaties(*items)) for bsn, items in clients]),
    )


def jw323(**changes: str) -> bytes:
    """A small declaration: two clients, three Prestaties, one of them a credit."""
    m = Message("jw", "323")
    first = prestatie(m, "REF-1", begin=changes.get("begin", "2026-01-01"))
    second = prestatie(
        m,
        "REF-2",
        vorig="REF-0",
        tarief=None,
        bedrag="11000",
        dc="C",
        toewijzing="000456",
        code="45A02",
    )
    third = prestatie(
        m,
        "REF-3",
        categorie="54",
        code="54001",
        volume="3",
        eenheid="14",
        begin="2025-12-15",
        end="2026-01-14",
        bedrag="0",
    )
    return m.to_bytes(
        declaratie(m, [(changes.get("bsn", BSN_A), [first, second]), (BSN_BAD, [third])])
    )


def line_of(data: bytes, needle: str, occurrence: int = 1) -> int:
    position = -1
    for _ in range(occurrence):
        position = data.index(needle.encode(), position + 1)
    return data[:position].count(b"\n") + 1


def parse_all(data: bytes, filename: str = "declaratie.xml"):
    parsed = parse_message(data, filename=filename, pseudonymize=PSEUDONYMIZE)
    return parsed.header, list(parsed.records)


def rejection(data: bytes, filename: str = "declaratie.xml") -> RejectedInput:
    with pytest.raises(RejectedInput) as caught:
        parse_all(data, filename)
    return caught.value


# --------------------------------------------------------------------------- sniffing


def test_message_type_comes_from_the_root_namespace_not_the_file_name(tmp_path: Path):
    path = tmp_path / "toewijzing_301.xml"
    path.write_bytes(jw323())
    assert sniff_message(path) == ("jw", "323")
    assert sniff_message(Message("wmo", "301").to_bytes()) == ("wmo", "301")


def test_sniffing_reads_only_up_to_the_root_element():
    assert sniff_message(jw323()[:200]) == ("jw", "323")


def test_an_unknown_namespace_is_refused_naming_it_and_the_known_ones():
    data = jw323().replace(b"jw323/schema", b"jw399/schema")
    error = rejection(data)
    problem = error.problems[0]
    assert problem.value == "http://www.istandaarden.nl/ijw/3_2/jw399/schema"
    assert "http://www.istandaarden.nl/ijw/3_2/jw323/schema" in problem.reason
    assert "http://www.istandaarden.nl/iwmo/3_2/wmo301/schema" in problem.reason
    assert problem.line == 2


# --------------------------------------------------------------------------- 323


def test_a_declaration_yields_its_header_first_then_every_prestatie_exactly():
    data = jw323()
    header, records = parse_all(data)
    assert header == MessageHeader(
        wet="jw",
        berichttype="323",
        afzender="12345678",
        ontvanger="0384",
        bericht_identificatie="BER-0001",
        dagtekening=date(2026, 2, 5),
    )
    assert records[0] == DeclaratieHeader(
        declaratienummer="DECL0001",
        periode_begin=date(2026, 1, 1),
        periode_eind=date(2026, 1, 31),
        dagtekening=date(2026, 2, 5),
        totaal_cents=78000,
        line=line_of(data, "<Declaratie>"),
    )
    assert records[1:] == [
        Prestatie(
            client=pseudonym(BSN_A),
            bsn_valid=True,
            productreferentie="REF-1",
            vorig_referentienummer=None,
            toewijzingnummer="123",
            productcategorie="45",
            productcode="45A01",
            periode_begin=date(2026, 1, 1),
            periode_eind=date(2026, 1, 31),
            volume=10,
            eenheid="04",
            tarief_cents=8900,
            bedrag_cents=89000,
            debet_credit="D",
            line=line_of(data, "<Prestatie>", 1),
        ),
        Prestatie(
            client=pseudonym(BSN_A),
            bsn_valid=True,
            productreferentie="REF-2",
            vorig_referentienummer="REF-0",
            toewijzingnummer="456",
            productcategorie="45",
            productcode="45A02",
            periode_begin=date(2026, 1, 1),
            periode_eind=date(2026, 1, 31),
            volume=10,
            eenheid="04",
            tarief_cents=None,
            bedrag_cents=-11000,
            debet_credit="C",
            line=line_of(data, "<Prestatie>", 2),
        ),
        Prestatie(
            client=pseudonym(BSN_BAD),
            bsn_valid=False,
            productreferentie="REF-3",
            vorig_referentienummer=None,
            toewijzingnummer="123",
            productcategorie="54",
            productcode="54001",
            periode_begin=date(2025, 12, 15),
            periode_eind=date(2026, 1, 14),
            volume=3,
            eenheid="14",
            tarief_cents=8900,
            bedrag_cents=0,
            debet_credit="D",
            line=line_of(data, "<Prestatie>", 3),
        ),
    ]


def test_no_clear_bsn_is_kept_in_any_record():
    _, records = parse_all(jw323())
    text = repr(records)
    assert BSN_A not in text and BSN_BAD not in text


def test_a_credit_declaration_total_is_negative():
    m = Message("wmo", "323")
    item = prestatie(m, "R1", categorie="02", code="02A05", bedrag="5000", dc="C")
    header, records = parse_all(m.to_bytes(declaratie(m, [(BSN_B, [item])], "5000", "C")))
    assert header.wet == "wmo"
    assert records[0].totaal_cents == -5000
    assert records[1].bedrag_cents == -5000


def test_surrounding_whitespace_and_leading_zeros_are_normalised():
    m = Message("jw", "323")
    item = prestatie(m, "R1", toewijzing=" 000789 ", begin=" 2026-01-02\n", bedrag=" 100 ")
    _, records = parse_all(m.to_bytes(declaratie(m, [(BSN_A, [item])], "100")))
    assert (records[1].toewijzingnummer, records[1].periode_begin, records[1].bedrag_cents) == (
        "789",
        date(2026, 1, 2),
        100,
    )


def test_a_file_path_is_read_the_same_as_bytes(tmp_path: Path):
    path = tmp_path / "bericht.xml"
    path.write_bytes(jw323())
    with parse_message(path, filename="bericht.xml", pseudonymize=PSEUDONYMIZE) as parsed:
        from_file = list(parsed.records)
    assert from_file == parse_all(jw323())[1]


def test_closing_a_message_half_read_closes_the_file(tmp_path: Path):
    path = tmp_path / "bericht.xml"
    path.write_bytes(jw323())
    with parse_message(path, filename="bericht.xml", pseudonymize=PSEUDONYMIZE) as parsed:
        next(parsed.records)
    assert parsed._stream._file is None


# --------------------------------------------------------------------------- 301, 305, 307, 315


def test_an_allocation_yields_one_toewijzing_per_product_with_only_an_age_band():
    m = Message("jw", "301")
    M, B = m.M, m.B
    relatie = M.Relaties(
        M.Relatie(
            M.Nummer("1"),
            M.Soort("03"),
            M.Geboortedatum(B.Datum("1950-01-01")),
            M.Naam(B.Geslachtsnaam(B.Achternaam("Jansen")), B.NaamGebruik("1")),
            M.Contact(M.Soort("01")),
        )
    )
    contact = M.Contactgegevens(
        M.Contact(
            M.Soort("01"),
            M.Adres(
                B.Huis(B.Huisnummer("12")),
                B.Postcode("1234AB"),
                B.Straatnaam("Dorpsstraat"),
                B.Plaatsnaam("Demodorp"),
            ),
        )
    )
    first = M.ToegewezenProduct(
        M.ToewijzingNummer("1001"),
        M.ReferentieAanbieder("AANVR-7"),
        *m.product("45", "45A01"),
        M.Toewijzingsdatum("2026-01-10"),
        M.Toewijzingstijd("10:15:00"),
        M.Ingangsdatum("2026-02-01"),
        M.Einddatum("2026-12-31"),
        M.RedenWijziging("01"),
    )
    second = M.ToegewezenProduct(
        M.ToewijzingNummer("1002"),
        M.Toewijzingsdatum("2026-03-14"),
        M.Toewijzingstijd("09:00:00"),
        M.Ingangsdatum("2026-03-14"),
    )
    client = M.Client(
        *m.person(BSN_A, birth="2012-03-15", full_name=True),
        relatie,
        contact,
        M.ToegewezenProducten(first, second),
    )
    data = m.to_bytes(client)
    header, records = parse_all(data, "toewijzing.xml")
    assert (header.afzender, header.ontvanger) == ("0384", "12345678")
    assert records == [
        Toewijzing(
            client=pseudonym(BSN_A),
            toewijzingnummer="1001",
            referentie_aanbieder="AANVR-7",
            productcategorie="45",
            productcode="45A01",
            toewijzingsdatum=date(2026, 1, 10),
            ingangsdatum=date(2026, 2, 1),
            einddatum=date(2026, 12, 31),
            reden_wijziging="01",
            age_band="12-17",
            line=line_of(data, "<ToegewezenProduct>", 1),
        ),
        Toewijzing(
            client=pseudonym(BSN_A),
            toewijzingnummer="1002",
            referentie_aanbieder=None,
            productcategorie=None,
            productcode=None,
            toewijzingsdatum=date(2026, 3, 14),
            ingangsdatum=date(2026, 3, 14),
            einddatum=None,
            reden_wijziging=None,
            age_band="12-17",
            line=line_of(data, "<ToegewezenProduct>", 2),
        ),
    ]
    text = repr(records)
    for personal in ("Jansen", "Dorpsstraat", "1234AB", "2012", BSN_A):
        assert personal not in text


def test_age_band_is_taken_on_the_allocation_date():
    m = Message("wmo", "301")
    M = m.M
    product = M.ToegewezenProduct(
        M.ToewijzingNummer("5"),
        M.Toewijzingsdatum("2026-03-14"),
        M.Toewijzingstijd("09:00:00"),
        M.Ingangsdatum("2026-03-14"),
    )
    client = M.Client(
        *m.person(BSN_A, birth="2008-03-15", full_name=True),
        M.Contactgegevens(M.Contact(M.Soort("01"))),
        M.ToegewezenProducten(product),
    )
    _, records = parse_all(m.to_bytes(client))
    assert records[0].age_band == "12-17"  # 18 only the next day


def test_start_zorg_records():
    m = Message("jw", "305")
    M = m.M
    products = M.StartProducten(
        M.StartProduct(
            M.ToewijzingNummer("1001"),
            *m.product("45", "45A01"),
            M.ToewijzingIngangsdatum("2026-02-01"),
            M.Begindatum("2026-02-20"),
            M.StatusAanlevering("1"),
        ),
        M.StartProduct(M.Begindatum("2026-02-21"), M.StatusAanlevering("3")),
    )
    data = m.to_bytes(M.Client(*m.person(BSN_B), products))
    _, records = parse_all(data, "start.xml")
    assert records == [
        StartZorg(
            client=pseudonym(BSN_B),
            toewijzingnummer="1001",
            productcategorie="45",
            productcode="45A01",
            begindatum=date(2026, 2, 20),
            line=line_of(data, "<StartProduct>", 1),
            status_aanlevering="1",
        ),
        StartZorg(
            client=pseudonym(BSN_B),
            toewijzingnummer=None,
            productcategorie=None,
            productcode=None,
            begindatum=date(2026, 2, 21),
            line=line_of(data, "<StartProduct>", 2),
            status_aanlevering="3",
        ),
    ]


def test_stop_zorg_records():
    m = Message("wmo", "307")
    M = m.M
    products = M.StopProducten(
        M.StopProduct(
            M.ToewijzingNummer("77"),
            *m.product("02", None),
            M.Begindatum("2025-05-01"),
            M.RedenBeeindiging("02"),
            M.Einddatum("2026-01-31"),
            M.StatusAanlevering("1"),
        )
    )
    data = m.to_bytes(M.Client(*m.person(BSN_B), products))
    _, records = parse_all(data, "stop.xml")
    assert records == [
        StopZorg(
            client=pseudonym(BSN_B),
            toewijzingnummer="77",
            productcategorie="02",
            productcode=None,
            begindatum=date(2025, 5, 1),
            einddatum=date(2026, 1, 31),
            reden_beeindiging="02",
            line=line_of(data, "<StopProduct>"),
            status_aanlevering="1",
        ),
    ]


def test_verzoek_om_toewijzing_records_keep_the_referrer_type_not_its_name():
    m = Message("jw", "315")
    M, B = m.M, m.B
    products = M.AangevraagdeProducten(
        M.AangevraagdProduct(
            M.ReferentieAanbieder("AANVR-7"),
            *m.product("54", "54001"),
            M.ToewijzingIngangsdatum("2026-02-01"),
            M.Verwijzer(
                B.Type("02"), B.Naam("Huisartsenpraktijk De Linde"), B.ZorgverlenerCode("01234567")
            ),
        )
    )
    data = m.to_bytes(M.Client(*m.person(BSN_A), products))
    _, records = parse_all(data, "verzoek.xml")
    assert records == [
        VerzoekToewijzing(
            client=pseudonym(BSN_A),
            referentie_aanbieder="AANVR-7",
            productcategorie="54",
            productcode="54001",
            toewijzing_ingangsdatum=date(2026, 2, 1),
            verwijzer_type="02",
            line=line_of(data, "<AangevraagdProduct>"),
        ),
    ]
    assert "Linde" not in repr(records)


# --------------------------------------------------------------------------- refusals


def test_an_impossible_date_names_file_line_element_and_value():
    data = jw323(begin="2027-06-31")
    error = rejection(data)
    assert str(error.problems[0]) == (
        f"declaratie.xml, regel {line_of(data, '2027-06-31')}, element Begindatum, "
        "waarde '2027-06-31': geen geldige datum (LDT_Datum)"
    )


def test_a_bsn_in_an_error_is_never_shown():
    data = jw323(bsn="12345678X")
    error = rejection(data)
    problem = error.problems[0]
    assert (problem.element, problem.value, problem.line) == (
        "Bsn",
        "<bsn verborgen>",
        line_of(data, "12345678X"),
    )
    assert problem.reason == "voldoet niet aan het voorgeschreven patroon [0-9]{9}"
    shown = "".join(traceback.format_exception(error)) + repr(error.problems)
    assert "12345678" not in shown
    assert error.__context__ is None and error.__cause__ is None


def test_a_birth_date_in_an_error_is_never_shown():
    m = Message("jw", "305")
    M = m.M
    products = M.StartProducten(
        M.StartProduct(M.Begindatum("2026-02-20"), M.StatusAanlevering("1"))
    )
    data = m.to_bytes(M.Client(*m.person(BSN_B, birth="2011-02-30"), products))
    problem = rejection(data).problems[0]
    assert (problem.element, problem.value) == ("Datum", "<persoonsgegeven verborgen>")
    assert "2011-02-30" not in str(problem)


def test_a_file_that_is_not_well_formed_is_refused_with_its_line():
    data = jw323()
    broken = data.replace(b"</ProductCode>", b"</ProductKode>", 1)
    problem = rejection(broken).problems[0]
    assert problem.line == line_of(data, "</ProductCode>")
    assert problem.element == "ProductCode"
    assert problem.reason.startswith("XML is niet goed gevormd: <ProductCode>")


def test_a_truncated_file_is_refused_as_incomplete():
    data = jw323()
    problem = rejection(data[: data.index(b"REF-3")]).problems[0]
    assert problem.reason.startswith("XML is niet goed gevormd: het bestand houdt op voordat")


def test_an_element_out_of_place_is_named_with_what_was_expected():
    data = jw323().replace(b"<Eenheid>14</Eenheid>", b"")
    problem = rejection(data).problems[0]
    assert (problem.line, problem.element, problem.reason) == (
        line_of(data, "<ProductTarief>", 2),
        "ProductTarief",
        "element hoort hier niet; verwacht: Eenheid",
    )


def test_a_repeated_element_points_at_the_repetition():
    data = jw323()
    second = data.index(b"<Eenheid>04</Eenheid>", data.index(b"REF-2"))
    data = data[:second] + b"<Eenheid>04</Eenheid>" + data[second:]
    problem = rejection(data).problems[0]
    assert (problem.line, problem.element) == (line_of(data, "<Eenheid>", 2), "Eenheid")


def test_a_missing_child_points_at_the_incomplete_parent():
    data = jw323().replace(b"<b:DebetCredit>C</b:DebetCredit>", b"")
    problem = rejection(data).problems[0]
    assert (problem.line, problem.element, problem.reason) == (
        line_of(data, "<IngediendBedrag>", 2),
        "IngediendBedrag",
        "verplicht element ontbreekt: DebetCredit",
    )


def test_a_wrong_code_lists_the_allowed_ones():
    data = jw323().replace(b"<b:DebetCredit>C</b:DebetCredit>", b"<b:DebetCredit>K</b:DebetCredit>")
    problem = rejection(data).problems[0]
    assert (problem.element, problem.value, problem.reason) == (
        "DebetCredit",
        "K",
        "geen toegestane code; toegestaan: C, D",
    )


def test_a_value_too_long_is_shown_with_its_length():
    data = jw323().replace(b"45A02", b"45A02XYZ")
    problem = rejection(data).problems[0]
    assert (problem.element, problem.value, problem.reason) == (
        "ProductCode",
        "45A02XYZ",
        "lengte 8 tekens, toegestaan maximaal 5",
    )
    assert problem.line == line_of(data, "45A02XYZ")


def test_a_date_the_schema_allows_but_python_cannot_hold_is_refused():
    data = jw323(begin="12026-01-01")
    problem = rejection(data).problems[0]
    assert (problem.line, problem.element, problem.value) == (
        line_of(data, "12026-01-01"),
        "Begindatum",
        "12026-01-01",
    )


def test_a_late_error_is_raised_after_earlier_records_so_the_file_is_one_unit():
    m = Message("jw", "323")
    items = [prestatie(m, f"R{i}", bedrag="100") for i in range(3000)]
    items.append(prestatie(m, "LAST", begin="2026-02-30"))
    data = m.to_bytes(declaratie(m, [(BSN_A, items)], "300000"))
    parsed = parse_message(data, filename="groot.xml", pseudonymize=PSEUDONYMIZE)
    seen = 0
    with pytest.raises(RejectedInput) as caught:
        for _ in parsed.records:
            seen += 1
    assert seen > 1000
    assert caught.value.problems[0].line == line_of(data, "2026-02-30")


def test_external_entities_are_not_read(tmp_path: Path):
    secret = tmp_path / "geheim.txt"
    secret.write_text("GEHEIM")
    data = (
        jw323()
        .replace(
            b"<?xml version='1.0' encoding='UTF-8'?>",
            (
                '<?xml version="1.0"?>\n'
                f'<!DOCTYPE Bericht [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
            ).encode(),
        )
        .replace(b"REF-1", b"&x;")
    )
    try:
        _, records = parse_all(data)
        shown = repr(records)
    except RejectedInput as error:
        shown = str(error)
    assert "GEHEIM" not in shown


# --------------------------------------------------------------------------- scale


def large_jw323(prestaties: int, per_client: int = 10) -> Iterator[bytes]:
    """A valid JW323 with many Prestaties, in chunks (for memory and speed checks)."""
    ns = "http://www.istandaarden.nl/ijw/3_2/jw323/schema"
    basis = "http://www.istandaarden.nl/ijw/3_2/basisschema/schema"
    yield (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Bericht xmlns="{ns}" xmlns:b="{basis}">\n'
        "<Header><BerichtCode>490</BerichtCode><BerichtVersie>3</BerichtVersie>"
        "<BerichtSubversie>2</BerichtSubversie><Afzender>12345678</Afzender>"
        "<Ontvanger>0384</Ontvanger><BerichtIdentificatie><b:Identificatie>B1</b:Identificatie>"
        "<b:Dagtekening>2026-02-05</b:Dagtekening></BerichtIdentificatie><XsdVersie>"
        "<b:BasisschemaXsdVersie>1.0.0</b:BasisschemaXsdVersie>"
        "<b:BerichtXsdVersie>1.0.0</b:BerichtXsdVersie></XsdVersie></Header>\n"
        "<Declaratie><DeclaratieNummer>D1</DeclaratieNummer><DeclaratiePeriode>"
        "<b:Begindatum>2026-01-01</b:Begindatum><b:Einddatum>2026-01-31</b:Einddatum>"
        "</DeclaratiePeriode><DeclaratieDagtekening>2026-02-05</DeclaratieDagtekening>"
        f"<TotaalIngediendBedrag><b:TotaalBedrag>{prestaties * 8900}</b:TotaalBedrag>"
        "<b:DebetCredit>D</b:DebetCredit></TotaalIngediendBedrag><Clienten>\n"
    ).encode()
    done = 0
    client = 0
    while done < prestaties:
        client += 1
        lines = [f"<Client><Bsn>{100000000 + client:09d}</Bsn><Prestaties>\n"]
        for _ in range(min(per_client, prestaties - done)):
            done += 1
            lines.append(
                f"<Prestatie><ProductReferentie><b:ReferentieNummer>R{done}"
                f"</b:ReferentieNummer></ProductReferentie><ToewijzingNummer>{done}"
                "</ToewijzingNummer><ProductCategorie>45</ProductCategorie><ProductCode>45A01"
                "</ProductCode><ProductPeriode><b:Begindatum>2026-01-01</b:Begindatum>"
                "<b:Einddatum>2026-01-31</b:Einddatum></ProductPeriode><GeleverdVolume>1"
                "</GeleverdVolume><Eenheid>04</Eenheid><ProductTarief>8900</ProductTarief>"
                "<IngediendBedrag><b:Bedrag>8900</b:Bedrag><b:DebetCredit>D</b:DebetCredit>"
                "</IngediendBedrag></Prestatie>\n"
            )
        lines.append("</Prestaties></Client>\n")
        yield "".join(lines).encode()
    yield b"</Clienten></Declaratie></Bericht>\n"


def test_memory_stays_bounded_while_streaming():
    data = b"".join(large_jw323(20_000, per_client=5_000))
    parsed = parse_message(data, filename="groot.xml", pseudonymize=PSEUDONYMIZE)
    largest_tree = 0
    total = 0
    for index, record in enumerate(parsed.records):
        total += record.bedrag_cents if isinstance(record, Prestatie) else 0
        if index % 997 == 0 and parsed._stream._root is not None:
            largest_tree = max(largest_tree, sum(1 for _ in parsed._stream._root.iter()))
    assert total == 20_000 * 8900
    assert largest_tree < 2_000  # what the parser read ahead, not 20,000 × 20 elements


def test_the_schemas_ship_inside_the_package():
    folder = xml_messages.SCHEMA_DIR
    assert folder.is_relative_to(Path(xml_messages.__file__).parent)
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.xsd"))
    official = Path(__file__).resolve().parents[2] / "shared" / "istandaarden" / "xsd"
    assert names == sorted(p.relative_to(official).as_posix() for p in official.rglob("*.xsd"))
    for name in names:  # every official schema, unchanged
        assert (folder / name).read_bytes() == (official / name).read_bytes(), name


@pytest.mark.slow
def test_a_large_declaration_streams_fast_enough():
    """200,000 Prestaties: the lead's target is ≥ 50,000/s; the floor here allows a busy CI."""
    data = b"".join(large_jw323(200_000))
    started = time.perf_counter()
    with parse_message(data, filename="groot.xml", pseudonymize=PSEUDONYMIZE) as parsed:
        count = sum(isinstance(record, Prestatie) for record in parsed.records)
    elapsed = time.perf_counter() - started
    assert count == 200_000
    assert count / elapsed > 15_000
