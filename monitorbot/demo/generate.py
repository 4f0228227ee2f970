"""Generate the demo municipality Demodorp: messages, exports, PGB totals, manifest.

`generate_demo` is deterministic per (seed, scenario, vandaag): it uses seeded
random streams only, never the clock — the day the demo plays on is a parameter
— and writes files in a fixed order, so two runs produce byte-identical trees
that tests and demos can rely on.
"""

from __future__ import annotations

import random
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from monitorbot.demo import months
from monitorbot.demo.answers import Answer, plan_answers
from monitorbot.demo.budget import JAARREKENING_LAG, demo_budget
from monitorbot.demo.catalog import (
    CSV_PROVIDER,
    EIGEN_BIJDRAGE,
    PGB_SERIES,
    PRODUCT_BY_CODE,
    PROVIDERS,
    STREAMS,
    WAITING_NORM_BREAKER,
)
from monitorbot.demo.csv_writer import write_exports, write_totals
from monitorbot.demo.declarations import (
    Batch,
    Row,
    build_batches,
    build_rows,
    number_batches,
    submission_dates,
)
from monitorbot.demo.dirty import PlantedDefect, plant_defects
from monitorbot.demo.identities import ClientFactory
from monitorbot.demo.manifest import DemoManifest, DirtyEntry, ProviderEntry
from monitorbot.demo.months import Month
from monitorbot.demo.pgb import pgb_amounts
from monitorbot.demo.population import (
    EXCEPTIONAL_PRODUCT,
    EXCEPTIONAL_PROVIDER,
    Trajectory,
    simulate_population,
)
from monitorbot.demo.regio import DEMODORP, DemoLid
from monitorbot.demo.scenarios import Scenario, scenario_named
from monitorbot.demo.timeline import DemoCalendar, calendar_for
from monitorbot.demo.xml_writer import (
    refusal_date,
    refusal_request_date,
    write_allocation,
    write_answer,
    write_declaration,
    write_refusal,
    write_request,
    write_start,
    write_start_return,
    write_stop,
)

OWN_OUTPUTS = ("berichten", "exports", "pgb", "manifest.json")
REFUSED_EVERY = 25
"""One in this many trajectories that began with a 315 had an earlier request refused (319)."""
BOUNCED_EVERY = 60
"""One in this many start messages (305) comes back with a technical return message (306)."""


@dataclass(frozen=True)
class CareMessageDates:
    """When the provider reports start and stop (a few days after the fact)."""

    start: date
    stop: date | None


