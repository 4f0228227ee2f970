"""Alert rule files (`alerts/*.yaml`), owned by controllers.

A rule names a metric from the catalogue, a scope, and per severity a
condition written the way a controller says it:

    drempels:
      waarschuwing: "< -5 %"
      kritiek: "< -10 %"

Conditions compare with a number in the metric's unit (`-5 %`, `€ 25.000`,
`56 dagen`, `3`) or with a reference that differs per row: `> norm`,
`> 1,5 × norm`, `> begroting`, `> budgetindicatie`, `buiten interval_95`,
`mist kpi_doel` (the KPI is on the wrong side of its target, in the direction
the target itself states). Numbers are Dutch: `25.000` is twenty-five thousand,
`1,5` is one and a half. Files are read with the shared config loader, so a
mistake comes back as file, line, key, value and the allowed values.
"""

from __future__ import annotations

import hashlib
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from monitorbot.config import ConfigError, ConfigProblem, load_model_file
from monitorbot.config.yaml_source import yaml_files
from monitorbot.core.money import euros_to_cents
from monitorbot.core.numbers import dutch_decimal, parse_dutch_number
from monitorbot.core.privacy import looks_like_bsn
from monitorbot.core.states import Ernst
from monitorbot.evaluate.catalogue import (
    BY_NAME,
    FACTOR_RANGE,
    REFERENCES,
    SCOPES,
    UNIT_EXAMPLES,
    UNIT_RANGES,
    Metric,
    Reference,
    Richting,
    Scope,
    Unit,
)

