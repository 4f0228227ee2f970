"""Shared fixtures: the repository's config, and databases on SQLite and PostgreSQL.

PostgreSQL tests use MONITORBOT_TEST_POSTGRES_URL (default: the local server on
127.0.0.1:5432, database `test`). Each test gets its own schema, dropped after.
When the server is unreachable the tests skip locally, but fail under CI=true:
a CI run that silently skipped half the storage tests would prove nothing.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from monitorbot.ingest.pipeline import IngestReport
from monitorbot.store import db

REPO = Path(__file__).resolve().parents[1]
CONFIG_DIR = REPO / "config"
SHARED = REPO.parent / "shared"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEMO_VANDAAG = date(2026, 11, 10)
"""The day the demo plays on in tests: the one config/ is written for (budget 2026,
indexation 2023–2026), so the figures the tests expect stay put."""


def postgres_url() -> str:
    return os.environ.get("MONITORBOT_TEST_POSTGRES_URL", DEFAULT_PG_URL)


def _postgres_reachable() -> str | None:
    try:
        engine = create_engine(postgres_url(), connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


def require_postgres() -> None:
    problem = _postgres_reachable()
    if problem is None:
        return
    message = f"PostgreSQL op {postgres_url()} niet bereikbaar: {problem}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A private copy of the repository's config/ that a test may edit."""
    target = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, target)
    return target


def only_demodorp(config_dir: Path) -> None:
    """Leave Demodorp as the one configured municipality: no region, no neighbours (for
    tests of what a deployment of one gemeente does every month)."""
    shutil.rmtree(config_dir / "regio", ignore_errors=True)
    for path in (config_dir / "gemeenten").glob("*.yaml"):
        if not path.name.startswith("9999-"):
            path.unlink()


def _engine(kind: str, folder: Path) -> Iterator[Engine]:
    if kind == "sqlite":
        yield from _sqlite_engine(folder)
    else:
        yield from _postgres_engine()


def _sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    yield engine
    engine.dispose()


def _postgres_engine() -> Iterator[Engine]:
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url())
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in postgres_url() else "?"
    engine = create_engine(f"{postgres_url()}{separator}options=-csearch_path%3D{schema}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database, once on SQLite and once on PostgreSQL."""
    yield from _engine(request.param, tmp_path)


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    """An engine whose schema has been upgraded to the latest migration."""
    db.upgrade(empty_engine)
    return empty_engine


@pytest.fixture
def database_url(engine: Engine) -> str:
    """A URL for CLI runs and subprocesses that points at the same (upgraded) database."""
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The standard demo municipality, generated once per test session."""
    from monitorbot.demo.generate import generate_demo

    folder = tmp_path_factory.mktemp("demo") / "standaard"
    generate_demo(folder, seed=2026, scenario="standaard", vandaag=DEMO_VANDAAG)
    return folder


@dataclass
class DemoDatabase:
    engine: Engine
    first_run: IngestReport


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def demo_database(
    request: pytest.FixtureRequest, demo_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoDatabase]:
    """The standard demo ingested once per database kind, for tests that only read it.

    Ingesting the whole demo takes most of a minute; doing it once per session
    keeps the suite fast. Tests must not change this database.
    """
    folder = tmp_path_factory.mktemp(f"demo-db-{request.param}")
    for engine in _engine(request.param, folder):
        yield DemoDatabase(engine, ingest_demo(engine, demo_dir, folder / "quarantaine"))


def ingest_demo(engine: Engine, demo: Path, quarantine: Path) -> IngestReport:
    """Upgrade, sync the repository's config and ingest a generated demo, at the demo's clock.

    The clock is 07:00 on 10 November 2026, the demo's 'today'.
    """
    from datetime import UTC, datetime

    from monitorbot.config import load_config
    from monitorbot.core.privacy import DEMO_KEY, Pseudonymizer
    from monitorbot.ingest.pipeline import Destinations, Ingestor
    from monitorbot.store.sync import sync_config

    db.upgrade(engine)
    config = load_config(CONFIG_DIR)
    with db.transaction(engine) as session:
        sync_config(session, config)
    ingestor = Ingestor(
        engine,
        config,
        pseudonymize=Pseudonymizer(DEMO_KEY),
        destinations=Destinations(quarantine=quarantine),
        clock=lambda: datetime(2026, 11, 10, 7, tzinfo=UTC),
    )
    return ingestor.run([demo / name for name in ("berichten", "exports", "pgb")])


@pytest.fixture
def ingest_files(engine, config_dir, tmp_path):
    """Ingest files given by name and content into the test database; returns the report."""
    from monitorbot.config import load_config
    from monitorbot.core.privacy import DEMO_KEY, Pseudonymizer
    from monitorbot.ingest.pipeline import Destinations, Ingestor
    from monitorbot.store.sync import sync_config

    config = load_config(config_dir)
    with db.transaction(engine) as session:
        sync_config(session, config)
    ingestor = Ingestor(
        engine,
        config,
        pseudonymize=Pseudonymizer(DEMO_KEY),
        destinations=Destinations(quarantine=tmp_path / "q", archive=tmp_path / "a", move=False),
    )

    def run(files: dict[str, bytes]):
        folder = tmp_path / "in"
        folder.mkdir(exist_ok=True)
        for name, content in files.items():
            (folder / name).write_bytes(content)
        return ingestor.run([folder / name for name in files])

    return run


def chromium_binary() -> str:
    """Debian's Chromium for browser tests: skipped without it, a failure with CI=true."""
    binary = shutil.which("chromium")
    if binary is None:
        message = "Chromium ontbreekt (Debian: apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + "; .ci/run installeert het")
        pytest.skip(message)
    return binary