class MonthFolders:
    """The berichten/<yyyy-mm>/ folders, named after a message's Dagtekening."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._made: set[Path] = set()

    def for_day(self, day: date) -> Path:
        folder = self.root / months.label(months.month_of(day))
        if folder not in self._made:
            folder.mkdir(parents=True, exist_ok=True)
            self._made.add(folder)
        return folder


def care_message_dates(trajectory: Trajectory, open_end: date) -> CareMessageDates:
    """Start and stop are reported 0–5 and 1–9 days after the fact (one-offs never stop)."""
    delay = trajectory.toewijzingnummer
    stop = None
    if not trajectory.stream.one_off and trajectory.end < open_end:
        stop = trajectory.end + timedelta(days=1 + delay % 9)
    return CareMessageDates(start=trajectory.begin + timedelta(days=delay % 6), stop=stop)


@dataclass
class Simulation:
    """Everything that happened in one member (Demodorp alone), before any file is written."""

    lid: DemoLid
    calendar: DemoCalendar
    trajectories: list[Trajectory]
    rows: list[Row]
    """Every declaration row of the care, received by the as-of date or not."""
    received: list[Batch]
    """The 323s (and export batches) dated on or before the as-of date, dirty ones included."""
    defects: list[PlantedDefect]
    pgb: dict[tuple[Month, str], int]
    earlier_totals: dict[str, dict[str, int]]
    """Complete cost per year and perceel of the years before the period: the
    jaarrekeningen its first budgets start from (no file carries them)."""
    answers: list[Answer] = field(default_factory=list)
    """Every 325, known by the as-of date or not (see `known_answers`)."""

    @property
    def known_answers(self) -> list[Answer]:
        """The 325s on declarations received by the as-of date, dated on or before it."""
        received = {id(b) for b in self.received}
        as_of = self.calendar.as_of
        return [a for a in self.answers if id(a.batch) in received and a.dagtekening <= as_of]

    @property
    def clean(self) -> list[Batch]:
        return [b for b in self.received if b.dirty_kind is None]

    @property
    def ingested_for_demodorp(self) -> list[Batch]:
        """What a correct ingest keeps for 9999: clean messages and kept defective ones."""
        return [b for b in self.received if b.dirty_kind is None or b.kept_for_demodorp]


@dataclass
class Written:
    """What the writers produced: message counts per kind and where the dirty ones went."""

    messages: Counter[str] = field(default_factory=Counter)
    dirty_files: dict[int, str] = field(default_factory=dict)
    exports: int = 0


def generate_demo(
    out_dir: Path,
    *,
    seed: int = 2026,
    scenario: str = "standaard",
    vandaag: date,
    lid: DemoLid = DEMODORP,
) -> DemoManifest:
    """Write the demo for one scenario, as it looks on `vandaag`, to `out_dir`.

    `vandaag` has no default: the demo describes the recent past of the day it
    plays on (see `timeline.calendar_for`), and a default would quietly tie it
    to one year again. Only the generator's own outputs (berichten/, exports/,
    pgb/, manifest.json) are replaced; anything else in `out_dir` is left alone.
    `lid` is the member of the demo region to generate (Demodorp by default).
    Returns what was planted.
    """
    calendar = calendar_for(vandaag)
    settings = scenario_named(scenario, calendar)
    out_dir = Path(out_dir)
    simulation = simulate(seed, settings, calendar, lid)
    _clear_previous_output(out_dir)
    written = write_outputs(simulation, out_dir)
    manifest = build_manifest(simulation, written, seed, settings)
    manifest.write(out_dir / "manifest.json")
    return manifest


def simulate(
    seed: int, settings: Scenario, calendar: DemoCalendar, lid: DemoLid = DEMODORP
) -> Simulation:
    """Population, declarations, submissions and planted defects for one scenario.

    Only Demodorp has planted defects: the other members show the region clean.
    """
    seed += lid.seed_offset
    trajectories = simulate_population(seed, settings, calendar, lid)
    rows = build_rows(seed, settings, trajectories, calendar.care_months)
    dates = submission_dates(seed, calendar.care_months)
    batches = build_batches(rows, dates, lid.code)
    defects = []
    if lid.is_demodorp:
        defects = plant_defects(batches, dates, _foreign_bsn(seed, trajectories), calendar)
    batches = [b for b in batches if b.rows]
    answers = plan_answers(seed, batches, dates)
    number_batches(batches, lid.nummer)
    received = [b for b in batches if b.submitted <= calendar.as_of]
    pgb = pgb_amounts(seed, calendar.care_months, origin=calendar.period_first, schaal=lid.schaal)
    earlier = _earlier_totals(seed, settings, calendar, trajectories, lid)
    return Simulation(lid, calendar, trajectories, rows, received, defects, pgb, earlier, answers)


def _earlier_totals(
    seed: int,
    settings: Scenario,
    calendar: DemoCalendar,
    trajectories: list[Trajectory],
    lid: DemoLid,
) -> dict[str, dict[str, int]]:
    """The complete cost of the years before the period that its first budgets start from.

    Computed in a separate pass over the same trajectories, so the period's own
    declarations (and their random draws) stay exactly as they are.
    """
    window = range(months.month_at(calendar.first_year - JAARREKENING_LAG), calendar.period_first)
    rows = build_rows(seed, settings, trajectories, window)
    pgb = pgb_amounts(seed, window, origin=calendar.period_first, schaal=lid.schaal)
    return _totals(rows, pgb, last=window.stop - 1)


def write_outputs(simulation: Simulation, out_dir: Path) -> Written:
    """All files: berichten/ (XML), exports/ (backoffice CSV) and pgb/ (SVB/CAK totals)."""
    written = Written()
    calendar = simulation.calendar
    folders = MonthFolders(out_dir / "berichten")
    exporting = simulation.lid.is_demodorp  # only Demodorp's export format is configured
    _write_declarations(simulation.received, folders, written, exporting)
    for answer in simulation.known_answers:
        _count(written, write_answer(answer, folders.for_day(answer.dagtekening)))
    _write_care_messages(simulation.trajectories, calendar, folders, written)
    voorletters = {t.client.bsn: t.client.voorletters for t in simulation.trajectories}
    if exporting:
        exported = [b for b in simulation.received if b.provider.agb == CSV_PROVIDER]
        written.exports = len(write_exports(exported, voorletters, out_dir / "exports"))
    pgb, last, code = out_dir / "pgb", calendar.period_last, simulation.lid.code
    pgb_percelen = [s.perceel for s in PGB_SERIES]
    write_totals(simulation.pgb, pgb_percelen, last, pgb / "pgb-maandtotalen.csv", code)
    write_totals(simulation.pgb, [EIGEN_BIJDRAGE.perceel], last, pgb / "eigen-bijdrage.csv", code)
    return written


def build_manifest(
    simulation: Simulation, written: Written, seed: int, settings: Scenario
) -> DemoManifest:
    calendar = simulation.calendar
    rejected = {id(row) for a in simulation.known_answers for row, _ in a.rejected}
    ingested_rows = (
        r for b in simulation.ingested_for_demodorp for r in b.rows if id(r) not in rejected
    )
    truth = _totals(simulation.rows, simulation.pgb, last=calendar.simulation_last)
    return DemoManifest(
        gemeente=simulation.lid.code,
        seed=seed,
        scenario=settings.name,
        period=(months.label(calendar.period_first), months.label(calendar.period_last)),
        as_of=calendar.as_of.isoformat(),
        providers=_provider_entries(),
        dirty=tuple(_dirty_entry(d, written.dirty_files) for d in simulation.defects),
        waiting_norm_breaker=WAITING_NORM_BREAKER,
        late_provider=settings.late.agb if settings.late else None,
        late_declaraties=_late_description(settings),
        trendbreuk=_trendbreuk_description(settings),
        yearly_totals_cents=_totals(ingested_rows, simulation.pgb, last=calendar.period_last),
        truth_totals_cents=truth,
        counts=_counts(simulation, written),
        antwoorden=_answer_totals(simulation.known_answers),
        begrotingen_cents=_budgets(calendar, {**simulation.earlier_totals, **truth}),
    )


def _budgets(
    calendar: DemoCalendar, complete: dict[str, dict[str, int]]
) -> dict[str, dict[str, int]]:
    """The primitive budget of every year of the period, from the jaarrekening two years back."""
    return {
        str(year): demo_budget(year, complete[str(year - JAARREKENING_LAG)])
        for year in calendar.years
    }


def _clear_previous_output(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in OWN_OUTPUTS:
        target = out_dir / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def _foreign_bsn(seed: int, trajectories: list[Trajectory]) -> str:
    """A valid BSN of nobody in Demodorp, for the declaration sent to the wrong municipality."""
    used = {t.client.bsn for t in trajectories}
    return ClientFactory(random.Random(f"{seed}/clients/elders"), used).new_bsn()


def _write_declarations(
    received: list[Batch], folders: MonthFolders, written: Written, exporting: bool
) -> None:
    """Write every received XML 323, remembering where the dirty ones went; the CSV
    provider's declarations are its export where `exporting`, else XML like the rest."""
    for batch in received:
        if exporting and batch.provider.agb == CSV_PROVIDER:
            continue
        path = write_declaration(batch, folders.for_day(batch.submitted))
        written.messages[path.name.split("_", 1)[0]] += 1
        if batch.dirty_kind:
            written.dirty_files[id(batch)] = path.relative_to(folders.root.parent).as_posix()