Kant = Literal["hoog", "laag"]
KANT_WOORD = {"hoog": "een hoge", "laag": "een lage"}
FLIPPED = {">": "<", ">=": "<=", "<": ">", "<=": ">="}
#: A text per direction, for a rule with `richting: beide`.
PerKant = dict[Kant, str]

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
RESERVED_LABELS = {
    "perceel", "aanbieder", "domein", "totaal", "kpi", "jaar", "zorgmaand",
    "regel", "ernst", "soort", "bron",
}  # fmt: skip
FILTERS: dict[str, list[str] | None] = {
    "perceel": None,  # checked against percelen.yaml when the loader knows them
    "aanbieder": None,
    "domein": ["jeugd", "wmo"],
    "kpi": ["kosten_per_client", "aandeel_lokaal_team", "verblijf_vs_pleegzorg", "doorlooptijd"],
}
_NUMBER = r"[-+−]?\d+(?:\.\d{3})*(?:,\d+)?|[-+−]?\d+(?:\.\d+)?"
_COMPARISON = re.compile(rf"^(>=|<=|>|<)\s*(?:(?P<factor>{_NUMBER})\s*[×x*]\s*)?(?P<rest>.+)$")
_AMOUNT = re.compile(
    rf"^(?P<euro>€\s*)?(?P<number>{_NUMBER})\s*(?P<unit>%|procent|euro|dagen|dag)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Condition:
    """One parsed condition: `op` against a number (in the metric's unit) or a reference.

    Euro thresholds are held in cents, like every amount in monitorbot.
    """

    tekst: str
    op: str  # >, <, >=, <=, buiten, mist
    waarde: float | None = None
    eenheid: Unit | None = None
    referentie: Reference | None = None
    factor: float = 1.0

    @property
    def richting(self) -> Kant | None:
        """Which way this condition points: `> …` at high values, `< …` at low ones."""
        if self.op in (">", ">="):
            return "hoog"
        if self.op in ("<", "<="):
            return "laag"
        return None  # buiten interval / mist kpi_doel: the row decides

    def threshold(self, references: dict[str, Any]) -> float | tuple[float, float] | None:
        """The number this condition compares with for one row (None: no reference there)."""
        if self.referentie is None:
            return self.waarde
        value = references.get(self.referentie)
        if value is None:
            return None
        if isinstance(value, (tuple, list)):
            return (float(value[0]), float(value[1]))
        return float(value) * self.factor

    def holds(self, value: float, references: dict[str, Any]) -> bool | None:
        """Whether the condition holds; None when the row lacks the reference."""
        threshold = self.threshold(references)
        if threshold is None:
            return None
        if self.op == "buiten":
            low, high = threshold  # type: ignore[misc]
            return value < low or value > high
        if self.op == "mist":
            direction = references.get("kpi_richting")
            if direction not in OPERATORS:
                return None
            return not OPERATORS[direction](value, threshold)  # type: ignore[arg-type]
        return OPERATORS[self.op](value, threshold)  # type: ignore[arg-type]


def parse_condition(text: str) -> Condition:
    """Parse a condition; a ValueError says what is wrong and what is allowed."""
    original = text
    text = " ".join(str(text).split())
    if text == "buiten interval_95":
        return Condition(original, "buiten", referentie="interval_95")
    if text == "mist kpi_doel":
        return Condition(original, "mist", referentie="kpi_doel")
    match = _COMPARISON.match(text)
    if not match:
        raise ValueError(
            f"onbegrijpelijke voorwaarde {original!r}; schrijf bv. '< -5 %', '> € 25.000', "
            "'> 56 dagen', '>= 3', '> norm', '> 1,5 × norm', '> begroting', "
            "'buiten interval_95' of 'mist kpi_doel'"
        )
    op, rest = match.group(1), match.group("rest").strip()
    factor = match.group("factor")
    if rest in REFERENCES:
        if rest in ("interval_95", "kpi_doel"):
            word = "buiten" if rest == "interval_95" else "mist"
            raise ValueError(f"gebruik '{word} {rest}' in plaats van {original!r}")
        times = parse_dutch_number(factor) if factor else 1.0
        low, high = FACTOR_RANGE
        if not low <= times <= high:
            raise ValueError(
                f"factor {factor} in {original!r} ligt buiten {_dutch(low)} – {_dutch(high)}"
            )
        return Condition(original, op, referentie=rest, factor=times)  # type: ignore[arg-type]
    if factor:
        raise ValueError(f"{rest!r} is geen referentie; toegestaan na '×': {', '.join(REFERENCES)}")
    amount = _AMOUNT.match(rest)
    if not amount:
        raise ValueError(
            f"{rest!r} is geen getal met eenheid en geen referentie; voorbeelden: "
            f"{', '.join(UNIT_EXAMPLES.values())}; referenties: {', '.join(REFERENCES)}"
        )
    unit_word = (amount.group("unit") or "").lower()
    unit: Unit
    if amount.group("euro") or unit_word == "euro":
        unit = "euro"
    elif unit_word in ("%", "procent"):
        unit = "procent"
    elif unit_word in ("dag", "dagen"):
        unit = "dagen"
    else:
        unit = "aantal"
    if unit == "euro":
        number = float(euros_to_cents(dutch_decimal(amount.group("number"))))
    else:
        number = parse_dutch_number(amount.group("number"))
    low, high = UNIT_RANGES[unit]
    if not low <= number <= high:
        shown = (low / 100, high / 100) if unit == "euro" else (low, high)
        raise ValueError(
            f"{rest!r} ligt buiten wat een drempel in {unit} kan zijn "
            f"({_dutch(shown[0])} – {_dutch(shown[1])})"
        )
    return Condition(original, op, waarde=number, eenheid=unit)


def _dutch(number: float) -> str:
    """1000000 → '1.000.000', 0.01 → '0,01': as a controller writes it."""
    if float(number).is_integer():
        return f"{int(number):,}".replace(",", ".")
    return f"{number}".replace(".", ",")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(_Strict):
    """One alert rule as a controller writes it."""

    naam: str = Field(min_length=3, max_length=100)
    omschrijving: str | PerKant = Field(min_length=1)
    scope: Scope
    metric: str
    richting: Richting | None = None  # default: the way the catalogue calls a problem
    drempels: dict[Ernst, Condition]
    minimale_impact: Condition | None = None
    voor: int = Field(default=1, ge=1, le=24)
    labels: dict[str, str] = Field(default_factory=dict)
    filter: dict[str, list[str]] = Field(default_factory=dict)
    kanaal: str
    eigenaar: str = Field(min_length=1)
    actie: str | PerKant = Field(min_length=1)
    herhaal: Literal["maandcyclus", "elke_evaluatie", "nooit"] = "maandcyclus"

    def tekst(self, kant: Kant | None = None) -> tuple[str, str]:
        """(omschrijving, actie) for the way the alert holds (`Observation.kant`)."""
        if isinstance(self.omschrijving, str) and isinstance(self.actie, str):
            return self.omschrijving, self.actie
        assert isinstance(self.omschrijving, dict) and isinstance(self.actie, dict)
        metric = BY_NAME[self.metric]
        key: Kant = kant or ("laag" if metric.slecht == "laag" else "hoog")
        return self.omschrijving[key], self.actie[key]

    @field_validator("naam")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("gebruik kleine letters, cijfers en '-', bv. 'jeugd-overschrijding'")
        return value

    @field_validator("omschrijving", "actie", "eigenaar")
    @classmethod
    def _no_client_data(cls, value: str | PerKant) -> str | PerKant:
        """These texts go into chat messages: a BSN-like number there is refused."""
        texts = value.values() if isinstance(value, dict) else [value]
        if any(looks_like_bsn(text) for text in texts):
            raise ValueError("bevat een nummer dat een BSN kan zijn; laat cliëntgegevens weg")
        if any(not text.strip() for text in texts):
            raise ValueError("mag niet leeg zijn")
        return value

    @field_validator("actie")
    @classmethod
    def _a_text_per_direction(cls, value: str | PerKant, info: ValidationInfo) -> str | PerKant:
        """With `richting: beide` an alert can hold either way: say each way in words."""
        omschrijving = info.data.get("omschrijving")
        if info.data.get("richting") == "beide":
            for name, text in (("omschrijving", omschrijving), ("actie", value)):
                if text is not None and (
                    not isinstance(text, dict) or set(text) != {"hoog", "laag"}
                ):
                    raise ValueError(
                        f"met 'richting: beide' kan de regel beide kanten op afgaan; geef {name} "
                        "per kant: {hoog: '…', laag: '…'}, zodat een melding nooit een "
                        "overschrijding noemt waar het een onderschrijding is"
                    )
        elif isinstance(value, dict) or isinstance(omschrijving, dict):
            raise ValueError(
                "omschrijving en actie per kant (hoog/laag) horen bij 'richting: beide'; "
                "schrijf anders één tekst"
            )
        return value

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str, info: ValidationInfo) -> str:
        if value not in BY_NAME:
            raise ValueError(f"onbekende metric {value!r}; toegestaan: {', '.join(BY_NAME)}")
        scope = info.data.get("scope")
        if scope is not None and scope not in BY_NAME[value].scopes:
            raise ValueError(
                f"metric {value} bestaat niet voor scope {scope!r}; "
                f"toegestaan: {', '.join(BY_NAME[value].scopes)}"
            )
        return value

    @field_validator("drempels", mode="before")
    @classmethod
    def _parse_thresholds(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        if not value:
            raise ValueError(f"geef minstens één ernst; toegestaan: {', '.join(Ernst)}")
        return {key: _as_condition(text) for key, text in value.items()}

    @field_validator("drempels")
    @classmethod
    def _thresholds_fit_metric(
        cls, value: dict[Ernst, Condition], info: ValidationInfo
    ) -> dict[Ernst, Condition]:
        """Units and references are checked here, so the error points at `drempels`."""
        metric = BY_NAME.get(info.data.get("metric", ""))
        if metric is None:
            return value
        for ernst, condition in value.items():
            if condition.referentie is not None:
                if condition.referentie not in metric.referenties:
                    allowed = ", ".join(metric.referenties) or "geen (alleen een getal)"
                    raise ValueError(
                        f"drempel {ernst} {condition.tekst!r}: metric {metric.naam} kent "
                        f"referentie {condition.referentie!r} niet; toegestaan: {allowed}"
                    )
            elif condition.eenheid != metric.eenheid:
                raise ValueError(
                    f"drempel {ernst} {condition.tekst!r} is in {condition.eenheid}, maar "
                    f"{metric.naam} is in {metric.eenheid}; schrijf bv. "
                    f"{UNIT_EXAMPLES[metric.eenheid]}"
                )
        _check_directions(metric, info.data.get("richting"), value)
        return value

    @field_validator("minimale_impact", mode="before")
    @classmethod
    def _parse_impact(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or isinstance(value, Condition):
            return value
        metric = BY_NAME.get(info.data.get("metric", ""))
        if metric is not None and not metric.impact:
            raise ValueError(
                f"metric {metric.naam} heeft geen bedrag om tegen af te wegen; laat "
                "minimale_impact weg (zou de regel nooit laten afgaan)"
            )
        condition = parse_condition(f">= {value}")
        if condition.eenheid != "euro":
            raise ValueError(f"minimale_impact is een bedrag, bv. '€ 25.000', niet {value!r}")
        return condition

    @field_validator("labels")
    @classmethod
    def _own_labels_only(cls, value: dict[str, str]) -> dict[str, str]:
        taken = sorted(set(value) & RESERVED_LABELS)
        if taken:
            raise ValueError(
                f"label {', '.join(taken)} is gereserveerd (monitorbot zet die zelf); kies "
                "een andere naam, bv. 'team' of 'thema'"
            )
        return value

    @field_validator("filter")
    @classmethod
    def _known_filter_values(
        cls, value: dict[str, list[str]], info: ValidationInfo
    ) -> dict[str, list[str]]:
        unknown = set(value) - set(FILTERS)
        if unknown:
            raise ValueError(
                f"onbekend filter {', '.join(sorted(unknown))}; toegestaan: {', '.join(FILTERS)}"
            )
        known = {**FILTERS, "perceel": (info.context or {}).get("percelen")}
        for key, values in value.items():
            allowed = known.get(key)
            wrong = [v for v in values if allowed is not None and v not in allowed]
            if key == "aanbieder":
                wrong = [v for v in values if not re.fullmatch(r"[0-9]{8}", v)]
                allowed = ["AGB-codes van 8 cijfers"]
            if wrong:
                raise ValueError(
                    f"filter {key}: onbekend {', '.join(map(repr, wrong))}; "
                    f"toegestaan: {', '.join(allowed or [])}"
                )
        return value

    @field_validator("kanaal")
    @classmethod
    def _known_channel(cls, value: str, info: ValidationInfo) -> str:
        known: list[str] | None = (info.context or {}).get("kanalen")
        if known is not None and value not in known:
            raise ValueError(
                f"onbekend kanaal {value!r}; toegestaan (uit config/gemeenten): "
                f"{', '.join(sorted(known))}"
            )
        return value


def _check_directions(
    metric: Metric, richting: Richting | None, drempels: dict[Ernst, Condition]
) -> None:
    """A threshold may not point where the metric is fine (`> 5 %` on an overrun %), and
    two severities may not point opposite ways, unless the rule says `richting: beide`."""
    wanted = richting or metric.slecht
    pointing = {ernst: c for ernst, c in drempels.items() if c.richting is not None}
    if wanted == "beide":
        if richting is None and len({c.richting for c in pointing.values()}) > 1:
            raise ValueError(
                f"{' en '.join(f'{e} {c.tekst!r}' for e, c in pointing.items())} wijzen "
                "tegengestelde kanten op; zet 'richting: beide' als je beide kanten wilt melden"
            )
        return
    for ernst, condition in pointing.items():
        if condition.richting == wanted:
            continue
        own = f" (bij {metric.naam}: {metric.slecht_uitleg})" if richting is None else ""
        raise ValueError(
            f"drempel {ernst} {condition.tekst!r} meldt {KANT_WOORD[condition.richting]} "
            f"waarde, maar deze regel hoort {KANT_WOORD[wanted]} waarde te melden{own}; "
            f"schrijf bv. {_flipped(condition)!r}, of zet 'richting: beide' (met omschrijving "
            "en actie per kant) als je beide kanten wilt melden"
        )


def _flipped(condition: Condition) -> str:
    """What the controller probably meant: `> 5 %` → `< -5 %` for a signed percentage or
    amount; for days and counts only the comparison turns (`< 30 dagen` → `> 30 dagen`)."""
    op = condition.op
    rest = condition.tekst.strip()[len(op) :].strip()
    if condition.waarde is None or condition.eenheid not in ("procent", "euro"):
        return f"{FLIPPED[op]} {rest}"
    if condition.eenheid == "euro":
        number = rest.replace("€", "").strip()
        negated = number[1:] if number.startswith(("-", "−")) else f"-{number.lstrip('+')}"
        return f"{FLIPPED[op]} € {negated}"
    negated = rest[1:] if rest.startswith(("-", "−")) else f"-{rest.lstrip('+')}"
    return f"{FLIPPED[op]} {negated}"


def _as_condition(value: Any) -> Any:
    if isinstance(value, Condition):
        return value
    if not isinstance(value, (str, int, float)):
        raise ValueError("een drempel is tekst, bv. '< -5 %'")
    return parse_condition(str(value))


class RuleFile(_Strict):
    """A rule file. Without `gemeenten` its rules apply to every municipality (the shared
    standard set, the beheerder's); with it only to those named, where a rule of the same
    name replaces the shared one (a controller's own threshold for their municipality)."""

    gemeenten: list[str] | None = None
    regels: list[Rule] = Field(default_factory=list)

    @field_validator("gemeenten")
    @classmethod
    def _known_gemeenten(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value is None:
            return value
        if not value:
            raise ValueError("noem minstens één gemeente (CBS-code), of laat 'gemeenten' weg")
        known: list[str] | None = (info.context or {}).get("gemeenten")
        wrong = [code for code in value if known is not None and code not in known]
        if wrong:
            raise ValueError(
                f"onbekende gemeente {', '.join(map(repr, wrong))}; geconfigureerd: "
                f"{', '.join(sorted(known or []))}"
            )
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> RuleFile:
        seen: set[str] = set()
        for rule in self.regels:
            if rule.naam in seen:
                raise ValueError(f"regel {rule.naam!r} staat twee keer in dit bestand")
            seen.add(rule.naam)
        return self


@dataclass(frozen=True)
class Placed:
    """A rule with where it was read and for whom it holds (None: every municipality)."""

    rule: Rule
    bestand: Path
    gemeenten: frozenset[str] | None

    def geldt_voor(self, gemeente: str) -> bool:
        return self.gemeenten is None or gemeente in self.gemeenten


@dataclass(frozen=True)
class RuleSet:
    placed: tuple[Placed, ...]
    files: tuple[Path, ...]
    checksums: dict[str, str]  # path → sha256, to record when a threshold changed

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Every rule in the files, shared and per municipality (for listing and checks)."""
        return tuple(entry.rule for entry in self.placed)

    def effective(self, gemeente: str) -> tuple[Placed, ...]:
        """The rules that hold for one municipality: its own replace shared ones by name."""
        own = {e.rule.naam: e for e in self.placed if e.gemeenten and gemeente in e.gemeenten}
        shared = [e for e in self.placed if e.gemeenten is None and e.rule.naam not in own]
        return (*shared, *own.values())

    def voor(self, gemeente: str) -> tuple[Rule, ...]:
        """What an evaluation of `gemeente` runs."""
        return tuple(entry.rule for entry in self.effective(gemeente))

    def channels(self) -> set[str]:
        return {rule.kanaal for rule in self.rules}


def rule_files(folder: Path) -> list[Path]:
    return yaml_files(folder)


def load_rules(
    paths: list[Path],
    channels: list[str] | None = None,
    percelen: list[str] | None = None,
    gemeenten: list[str] | None = None,
) -> RuleSet:
    """Load rule files (or every `*.yaml` in a folder); all problems reported at once.

    A name is unique among the rules that can hold for one municipality: two shared
    files, or two files naming the same gemeente, may not both define it.
    """
    files: list[Path] = []
    problems: list[ConfigProblem] = []
    for path in paths:
        if not path.exists():
            problems.append(ConfigProblem(path, None, "", None, "bestand of map bestaat niet"))
            continue
        files.extend(rule_files(path) if path.is_dir() else [path])
    placed: list[Placed] = []
    context = {"kanalen": channels, "percelen": percelen, "gemeenten": gemeenten}
    for file in files:
        try:
            loaded = load_model_file(file, RuleFile, context)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        scope = frozenset(loaded.gemeenten) if loaded.gemeenten is not None else None
        for rule in loaded.regels:
            clash = next((e for e in placed if _clash(e, rule.naam, scope)), None)
            if clash is not None:
                problems.append(
                    ConfigProblem(
                        file, None, "naam", rule.naam, f"regel staat ook in {clash.bestand}"
                    )
                )
            placed.append(Placed(rule, file, scope))
    if problems:
        raise ConfigError(problems)
    checksums = {str(file): hashlib.sha256(file.read_bytes()).hexdigest() for file in files}
    return RuleSet(tuple(placed), tuple(files), checksums)


def _clash(entry: Placed, naam: str, scope: frozenset[str] | None) -> bool:
    """Two rules of one name that would both hold for some municipality."""
    if entry.rule.naam != naam:
        return False
    if entry.gemeenten is None or scope is None:
        return entry.gemeenten is None and scope is None
    return bool(entry.gemeenten & scope)


__all__ = [
    "SCOPES",
    "Condition",
    "Ernst",
    "Placed",
    "Rule",
    "RuleFile",
    "RuleSet",
    "load_rules",
    "parse_condition",
    "rule_files",
]
