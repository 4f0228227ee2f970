"""Typed configuration: what admins and controllers write in `config/`.

Every model is strict about unknown keys (a misspelt key is an error, not a
silently ignored setting) and money is read into integer cents at the edge.
Cross-file checks (a budget naming an unknown perceel) use the validation
context, so the error still points at the offending key in its own file.
"""

from __future__ import annotations

import re
from datetime import date
from fnmatch import fnmatchcase
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    field_validator,
    model_validator,
)

from monitorbot.config.codes import NIET_INGEDEELD, PRODUCTCATEGORIEEN, Wet
from monitorbot.core.calendar import Peildatum
from monitorbot.core.money import MoneyError, euros_to_cents
from monitorbot.core.numbers import dutch_number


def _to_cents(value: Any) -> int:
    try:
        return euros_to_cents(value)
    except MoneyError as exc:
        raise ValueError(
            f"{exc}; schrijf euro's als getal (4984400, 1234.56) of als Nederlandse tekst "
            '("4.984.400", "1.234,56", "€ 25.000")'
        ) from None


#: No amount in config reaches € 10 miljard: a bigger one is a typo, and it would
#: overflow sums later (BIGINT cents).
MAX_CENTS = 10**12
EuroCents = Annotated[
    int,
    BeforeValidator(_to_cents),
    Field(ge=-MAX_CENTS, le=MAX_CENTS),
    PlainSerializer(lambda cents: cents / 100, return_type=float, when_used="json"),
]
"""A euro amount in config, held as integer cents. As JSON (a stored snapshot) it is
written in euros again, so reading it back through the same validator gives the same
cents: a float of at most 13 digits with two decimals survives the trip exactly."""
Getal = Annotated[float, BeforeValidator(dutch_number)]
"""Any other number in config: a YAML number, or Dutch text ("1.500", "2,5")."""
Geheel = Annotated[int, BeforeValidator(dutch_number)]

AGB_PATTERN = r"^[0-9]{8}$"
AgbCode = Annotated[str, Field(pattern=AGB_PATTERN)]
GemeenteCode = Annotated[str, Field(pattern=r"^[0-9]{4}$")]
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _known_perceel(value: str, info: ValidationInfo) -> str:
    known: list[str] | None = (info.context or {}).get("percelen")
    if known is not None and value not in known:
        raise ValueError(f"onbekend perceel {value!r}; toegestaan: {', '.join(known)}")
    return value


