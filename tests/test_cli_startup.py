"""The command line starts without the heavy libraries it does not use.

Every command used to pay ~3 s of imports (statsmodels, scipy, matplotlib,
pandas ...) before doing anything. These tests run the command line in a fresh
interpreter and look at `sys.modules` afterwards: starting, `--help`, `config
check` and `ingest` must not load the forecasting, charting, spreadsheet or chat
libraries. (How fast it starts is measured in bench/cli_bench.py, not here.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from tests.conftest import CONFIG_DIR, REPO
from tests.messages import declaration_323

FORECASTING = {"statsmodels", "scipy", "pandas", "numpy"}
REPORTS_AND_CHAT = {"matplotlib", "openpyxl", "slack_sdk", "apscheduler", "prometheus_client"}
DATABASE = {"sqlalchemy", "alembic", "psycopg"}

PROBE = """
import json, sys
from monitorbot.cli.app import app
args = json.loads(sys.argv[1])
if args:
    try:
        app(args, prog_name="monitorbot")
    except SystemExit as stop:
        code = stop.code
    else:
        code = 0
else:
    code = None
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"code": code, "loaded": loaded}))
"""


def loaded_by(args: list[str], tmp_path: Path, **env: str) -> tuple[int | None, set[str]]:
    """Run the command line with `args` in a fresh interpreter; its exit code and top modules."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MONITORBOT_")}
    environ |= {
        "MONITORBOT_CONFIG_DIR": str(CONFIG_DIR),
        "MONITORBOT_DATA_DIR": str(tmp_path / "data"),
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=environ,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["code"], set(result["loaded"])


def test_importing_the_command_line_loads_no_heavy_library(tmp_path):
    _, loaded = loaded_by([], tmp_path)
    assert loaded & (FORECASTING | REPORTS_AND_CHAT | DATABASE) == set()


def test_help_lists_every_command_without_loading_them(tmp_path):
    code, loaded = loaded_by(["--help"], tmp_path)
    assert code == 0
    assert loaded & (FORECASTING | REPORTS_AND_CHAT | DATABASE) == set()


def test_config_check_needs_neither_forecasts_nor_the_database(tmp_path):
    code, loaded = loaded_by(["config", "check"], tmp_path)
    assert code == 0
    assert loaded & (FORECASTING | REPORTS_AND_CHAT | DATABASE) == set()


def test_ingest_of_one_file_loads_only_the_database(tmp_path):
    message = tmp_path / "jw323.xml"
    message.write_bytes(
        declaration_323(
            prestaties=[{"bsn": "111222333", "ref": "R1", "begin": date(2024, 2, 1)}],
            dagtekening=date(2024, 3, 5),
        )
    )
    key = {"MONITORBOT_PSEUDONYM_KEY": "een-sleutel-van-voldoende-lengte"}
    code, loaded = loaded_by(["ingest", "--quiet", str(message)], tmp_path, **key)
    assert code == 0
    assert "sqlalchemy" in loaded  # it did reach the database
    assert loaded & (FORECASTING | REPORTS_AND_CHAT) == set()


def test_a_report_command_still_loads_what_it_needs(tmp_path):
    """The guard above is not vacuous: the forecasting commands do import the stack."""
    code, loaded = loaded_by(["report", "maanden", "--help"], tmp_path)
    assert code == 0
    assert "monitorbot" in loaded
    code, loaded = loaded_by(
        ["report", "budget", "--gemeente", "9999", "--year", "2026", "--as-of", "2026-01"],
        tmp_path,
    )
    assert code == 0
    assert {"pandas", "statsmodels"} <= loaded
