"""The architecture, as the code follows it: contracts that fail the build, not a reviewer.

The layer rule (core → config → store → ingest | forecast → evaluate → report →
notify → app → web → service → cli), the snapshot rule (reports and message
builders never reach the database) and the console rule (the web pages compute
no figure) are written down as import-linter contracts
in pyproject.toml; this test runs them, so a backwards import fails CI with the
import chain that caused it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from tests.conftest import REPO

LINT = "import sys; from importlinter.cli import lint_imports_command; sys.argv[1:] = []; lint_imports_command()"  # noqa: E501


def test_import_contracts_hold():
    done = subprocess.run(
        [sys.executable, "-c", LINT], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "5 kept, 0 broken" in done.stdout


def _lint_with_probe(tmp_path, stage: str, line: str) -> subprocess.CompletedProcess[str]:
    """The contracts run on a copy of the package with one extra module in `stage`."""
    shutil.copytree(REPO / "monitorbot", tmp_path / "monitorbot")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "monitorbot" / stage / "probe.py").write_text(line + "\n")
    return subprocess.run(
        [sys.executable, "-c", LINT.replace("[]", "['--no-cache']")],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_backwards_import_is_caught(tmp_path):
    """The contracts are not vacuous: a report module that reaches the database breaks them."""
    done = _lint_with_probe(tmp_path, "report", "import monitorbot.store.db  # queries on its own")
    assert done.returncode != 0
    assert "monitorbot.report.probe -> monitorbot.store.db" in done.stdout


def test_a_console_page_that_forecasts_is_caught(tmp_path):
    """The console shows stored snapshots: a page that runs the forecast breaks the contract."""
    done = _lint_with_probe(tmp_path, "web", "import monitorbot.forecast.prognosis")
    assert done.returncode != 0
    assert "monitorbot.web.probe -> monitorbot.forecast.prognosis" in done.stdout


def test_the_code_is_ruff_clean():
    """Lint and format rules of pyproject.toml hold for every file (as the guide asks)."""
    for args in (["check", "."], ["format", "--check", "."]):
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *args], cwd=REPO, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout[-3000:]