PerceelRef = Annotated[str, AfterValidator(_known_perceel)]
"""A perceel id that must exist in percelen.yaml (checked when the context has them)."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- percelen


class MappingRule(Strict):
    """Maps declaration lines of one wet/product category (optionally code/provider)."""

    wet: Wet
    productcategorie: list[str] = Field(min_length=1)
    productcode: str | None = None
    aanbieder: AgbCode | None = None

    @field_validator("productcategorie", mode="before")
    @classmethod
    def _categories_as_strings(cls, value: Any) -> Any:
        if isinstance(value, (str, int)):
            value = [value]
        return [f"{v:02d}" if isinstance(v, int) else v for v in value]

    @model_validator(mode="after")
    def _categories_exist_for_wet(self) -> MappingRule:
        allowed = PRODUCTCATEGORIEEN[self.wet]
        unknown = [c for c in self.productcategorie if c not in allowed]
        if unknown:
            raise ValueError(
                f"productcategorie {', '.join(unknown)} bestaat niet voor wet {self.wet}; "
                f"toegestaan: {', '.join(allowed)}"
            )
        return self

    @property
    def specificity(self) -> int:
        """Higher wins: provider + code > code > provider > category only."""
        return (2 if self.productcode else 0) + (1 if self.aanbieder else 0)

    def matches(self, wet: str, categorie: str, code: str, aanbieder: str | None) -> bool:
        if wet != self.wet or categorie not in self.productcategorie:
            return False
        if self.productcode and not fnmatchcase(code, self.productcode):
            return False
        return not (self.aanbieder and aanbieder != self.aanbieder)


class Perceel(Strict):
    id: str
    naam: str
    domein: Literal["jeugd", "wmo", "overig"]
    soort: Literal["zin", "pgb", "overig"]
    inkomsten: bool = False
    onderdeel_van: str | None = None
    regels: list[MappingRule] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("id moet een slug zijn: kleine letters, cijfers en '-'")
        if value == NIET_INGEDEELD:
            raise ValueError(f"{NIET_INGEDEELD!r} is het systeemperceel en wordt niet ingesteld")
        return value


class PercelenConfig(Strict):
    percelen: list[Perceel] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_unique_and_parents_known(self) -> PercelenConfig:
        seen: set[str] = set()
        for perceel in self.percelen:
            if perceel.id in seen:
                raise ValueError(f"perceel {perceel.id!r} staat er twee keer in")
            seen.add(perceel.id)
        by_id = {p.id: p for p in self.percelen}
        for perceel in self.percelen:
            parent = perceel.onderdeel_van
            if parent is None:
                continue
            if parent not in by_id:
                raise ValueError(
                    f"perceel {perceel.id!r}: onderdeel_van {parent!r} bestaat niet; "
                    f"toegestaan: {', '.join(by_id)}"
                )
            if by_id[parent].onderdeel_van is not None:
                raise ValueError(
                    f"perceel {perceel.id!r}: {parent!r} is zelf een onderdeel; "
                    "percelen rollen maar één niveau op"
                )
        return self

    @property
    def ids(self) -> list[str]:
        return [p.id for p in self.percelen]

    def get(self, perceel_id: str) -> Perceel:
        for perceel in self.percelen:
            if perceel.id == perceel_id:
                return perceel
        raise KeyError(perceel_id)

    def members(self, perceel_id: str) -> list[str]:
        """A perceel and its sub-percelen: what its line in a report adds up."""
        return [perceel_id, *(p.id for p in self.percelen if p.onderdeel_van == perceel_id)]

    def top_level(self, perceel_id: str) -> str:
        """The budget perceel a (finer) perceel rolls up into."""
        if perceel_id == NIET_INGEDEELD:
            return perceel_id
        return self.get(perceel_id).onderdeel_van or perceel_id

    def map_line(self, wet: str, categorie: str, code: str, aanbieder: str | None) -> str:
        """The perceel a declaration line belongs to, or the system perceel 'niet-ingedeeld'."""
        best: tuple[int, int, str] | None = None
        order = 0
        for perceel in self.percelen:
            for rule in perceel.regels:
                order += 1
                if rule.matches(wet, categorie, code, aanbieder):
                    candidate = (-rule.specificity, order, perceel.id)
                    if best is None or candidate < best:
                        best = candidate
        return best[2] if best else NIET_INGEDEELD


# --------------------------------------------------------------------------- deployment


class Schedule(Strict):
    inbox_scan_minuten: Getal = Field(default=5, gt=0, le=1440)
    maandcyclus_dag: Geheel = Field(default=10, ge=1, le=28)
    maandcyclus_tijd: str = Field(default="07:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    digest: Literal["wekelijks", "maandelijks"] = "maandelijks"
    digest_weekdag: Literal["ma", "di", "wo", "do", "vr"] = "ma"


class SmtpSettings(Strict):
    host: str = "localhost"
    port: int = Field(default=587, ge=1, le=65535)
    tls: Literal["starttls", "ssl", "geen"] = "starttls"
    gebruiker: str | None = None
    afzender: str = "monitorbot@localhost"
    ca_bestand: str | None = None  # PEM file with the CA of a server with an internal certificate


class InputLimits(Strict):
    """What one offered file may be (a file past a limit is refused by name, unread), and
    how many processes read it."""

    max_bestand_mb: Geheel = Field(default=4096, ge=1, le=65536)  # one file as offered
    max_lid_mb: Geheel = Field(default=4096, ge=1, le=65536)  # one zip member, unpacked
    max_compressie: Geheel = Field(default=400, ge=10, le=100_000)  # unpacked ÷ packed
    max_leden: Geheel = Field(default=100_000, ge=1, le=10_000_000)  # members of one zip
    # Processes that read a large declaration side by side (parts of whole clients, one
    # writer); empty: every core this process may use, 1: one process reads everything.
    processen: Geheel | None = Field(default=None, ge=1, le=64)


class RoleGrant(Strict):
    """A role in a gemeente that members of an identity provider's group get."""

    rol: Literal["lezer", "kernteam", "controller", "beheerder"]
    gemeente: str = Field(pattern=r"^[0-9]{4}$")