def _write_care_messages(
    trajectories: list[Trajectory], calendar: DemoCalendar, folders: MonthFolders, written: Written
) -> None:
    """315, 301, 305 and 307 for every event dated within the demo window."""
    folder, known = folders.for_day, calendar.known
    for trajectory in trajectories:
        dates = care_message_dates(trajectory, calendar.open_end)
        paths = []
        if trajectory.via_315 and known(trajectory.request_date):
            paths.append(write_request(trajectory, folder(trajectory.request_date)))
        if known(trajectory.alloc_date):
            paths.append(write_allocation(trajectory, folder(trajectory.alloc_date)))
        if trajectory.begin <= calendar.as_of and known(dates.start):
            paths.append(write_start(trajectory, dates.start, folder(dates.start)))
            bounced_on = dates.start + timedelta(days=2)
            if _bounces(trajectory) and known(bounced_on):
                paths.append(
                    write_start_return(trajectory, dates.start, bounced_on, folder(bounced_on))
                )
        if known(dates.stop) and dates.stop is not None:
            paths.append(write_stop(trajectory, dates.stop, folder(dates.stop)))
        if trajectory.via_315 and trajectory.toewijzingnummer % REFUSED_EVERY == 0:
            asked, refused = refusal_request_date(trajectory), refusal_date(trajectory)
            if known(asked) and known(refused):
                paths.append(write_request(trajectory, folder(asked), refused=True))
                paths.append(write_refusal(trajectory, folder(refused)))
        for path in paths:
            _count(written, path)


def _bounces(trajectory: Trajectory) -> bool:
    """Youth start messages only: the Wmo 306's schema is not shipped yet."""
    return trajectory.product.wet == "jw" and trajectory.toewijzingnummer % BOUNCED_EVERY == 0


