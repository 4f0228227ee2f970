"""What was planted in the demo, so tests can hold the monitor to exact figures.

`yearly_totals_cents` is what a correct ingest finds for Demodorp on the as-of
date: all declarations received by then that it keeps (clean ones, and the
schema-valid defective ones whose problem is only a finding), credits netted,
lines rejected by an answer (325) known by then taken out: granted cost,
by care month's year and perceel (leaf percelen, as lines map; `jeugd-zin` is
their roll-up and not repeated), plus the PGB and eigen-bijdrage totals.
`truth_totals_cents` is what the care really cost, including lines not yet
declared and the months after the as-of date up to December of its year: the
number a year-end forecast should approach. `begrotingen_cents` is the primitive
budget of every year of the period per budget row (see `budget.demo_budget`), so
a demo that plays in any year has a budget to compare with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ProviderEntry:
    agb: str
    naam: str
    wet: str
    percelen: tuple[str, ...]
    channel: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "agb": self.agb,
            "naam": self.naam,
            "wet": self.wet,
            "percelen": list(self.percelen),
            "channel": self.channel,
        }


@dataclass(frozen=True)
class DirtyEntry:
    file: str
    """Path relative to the output folder, with `/` separators."""
    kind: str
    detail: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "kind": self.kind, "detail": dict(self.detail)}


@dataclass(frozen=True)
class DemoManifest:
    """The manifest.json of a generated demo, as a typed value."""

    gemeente: str
    seed: int
    scenario: str
    period: tuple[str, str]
    as_of: str
    providers: tuple[ProviderEntry, ...]
    dirty: tuple[DirtyEntry, ...]
    waiting_norm_breaker: str
    late_provider: str | None
    trendbreuk: dict[str, Any] | None
    yearly_totals_cents: dict[str, dict[str, int]]
    counts: dict[str, Any]
    truth_totals_cents: dict[str, dict[str, int]] = field(default_factory=dict)
    late_declaraties: dict[str, Any] | None = None
    begrotingen_cents: dict[str, dict[str, int]] = field(default_factory=dict)
    antwoorden: dict[str, int] = field(default_factory=dict)
    """The 325s known on the as-of date: berichten, ingediend/toegekend/afgewezen cents
    and afgewezen_regels (youth declarations only; see `demo.answers`)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; key order is fixed so the file is byte-stable."""
        return {
            "gemeente": self.gemeente,
            "seed": self.seed,
            "scenario": self.scenario,
            "period": list(self.period),
            "as_of": self.as_of,
            "providers": [p.to_dict() for p in self.providers],
            "dirty": [d.to_dict() for d in self.dirty],
            "waiting_norm_breaker": self.waiting_norm_breaker,
            "late_provider": self.late_provider,
            "late_declaraties": self.late_declaraties,
            "trendbreuk": self.trendbreuk,
            "yearly_totals_cents": self.yearly_totals_cents,
            "truth_totals_cents": self.truth_totals_cents,
            "counts": self.counts,
            "begrotingen_cents": self.begrotingen_cents,
            "antwoorden": self.antwoorden,
        }

    def write(self, path: Path) -> None:
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False, sort_keys=False)
        path.write_text(text + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> DemoManifest:
        """Load a manifest.json written by `write` (for tests and the demo command)."""
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            gemeente=data["gemeente"],
            seed=data["seed"],
            scenario=data["scenario"],
            period=(data["period"][0], data["period"][1]),
            as_of=data["as_of"],
            providers=tuple(
                ProviderEntry(p["agb"], p["naam"], p["wet"], tuple(p["percelen"]), p["channel"])
                for p in data["providers"]
            ),
            dirty=tuple(DirtyEntry(d["file"], d["kind"], d["detail"]) for d in data["dirty"]),
            waiting_norm_breaker=data["waiting_norm_breaker"],
            late_provider=data["late_provider"],
            trendbreuk=data["trendbreuk"],
            yearly_totals_cents=data["yearly_totals_cents"],
            counts=data["counts"],
            truth_totals_cents=data.get("truth_totals_cents", {}),
            late_declaraties=data.get("late_declaraties"),
            begrotingen_cents=data.get("begrotingen_cents", {}),
            antwoorden=data.get("antwoorden", {}),
        )