class OidcSettings(Strict):
    """Console login through OpenID Connect (Entra ID, for a municipality): the client
    secret comes from MONITORBOT_OIDC_CLIENT_SECRET, never from this file. Roles come
    only from `groepen`: a group the mapping does not name gives nothing."""

    naam: str = Field(default="Entra ID", min_length=1, max_length=40)  # on the button
    # https, except a provider on this machine (a test or development stand-in)
    issuer: str = Field(
        pattern=r"^(https://[^\s]+|http://(localhost|127\.0\.0\.1)(:[0-9]+)?(/[^\s]*)?)$"
    )
    client_id: str = Field(min_length=1)
    account_claim: str = "preferred_username"  # the account name shown and recorded
    groepen_claim: str = "groups"
    groepen: dict[str, list[RoleGrant]] = Field(min_length=1)


class Deployment(Strict):
    """`config/monitorbot.yaml`: where files go and when things run."""

    inbox: str = "inbox"
    archief: str = "archief"
    quarantaine: str = "quarantaine"
    rapporten: str = "rapporten"
    tijdzone: str = "Europe/Amsterdam"
    taal: str = "nl"  # only Dutch exists: every text people read is written in Dutch
    planning: Schedule = Field(default_factory=Schedule)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    metrics_poort: int = Field(default=9108, ge=0, le=65535)
    # The console inside `monitorbot run`, on 127.0.0.1 (None: not started; `monitorbot web`
    # serves it on its own).
    console_poort: int | None = Field(default=None, ge=1, le=65535)
    console_oidc: OidcSettings | None = None
    hoge_kosten_grens: EuroCents = Field(default=25_000_000, ge=0, description="€250.000 per jaar")
    invoer: InputLimits = Field(default_factory=InputLimits)

    @field_validator("taal")
    @classmethod
    def _only_dutch(cls, value: str) -> str:
        """A setting that is accepted and then ignored is worse than a refusal."""
        if value != "nl":
            raise ValueError(
                "alleen 'nl' bestaat: berichten, rapporten en de opdrachtregel zijn Nederlands; "
                "een vertaling is er (nog) niet"
            )
        return value

    @field_validator("tijdzone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("onbekende tijdzone; bv. Europe/Amsterdam") from None
        return value


# --------------------------------------------------------------------------- gemeente


class ConsoleChannel(Strict):
    type: Literal["console"]


class FileChannel(Strict):
    type: Literal["bestand"]
    map: str = "berichten-uit"


class SlackChannel(Strict):
    type: Literal["slack"]
    kanaal: str = Field(min_length=1)


class SlackWebhookChannel(Strict):
    type: Literal["slack_webhook"]
    webhook_env: str = "MONITORBOT_SLACK_WEBHOOK_URL"


class TeamsChannel(Strict):
    type: Literal["teams"]
    webhook_env: str = "MONITORBOT_TEAMS_WEBHOOK_URL"


class MattermostChannel(Strict):
    type: Literal["mattermost"]
    webhook_env: str = "MONITORBOT_MATTERMOST_WEBHOOK_URL"


class EmailChannel(Strict):
    type: Literal["email"]
    aan: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]] = Field(min_length=1)
    rapport_bijvoegen: bool = False


Channel = Annotated[
    ConsoleChannel
    | FileChannel
    | SlackChannel
    | SlackWebhookChannel
    | TeamsChannel
    | MattermostChannel
    | EmailChannel,
    Field(discriminator="type"),
]


class Aanbieder(Strict):
    agb: AgbCode
    naam: str