def _count(written: Written, path: Path) -> None:
    written.messages[path.name.split("_", 1)[0]] += 1


def _answer_totals(answers: list[Answer]) -> dict[str, int]:
    """What the 325s known by the as-of date declared, granted and rejected, in cents."""
    return {
        "berichten": len(answers),
        "ingediend_cents": sum(a.ingediend_cents for a in answers),
        "toegekend_cents": sum(a.toegekend_cents for a in answers),
        "afgewezen_cents": sum(a.afgewezen_cents for a in answers),
        "afgewezen_regels": sum(len(a.rejected) for a in answers),
    }


def _provider_entries() -> tuple[ProviderEntry, ...]:
    percelen: dict[str, set[str]] = defaultdict(set)
    for stream in STREAMS:
        for agb, _, code in stream.providers:
            percelen[agb].add(PRODUCT_BY_CODE[code].perceel)
    percelen[EXCEPTIONAL_PROVIDER].add(PRODUCT_BY_CODE[EXCEPTIONAL_PRODUCT].perceel)
    return tuple(
        ProviderEntry(p.agb, p.naam, p.wet, tuple(sorted(percelen[p.agb])), p.channel)
        for p in PROVIDERS
    )


def _dirty_entry(defect: PlantedDefect, dirty_files: dict[int, str]) -> DirtyEntry:
    detail = dict(defect.detail)
    if defect.resubmission is not None:
        detail["herindiening"] = defect.resubmission.declaratienummer
    return DirtyEntry(dirty_files[id(defect.batch)], defect.kind, detail)


def _late_description(settings: Scenario) -> dict[str, object] | None:
    if settings.late is None:
        return None
    return {
        "aanbieder": settings.late.agb,
        "vanaf_zorgmaand": months.label(settings.late.vanaf),
        "maanden_te_laat": list(settings.late.lags),
    }


def _trendbreuk_description(settings: Scenario) -> dict[str, object] | None:
    breuk = settings.trendbreuk
    if breuk is None:
        return None
    return {
        "perceel": breuk.perceel,
        "vanaf": months.label(breuk.vanaf),
        "groei_jaar_op_jaar": breuk.expected_yoy_growth,
        "volume_factor": breuk.volume_factor,
        "instroom_factor": breuk.inflow_factor,
    }


def _totals(
    rows: Iterable[Row], pgb: dict[tuple[Month, str], int], *, last: Month
) -> dict[str, dict[str, int]]:
    """Net cents per care year and perceel, declarations plus PGB/income totals."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        if row.care_month <= last:
            totals[str(months.year_of(row.care_month))][row.perceel] += row.signed_amount
    for (month, perceel), cents in pgb.items():
        if month <= last:
            totals[str(months.year_of(month))][perceel] += cents
    return {year: dict(sorted(per.items())) for year, per in sorted(totals.items())}


def _counts(simulation: Simulation, written: Written) -> dict[str, object]:
    """Sizes and a few headline figures, for a quick look and for the lead's tests."""
    trajectories, calendar = simulation.trajectories, simulation.calendar
    as_of, period_start = calendar.as_of, calendar.period_start
    rows = [r for b in simulation.clean for r in b.rows]
    csv_rows = sum(1 for r in rows if r.agb == CSV_PROVIDER)
    youth_clients: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row.wet == "jw" and row.debet_credit == "D":
            youth_clients[str(months.year_of(row.care_month))].add(row.bsn)
    requests: Counter[str] = Counter(
        str(t.alloc_date.year) for t in trajectories if calendar.known(t.alloc_date)
    )
    request_months = calendar.period_last - calendar.period_first + 1 + (as_of.day - 1) / 30
    return {
        "berichten": dict(sorted(written.messages.items())),
        "exports": {"bestanden": written.exports, "regels": csv_rows},
        "declaratieregels": {
            "debet": sum(1 for r in rows if r.debet_credit == "D"),
            "credit": sum(1 for r in rows if r.debet_credit == "C"),
        },
        "unieke_clienten_jeugd": dict(sorted((y, len(c)) for y, c in youth_clients.items())),
        "toewijzingen_per_jaar": dict(sorted(requests.items())),
        "hulpvragen_per_maand": round(sum(requests.values()) / request_months, 1),
        "wachtlijst_op_peildatum": sum(1 for t in trajectories if t.alloc_date <= as_of < t.begin),
        "lopende_toewijzingen_zonder_301": sum(
            1 for t in trajectories if t.alloc_date < period_start <= t.end
        ),
    }
