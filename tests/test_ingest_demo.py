"""The whole demo municipality ingests, exactly, on SQLite and PostgreSQL; twice is a no-op."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import extract, func, select

from monitorbot.config import load_config
from monitorbot.core.privacy import DEMO_KEY, Pseudonymizer
from monitorbot.ingest.pipeline import Destinations, Ingestor
from monitorbot.store import db, models
from monitorbot.store.queries.allocations import allocations_known

INPUT_FOLDERS = ("berichten", "exports", "pgb")


def _ingested_totals(engine) -> dict[str, dict[str, int]]:
    line, pgb = models.Declaratieregel, models.PgbMaand
    totals: dict[str, dict[str, int]] = defaultdict(dict)
    with db.transaction(engine) as session:
        year = extract("year", line.zorgmaand)
        for y, perceel, cents in session.execute(
            select(year, line.perceel_id, func.sum(line.bedrag_cents))
            .where(line.gemeente_code == "9999")
            .group_by(year, line.perceel_id)
        ):
            totals[str(int(y))][perceel] = int(cents)
        pgb_year = extract("year", pgb.maand)
        for y, perceel, cents in session.execute(
            select(pgb_year, pgb.perceel_id, func.sum(pgb.bedrag_cents))
            .where(pgb.gemeente_code == "9999")
            .group_by(pgb_year, pgb.perceel_id)
        ):
            totals[str(int(y))][perceel] = int(cents)
    return {y: dict(sorted(p.items())) for y, p in sorted(totals.items())}


def test_demo_ingests_exactly_what_was_planted_and_twice_is_a_no_op(
    demo_database, demo_dir: Path, config_dir, tmp_path
):
    engine, report = demo_database.engine, demo_database.first_run
    manifest = json.loads((demo_dir / "manifest.json").read_text(encoding="utf-8"))
    ingestor = Ingestor(
        engine,
        load_config(config_dir),
        pseudonymize=Pseudonymizer(DEMO_KEY),
        destinations=Destinations(quarantine=tmp_path / "quarantaine"),
        clock=lambda: datetime(2026, 11, 10, 7, tzinfo=UTC),
    )
    inputs = [demo_dir / name for name in INPUT_FOLDERS]

    rejected = {
        Path(f.naam).relative_to(demo_dir).as_posix()
        for f in report.bestanden
        if f.status == "geweigerd"
    }
    planted_rejects = {
        d["file"] for d in manifest["dirty"] if d["detail"]["verwacht"] == "afkeuren"
    }
    assert rejected == planted_rejects
    assert _ingested_totals(engine) == manifest["yearly_totals_cents"]  # granted cost
    assert _answer_totals(engine) == manifest["antwoorden"]

    with db.transaction(engine) as session:
        kinds = dict(
            session.execute(
                select(models.Bevinding.soort, func.count()).group_by(models.Bevinding.soort)
            ).all()
        )
    planted_findings = {
        d["kind"] for d in manifest["dirty"] if d["detail"]["verwacht"] != "afkeuren"
    }
    assert set(kinds) == planted_findings

    rows_before = _count(engine)
    again = ingestor.run(inputs)
    assert {f.status for f in again.bestanden} == {"al ingelezen", "geweigerd"}
    assert again.geweigerd == len(planted_rejects)
    assert _count(engine) == rows_before

    # Waiting time is a query: the planted slow provider waits ~90 days, the rest within norm.
    waits = _waits_per_provider(engine)
    slow = manifest["waiting_norm_breaker"]
    assert 75 <= statistics.median(waits.pop(slow)) <= 110
    assert all(statistics.median(days) < 56 for days in waits.values() if len(days) >= 10)


def _answer_totals(engine) -> dict[str, int]:
    """The 325s as stored: all linked to their declaration, totals to the cent."""
    answer = models.DeclaratieAntwoord
    with db.transaction(engine) as session:
        unlinked = session.scalar(
            select(func.count()).where(answer.declaratie_bestand_id.is_(None))
        )
        assert unlinked == 0
        count, ingediend, toegekend, afgewezen = session.execute(
            select(
                func.count(),
                func.sum(answer.ingediend_cents),
                func.sum(answer.toegekend_cents),
                func.sum(answer.afgewezen_cents),
            ).where(answer.gemeente_code == "9999")
        ).one()
        lines = session.scalar(select(func.count()).select_from(models.AfgewezenPrestatie))
    return {
        "berichten": count,
        "ingediend_cents": int(ingediend),
        "toegekend_cents": int(toegekend),
        "afgewezen_cents": int(afgewezen),
        "afgewezen_regels": lines,
    }


def _count(engine) -> int:
    with db.transaction(engine) as session:
        return session.execute(select(func.count()).select_from(models.Declaratieregel)).scalar()


def _waits_per_provider(engine) -> dict[str, list[int]]:
    known = allocations_known("9999", date(2100, 1, 1), "Europe/Amsterdam")
    waits: dict[str, list[int]] = defaultdict(list)
    with db.transaction(engine) as session:
        for agb, allocated, started in session.execute(
            select(known.c.aanbieder_agb, known.c.toegewezen, known.c.gestart).where(
                known.c.toegewezen.is_not(None), known.c.gestart.is_not(None)
            )
        ):
            waits[agb].append((started - allocated).days)
    return waits