class Wachttijdnorm(Strict):
    perceel: PerceelRef
    dagen: Geheel = Field(gt=0, le=730)
    aanbieder: AgbCode | None = None


class Budgetindicatie(Strict):
    aanbieder: AgbCode
    jaar: int = Field(ge=2015, le=2100)
    bedrag: EuroCents


class KpiDoel(Strict):
    """A KPI target. `verblijf_vs_pleegzorg` names the percelen that count as groepsverblijf
    (`verblijf`) and as pleegzorg (`pleegzorg`); `doorlooptijd` may name a `perceel`."""

    kpi: Literal[
        "kosten_per_client", "aandeel_lokaal_team", "verblijf_vs_pleegzorg", "doorlooptijd"
    ]
    perceel: PerceelRef | None = None
    verblijf: list[PerceelRef] = Field(default_factory=list)
    pleegzorg: list[PerceelRef] = Field(default_factory=list)
    richting: Literal["<", ">", "<=", ">="]
    doel: Getal = Field(ge=0, le=10**9)

    @model_validator(mode="after")
    def _what_the_kpi_needs(self) -> KpiDoel:
        both = bool(self.verblijf) and bool(self.pleegzorg)
        if self.kpi == "verblijf_vs_pleegzorg" and not both:
            raise ValueError(
                "verblijf_vs_pleegzorg telt cliënten in groepsverblijf per 100 in pleegzorg: "
                "geef de percelen van elk, bv. verblijf: [jeugd-verblijf], pleegzorg: "
                "[jeugd-pleegzorg]"
            )
        if self.kpi != "verblijf_vs_pleegzorg" and (self.verblijf or self.pleegzorg):
            raise ValueError("verblijf en pleegzorg horen alleen bij kpi verblijf_vs_pleegzorg")
        if overlap := sorted(set(self.verblijf) & set(self.pleegzorg)):
            raise ValueError(
                f"{', '.join(overlap)} staat zowel bij verblijf als bij pleegzorg; een cliënt "
                "telt maar aan één kant"
            )
        if self.perceel is not None and self.kpi in (
            "verblijf_vs_pleegzorg",
            "aandeel_lokaal_team",
        ):
            raise ValueError(
                f"{self.kpi} geldt voor de hele gemeente: laat perceel weg (wordt niet gebruikt)"
            )
        if self.kpi == "kosten_per_client" and self.perceel is None:
            raise ValueError("kosten_per_client geldt per perceel: geef perceel")
        return self


class Indexatie(Strict):
    begroot: Getal = Field(ge=-20, le=50, description="procent")
    werkelijk: Getal | None = Field(default=None, ge=-20, le=50)

    @property
    def best_bekend(self) -> float:
        """The actual percentage once known, else the budgeted one."""
        return self.werkelijk if self.werkelijk is not None else self.begroot


def _known_perceel_or_standaard(value: str, info: ValidationInfo) -> str:
    return value if value == "standaard" else _known_perceel(value, info)


class Bevolking(Strict):
    """Inhabitants and youths (0–17) on 1 January of a year (CBS): what comparisons
    between municipalities are per 1.000 of."""

    inwoners: Geheel = Field(gt=0, le=20_000_000)
    jeugdigen: Geheel = Field(gt=0, le=5_000_000)

    @model_validator(mode="after")
    def _youths_among_inhabitants(self) -> Bevolking:
        if self.jeugdigen >= self.inwoners:
            raise ValueError(
                f"jeugdigen ({self.jeugdigen}) moeten minder zijn dan inwoners ({self.inwoners})"
            )
        return self


