"""The database schema, as typed SQLAlchemy 2 models.

Alembic migrations own the schema (`monitorbot db upgrade`); these models are
what the code reads and writes. Conventions:
- every row that belongs to a municipality carries `gemeente_code` (CBS code) and
  every query filters on it: several municipalities share one database;
- money is `BigInteger` cents, signed (credit lines are negative);
- no BSN, name, address or birth date is ever stored: clients are a keyed pseudonym;
- the indexes serve the aggregations the forecast runs in SQL: monthly sum per
  perceel and unique clients per month, both per municipality.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar = {dict[str, Any]: JSON, list[Any]: JSON}


# --------------------------------------------------------------------------- reference data


class Gemeente(Base):
    __tablename__ = "gemeente"

    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    naam: Mapped[str] = mapped_column(String(100))
    inwoners: Mapped[int | None] = mapped_column(Integer)


class Aanbieder(Base):
    """A care provider (AGB code). Providers are national, so not owned by a gemeente."""

    __tablename__ = "aanbieder"

    agb_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    naam: Mapped[str] = mapped_column(String(200))


class Perceel(Base):
    __tablename__ = "perceel"

    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    naam: Mapped[str] = mapped_column(String(200))
    domein: Mapped[str] = mapped_column(String(20))
    soort: Mapped[str] = mapped_column(String(20))
    inkomsten: Mapped[bool] = mapped_column(Boolean, default=False)
    onderdeel_van: Mapped[str | None] = mapped_column(String(60))
    volgorde: Mapped[int] = mapped_column(Integer)


# --------------------------------------------------------------------------- ingestion


class Bronbestand(Base):
    """Lineage of every file or message offered to ingestion, accepted or not."""

    __tablename__ = "bronbestand"
    __table_args__ = (
        UniqueConstraint("sha256"),
        # One message once: its identity is sender + type + BerichtIdentificatie with its
        # Dagtekening (CDT_BerichtIdentificatie); NULLs (rejected files) never clash.
        UniqueConstraint(
            "afzender",
            "berichttype",
            "bericht_identificatie",
            "dagtekening",
            name="uq_bronbestand_bericht",  # the generated name exceeds PostgreSQL's 63
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gemeente_code: Mapped[str | None] = mapped_column(String(4), index=True)
    bestandsnaam: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    inhoud_sha256: Mapped[str | None] = mapped_column(String(64))  # without whitespace
    soort: Mapped[str] = mapped_column(String(100))  # jw323, wmo301, export:<naam>, maandtotalen
    berichttype: Mapped[str | None] = mapped_column(String(10))
    afzender: Mapped[str | None] = mapped_column(String(20))
    bericht_identificatie: Mapped[str | None] = mapped_column(String(40))
    dagtekening: Mapped[date | None] = mapped_column(Date)  # of the BerichtIdentificatie
    status: Mapped[str] = mapped_column(String(20))  # ingelezen, geweigerd
    regels: Mapped[int] = mapped_column(Integer, default=0)
    bedrag_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    periode_van: Mapped[date | None] = mapped_column(Date)
    periode_tot: Mapped[date | None] = mapped_column(Date)
    foutmelding: Mapped[str | None] = mapped_column(Text)
    ingelezen_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("jobrun.id"))


class Declaratieregel(Base):
    """One Prestatie of a 323 (or an export row), per care month it covers.

    A ProductPeriode spanning months is split pro rata by days into one row per
    care month (`deel` numbers the parts), so cost lands in the month care was
    given. The declaration date stays on every row: the nowcast needs the lag.
    """

    __tablename__ = "declaratieregel"
    __table_args__ = (
        Index("ix_declaratieregel_maand_perceel", "gemeente_code", "zorgmaand", "perceel_id"),
        Index(
            "ix_declaratieregel_perceel_maand_client",
            "gemeente_code",
            "perceel_id",
            "zorgmaand",
            "client_pseudoniem",
        ),
        Index("ix_declaratieregel_aanbieder_maand", "gemeente_code", "aanbieder_agb", "zorgmaand"),
        Index("ix_declaratieregel_declaratiedatum", "gemeente_code", "declaratiedatum"),
        Index(
            "ix_declaratieregel_referentie",
            "gemeente_code",
            "productreferentie",
            "toewijzingnummer",
        ),
        # Only reversing rows (a 325) have an answer: a partial index costs the millions of
        # declared rows nothing on insert.
        Index(
            "ix_declaratieregel_antwoord_id",
            "antwoord_id",
            sqlite_where=text("antwoord_id IS NOT NULL"),
            postgresql_where=text("antwoord_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gemeente_code: Mapped[str] = mapped_column(String(4), nullable=False)
    bestand_id: Mapped[int] = mapped_column(ForeignKey("bronbestand.id"), index=True)
    client_pseudoniem: Mapped[str] = mapped_column(String(32))
    toewijzingnummer: Mapped[str | None] = mapped_column(String(20))
    wet: Mapped[str] = mapped_column(String(3))
    productcategorie: Mapped[str] = mapped_column(String(2))
    productcode: Mapped[str | None] = mapped_column(String(10))
    perceel_id: Mapped[str] = mapped_column(String(60))
    aanbieder_agb: Mapped[str] = mapped_column(String(8))
    periode_begin: Mapped[date] = mapped_column(Date)
    periode_eind: Mapped[date] = mapped_column(Date)
    zorgmaand: Mapped[date] = mapped_column(Date)
    deel: Mapped[int] = mapped_column(SmallInteger, default=0)
    volume: Mapped[float | None] = mapped_column(Float)
    eenheid: Mapped[str | None] = mapped_column(String(2))
    tarief_cents: Mapped[int | None] = mapped_column(BigInteger)
    bedrag_cents: Mapped[int] = mapped_column(BigInteger)
    debet_credit: Mapped[str] = mapped_column(String(1))
    declaratiedatum: Mapped[date] = mapped_column(Date)
    declaratienummer: Mapped[str | None] = mapped_column(String(40))
    productreferentie: Mapped[str | None] = mapped_column(String(40))
    vorig_referentienummer: Mapped[str | None] = mapped_column(String(40))
    # Set on the rows a 325 adds to take a rejected line out of the cost: a copy of the
    # rejected line's rows with the amount negated, dated by the answer's Dagtekening,
    # so cost is granted cost from the day the answer is known and declared cost before.
    antwoord_id: Mapped[int | None] = mapped_column(ForeignKey("declaratie_antwoord.id"))


class DeclaratieAntwoord(Base):
    """A 325: the municipality's answer on one declaration (323) of a provider.

    Linked to its declaration by the declaration's message identity (Identificatie and
    Dagtekening, per provider); `declaratie_bestand_id` stays empty while that
    declaration has not been ingested, and the answer is applied when it arrives.
    """

    __tablename__ = "declaratie_antwoord"
    __table_args__ = (
        Index(
            "ix_declaratie_antwoord_declaratie",
            "gemeente_code",
            "aanbieder_agb",
            "declaratie_identificatie",
            "declaratie_dagtekening",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gemeente_code: Mapped[str] = mapped_column(String(4), nullable=False)
    bestand_id: Mapped[int] = mapped_column(ForeignKey("bronbestand.id"), index=True)
    aanbieder_agb: Mapped[str] = mapped_column(String(8))
    wet: Mapped[str] = mapped_column(String(3))
    bekend_op: Mapped[date] = mapped_column(Date)  # the 325's Dagtekening
    declaratie_identificatie: Mapped[str] = mapped_column(String(40))
    declaratie_dagtekening: Mapped[date] = mapped_column(Date)
    # Empty when the 325 holds no DeclaratieAntwoord (a verdict on the message alone).
    declaratienummer: Mapped[str | None] = mapped_column(String(40))
    declaratie_bestand_id: Mapped[int | None] = mapped_column(ForeignKey("bronbestand.id"))
    ingediend_cents: Mapped[int | None] = mapped_column(BigInteger)  # TotaalIngediendBedrag
    toegekend_cents: Mapped[int | None] = mapped_column(BigInteger)  # TotaalToegekendBedrag
    geheel_afgewezen: Mapped[bool] = mapped_column(Boolean, default=False)
    afgewezen_cents: Mapped[int | None] = mapped_column(BigInteger)  # applied; None: waiting


class AfgewezenPrestatie(Base):
    """A Prestatie a 325 rejects, with its retourcodes (space-separated codes)."""

    __tablename__ = "afgewezen_prestatie"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    antwoord_id: Mapped[int] = mapped_column(ForeignKey("declaratie_antwoord.id"), index=True)
    productreferentie: Mapped[str] = mapped_column(String(40))
    toewijzingnummer: Mapped[str] = mapped_column(String(20))
    bedrag_cents: Mapped[int] = mapped_column(BigInteger)  # IngediendBedrag, signed
    retourcodes: Mapped[str] = mapped_column(String(200))
    regel: Mapped[int | None] = mapped_column(Integer)


class Toewijzing(Base):
    """One allocation (per ToewijzingNummer): who, which provider, which product.

    What happened to it — requested (315), allocated (301), started (305),
    stopped (307) — is not kept here but as one `ToewijzingBericht` per message,
    so the lifecycle can be derived as it was known at any peildatum
    (`store.queries.allocations`). A 315 arrives before there is a
    ToewijzingNummer: its row is keyed by the provider's ReferentieAanbieder until
    a 301 fills the number in.

    `toewijzingsdatum` (the earliest allocation date) only helps ingestion find
    the allocation a 305/307 without ToewijzingNummer belongs to; metrics never
    read it, because it is the latest knowledge, not the knowledge at a peildatum.
    """

    __tablename__ = "toewijzing"
    __table_args__ = (
        UniqueConstraint("gemeente_code", "toewijzingnummer"),
        Index("ix_toewijzing_aanbieder", "gemeente_code", "aanbieder_agb", "toewijzingsdatum"),
        Index("ix_toewijzing_verzoek", "gemeente_code", "aanbieder_agb", "referentie_aanbieder"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gemeente_code: Mapped[str] = mapped_column(String(4), nullable=False)
    toewijzingnummer: Mapped[str | None] = mapped_column(String(20))
    client_pseudoniem: Mapped[str | None] = mapped_column(String(32))
    aanbieder_agb: Mapped[str | None] = mapped_column(String(8))
    wet: Mapped[str] = mapped_column(String(3))
    productcategorie: Mapped[str | None] = mapped_column(String(2))
    productcode: Mapped[str | None] = mapped_column(String(10))
    perceel_id: Mapped[str | None] = mapped_column(String(60))
    referentie_aanbieder: Mapped[str | None] = mapped_column(String(40))
    toewijzingsdatum: Mapped[date | None] = mapped_column(Date)
    leeftijdsklasse: Mapped[str | None] = mapped_column(String(10))
    bijgewerkt_door_bestand: Mapped[int | None] = mapped_column(ForeignKey("bronbestand.id"))


class ToewijzingBericht(Base):
    """One care-flow message about one allocation, as it arrived (append-only).

    `bekend_op` is the message's Dagtekening: from that day on the municipality
    knew it. `datum` is the day the message is about (request: its Dagtekening;
    allocation: Toewijzingsdatum; start: Begindatum; stop: Einddatum).
    `ingetrokken` marks a 305/307 with StatusAanlevering 3, which withdraws the
    provider's earlier start or stop.
    """

    __tablename__ = "toewijzing_bericht"
    __table_args__ = (
        Index("ix_toewijzing_bericht_bekend", "gemeente_code", "bekend_op"),
        Index("ix_toewijzing_bericht_toewijzing", "toewijzing_id", "bericht"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gemeente_code: Mapped[str] = mapped_column(String(4), nullable=False)
    toewijzing_id: Mapped[int] = mapped_column(ForeignKey("toewijzing.id"), nullable=False)
    bestand_id: Mapped[int | None] = mapped_column(ForeignKey("bronbestand.id"))
    bericht: Mapped[str] = mapped_column(String(3))  # core.states.Zorgbericht
    bekend_op: Mapped[date] = mapped_column(Date)
    datum: Mapped[date] = mapped_column(Date)
    begindatum: Mapped[date | None] = mapped_column(Date)  # 301 ingangsdatum, 307 begindatum
    einddatum: Mapped[date | None] = mapped_column(Date)  # 301 einddatum
    reden: Mapped[str | None] = mapped_column(String(2))  # 307 reden, 315 verwijzer, 319 afwijzing
    antwoord: Mapped[str | None] = mapped_column(String(1))  # 319: 1 afgewezen, 2 in onderzoek
    ingetrokken: Mapped[bool] = mapped_column(Boolean, default=False)
    # A 301's Omvang and Budget: what this message allocates (a later 301 may change it,
    # so it is kept per message and read as known at a peildatum).
    omvang_volume: Mapped[int | None] = mapped_column(Integer)
    omvang_eenheid: Mapped[str | None] = mapped_column(String(2))
    omvang_frequentie: Mapped[str | None] = mapped_column(String(2))
    budget_cents: Mapped[int | None] = mapped_column(BigInteger)


class WachtlijstRegel(Base):
    """One registration of a waiting-list export (municipalities without 301/305).

    Each export is the whole list on its day, without client key: the latest
    export known at a peildatum is the list, older ones stay for replays.
    """

    __tablename__ = "wachtlijst_regel"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gemeente_code: Mapped[str] = mapped_column(String(4), nullable=False)
    bestand_id: Mapped[int] = mapped_column(ForeignKey("bronbestand.id"), index=True)
    perceel_id: Mapped[str] = mapped_column(String(60))
    aanbieder_agb: Mapped[str | None] = mapped_column(String(8))
    toewijzingsdatum: Mapped[date] = mapped_column(Date)
    startdatum: Mapped[date | None] = mapped_column(Date)


class Retourcode(Base):
    """A technical return message's verdict: per message, level and code, how often.

    The header of a return message keeps the original message's Afzender and
    Ontvanger; `aanbieder_agb` is the provider either way, `berichttype` the return
    message (jw306 judges a jw305). Codes are stored as codes (0200: geen opmerking; 0001:
    afgekeurd om technische redenen). A 325's codes are here too, as `jw325`.
    """

    __tablename__ = "retourcode"
    __table_args__ = (Index("ix_retourcode_gemeente_bekend", "gemeente_code", "bekend_op"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gemeente_code: Mapped[str] = mapped_column(String(4), nullable=False)
    bestand_id: Mapped[int] = mapped_column(ForeignKey("bronbestand.id"), index=True)
    aanbieder_agb: Mapped[str | None] = mapped_column(String(8))
    berichttype: Mapped[str] = mapped_column(String(10))
    bekend_op: Mapped[date] = mapped_column(Date)  # the return message's Dagtekening
    retour_identificatie: Mapped[str | None] = mapped_column(String(40))
    retour_dagtekening: Mapped[date | None] = mapped_column(Date)
    niveau: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(4))
    aantal: Mapped[int] = mapped_column(Integer)


class PgbMaand(Base):
    """Monthly totals that arrive as totals, not declarations (PGB via SVB, own contribution)."""

    __tablename__ = "pgb_maand"
    __table_args__ = (UniqueConstraint("gemeente_code", "perceel_id", "maand"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gemeente_code: Mapped[str] = mapped_column(String(4), nullable=False)
    perceel_id: Mapped[str] = mapped_column(String(60))
    maand: Mapped[date] = mapped_column(Date)
    bedrag_cents: Mapped[int] = mapped_column(BigInteger)
    bestand_id: Mapped[int | None] = mapped_column(ForeignKey("bronbestand.id"))


class Bevinding(Base):
    """A data-quality finding: the data were kept, but something about them is wrong."""

    __tablename__ = "bevinding"
    __table_args__ = (
        Index("ix_bevinding_gemeente_soort", "gemeente_code", "soort", "gevonden_op"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gemeente_code: Mapped[str | None] = mapped_column(String(4))
    bestand_id: Mapped[int | None] = mapped_column(ForeignKey("bronbestand.id"), index=True)
    soort: Mapped[str] = mapped_column(String(40))
    ernst: Mapped[str] = mapped_column(String(20), default="waarschuwing")
    aanbieder_agb: Mapped[str | None] = mapped_column(String(8))
    regel: Mapped[int | None] = mapped_column(Integer)
    element: Mapped[str | None] = mapped_column(String(200))
    waarde: Mapped[str | None] = mapped_column(String(200))
    bedrag_cents: Mapped[int | None] = mapped_column(BigInteger)
    omschrijving: Mapped[str] = mapped_column(Text)
    gevonden_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --------------------------------------------------------------------------- budgets


class Begrotingsregel(Base):
    """A budget amount per perceel per year and version, as loaded from config/begroting."""

    __tablename__ = "begrotingsregel"
    __table_args__ = (UniqueConstraint("gemeente_code", "jaar", "versie", "perceel_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gemeente_code: Mapped[str] = mapped_column(String(4), nullable=False)
    jaar: Mapped[int] = mapped_column(Integer)
    perceel_id: Mapped[str] = mapped_column(String(60))
    versie: Mapped[str] = mapped_column(String(100))
    bedrag_cents: Mapped[int] = mapped_column(BigInteger)
    vastgesteld_op: Mapped[date | None] = mapped_column(Date)


class PrognoseCorrectie(Base):
    """A controller's override of the computed prognosis, with who, why and when."""

    __tablename__ = "prognose_correctie"
    __table_args__ = (UniqueConstraint("gemeente_code", "jaar", "perceel_id", "datum"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gemeente_code: Mapped[str] = mapped_column(String(4), nullable=False)
    jaar: Mapped[int] = mapped_column(Integer)
    perceel_id: Mapped[str] = mapped_column(String(60))
    prognose_cents: Mapped[int] = mapped_column(BigInteger)
    reden: Mapped[str] = mapped_column(Text)
    door: Mapped[str] = mapped_column(String(200))
    datum: Mapped[date] = mapped_column(Date)
    tot: Mapped[date | None] = mapped_column(Date)


class ConfigWijziging(Base):
    """When a rule, budget or norm file changed: file, checksum, diff and time."""

    __tablename__ = "config_wijziging"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bestand: Mapped[str] = mapped_column(String(500), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    inhoud: Mapped[str] = mapped_column(Text)
    diff: Mapped[str | None] = mapped_column(Text)
    geladen_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    door: Mapped[str | None] = mapped_column(String(100))  # the console's user; None: by hand


# --------------------------------------------------------------------------- alerting


class AlertState(Base):
    """One alert instance, identified by the fingerprint of its rule and labels."""

    __tablename__ = "alert_state"
    __table_args__ = (UniqueConstraint("gemeente_code", "fingerprint"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gemeente_code: Mapped[str] = mapped_column(String(4), nullable=False, index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    regel: Mapped[str] = mapped_column(String(100))
    labels: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))  # pending, firing, resolved
    ernst: Mapped[str | None] = mapped_column(String(20))
    sinds: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opeenvolgend: Mapped[int] = mapped_column(Integer, default=0)
    laatst_geevalueerd: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    laatst_gemeld: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opgelost_op: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    bevestigd_door: Mapped[str | None] = mapped_column(String(200))
    bevestigd_op: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    bevestiging: Mapped[str | None] = mapped_column(Text)
    # What people were last told, so a restart neither repeats nor forgets (migration 0002).
    gemeld_peilmaand: Mapped[date | None] = mapped_column(Date)
    gemeld_ernst: Mapped[str | None] = mapped_column(String(20))
    gemeld_status: Mapped[str | None] = mapped_column(String(20))
    titel: Mapped[str | None] = mapped_column(String(300))
    kanaal: Mapped[str | None] = mapped_column(String(100))
    waarde: Mapped[float | None] = mapped_column(Float)
    # The monthly cycle of the last holding evaluation, so `voor` counts cycles (0003).
    peilmaand: Mapped[date | None] = mapped_column(Date)


class AlertEvaluatie(Base):
    """Every evaluation with its inputs, so "why did this fire?" has an answer."""

    __tablename__ = "alert_evaluatie"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert_state.id"), index=True)
    gemeente_code: Mapped[str] = mapped_column(String(4), nullable=False)
    geevalueerd_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    peilmaand: Mapped[date] = mapped_column(Date)
    waarde: Mapped[float | None] = mapped_column(Float)
    drempel: Mapped[float | None] = mapped_column(Float)
    voldaan: Mapped[bool] = mapped_column(Boolean)
    invoer: Mapped[dict[str, Any]] = mapped_column(JSON)


class Momentopname(Base):
    """A snapshot: every figure of one municipality at one peildatum, as one evaluation saw it.

    The messages, the digest and the reports of that evaluation were built from
    it; it is kept so "what did we tell them in November" has an answer.
    """

    __tablename__ = "momentopname"
    __table_args__ = (
        Index("ix_momentopname_gemeente_peildatum", "gemeente_code", "peildatum", "berekend_op"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gemeente_code: Mapped[str] = mapped_column(String(4), nullable=False)
    peildatum: Mapped[date] = mapped_column(Date)  # the grens: first day not known
    soort: Mapped[str] = mapped_column(String(10))  # maand or dag: how it was named
    berekend_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    inhoud: Mapped[str] = mapped_column(Text)  # Snapshot.to_json()


class RegioMomentopname(Base):
    """A region's snapshot: its members' figures at one peildatum, as the region's
    evaluation read them (the regional table, digest and pages are built from it)."""

    __tablename__ = "regio_momentopname"
    __table_args__ = (
        Index("ix_regio_momentopname_regio_peildatum", "regio", "peildatum", "berekend_op"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    regio: Mapped[str] = mapped_column(String(100), nullable=False)
    peildatum: Mapped[date] = mapped_column(Date)  # the grens: first day not known
    soort: Mapped[str] = mapped_column(String(10))
    berekend_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    inhoud: Mapped[str] = mapped_column(Text)  # RegioSnapshot.to_json()


class Instelling(Base):
    """A fact about the database itself, e.g. the fingerprint of the pseudonym key."""

    __tablename__ = "instelling"

    naam: Mapped[str] = mapped_column(String(50), primary_key=True)
    waarde: Mapped[str] = mapped_column(String(200))
    gezet_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Silence(Base):
    __tablename__ = "silence"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gemeente_code: Mapped[str] = mapped_column(String(4), nullable=False, index=True)
    matchers: Mapped[dict[str, Any]] = mapped_column(JSON)
    door: Mapped[str] = mapped_column(String(200))
    reden: Mapped[str] = mapped_column(Text)
    vanaf: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    tot: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    beeindigd_op: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    beeindigd_door: Mapped[str | None] = mapped_column(String(200))  # migration 0014


# --------------------------------------------------------------------------- notification


class Outbox(Base):
    """A notification waiting to be delivered; written in the alert-state transaction."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("idempotentie_sleutel"),
        Index("ix_outbox_te_versturen", "status", "volgende_poging"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gemeente_code: Mapped[str | None] = mapped_column(String(4), index=True)  # None: a region's
    regio: Mapped[str | None] = mapped_column(String(100))  # a region's message (its digest)
    kanaal: Mapped[str] = mapped_column(String(100))
    ontvanger_type: Mapped[str] = mapped_column(String(30))
    soort: Mapped[str] = mapped_column(String(30))  # alerts, digest
    idempotentie_sleutel: Mapped[str] = mapped_column(String(100))
    bericht: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))  # wachtend, verzonden, mislukt, permanent
    pogingen: Mapped[int] = mapped_column(Integer, default=0)
    volgende_poging: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    aangemaakt_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    verzonden_op: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    laatste_fout: Mapped[str | None] = mapped_column(Text)


class NotificatieLog(Base):
    """Every delivery attempt and its result: the single source of "what did we say"."""

    __tablename__ = "notificatie_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    gemeente_code: Mapped[str | None] = mapped_column(String(4))  # None: a region's message
    poging_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resultaat: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)


# --------------------------------------------------------------------------- runs


class JobRun(Base):
    """Every run of a job (ingest, cycle, digest): what it did and how long it took."""

    __tablename__ = "jobrun"
    __table_args__ = (Index("ix_jobrun_job_start", "job", "gestart_op"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(50))
    gemeente_code: Mapped[str | None] = mapped_column(String(4))
    gestart_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    geeindigd_op: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))  # bezig, geslaagd, mislukt
    statistiek: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fout: Mapped[str | None] = mapped_column(Text)


class Gebruiker(Base):
    """A console account: a name and an argon2 password hash (never the password).

    An account without a hash logs in only through OpenID Connect.
    """

    __tablename__ = "gebruiker"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    naam: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    wachtwoord_hash: Mapped[str | None] = mapped_column(String(200))
    # The identity provider's subject (issuer + sub): stable where a display name is not.
    extern_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    actief: Mapped[bool] = mapped_column(Boolean, nullable=False)
    aangemaakt_op: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # Raised at every logout: a session cookie carries the version it was made under, so
    # logging out ends every session of the account, also a copied cookie.
    sessie_versie: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class GebruikerWijziging(Base):
    """One account change and who made it: a console beheerder, the command line, or the
    identity provider at a login (`gemeente_code` NULL: the account as a whole)."""

    __tablename__ = "gebruiker_wijziging"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gebruiker: Mapped[str] = mapped_column(String(100), index=True, nullable=False)
    gemeente_code: Mapped[str | None] = mapped_column(String(4), index=True)
    wat: Mapped[str] = mapped_column(String(200), nullable=False)
    door: Mapped[str] = mapped_column(String(100), nullable=False)
    op: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class GebruikerRegio(Base):
    """An account that reads one region's pages (`regio-lezer`): the members side by side."""

    __tablename__ = "gebruiker_regio"
    __table_args__ = (UniqueConstraint("gebruiker_id", "regio", name="uq_gebruiker_regio"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gebruiker_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("gebruiker.id", ondelete="CASCADE"), index=True, nullable=False
    )
    regio: Mapped[str] = mapped_column(String(100), nullable=False)


class GebruikerRol(Base):
    """One role of an account in one gemeente (`core.states.Rol`)."""

    __tablename__ = "gebruiker_rol"
    __table_args__ = (UniqueConstraint("gebruiker_id", "rol", "gemeente_code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gebruiker_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("gebruiker.id", ondelete="CASCADE"), index=True, nullable=False
    )
    rol: Mapped[str] = mapped_column(String(20), nullable=False)
    gemeente_code: Mapped[str] = mapped_column(String(4), nullable=False)
