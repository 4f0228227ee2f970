"""Read the whole `config/` folder and report every problem at once.

Layout (owned by admins and controllers):
  monitorbot.yaml                    deployment settings
  percelen.yaml                      perceel definitions and mapping rules
  gemeenten/<code>-<naam>.yaml       one file per municipality
  begroting/<code>-<jaar>.yaml       one budget per municipality per year
  regio/<naam>.yaml                  a region: member municipalities and shared contracts
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from monitorbot.config.models import (
    Begroting,
    Deployment,
    GemeenteConfig,
    PercelenConfig,
    RegioConfig,
)
from monitorbot.config.yaml_source import (
    ConfigError,
    ConfigProblem,
    YamlDocument,
    describe_path,
    load_yaml,
    yaml_files,
)

GEMEENTE_FILE = re.compile(r"^(?P<code>[0-9]{4})-(?P<naam>[a-z0-9-]+)\.ya?ml$")
M = TypeVar("M", bound=BaseModel)
BEGROTING_FILE = re.compile(r"^(?P<code>[0-9]{4})-(?P<jaar>[0-9]{4})\.ya?ml$")
REGIO_FILE = re.compile(r"^(?P<naam>[a-z0-9]+(-[a-z0-9]+)*)\.ya?ml$")


@dataclass
class Config:
    """The validated configuration of one deployment (possibly many municipalities)."""

    directory: Path
    deployment: Deployment
    percelen: PercelenConfig
    gemeenten: dict[str, GemeenteConfig]
    begrotingen: dict[tuple[str, int], Begroting]
    checksums: dict[str, str] = field(default_factory=dict)
    regios: dict[str, RegioConfig] = field(default_factory=dict)
    """By the name of their file (`regio/<naam>.yaml`)."""

    def gemeente(self, code: str) -> GemeenteConfig:
        try:
            return self.gemeenten[code]
        except KeyError:
            known = ", ".join(sorted(self.gemeenten)) or "geen"
            raise ConfigError(
                [
                    ConfigProblem(
                        self.directory / "gemeenten",
                        None,
                        "code",
                        code,
                        "gemeente is niet geconfigureerd",
                        known,
                    )
                ]
            ) from None

    def begroting(self, code: str, jaar: int) -> Begroting | None:
        return self.begrotingen.get((code, jaar))

    def regio(self, naam: str) -> RegioConfig:
        try:
            return self.regios[naam]
        except KeyError:
            raise ConfigError(
                [
                    ConfigProblem(
                        self.directory / "regio",
                        None,
                        "naam",
                        naam,
                        "regio is niet geconfigureerd",
                        ", ".join(sorted(self.regios)) or "geen",
                    )
                ]
            ) from None

    def regios_van(self, gemeente: str) -> list[str]:
        """The regions this gemeente is a member of, by name."""
        return sorted(n for n, r in self.regios.items() if gemeente in r.leden)


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Pydantic adds union-member tags and '[key]' markers; keep only data keys."""
    keep: list[Any] = []
    for part in loc:
        if part == "[key]" or (isinstance(part, str) and part.endswith("Channel")):
            continue
        if isinstance(part, str) and part in {"function-after", "function-before"}:
            continue
        keep.append(part)
    return tuple(keep)


#: pydantic's error types in the words a controller reads (Dutch); {x} from the error context.
DUTCH_MESSAGES: dict[str, str] = {
    "missing": "ontbreekt (verplicht)",
    "int_parsing": "moet een geheel getal zijn",
    "int_type": "moet een geheel getal zijn",
    "int_from_float": "moet een geheel getal zijn",
    "float_parsing": "moet een getal zijn",
    "float_type": "moet een getal zijn",
    "bool_parsing": "moet true of false zijn",
    "bool_type": "moet true of false zijn",
    "string_type": "moet tekst zijn",
    "string_too_short": "is te kort (minstens {min_length} teken(s))",
    "string_too_long": "is te lang (hoogstens {max_length} tekens)",
    "string_pattern_mismatch": "heeft niet de juiste vorm (patroon {pattern})",
    "too_short": "heeft te weinig elementen (minstens {min_length})",
    "greater_than": "moet groter zijn dan {gt}",
    "greater_than_equal": "moet minstens {ge} zijn",
    "less_than": "moet kleiner zijn dan {lt}",
    "less_than_equal": "mag hoogstens {le} zijn",
    "date_from_datetime_parsing": "moet een datum zijn (JJJJ-MM-DD)",
    "date_parsing": "moet een datum zijn (JJJJ-MM-DD)",
    "date_type": "moet een datum zijn (JJJJ-MM-DD)",
    "list_type": "moet een lijst zijn",
    "dict_type": "moet een mapping zijn (sleutel: waarde)",
    "model_type": "moet een mapping zijn (sleutel: waarde)",
    "union_tag_invalid": "onbekend type",
    "union_tag_not_found": "type ontbreekt",
}


