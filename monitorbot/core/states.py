"""Every state monitorbot stores or shows, as enums: the value is what the database holds,
the label is what a person reads.

States used to be bare strings whose documented lists drifted from the code. A
`StrEnum` compares equal to its value, so rows written before keep reading the
same; people never see a value, only `label` (Dutch).
"""

from __future__ import annotations

from enum import StrEnum


class Labeled(StrEnum):
    """A stored value with the Dutch label people read (`AlertStatus.FIRING.label`)."""

    label: str

    def __new__(cls, value: str, label: str | None = None) -> Labeled:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label if label is not None else value
        return member

    @classmethod
    def label_of(cls, value: str | None) -> str:
        """The label of a stored value; a value this version does not know reads as itself."""
        try:
            return cls(value).label
        except ValueError:
            return value or ""


class AlertStatus(Labeled):
    INACTIEF = "inactief", "niet actief"
    PENDING = "pending", "in afwachting"
    FIRING = "firing", "actief"
    RESOLVED = "resolved", "opgelost"


class Ernst(Labeled):
    WAARSCHUWING = "waarschuwing"
    KRITIEK = "kritiek"


#: Most severe first.
SEVERITY_ORDER: dict[str, int] = {Ernst.KRITIEK: 0, Ernst.WAARSCHUWING: 1}


class Melding(Labeled):
    """What a notification tells about an alert."""

    NIEUW = "nieuw"
    ERNSTIGER = "ernstiger"
    HERHALING = "herhaling", "speelt nog"
    OPGELOST = "opgelost"


class BestandStatus(Labeled):
    """What became of an input file."""

    INGELEZEN = "ingelezen"
    AL_INGELEZEN = "al ingelezen"
    GEWEIGERD = "geweigerd"
    VERVANGEN = "vervangen"  # an export whose period a later delivery of its source covers


class Zorgbericht(Labeled):
    """The care-flow messages an allocation's lifecycle is derived from."""

    VERZOEK = "315", "verzoek om toewijzing"
    TOEWIJZING = "301", "toewijzing"
    START = "305", "start zorg"
    STOP = "307", "stop zorg"
    WIJZIGING = "317", "verzoek om wijziging"
    ANTWOORD = "319", "antwoord op een verzoek"


#: LDT_VerzoekAntwoord: 1 the request is refused, 2 it is being looked into.
VERZOEK_AFGEWEZEN = "1"


class OutboxStatus(Labeled):
    WACHTEND = "wachtend"
    BEZIG = "bezig", "wordt verstuurd"
    VERZONDEN = "verzonden"
    MISLUKT = "mislukt", "mislukt, nieuwe poging volgt"
    PERMANENT = "permanent", "definitief mislukt"


class JobStatus(Labeled):
    BEZIG = "bezig"
    GESLAAGD = "geslaagd"
    DEELS_GEWEIGERD = "deels geweigerd"
    MISLUKT = "mislukt"
    OVERGESLAGEN = "overgeslagen"
    AFGEBROKEN = "afgebroken"


class Niveau(Labeled):
    """A row of the budget table: a perceel, a sub-perceel, a domain subtotal, the total."""

    PERCEEL = "perceel"
    ONDERDEEL = "onderdeel"
    DOMEIN = "domein"
    TOTAAL = "totaal"


class Bevindingsoort(Labeled):
    """Kinds of data-quality finding: the line is kept, the problem recorded next to it."""

    TOTAAL_MISMATCH = (
        "totaal_mismatch",
        "TotaalIngediendBedrag wijkt af van de som van de prestaties",
    )
    DUBBELE_PRODUCTREFERENTIE = (
        "dubbele_productreferentie",
        "zelfde ProductReferentie twee keer in één declaratie",
    )
    TARIEF_MAAL_VOLUME = "tarief_maal_volume", "tarief × volume is niet gelijk aan het bedrag"
    PERIODE_NA_DAGTEKENING = (
        "periode_na_dagtekening",
        "zorgperiode ligt na de dagtekening van de declaratie",
    )
    PERIODE_BUITEN_DECLARATIE = (
        "periode_buiten_declaratie",
        "ProductPeriode valt buiten de declaratieperiode",
    )
    BSN_11PROEF = "bsn_11proef", "BSN voldoet niet aan de 11-proef"
    ONBEKENDE_ONTVANGER = "onbekende_ontvanger", "ontvanger is geen geconfigureerde gemeente"
    ONBEKENDE_PRODUCTCATEGORIE = "onbekende_productcategorie", "productcategorie onbekend"
    NIET_INGEDEELD = "niet_ingedeeld", "productcode valt onder geen enkel perceel"
    CREDIT_ZONDER_DEBET = "credit_zonder_debet", "creditregel zonder bijbehorende debetregel"
    NIET_GEVALIDEERD = (
        "niet_gevalideerd",
        "niet gevalideerd (schema ontbreekt): bewaard, telt nergens mee",
    )
    ONLEESBARE_RIJ = "onleesbare_rij", "rij in export kon niet worden gelezen"
    ANTWOORD_ZONDER_DECLARATIE = (
        "antwoord_zonder_declaratie",
        "declaratie-antwoord op een declaratie die (nog) niet is ingelezen",
    )
    ANTWOORD_TELT_NIET_OP = (
        "antwoord_telt_niet_op",
        "totalen van het declaratie-antwoord kloppen niet met de afgewezen prestaties",
    )
    AFWIJZING_ZONDER_REGEL = (
        "afwijzing_zonder_regel",
        "afgewezen prestatie staat niet in de declaratie",
    )
    TWEEDE_ANTWOORD = "tweede_antwoord", "tweede declaratie-antwoord op dezelfde declaratie"
    EXPORT_VERVANGEN = (
        "export_vervangen",
        "een nieuwe levering van dezelfde bron en periode vervangt een eerdere export",
    )
    MAANDTOTAAL_VERVANGEN = (
        "maandtotaal_vervangen",
        "een nieuwe levering vervangt eerder ingelezen maandtotalen",
    )


class Rol(Labeled):
    """What a console account may do in one gemeente; each role includes the ones above it."""

    LEZER = "lezer", "lezer (managers: alleen kijken)"
    KERNTEAM = "kernteam", "kernteam (signaleringen bevestigen)"
    CONTROLLER = "controller", "controller (stiltes, regels, correcties)"
    BEHEERDER = "beheerder", "beheerder (accounts)"

    @property
    def rang(self) -> int:
        return list(Rol).index(self)

    def mag(self, nodig: Rol) -> bool:
        """Whether this role includes `nodig` (a controller may do what the kernteam may)."""
        return self.rang >= nodig.rang
