"""A region's monthly cycle on PostgreSQL: members per second one at a time, in a process
pool and on a local Dask cluster, side by side.

Usage:  python bench/regio_bench.py --database-url postgresql+psycopg://... \\
            [--leden 9991,9992,...] [--vandaag 2026-12-07] [--processen 2] [--data-dir DIR]

Generates the chosen members of the demo region (default all seven, about 820.000
declaration lines over four years, ~270.000 of them in the current year), ingests
them into an empty schema of the given database once (timed, and skipped when the
schema already holds them: `--schema` names it), then runs the region's evaluation
three ways on the same data and the same function (`service.regio.evaluate_member`),
after one pass that is not counted (it creates the alert states and warms the cache):

* one member after another in this process — the reference, measured in the same run;
* a process pool of `--processen` workers (what `regio cyclus` does on PostgreSQL);
* a local Dask cluster of as many single-threaded worker processes (`--dask lokaal`);

and the whole `regio_cycle` (members in the pool, then the region's snapshot and
digest; target < 60 s for the seven members). Evaluations repeat on the same
peildatum (the states just update), so every run does the same work. It prints the
seconds, members per second and the ratio to the reference. Figures go in the
issue notes, never in unit tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
#: Every member's messages go to files in the data directory: the bench measures the
#: evaluation, not a mail server or the terminal.
QUIET_CHANNELS = """kanalen:
  kernteam:
    - {type: bestand, map: bench-uit}
  managers:
    - {type: bestand, map: bench-uit}