def dutch_message(item: dict) -> str:
    template = DUTCH_MESSAGES.get(item["type"])
    if template is None:
        return item["msg"].removeprefix("Value error, ")
    try:
        return template.format(**item.get("ctx", {}))
    except (KeyError, IndexError):
        return template


def _echoable(value: object, message: str) -> object:
    """The offending value, shown back to the editor, unless it is a structure or client data.

    A text refused because it holds a BSN-like number is not repeated: the error
    goes to a console and a log, where a BSN must never appear.
    """
    if isinstance(value, (dict, list)) or "BSN" in message:
        return None
    return value


def _problems_from_validation(doc: YamlDocument, error: ValidationError) -> list[ConfigProblem]:
    problems = []
    for item in error.errors():
        loc = _clean_loc(tuple(item["loc"]))
        message = dutch_message(item)
        if item["type"] == "extra_forbidden":
            message = "onbekende sleutel (tikfout?)"
        allowed = None
        if item["type"] in {"union_tag_invalid", "union_tag_not_found"}:
            allowed = str(item.get("ctx", {}).get("expected_tags", "")) or None
        if allowed:
            pass
        elif "; toegestaan: " in message:
            message, allowed = message.split("; toegestaan: ", 1)
        elif item["type"] == "literal_error":
            allowed = str(item.get("ctx", {}).get("expected", "")) or None
            message = "waarde niet toegestaan"
        problems.append(
            ConfigProblem(
                file=doc.file,
                line=doc.line_of(loc),
                key=describe_path(loc),
                value=_echoable(item.get("input"), message),
                message=message,
                allowed=allowed,
            )
        )
    return problems


def _validate(
    doc: YamlDocument, model: type[M], problems: list[ConfigProblem], context: dict | None = None
) -> M | None:
    if doc.data is None:
        doc.data = {}
    if not isinstance(doc.data, dict):
        problems.append(
            ConfigProblem(doc.file, 1, "", None, "verwacht een mapping (sleutel: waarde)")
        )
        return None
    try:
        return model.model_validate(doc.data, context=context)
    except ValidationError as exc:
        problems.extend(_problems_from_validation(doc, exc))
        return None


def _load(
    file: Path, problems: list[ConfigProblem], checksums: dict[str, str]
) -> YamlDocument | None:
    try:
        checksums[str(file)] = hashlib.sha256(file.read_bytes()).hexdigest()
        return load_yaml(file)
    except ConfigError as exc:
        problems.extend(exc.problems)
        return None


def load_model_file(file: Path, model: type[M], context: dict | None = None) -> M:
    """Load one YAML file into `model`; raise ConfigError naming file, line and key.

    Used by the later stages for their own files (export formats, alert rules,
    forecast specifications), so every config error reads the same.
    """
    problems: list[ConfigProblem] = []
    doc = _load(file, problems, {})
    result = _validate(doc, model, problems, context) if doc else None
    if problems or result is None:
        raise ConfigError(problems)
    return result