class GemeenteConfig(Strict):
    """`config/gemeenten/<code>-<naam>.yaml`."""

    code: GemeenteCode
    naam: str
    bevolking: dict[Annotated[int, Field(ge=2015, le=2100)], Bevolking] = Field(
        default_factory=dict
    )
    aanbieders: list[Aanbieder] = Field(default_factory=list)
    kanalen: dict[str, list[Channel]] = Field(default_factory=dict)
    digest_kanaal: str = "managers"  # which channel name receives the manager digest
    wachttijdnormen: list[Wachttijdnorm] = Field(default_factory=list)
    budgetindicaties: list[Budgetindicatie] = Field(default_factory=list)
    kpi_doelen: list[KpiDoel] = Field(default_factory=list)
    indexatie: dict[
        int, dict[Annotated[str, AfterValidator(_known_perceel_or_standaard)], Indexatie]
    ] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _digest_channel_exists(self) -> GemeenteConfig:
        if self.kanalen and self.digest_kanaal not in self.kanalen:
            raise ValueError(
                f"digest_kanaal {self.digest_kanaal!r} staat niet bij kanalen; "
                f"toegestaan: {', '.join(self.kanalen)}"
            )
        return self

    @model_validator(mode="after")
    def _providers_unique(self) -> GemeenteConfig:
        agbs = [a.agb for a in self.aanbieders]
        doubles = sorted({a for a in agbs if agbs.count(a) > 1})
        if doubles:
            raise ValueError(f"aanbieder(s) {', '.join(doubles)} staan er meer dan eens in")
        return self

    def bevolking_in(self, jaar: int) -> Bevolking | None:
        """The population of `jaar`, else of the latest year before it that is known
        (CBS publishes a year's figure months later); None before the first."""
        known = [j for j in self.bevolking if j <= jaar]
        return self.bevolking[max(known)] if known else None

    def met_contracten(self, regionaal: list[Aanbieder]) -> GemeenteConfig:
        """This gemeente with the providers its region contracts for it added: a member
        knows the region's providers by name without listing them itself."""
        own = {a.agb for a in self.aanbieders}
        extra = [a for a in regionaal if a.agb not in own]
        return self.model_copy(update={"aanbieders": [*self.aanbieders, *extra]}) if extra else self

    def aanbieder_naam(self, agb: str) -> str:
        for aanbieder in self.aanbieders:
            if aanbieder.agb == agb:
                return aanbieder.naam
        return f"AGB {agb}"

    def indexatie_voor(
        self, jaar: int, perceel: str, parent: str | None = None
    ) -> Indexatie | None:
        """Indexation for a perceel in a year: its own, its parent's, else `standaard`."""
        per_jaar = self.indexatie.get(jaar, {})
        for key in (perceel, parent, "standaard"):
            if key and key in per_jaar:
                return per_jaar[key]
        return None

    def indexatie_pct(self, jaar: int, perceel: str, parent: str | None = None) -> float:
        """The best-known indexation percentage (actual, else budgeted, else 0)."""
        entry = self.indexatie_voor(jaar, perceel, parent)
        return entry.best_bekend if entry is not None else 0.0


class RegioConfig(Strict):
    """`config/regio/<naam>.yaml`: municipalities that buy care together and compare
    themselves with each other every month.

    `aanbieders` are the contracts the members share: every member knows them by
    name. `kanalen` and `digest_kanaal` route the regional digest, as a gemeente's do.
    """

    naam: str = Field(min_length=2)
    leden: list[GemeenteCode] = Field(min_length=2)
    aanbieders: list[Aanbieder] = Field(default_factory=list)
    kanalen: dict[str, list[Channel]] = Field(default_factory=dict)
    digest_kanaal: str = "regio"

    @field_validator("leden", mode="before")
    @classmethod
    def _codes_as_text(cls, value: Any) -> Any:
        if isinstance(value, list) and any(isinstance(v, int) for v in value):
            raise ValueError('zet gemeentecodes tussen aanhalingstekens, bv. ["0399", "0400"]')
        return value

    @model_validator(mode="after")
    def _members_once(self) -> RegioConfig:
        doubles = sorted({c for c in self.leden if self.leden.count(c) > 1})
        if doubles:
            raise ValueError(f"lid/leden {', '.join(doubles)} staan er meer dan eens in")
        return self

    @model_validator(mode="after")
    def _digest_channel_exists(self) -> RegioConfig:
        if self.digest_kanaal not in self.kanalen:
            raise ValueError(
                f"digest_kanaal {self.digest_kanaal!r} staat niet bij kanalen; "
                f"toegestaan: {', '.join(self.kanalen) or 'geen (voeg kanalen toe)'}"
            )
        return self

    @model_validator(mode="after")
    def _providers_unique(self) -> RegioConfig:
        agbs = [a.agb for a in self.aanbieders]
        doubles = sorted({a for a in agbs if agbs.count(a) > 1})
        if doubles:
            raise ValueError(f"aanbieder(s) {', '.join(doubles)} staan er meer dan eens in")
        return self


