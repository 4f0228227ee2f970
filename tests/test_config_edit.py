"""Config files changed from the console: validated, atomic, comments and permissions kept."""

from __future__ import annotations

import stat
import threading
from datetime import date

import pytest

from monitorbot.config import load_config
from monitorbot.config.edit import EditRefused, add_correction, locked

FILE = ("begroting", "9999-2026.yaml")


def correction(config_dir, perceel: str, cents: int):
    return add_correction(
        config_dir,
        "9999",
        2026,
        perceel=perceel,
        prognose_cents=cents,
        reden="nieuw contract",
        door="anna",
        datum=date(2026, 11, 12),
    )


def test_the_file_keeps_its_permissions_and_the_diff_is_the_change(config_dir):
    path = config_dir.joinpath(*FILE)
    path.chmod(0o640)
    edit = correction(config_dir, "jeugd-zin", 123_456)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert edit.bestand == "begroting/9999-2026.yaml"
    assert '+    prognose: "1.234,56"' in edit.diff
    assert (
        load_config(config_dir).begroting("9999", 2026).prognose_correcties[-1].prognose == 123_456
    )
    assert not list(path.parent.glob(".*.tmp"))


def test_a_refused_change_leaves_the_file_as_it_was(config_dir):
    path = config_dir.joinpath(*FILE)
    before = path.read_bytes()
    with pytest.raises(EditRefused, match="onbekend perceel") as refused:
        correction(config_dir, "bestaat-niet", 100)
    assert str(config_dir) not in str(refused.value)
    assert path.read_bytes() == before


def test_two_writers_at_once_lose_nothing(config_dir):
    path = config_dir.joinpath(*FILE)

    def write(perceel: str) -> None:
        with locked(path):
            correction(config_dir, perceel, 100_00)

    threads = [threading.Thread(target=write, args=(p,)) for p in ("jeugd-zin", "wmo-hh-zin")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    found = load_config(config_dir).begroting("9999", 2026).prognose_correcties
    assert sorted(c.perceel for c in found) == ["jeugd-zin", "wmo-hh-zin"]