def load_config(directory: Path) -> Config:
    """Load and validate everything under `directory`; raise ConfigError listing all problems."""
    directory = Path(directory)
    problems: list[ConfigProblem] = []
    checksums: dict[str, str] = {}
    if not directory.is_dir():
        raise ConfigError(
            [ConfigProblem(directory, None, "", None, "configuratiemap bestaat niet")]
        )

    deployment = Deployment()
    deployment_file = directory / "monitorbot.yaml"
    if deployment_file.exists() and (doc := _load(deployment_file, problems, checksums)):
        deployment = _validate(doc, Deployment, problems) or deployment

    percelen: PercelenConfig | None = None
    percelen_file = directory / "percelen.yaml"
    if not percelen_file.exists():
        problems.append(ConfigProblem(percelen_file, None, "", None, "bestand ontbreekt"))
    elif doc := _load(percelen_file, problems, checksums):
        percelen = _validate(doc, PercelenConfig, problems)
    context = {"percelen": percelen.ids} if percelen else None

    broken: set[str] = set()
    gemeenten = _load_gemeenten(directory / "gemeenten", problems, checksums, context, broken)
    begrotingen = _load_begrotingen(
        directory / "begroting", problems, checksums, context, gemeenten, percelen, broken
    )

    regios = _load_regios(directory / "regio", problems, checksums, gemeenten, broken)
    gemeenten = _with_regional_contracts(gemeenten, regios)

    problems.extend(_unknown_oidc_gemeenten(deployment_file, deployment, gemeenten, broken))
    if problems or percelen is None:
        raise ConfigError(problems)
    return Config(directory, deployment, percelen, gemeenten, begrotingen, checksums, regios)


def _load_regios(
    folder: Path,
    problems: list[ConfigProblem],
    checksums: dict[str, str],
    gemeenten: dict[str, GemeenteConfig],
    broken: set[str],
) -> dict[str, RegioConfig]:
    """Valid region files by name; a member that is not configured is named."""
    regios: dict[str, RegioConfig] = {}
    for file in yaml_files(folder):
        name = REGIO_FILE.match(file.name)
        if not name:
            problems.append(
                ConfigProblem(
                    file,
                    None,
                    "",
                    file.name,
                    "bestandsnaam moet <naam>.yaml zijn (kleine letters, cijfers, streepjes)",
                    "bv. holland-rijnland.yaml",
                )
            )
            continue
        doc = _load(file, problems, checksums)
        regio = _validate(doc, RegioConfig, problems) if doc else None
        if regio is None:
            continue
        unknown = [c for c in regio.leden if c not in gemeenten and c not in broken]
        for code in unknown:
            problems.append(
                ConfigProblem(
                    file,
                    doc.line_of(("leden", regio.leden.index(code))),
                    "leden",
                    code,
                    "gemeente is niet geconfigureerd in gemeenten/",
                    ", ".join(sorted(gemeenten)) or "geen",
                )
            )
        if not unknown:
            regios[name["naam"]] = regio
    return regios


def _with_regional_contracts(
    gemeenten: dict[str, GemeenteConfig], regios: dict[str, RegioConfig]
) -> dict[str, GemeenteConfig]:
    """Every member knows the providers its regions contract by name."""
    merged = dict(gemeenten)
    for regio in regios.values():
        for code in regio.leden:
            if code in merged:
                merged[code] = merged[code].met_contracten(regio.aanbieders)
    return merged


def _unknown_oidc_gemeenten(
    file: Path, deployment: Deployment, gemeenten: dict[str, GemeenteConfig], broken: set[str]
) -> list[ConfigProblem]:
    """A group mapped to a gemeente that is not configured would give a role in nothing."""
    if deployment.console_oidc is None:
        return []
    known = sorted(gemeenten)
    return [
        ConfigProblem(
            file,
            None,
            f"console_oidc.groepen.{group}.gemeente",
            grant.gemeente,
            "gemeente niet geconfigureerd in config/gemeenten",
            ", ".join(known),
        )
        for group, grants in deployment.console_oidc.groepen.items()
        for grant in grants
        if grant.gemeente not in gemeenten and grant.gemeente not in broken
    ]


