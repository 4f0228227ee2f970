"""Change a rule's threshold, `voor` or `minimale_impact` from the console, in the right file.

A controller's change holds for their own municipality only: it is written to
that gemeente's own file (`alerts/gemeente-<code>.yaml`, `gemeenten: [<code>]`),
where a rule of the same name replaces the shared one. The first change copies
the shared rule there, so the own file reads on its own. A change for every
municipality goes to the shared file the rule came from: the beheerder's.
The edit itself is `config.edit.apply_edit`: round-trip YAML, the whole rule
folder loaded with the change before the file is replaced, and a diff back.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from monitorbot.config import Config
from monitorbot.config.edit import Edit, EditRefused, apply_edit, block_list, round_trip
from monitorbot.config.loader import dutch_message
from monitorbot.core.states import Ernst
from monitorbot.evaluate.rules import Placed, Rule, RuleSet, load_rules


@dataclass(frozen=True)
class RuleChange:
    """What the console lets a controller change: the rest of a rule stays as written."""

    drempels: dict[Ernst, str]  # a severity left out is removed from the rule
    voor: int
    minimale_impact: str | None  # None: no floor


@dataclass(frozen=True)
class RuleContext:
    """What a rule file is checked against: the configured channels, percelen, gemeenten."""

    kanalen: list[str] | None
    percelen: list[str] | None
    gemeenten: list[str] | None

    def load(self, folder: Path) -> RuleSet:
        return load_rules([folder], self.kanalen, self.percelen, self.gemeenten)

    @classmethod
    def of(cls, config: Config) -> RuleContext:
        return cls(
            sorted({name for g in config.gemeenten.values() for name in g.kanalen}),
            config.percelen.ids,
            sorted(config.gemeenten),
        )


def changed_rule(rule: Rule, change: RuleChange, context: RuleContext) -> Rule:
    """The rule with `change` applied, checked as a rule file would be; EditRefused says
    what is wrong in the words of the rule file."""
    data = {
        **dict(rule),
        "drempels": {ernst.value: text for ernst, text in change.drempels.items()},
        "voor": change.voor,
        "minimale_impact": change.minimale_impact,
    }
    try:
        return Rule.model_validate(
            data, context={"kanalen": context.kanalen, "percelen": context.percelen}
        )
    except ValidationError as exc:
        problems = [
            f"{'.'.join(map(str, item['loc'])) or 'regel'}: {dutch_message(item)}"
            for item in exc.errors()
        ]
        raise EditRefused("; ".join(problems)) from None


def own_file(gemeente: str) -> str:
    """The file a controller's changes for one municipality go to (relative to alerts/)."""
    return f"gemeente-{gemeente}.yaml"


def target_file(placed: Placed, gemeente: str | None) -> str:
    """Which file a change of `placed` goes to: its shared file for every municipality,
    else the gemeente's own; refused where an own copy would clash with a file that
    already gives the rule to several municipalities."""
    if gemeente is None:
        if placed.gemeenten is not None:
            raise EditRefused(
                f"regel {placed.rule.naam} staat in {placed.bestand.name}, dat alleen voor "
                f"{', '.join(sorted(placed.gemeenten))} geldt"
            )
        return placed.bestand.name
    if placed.gemeenten is None:
        return own_file(gemeente)
    if placed.gemeenten != {gemeente}:
        raise EditRefused(
            f"regel {placed.rule.naam} staat in {placed.bestand.name}, dat voor meer gemeenten "
            "geldt; de beheerder wijzigt dat bestand"
        )
    return placed.bestand.name  # already this gemeente's own rule, in whichever file


def change_rule(
    alerts_dir: Path,
    context: RuleContext,
    naam: str,
    change: RuleChange,
    *,
    gemeente: str | None,
) -> Edit:
    """Write `change` to rule `naam` as it holds for `gemeente` (None: for everyone)."""
    rules = context.load(alerts_dir)
    entries = (
        rules.effective(gemeente) if gemeente else [e for e in rules.placed if e.gemeenten is None]
    )
    placed = next((e for e in entries if e.rule.naam == naam), None)
    if placed is None:
        raise EditRefused(f"regel {naam} bestaat niet" + (f" voor {gemeente}" if gemeente else ""))
    relative = target_file(placed, gemeente)
    _check_scope(alerts_dir / relative, gemeente)
    source = _rule_mapping(placed.bestand, naam)

    def edit(doc: CommentedMap) -> None:
        regels = block_list(doc, "regels")
        mapping = next((r for r in regels if r.get("naam") == naam), None)
        if mapping is None:  # the first own change: start from the shared rule as written
            mapping = copy.deepcopy(source)
            regels.append(mapping)
        _apply_change(mapping, change)

    return apply_edit(
        alerts_dir, relative, edit, context.load, new=_new_own_file(gemeente) if gemeente else None
    )


def _check_scope(path: Path, gemeente: str | None) -> None:
    """The file written must hold for exactly the municipalities the change is for: a
    controller's change may not reach a gemeente a hand edit added to their own file."""
    if not path.is_file():
        return
    scope = round_trip().load(path.read_text(encoding="utf-8")).get("gemeenten")
    wanted = None if gemeente is None else [gemeente]
    if (list(scope) if scope is not None else None) != wanted:
        raise EditRefused(
            f"{path.name} geldt niet (alleen) voor "
            f"{'alle gemeenten' if gemeente is None else gemeente}; de beheerder wijzigt dat "
            "bestand"
        )


def _rule_mapping(path: Path, naam: str) -> CommentedMap:
    doc = round_trip().load(path.read_text(encoding="utf-8"))
    for mapping in doc.get("regels") or []:
        if mapping.get("naam") == naam:
            return mapping
    raise EditRefused(f"regel {naam} niet gevonden in {path.name}")  # changed meanwhile


def _apply_change(mapping: CommentedMap, change: RuleChange) -> None:
    drempels = mapping.get("drempels")
    if not isinstance(drempels, CommentedMap):
        drempels = mapping["drempels"] = CommentedMap()
    for ernst in list(drempels):
        if ernst not in change.drempels:
            del drempels[ernst]
    for ernst, text in change.drempels.items():
        if drempels.get(ernst) != text:
            drempels[ernst.value] = DoubleQuotedScalarString(text)
    if change.voor != mapping.get("voor", 1):
        mapping["voor"] = change.voor
    if change.minimale_impact is None:
        mapping.pop("minimale_impact", None)
    elif mapping.get("minimale_impact") != change.minimale_impact:
        mapping["minimale_impact"] = DoubleQuotedScalarString(change.minimale_impact)


def _new_own_file(gemeente: str) -> str:
    return (
        f"# Eigen drempels van gemeente {gemeente}: een regel hier vervangt de gedeelde regel\n"
        "# met dezelfde naam, alleen voor deze gemeente. De console schrijft hierin; met de\n"
        "# hand bewerken mag ook.\n"
        f'gemeenten: ["{gemeente}"]\n'
        "regels: []\n"
    )