# --------------------------------------------------------------------------- begroting


class PrognoseCorrectie(Strict):
    """A controller's prognosis for a perceel, replacing the model's from `datum` on.

    Corrections are added, never edited away: a later one for the same perceel
    takes over from its `datum`; `tot` ends one (that day included). Only what was
    dated before a peildatum applies there, so a replay never sees a correction
    nobody had yet; in a closed year none applies: its realisation is its figure.
    """

    perceel: PerceelRef
    prognose: EuroCents
    reden: str = Field(min_length=3)
    door: str = Field(min_length=2)
    datum: date
    tot: date | None = None

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> PrognoseCorrectie:
        if self.tot is not None and self.tot < self.datum:
            raise ValueError(f"tot ({self.tot}) ligt voor datum ({self.datum})")
        return self

    def geldt_op(self, peildatum: Peildatum) -> bool:
        """Known at the peildatum and not yet ended."""
        return self.datum < peildatum.grens and (
            self.tot is None or peildatum.laatste_dag <= self.tot
        )


class BegrotingVersie(Strict):
    """One version of a year's budget, as the council adopted it on `vastgesteld_op`."""

    versie: str = Field(min_length=1)
    vastgesteld_op: date
    bedragen: dict[PerceelRef, EuroCents] = Field(default_factory=dict)


class Begroting(Strict):
    """`config/begroting/<code>-<jaar>.yaml`: a year's budget versions and corrections, in euros.

    A peildatum sees the latest version adopted before it (the primitive budget
    in January, the one after the first interim report from July).
    """

    gemeente: GemeenteCode
    jaar: int = Field(ge=2015, le=2100)
    versies: list[BegrotingVersie] = Field(min_length=1)
    prognose_correcties: list[PrognoseCorrectie] = Field(default_factory=list)

    @field_validator("gemeente", mode="before")
    @classmethod
    def _code_as_text(cls, value: Any) -> Any:
        if isinstance(value, int):
            raise ValueError('zet de gemeentecode tussen aanhalingstekens, bv. "0399"')
        return value

    @model_validator(mode="after")
    def _versions_in_order(self) -> Begroting:
        dates = [v.vastgesteld_op for v in self.versies]
        if dates != sorted(set(dates)):
            raise ValueError(
                "versies staan in de volgorde waarin ze zijn vastgesteld, elk op een eigen "
                f"datum (nu: {', '.join(map(str, dates))})"
            )
        return self

    @model_validator(mode="after")
    def _one_correction_per_perceel_and_day(self) -> Begroting:
        keys = [(c.perceel, c.datum) for c in self.prognose_correcties]
        doubles = sorted({f"{p} op {d}" for p, d in keys if keys.count((p, d)) > 1})
        if doubles:
            raise ValueError(f"meer dan één prognose_correctie voor {', '.join(doubles)}")
        return self

    @property
    def laatste(self) -> BegrotingVersie:
        return self.versies[-1]

    def versie_op(self, peildatum: Peildatum) -> BegrotingVersie | None:
        """The latest version adopted before the peildatum's grens (None: not adopted yet)."""
        known = [v for v in self.versies if v.vastgesteld_op < peildatum.grens]
        return known[-1] if known else None

    def correcties_op(self, peildatum: Peildatum) -> dict[str, PrognoseCorrectie]:
        """Per perceel the latest correction that applies then; none once the year is closed."""
        if peildatum.year_closed(self.jaar):
            return {}
        applying: dict[str, PrognoseCorrectie] = {}
        for correction in sorted(self.prognose_correcties, key=lambda c: c.datum):
            if correction.geldt_op(peildatum):
                applying[correction.perceel] = correction
        return applying
