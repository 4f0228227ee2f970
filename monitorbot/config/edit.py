"""Changing a config file from the console: validated first, written atomically, comments kept.

The YAML files stay the source of truth, also when the console changes them: a
change is made on the round-trip document (ruamel.yaml keeps comments, order
and layout), the whole configuration is loaded with the changed file in a copy
of the config folder (so every rule a hand edit must pass applies), and only
then is the file replaced: a temporary file next to it, flushed, then renamed.
The unified diff is handed back so the caller can record who changed what.
"""

from __future__ import annotations

import difflib
import fcntl
import io
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from monitorbot.config.loader import load_config
from monitorbot.config.yaml_source import ConfigError

NEW_FILE_MODE = 0o644  # a new config file: readable like the files beside it


class EditRefused(ValueError):
    """A change the configuration's rules refuse, in Dutch, naming the real file."""


@dataclass(frozen=True)
class Edit:
    """A change made: the file (relative to the config folder) and its unified diff."""

    bestand: str
    diff: str


def add_correction(
    config_dir: Path,
    gemeente: str,
    jaar: int,
    *,
    perceel: str,
    prognose_cents: int,
    reden: str,
    door: str,
    datum: date,
) -> Edit:
    """A new prognosis correction in the year's begroting file, known from `datum`."""

    def change(doc: CommentedMap) -> None:
        entry = CommentedMap()
        entry["perceel"] = perceel
        entry["prognose"] = _euros(prognose_cents)
        entry["reden"] = reden
        entry["door"] = door
        entry["datum"] = datum
        _corrections(doc).append(entry)

    return _apply(config_dir, _begroting_file(gemeente, jaar), change)


def end_correction(config_dir: Path, gemeente: str, jaar: int, *, perceel: str, tot: date) -> Edit:
    """End the perceel's running correction: `tot` is its last day (corrections are never
    deleted; a replay must still see what was told)."""

    def change(doc: CommentedMap) -> None:
        running = [
            entry
            for entry in _corrections(doc)
            if entry.get("perceel") == perceel and entry.get("tot") is None
        ]
        if not running:
            raise EditRefused(f"geen lopende correctie voor {perceel}")
        running[-1]["tot"] = tot

    return _apply(config_dir, _begroting_file(gemeente, jaar), change)


def _begroting_file(gemeente: str, jaar: int) -> str:
    return f"begroting/{gemeente}-{jaar}.yaml"


def _corrections(doc: CommentedMap) -> CommentedSeq:
    return block_list(doc, "prognose_correcties")


def _euros(cents: int) -> Any:
    """Whole euros as a number, else the exact amount as Dutch text ("1.234,56")."""
    if cents % 100 == 0:
        return cents // 100
    value = Decimal(cents) / 100
    whole, _, fraction = f"{abs(value):.2f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return DoubleQuotedScalarString(f"{'-' if value < 0 else ''}{grouped},{fraction}")


def _apply(config_dir: Path, relative: str, change: Callable[[CommentedMap], None]) -> Edit:
    return apply_edit(
        config_dir,
        relative,
        change,
        load_config,
        missing=f"{relative} bestaat niet: er is geen begroting voor dat jaar",
    )


def apply_edit(
    root: Path,
    relative: str,
    change: Callable[[CommentedMap], None],
    validate: Callable[[Path], object],
    *,
    missing: str = "",
    new: str | None = None,
) -> Edit:
    """Change `root/relative` on its round-trip document, check it, then replace it.

    `validate` loads a copy of `root` with the changed file and raises ConfigError
    when the change breaks a rule. A missing file is refused with `missing`, or
    started from `new` (a controller's first own rule file).
    """
    path = Path(root) / relative
    if not path.is_file() and new is None:
        raise EditRefused(missing or f"{relative} bestaat niet")
    before = path.read_text(encoding="utf-8") if path.is_file() else ""
    doc = round_trip().load(before or new)
    change(doc)
    buffer = io.StringIO()
    round_trip().dump(doc, buffer)
    after = buffer.getvalue()
    _validate(Path(root), relative, after, validate)
    _replace(path, after)
    diff = "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), relative, relative
        )
    )
    return Edit(relative, diff)


def round_trip() -> YAML:
    """A YAML reader/writer that keeps comments, order and quotes, indented as our files are."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def block_list(doc: CommentedMap, key: str) -> CommentedSeq:
    """`doc[key]` as a list to append to; an absent or flow `[]` list becomes a block list."""
    found = doc.get(key)
    if not isinstance(found, CommentedSeq) or not found:
        block = CommentedSeq(list(found or []))
        doc[key] = block
        return block
    return found


def _validate(root: Path, relative: str, text: str, validate: Callable[[Path], object]) -> None:
    """Load a copy of `root` with the changed file; EditRefused when it breaks a rule."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / root.name
        shutil.copytree(root, copy)
        (copy / relative).write_text(text, encoding="utf-8")
        try:
            validate(copy)
        except ConfigError as problems:
            # named relative to the folder: a page shows it, not the server's layout
            raise EditRefused(str(problems).replace(f"{copy}{os.sep}", "")) from None


def _replace(path: Path, text: str) -> None:
    """Write next to the file with its permissions, flush to disk, then rename over it (and
    flush the folder): never half a file, and still readable by whoever could read it."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else NEW_FILE_MODE
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """One writer at a time for `path`, across threads and processes (an flock on a lock
    file beside it): two controllers saving at once must not lose one change."""
    with _THREADS, (path.parent / f".{path.name}.lock").open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


_THREADS = threading.Lock()