def _load_gemeenten(
    folder: Path,
    problems: list[ConfigProblem],
    checksums: dict[str, str],
    context: dict | None,
    broken: set[str],
) -> dict[str, GemeenteConfig]:
    """Valid municipality files by code; codes of invalid ones are added to `broken`."""
    gemeenten: dict[str, GemeenteConfig] = {}
    for file in yaml_files(folder):
        name = GEMEENTE_FILE.match(file.name)
        if not name:
            problems.append(
                ConfigProblem(
                    file,
                    None,
                    "",
                    file.name,
                    "bestandsnaam moet <code>-<naam>.yaml zijn",
                    "bv. 0399-heiloo.yaml",
                )
            )
            continue
        doc = _load(file, problems, checksums)
        gemeente = _validate(doc, GemeenteConfig, problems, context) if doc else None
        if gemeente is None:
            # Its own errors are reported; its budgets should not add "not configured".
            broken.add(name["code"])
            continue
        if gemeente.code != name["code"]:
            problems.append(
                ConfigProblem(
                    file,
                    doc.line_of(("code",)),
                    "code",
                    gemeente.code,
                    f"komt niet overeen met de bestandsnaam ({name['code']})",
                )
            )
            continue
        if gemeente.code in gemeenten:
            problems.append(
                ConfigProblem(
                    file, None, "code", gemeente.code, "deze gemeente staat al in een ander bestand"
                )
            )
            continue
        gemeenten[gemeente.code] = gemeente
    return gemeenten


def _budget_consistency(
    begroting: Begroting, doc: YamlDocument, percelen: PercelenConfig | None
) -> list[ConfigProblem]:
    """Income rows are negative; a perceel and its parent are not both budgeted."""
    if percelen is None:
        return []
    problems = []
    for index, version in enumerate(begroting.versies):
        for perceel_id, cents in version.bedragen.items():
            perceel = percelen.get(perceel_id)
            path = ("versies", index, "bedragen", perceel_id)
            line = doc.line_of(path)
            key = f"versies[{index}].bedragen.{perceel_id}"
            if perceel.inkomsten and cents > 0:
                problems.append(
                    ConfigProblem(
                        doc.file,
                        line,
                        key,
                        cents / 100,
                        "inkomsten (zoals eigen bijdrage) worden negatief begroot",
                        "een bedrag ≤ 0",
                    )
                )
            if perceel.onderdeel_van and perceel.onderdeel_van in version.bedragen:
                problems.append(
                    ConfigProblem(
                        doc.file,
                        line,
                        key,
                        cents / 100,
                        f"dit perceel rolt op in {perceel.onderdeel_van!r}, dat ook begroot is: "
                        "dat telt dubbel; begroot het ene of het andere",
                    )
                )
    return problems


def _load_begrotingen(
    folder: Path,
    problems: list[ConfigProblem],
    checksums: dict[str, str],
    context: dict | None,
    gemeenten: dict[str, GemeenteConfig],
    percelen: PercelenConfig | None,
    broken: set[str],
) -> dict[tuple[str, int], Begroting]:
    begrotingen: dict[tuple[str, int], Begroting] = {}
    for file in yaml_files(folder):
        name = BEGROTING_FILE.match(file.name)
        if not name:
            problems.append(
                ConfigProblem(
                    file,
                    None,
                    "",
                    file.name,
                    "bestandsnaam moet <code>-<jaar>.yaml zijn",
                    "bv. 0399-2024.yaml",
                )
            )
            continue
        doc = _load(file, problems, checksums)
        begroting = _validate(doc, Begroting, problems, context) if doc else None
        if begroting is None:
            continue
        if (begroting.gemeente, str(begroting.jaar)) != (name["code"], name["jaar"]):
            problems.append(
                ConfigProblem(
                    file,
                    doc.line_of(("gemeente",)),
                    "gemeente/jaar",
                    f"{begroting.gemeente}/{begroting.jaar}",
                    f"komt niet overeen met de bestandsnaam ({name['code']}-{name['jaar']})",
                )
            )
            continue
        if begroting.gemeente not in gemeenten and begroting.gemeente not in broken:
            problems.append(
                ConfigProblem(
                    file,
                    doc.line_of(("gemeente",)),
                    "gemeente",
                    begroting.gemeente,
                    "gemeente is niet geconfigureerd in gemeenten/",
                    ", ".join(sorted(gemeenten)) or "geen",
                )
            )
            continue
        problems.extend(_budget_consistency(begroting, doc, percelen))
        begrotingen[(begroting.gemeente, begroting.jaar)] = begroting
    return begrotingen
