"""Mirror the validated configuration into the database.

The YAML files stay the source of truth (controllers edit them); the database
holds a copy so that SQL can join budgets and percelen, and so that every change
to a budget, norm or rule file is recorded with its checksum and diff.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from monitorbot.config import Config
from monitorbot.config.codes import NIET_INGEDEELD
from monitorbot.store import models

PERCELEN_FILE = "percelen.yaml"


@dataclass(frozen=True)
class SyncSummary:
    gemeenten: int
    percelen: int
    begrotingen: int
    gewijzigde_bestanden: list[str]


def sync_config(session: Session, config: Config, *, now: datetime | None = None) -> SyncSummary:
    """Upsert reference data, replace budgets and corrections, record changed files."""
    now = now or datetime.now(UTC)
    _sync_percelen(session, config)
    for gemeente in config.gemeenten.values():
        latest = gemeente.bevolking[max(gemeente.bevolking)] if gemeente.bevolking else None
        session.merge(
            models.Gemeente(
                code=gemeente.code,
                naam=gemeente.naam,
                inwoners=latest.inwoners if latest else None,
            )
        )
        for aanbieder in gemeente.aanbieders:
            session.merge(models.Aanbieder(agb_code=aanbieder.agb, naam=aanbieder.naam))
    for (code, jaar), begroting in config.begrotingen.items():
        _replace_begroting(session, code, jaar, begroting)
    changed = record_file_changes(session, config.directory, config.checksums, now=now)
    if PERCELEN_FILE in changed:
        remap_lines(session, config)
    return SyncSummary(
        len(config.gemeenten), len(config.percelen.percelen), len(config.begrotingen), changed
    )


def remap_lines(session: Session, config: Config) -> int:
    """After an edit to percelen.yaml, every stored line and allocation follows the new rules.

    A line's perceel is derived from its wet, product category, product code and
    provider, which are stored with it: the distinct combinations (a few hundred,
    however many lines) are mapped again and only those whose perceel changes are
    updated. Returns how many combinations moved.
    """
    moved = 0
    for table in (models.Declaratieregel, models.Toewijzing):
        combinations = session.execute(
            select(
                table.wet,
                table.productcategorie,
                table.productcode,
                table.aanbieder_agb,
                table.perceel_id,
            ).distinct()
        ).all()
        for wet, categorie, code, agb, current in combinations:
            if not categorie:
                continue  # no product (a 315 without one, a waiting-list row): nothing to map
            wanted = config.percelen.map_line(wet, categorie, code or "", agb)
            if wanted == current:
                continue
            session.execute(
                update(table)
                .where(
                    table.wet == wet,
                    table.productcategorie == categorie,
                    table.productcode.is_(None) if code is None else table.productcode == code,
                    table.aanbieder_agb.is_(None) if agb is None else table.aanbieder_agb == agb,
                    table.perceel_id.is_(None) if current is None else table.perceel_id == current,
                )
                .values(perceel_id=wanted)
            )
            moved += 1
    return moved


def _sync_percelen(session: Session, config: Config) -> None:
    for order, perceel in enumerate(config.percelen.percelen):
        session.merge(
            models.Perceel(
                id=perceel.id,
                naam=perceel.naam,
                domein=perceel.domein,
                soort=perceel.soort,
                inkomsten=perceel.inkomsten,
                onderdeel_van=perceel.onderdeel_van,
                volgorde=order,
            )
        )
    session.merge(
        models.Perceel(
            id=NIET_INGEDEELD,
            naam="Niet ingedeeld",
            domein="overig",
            soort="overig",
            inkomsten=False,
            onderdeel_van=None,
            volgorde=len(config.percelen.percelen),
        )
    )


def _replace_begroting(session: Session, code: str, jaar: int, begroting) -> None:  # type: ignore[no-untyped-def]
    for table in (models.Begrotingsregel, models.PrognoseCorrectie):
        session.execute(delete(table).where(table.gemeente_code == code, table.jaar == jaar))
    session.add_all(
        models.Begrotingsregel(
            gemeente_code=code,
            jaar=jaar,
            perceel_id=perceel,
            versie=version.versie,
            vastgesteld_op=version.vastgesteld_op,
            bedrag_cents=cents,
        )
        for version in begroting.versies
        for perceel, cents in version.bedragen.items()
    )
    session.add_all(
        models.PrognoseCorrectie(
            gemeente_code=code,
            jaar=jaar,
            perceel_id=c.perceel,
            prognose_cents=c.prognose,
            reden=c.reden,
            door=c.door,
            datum=c.datum,
            tot=c.tot,
        )
        for c in begroting.prognose_correcties
    )


def record_file_changes(
    session: Session,
    directory: Path,
    checksums: dict[str, str],
    *,
    now: datetime,
    door: str | None = None,
) -> list[str]:
    """Store a new version of every file whose checksum differs from the last one seen.

    Files are named relative to the config folder, so a deployment that moves keeps
    its history. `door`: the console user who made the change (None: by hand).
    """
    changed = []
    for path, sha in sorted(checksums.items()):
        file = Path(path).resolve().relative_to(directory.resolve()).as_posix()
        last = session.execute(
            select(models.ConfigWijziging)
            .where(models.ConfigWijziging.bestand == file)
            .order_by(models.ConfigWijziging.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if last is not None and last.sha256 == sha:
            continue
        content = Path(path).read_text(encoding="utf-8")
        diff = None
        if last is not None or door is not None:  # a file the console made: all of it is new
            diff = "".join(
                difflib.unified_diff(
                    (last.inhoud if last else "").splitlines(keepends=True),
                    content.splitlines(keepends=True),
                    fromfile=f"{file} (vorige)",
                    tofile=file,
                )
            )
        session.add(
            models.ConfigWijziging(
                bestand=file, sha256=sha, inhoud=content, diff=diff, geladen_op=now, door=door
            )
        )
        changed.append(file)
    return changed


def file_history(
    session: Session, bestand: str, limit: int = 10
) -> list[tuple[datetime, str | None, str | None]]:
    """The latest recorded versions of a config file: (when, by whom, diff), newest first."""
    rows = session.execute(
        select(
            models.ConfigWijziging.geladen_op,
            models.ConfigWijziging.door,
            models.ConfigWijziging.diff,
        )
        .where(models.ConfigWijziging.bestand == bestand)
        .order_by(models.ConfigWijziging.id.desc())
        .limit(limit)
    ).all()
    return [(when, door, diff) for when, door, diff in rows]
