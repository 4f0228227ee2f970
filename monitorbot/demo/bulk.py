"""Large synthetic inputs for benchmarks: one 323 or one export with N lines.

Written as text in chunks (not with lxml trees) so that a 1,000,000-line file
is produced in seconds with little memory. Content is schema-valid and spread
over twelve care months, a few product categories and many clients, so the
ingest does its real work (mapping, month split, bulk insert).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

NS = "http://www.istandaarden.nl/ijw/3_2/jw323/schema"
BASIS = "http://www.istandaarden.nl/ijw/3_2/basisschema/schema"
PRODUCTS = (("45", "45A01", "04", 8900), ("43", "43A01", "14", 22200), ("54", "54A01", "04", 11500))
AFZENDER = "98990101"


def bsn_from_number(number: int) -> str:
    """A BSN that passes the 11-proef, derived deterministically from `number`."""
    candidate = 10_000_000 + number * 13
    while True:
        digits = f"{candidate % 100_000_000:08d}"
        check = sum(int(d) * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
        if check < 10 and digits != "00000000":
            return digits + str(check)
        candidate += 1


def _month_bounds(index: int) -> tuple[str, str]:
    month = index % 12 + 1
    last = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]
    return f"2025-{month:02d}-01", f"2025-{month:02d}-{last:02d}"


def _declaration_chunks(lines: int, per_client: int) -> Iterator[str]:
    total = 0
    body: list[str] = []
    done = client = 0
    while done < lines:
        client += 1
        parts = [f"<Client><Bsn>{bsn_from_number(client)}</Bsn><Prestaties>\n"]
        for _ in range(min(per_client, lines - done)):
            done += 1
            categorie, code, eenheid, tarief = PRODUCTS[done % len(PRODUCTS)]
            begin, end = _month_bounds(done)
            volume = 1 + done % 7
            total += volume * tarief
            parts.append(
                f"<Prestatie><ProductReferentie><b:ReferentieNummer>R{done}</b:ReferentieNummer>"
                f"</ProductReferentie><ToewijzingNummer>{100000 + client}</ToewijzingNummer>"
                f"<ProductCategorie>{categorie}</ProductCategorie><ProductCode>{code}"
                f"</ProductCode><ProductPeriode><b:Begindatum>{begin}</b:Begindatum>"
                f"<b:Einddatum>{end}</b:Einddatum></ProductPeriode><GeleverdVolume>{volume}"
                f"</GeleverdVolume><Eenheid>{eenheid}</Eenheid><ProductTarief>{tarief}"
                f"</ProductTarief><IngediendBedrag><b:Bedrag>{volume * tarief}</b:Bedrag>"
                "<b:DebetCredit>D</b:DebetCredit></IngediendBedrag></Prestatie>\n"
            )
        parts.append("</Prestaties></Client>\n")
        body.append("".join(parts))
        if len(body) >= 1000:
            yield "".join(body)
            body.clear()
    body.append("</Clienten></Declaratie></Bericht>\n")
    yield "".join(body)
    yield f"<!--totaal:{total}-->"


def write_large_declaration(
    path: Path, lines: int, *, ident: str = "BENCH1", per_client: int = 10
) -> None:
    """A JW323 with `lines` Prestaties for Demodorp (9999).

    The TotaalIngediendBedrag is only known at the end, so the header carries a
    placeholder of fixed width that is patched afterwards.
    """
    placeholder = "0" * 12
    header = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Bericht xmlns="{NS}" xmlns:b="{BASIS}">\n'
        "<Header><BerichtCode>490</BerichtCode><BerichtVersie>3</BerichtVersie>"
        f"<BerichtSubversie>2</BerichtSubversie><Afzender>{AFZENDER}</Afzender>"
        f"<Ontvanger>9999</Ontvanger><BerichtIdentificatie><b:Identificatie>{ident}"
        "</b:Identificatie><b:Dagtekening>2026-02-05</b:Dagtekening></BerichtIdentificatie>"
        "<XsdVersie><b:BasisschemaXsdVersie>1.0.0</b:BasisschemaXsdVersie>"
        "<b:BerichtXsdVersie>1.0.0</b:BerichtXsdVersie></XsdVersie></Header>\n"
        f"<Declaratie><DeclaratieNummer>{ident}</DeclaratieNummer><DeclaratiePeriode>"
        "<b:Begindatum>2025-01-01</b:Begindatum><b:Einddatum>2025-12-31</b:Einddatum>"
        "</DeclaratiePeriode><DeclaratieDagtekening>2026-02-05</DeclaratieDagtekening>"
        f"<TotaalIngediendBedrag><b:TotaalBedrag>{placeholder}</b:TotaalBedrag>"
        "<b:DebetCredit>D</b:DebetCredit></TotaalIngediendBedrag><Clienten>\n"
    )
    total = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(header)
        for chunk in _declaration_chunks(lines, per_client):
            if chunk.startswith("<!--totaal:"):
                total = int(chunk[len("<!--totaal:") : -3])
                continue
            out.write(chunk)
    with path.open("r+b") as out:
        out.seek(header.encode().index(placeholder.encode()))
        out.write(f"{total:012d}".encode())


EXPORT_HEADER = (
    "Clientnummer BSN;Naam cliënt;Toewijzingnummer;Productcategorie;Productcode;Begindatum;"
    "Einddatum;Volume;Eenheid;Tarief;Bedrag;Declaratiedatum;Referentie\n"
)


def write_large_export(path: Path, lines: int) -> None:
    """A backoffice export in Demodorp's `schoon-en-fris-backoffice` format (cp1252, `;`)."""
    with path.open("w", encoding="cp1252", newline="") as out:
        out.write(EXPORT_HEADER)
        rows: list[str] = []
        for n in range(1, lines + 1):
            begin, end = _month_bounds(n)
            day_begin = "-".join(reversed(begin.split("-")))
            day_end = "-".join(reversed(end.split("-")))
            volume = 1 + n % 9
            rows.append(
                f"{bsn_from_number(n // 3 + 1)};Testpersoon, B.;{200000 + n // 3};01;01H01;"
                f"{day_begin};{day_end};{volume};uur;26,40;{_dutch(volume * 2640)};"
                f"05-02-2026;B-{n}\n"
            )
            if len(rows) >= 10_000:
                out.write("".join(rows))
                rows.clear()
        out.write("".join(rows))


def _dutch(cents: int) -> str:
    euros, rest = divmod(cents, 100)
    return f"{euros:,}".replace(",", ".") + f",{rest:02d}"