"""


def _schema_url(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


def _prepare(url: str, schema: str, members: list[str], vandaag: date, work: Path) -> float | None:
    """Generate and ingest the members into `schema` unless it holds them; ingest seconds."""
    from monitorbot.config import load_config
    from monitorbot.core.privacy import DEMO_KEY, Pseudonymizer
    from monitorbot.demo.generate import generate_demo
    from monitorbot.demo.regio import lid
    from monitorbot.ingest.pipeline import Destinations, Ingestor
    from monitorbot.store import db
    from monitorbot.store.sync import sync_config

    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    admin.dispose()
    engine = db.make_engine(_schema_url(url, schema))
    db.upgrade(engine)
    with engine.connect() as connection:
        present = {
            row[0]
            for row in connection.execute(
                text("select distinct gemeente_code from declaratieregel")
            )
        }
    if set(members) <= present:
        return None
    config = load_config(work / "config")
    with db.transaction(engine) as session:
        sync_config(session, config)
    folders = []
    for code in members:
        folder = work / "invoer" / code
        if not (folder / "manifest.json").exists():
            generate_demo(folder, vandaag=vandaag, lid=lid(code))
        folders += [
            folder / name for name in ("berichten", "exports", "pgb") if (folder / name).exists()
        ]
    ingestor = Ingestor(
        engine,
        config,
        pseudonymize=Pseudonymizer(DEMO_KEY),
        destinations=Destinations(quarantine=work / "quarantaine", move=False),
    )
    started = time.perf_counter()
    report = ingestor.run(folders)
    seconds = time.perf_counter() - started
    files = len(report.bestanden)
    print(f"ingelezen: {report.regels} regels uit {files} bestanden in {seconds:.0f} s")
    engine.dispose()
    return seconds


def _config(work: Path, members: list[str]) -> None:
    """The repository's config with a bench region of the chosen members."""
    target = work / "config"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(REPO / "config", target)
    for path in (target / "gemeenten").glob("*.yaml"):  # messages to files: no chat, no SMTP
        text = path.read_text(encoding="utf-8")
        start, end = text.index("kanalen:"), text.index("digest_kanaal:")
        path.write_text(text[:start] + QUIET_CHANNELS + text[end:], encoding="utf-8")
    leden = ", ".join(f'"{code}"' for code in members)
    (target / "regio" / "bench.yaml").write_text(
        f"naam: Benchregio\nleden: [{leden}]\nkanalen:\n  regio:\n    - {{type: bestand}}\n"
        "digest_kanaal: regio\n",
        encoding="utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="PostgreSQL (SQLite has one writer)")
    parser.add_argument("--schema", default="regio_bench")
    parser.add_argument("--leden", default="9991,9992,9993,9999,9994,9995,9996")
    parser.add_argument("--vandaag", default="2026-12-07")
    parser.add_argument("--processen", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, default=None)
    options = parser.parse_args()
    if options.database_url.startswith("sqlite"):
        sys.exit("De bench meet parallelle evaluaties: geef een PostgreSQL-URL.")

    from monitorbot.config import Settings
    from monitorbot.core.calendar import Peildatum
    from monitorbot.demo.generate import calendar_for
    from monitorbot.service.regio import evaluate_members, regio_cycle

    members = options.leden.split(",")
    vandaag = date.fromisoformat(options.vandaag)
    work = options.data_dir or Path(tempfile.mkdtemp(prefix="regio-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    _config(work, members)
    for code in members:  # the generated budgets, as `monitorbot demo --regio` writes them
        _budgets(work, code, vandaag)
    url = _schema_url(options.database_url, options.schema)
    os.environ["MONITORBOT_DATABASE_URL"] = url  # Dask workers read it from their environment
    ingest = _prepare(options.database_url, options.schema, members, vandaag, work)
    settings = Settings(config_dir=work / "config", data_dir=work / "data", database_url=url)
    as_of = calendar_for(vandaag).as_of
    now = datetime.combine(as_of, clock_time(7), ZoneInfo("Europe/Amsterdam")).astimezone(UTC)
    peildatum = Peildatum.op(as_of)

    def timed(label: str, run) -> float:  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        outcome = run()
        seconds = time.perf_counter() - started
        failed = [m.gemeente for m in getattr(outcome, "leden", outcome) if m.fout]
        if failed:
            sys.exit(f"{label}: evaluatie mislukt voor {', '.join(failed)}")
        return seconds

    common = dict(now=now, peildatum=peildatum, digest=False)
    # Not counted: the first evaluation creates the alert states and warms PostgreSQL's cache.
    timed(
        "opwarmen",
        lambda: evaluate_members(settings, members, processes=options.processen, **common),
    )
    reference = timed(
        "na elkaar", lambda: evaluate_members(settings, members, processes=1, **common)
    )
    pool = timed(
        "procespool",
        lambda: evaluate_members(settings, members, processes=options.processen, **common),
    )
    dask = timed(
        "dask",
        lambda: evaluate_members(
            settings, members, processes=options.processen, dask="lokaal", **common
        ),
    )
    cycle = timed(
        "regio_cycle",
        lambda: regio_cycle(
            settings, "bench", now=now, peildatum=peildatum, processes=options.processen
        ),
    )
    lines = _current_year_lines(url, as_of.year)
    print(
        f"{len(members)} gemeenten, {lines} declaratieregels in {as_of.year}, PostgreSQL, "
        f"{options.processen} processen"
    )
    if ingest is not None:
        print(f"  inlezen (eenmalig):              {ingest:7.1f} s")
    for label, seconds in (
        ("na elkaar (referentie)", reference),
        (f"procespool ({options.processen})", pool),
        (f"dask lokaal ({options.processen})", dask),
    ):
        print(
            f"  {label:<30} {seconds:7.1f} s  {len(members) / seconds:5.2f} gemeenten/s  "
            f"{reference / seconds:4.2f}× de referentie"
        )
    print(f"  hele regiocyclus (doel < 60 s):  {cycle:7.1f} s")


def _budgets(work: Path, code: str, vandaag: date) -> None:
    """A primitive budget per year for a member without one (from its generated manifest)."""
    import json

    manifest = work / "invoer" / code / "manifest.json"
    if not manifest.exists():
        from monitorbot.demo.generate import generate_demo
        from monitorbot.demo.regio import lid

        generate_demo(manifest.parent, vandaag=vandaag, lid=lid(code))
    budgets = json.loads(manifest.read_text(encoding="utf-8"))["begrotingen_cents"]
    for year, amounts in budgets.items():
        path = work / "config" / "begroting" / f"{code}-{year}.yaml"
        if path.exists():
            continue
        lines = [f'gemeente: "{code}"', f"jaar: {year}", "versies:", '  - versie: "primitief"']
        lines += [f"    vastgesteld_op: {int(year) - 1}-11-01", "    bedragen:"]
        lines += [f"      {perceel}: {cents // 100}" for perceel, cents in amounts.items()]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _current_year_lines(url: str, year: int) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(
            text("select count(*) from declaratieregel where zorgmaand >= :first"),
            {"first": date(year, 1, 1)},
        ).scalar_one()
    engine.dispose()
    return int(count)


if __name__ == "__main__":
    main()
