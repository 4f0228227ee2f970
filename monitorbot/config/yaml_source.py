"""YAML loading that remembers where every value came from.

Controllers edit these files by hand; an error they can act on names the file,
the line and the key. PyYAML's composed node tree carries the line of every
node, so we build the Python value and a `path -> line` index in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from monitorbot.core.numbers import ambiguous_thousands, how_to_write

Path_ = tuple[Any, ...]
FLOAT_TAG = "tag:yaml.org,2002:float"


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong in a config file, phrased for the person who edits it."""

    file: Path
    line: int | None
    key: str
    value: Any
    message: str
    allowed: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        key = f" {self.key}:" if self.key else ""
        value = "" if self.value is None else f" waarde {self.value!r}:"
        allowed = f" (toegestaan: {self.allowed})" if self.allowed else ""
        return f"{where}:{key}{value} {self.message}{allowed}"


class ConfigError(Exception):
    """All problems found in a configuration, so a controller can fix them in one pass."""

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class YamlDocument:
    """A parsed YAML file plus the line (1-based) of every mapping key and list item."""

    file: Path
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int | None:
        """The line of the deepest known node on `path` (keys may be int or str)."""
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            for candidate in (prefix, tuple(_as_key_variants(prefix))):
                if candidate in self.lines:
                    return self.lines[candidate]
        return None


def _as_key_variants(path: Path_) -> list[Any]:
    out: list[Any] = []
    for part in path:
        if isinstance(part, str) and part.isdigit():
            out.append(int(part))
        elif isinstance(part, int):
            out.append(str(part))
        else:
            out.append(part)
    return out


def describe_path(path: Iterable[Any]) -> str:
    """A key path as people read it in an error: `versies[0].bedragen.jeugd-zin`."""
    parts: list[str] = []
    for part in path:
        if part == "[key]":
            continue
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts)


YAML_SUFFIXES = (".yaml", ".yml")


def yaml_files(folder: Path) -> list[Path]:
    """The YAML files directly in `folder` (both suffixes), by name; none if it is missing.

    Every folder of YAML people edit (config/gemeenten, config/begroting, alerts/,
    forecasts/) is listed here, so no file is silently skipped for its suffix."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in YAML_SUFFIXES and p.is_file())


#: Configuration, rule and forecast files are written by people: a few hundred KiB at most.
MAX_YAML_BYTES = 5 << 20


def load_yaml(file: Path) -> YamlDocument:
    """Parse `file`; a syntax error becomes a ConfigError with its line."""
    try:
        size = file.stat().st_size
    except OSError:
        size = 0  # reading it says why
    if size > MAX_YAML_BYTES:
        raise ConfigError(
            [
                ConfigProblem(
                    file,
                    None,
                    "",
                    None,
                    f"bestand van {size >> 20} MiB: een configuratie- of regelbestand is "
                    f"hoogstens {MAX_YAML_BYTES >> 20} MiB",
                )
            ]
        )
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [ConfigProblem(file, None, "", None, f"bestand is geen UTF-8 ({exc.reason})")]
        ) from None
    loader = yaml.SafeLoader(text)
    problems: list[ConfigProblem] = []
    try:
        node = loader.get_single_node()
        lines: dict[Path_, int] = {}
        if node is not None and (alias := _first_alias(node)) is not None:
            # A YAML alias (*naam) reuses a node; ten nested ones make a billion (an
            # "alias bomb" takes gigabytes). Config files never need them: refused.
            raise ConfigError(
                [
                    ConfigProblem(
                        file,
                        alias.start_mark.line + 1,
                        "",
                        None,
                        "YAML-verwijzingen (&anker en *verwijzing) zijn niet toegestaan; "
                        "schrijf de waarde uit",
                    )
                ]
            )
        if node is not None:
            _index_lines(loader, node, (), lines, problems, file)
        if problems:
            raise ConfigError(problems)
        data = _construct(loader, node, file) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError(
            [ConfigProblem(file, line, "", None, f"ongeldige YAML: {exc.problem or exc}")]
        ) from None
    finally:
        loader.dispose()
    return YamlDocument(file=file, data=data, lines=lines)


def _construct(loader: yaml.SafeLoader, node: yaml.Node, file: Path) -> Any:
    """Build the value; a scalar YAML cannot turn into a value (2025-07-32) names its line."""
    try:
        return loader.construct_document(node)
    except (ValueError, TypeError, OverflowError) as exc:
        bad = _first_bad_scalar(node)
        line = bad.start_mark.line + 1 if bad is not None else None
        value = bad.value if bad is not None else None
        raise ConfigError(
            [ConfigProblem(file, line, "", value, f"geen geldige waarde ({exc})")]
        ) from None


def _first_bad_scalar(node: yaml.Node) -> yaml.ScalarNode | None:
    if isinstance(node, yaml.ScalarNode):
        try:
            yaml.SafeLoader("").construct_object(node)
        except (ValueError, TypeError, OverflowError, yaml.YAMLError):
            return node
        return None
    children = (
        [item for pair in node.value for item in pair]
        if isinstance(node, yaml.MappingNode)
        else list(node.value)
    )
    for child in children:
        bad = _first_bad_scalar(child)
        if bad is not None:
            return bad
    return None


def _index_lines(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    path: Path_,
    lines: dict,
    problems: list[ConfigProblem],
    file: Path,
) -> None:
    """Record every node's line; a key written twice is an error (YAML keeps the last)."""
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = _scalar_key(key_node)
            if key is None:
                continue
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(
                    ConfigProblem(
                        file,
                        line,
                        describe_path((*path, key)),
                        None,
                        f"sleutel staat twee keer in dezelfde lijst (ook op regel {seen[key]})",
                    )
                )
            seen[key] = line
            child = (*path, key)
            lines[child] = line
            _index_lines(loader, value_node, child, lines, problems, file)
    elif isinstance(node, yaml.ScalarNode) and _ambiguous_number(node):
        problems.append(
            ConfigProblem(
                file,
                node.start_mark.line + 1,
                describe_path(path),
                node.value,
                how_to_write(node.value),
            )
        )
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            lines[child] = item.start_mark.line + 1
            _index_lines(loader, item, child, lines, problems, file)


def _first_alias(root: yaml.Node) -> yaml.Node | None:
    """The first node met twice while walking the tree (an alias), without expanding it."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return node
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(child for pair in node.value for child in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return None


def _ambiguous_number(node: yaml.ScalarNode) -> bool:
    """An unquoted `17.000`: YAML reads seventeen, a Dutch writer meant seventeen thousand."""
    return node.style is None and node.tag == FLOAT_TAG and ambiguous_thousands(node.value)


def _scalar_key(node: yaml.Node) -> Any:
    """A mapping key as Python will see it (2024 → int); None for complex or odd keys."""
    if not isinstance(node, yaml.ScalarNode):
        return None
    try:
        return yaml.SafeLoader("").construct_object(node)
    except (ValueError, TypeError, yaml.YAMLError):
        return node.value
