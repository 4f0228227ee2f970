"""The application context: settings, configuration, database, clock and the stages' inputs.

The command line and the service both work through one `App`, so "which key",
"which rules", "which database" mean the same in `monitorbot ingest` and in
`monitorbot run`, and the service never imports the command line. Problems are
raised, never turned into exit codes here: `ConfigError` (a file is wrong) and
`Refused` (a request that cannot run as asked). The command line prints them
and exits 2; the service logs them.

Every stage is imported inside the method that needs it: the command line
imports this module when it starts and must stay fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitorbot.core.clock import Clock, utc_now

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from monitorbot.config import Config, Settings
    from monitorbot.config.models import GemeenteConfig
    from monitorbot.evaluate.rules import RuleSet
    from monitorbot.forecast.spec import ForecastSpec
    from monitorbot.ingest.pipeline import Ingestor

#: A pseudonym key shorter than this makes the pseudonyms guessable.
MIN_KEY_LENGTH = 16


class Refused(Exception):
    """A request that cannot run as asked (an unknown gemeente, no pseudonym key, ...).

    The message is Dutch and tells what to do; it never holds personal data.
    """


@dataclass
class App:
    """One deployment as a command or the service sees it."""

    settings: Settings
    clock: Clock = utc_now
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def config_dir(self) -> Path:
        return self.settings.config_dir

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    def data_path(self, folder: str) -> Path:
        """A folder from monitorbot.yaml, relative to the data directory unless absolute."""
        path = Path(folder)
        return path if path.is_absolute() else self.data_dir / path

    @cached_property
    def config(self) -> Config:
        """The validated configuration; raises ConfigError with every problem at once."""
        from monitorbot.config import load_config

        return load_config(self.config_dir)

    def reload_config(self) -> Config:
        """Read config/ again (after a file was written, e.g. by the demo)."""
        self.__dict__.pop("config", None)
        return self.config

    def engine(self, *, upgrade: bool = True) -> Engine:
        """The database engine, with the schema upgraded to the latest migration."""
        from monitorbot.store import db

        if self._engine is None:
            self._engine = db.make_engine(self.settings.resolved_database_url())
            if upgrade:
                db.upgrade(self._engine)
        return self._engine

    def close(self) -> None:
        """Give the database connections back (a worker process ends with its App)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def gemeente(self, code: str) -> GemeenteConfig:
        """A configured municipality; an unknown code is refused with the configured ones."""
        if code not in self.config.gemeenten:
            known = ", ".join(sorted(self.config.gemeenten)) or "geen"
            raise Refused(f"--gemeente {code!r} is niet geconfigureerd; bekend: {known}")
        return self.config.gemeenten[code]

    def configuration_problems(self) -> list[str]:
        """Every problem in what admins, controllers and analysts edit: config/ (with the
        export formats), alerts/ and forecasts/, each as file:line: key: value: reason."""
        from monitorbot.config import ConfigError, load_config
        from monitorbot.evaluate.rules import load_rules
        from monitorbot.forecast.spec import load_forecast_spec
        from monitorbot.ingest.export_formats import check_export_formats

        problems: list[str] = []
        config = None
        try:
            config = load_config(self.config_dir)
        except ConfigError as exc:
            problems.extend(str(p) for p in exc.problems)
        if self.config_dir.is_dir():
            problems.extend(check_export_formats(self.config_dir))
        channels = (
            sorted({n for g in config.gemeenten.values() for n in g.kanalen}) if config else None
        )
        percelen = config.percelen.ids if config else None
        gemeenten = sorted(config.gemeenten) if config else None
        for load in (
            lambda: load_rules([self.settings.alerts_dir], channels, percelen, gemeenten),
            lambda: load_forecast_spec(self.settings.forecasts_dir),
        ):
            try:
                load()
            except ConfigError as exc:
                problems.extend(str(p) for p in exc.problems)
        if not problems:
            self.__dict__["config"] = config  # all of it is valid: this is the config now
        return problems

    def begroting_jaar(self, gemeente: str, jaar: int) -> None:
        """A report of a year needs its budget: without one, every deviation is made up."""
        if self.config.begroting(gemeente, jaar) is not None:
            return
        known = sorted(j for (code, j) in self.config.begrotingen if code == gemeente)
        years = ", ".join(map(str, known)) or "geen"
        raise Refused(
            f"geen begroting {jaar} voor gemeente {gemeente}: zet die in "
            f"config/begroting/{gemeente}-{jaar}.yaml (jaren met een begroting: {years})"
        )

    @property
    def channels(self) -> list[str]:
        """Every channel name any municipality configures (rules may route to these)."""
        return sorted({name for g in self.config.gemeenten.values() for name in g.kanalen})

    def forecast_spec(self) -> ForecastSpec:
        """forecasts/: read per call, so an analyst's edit applies without a restart."""
        from monitorbot.forecast.spec import load_forecast_spec

        return load_forecast_spec(self.settings.forecasts_dir)

    def rules(self, files: list[Path] | None = None) -> RuleSet:
        """alerts/ (or the given files): read per call, so a controller's edit applies at once."""
        from monitorbot.evaluate.rules import load_rules

        return load_rules(
            files or [self.settings.alerts_dir],
            self.channels,
            self.config.percelen.ids,
            sorted(self.config.gemeenten),
        )

    def pseudonym_key(self, *, demo: bool = False) -> bytes:
        """The key for the BSN pseudonyms; real data is refused without a long enough one.

        The demo always uses the fixed demo key, so its pseudonyms never mix with
        those of real data under the deployment's key.
        """
        from monitorbot.core.privacy import DEMO_KEY

        if demo:
            return DEMO_KEY
        key = self.settings.pseudonym_key
        if key is None:
            raise Refused(
                "MONITORBOT_PSEUDONYM_KEY ontbreekt: zonder sleutel worden BSN's niet "
                "gepseudonimiseerd, dus inlezen start niet. Zet een lange geheime waarde in de "
                "omgeving (en bewaar hem: zelfde sleutel = zelfde pseudoniemen)."
            )
        if len(key.get_secret_value()) < MIN_KEY_LENGTH:
            raise Refused(
                f"MONITORBOT_PSEUDONYM_KEY is te kort: gebruik minstens {MIN_KEY_LENGTH} tekens "
                "(een korte sleutel maakt de pseudoniemen te raden)."
            )
        return key.get_secret_value().encode("utf-8")

    def same_key_as_the_data(self, secret: bytes) -> None:
        """A pseudonym is one-way: data under two keys can never be joined again."""
        from monitorbot.core.privacy import key_fingerprint
        from monitorbot.store import db
        from monitorbot.store.identity import key_fingerprint_of

        given = key_fingerprint(secret)
        with db.transaction(self.engine()) as session:
            stored = key_fingerprint_of(session, given, self.clock())
        if stored != given:
            raise Refused(OTHER_KEY)

    def ingestor(
        self, *, demo: bool = False, move: bool = False, sync: bool = True, **options: Any
    ) -> Ingestor:
        """An Ingestor for this deployment: its key, its folders, its clock."""
        from monitorbot.core.privacy import Pseudonymizer
        from monitorbot.ingest.pipeline import Destinations, Ingestor
        from monitorbot.store import db
        from monitorbot.store.sync import sync_config

        secret = self.pseudonym_key(demo=demo)
        deployment = self.config.deployment
        engine = self.engine()
        self.same_key_as_the_data(secret)
        if sync:
            with db.transaction(engine) as session:
                sync_config(session, self.config)
        destinations = Destinations(
            quarantine=self.data_path(deployment.quarantaine),
            archive=self.data_path(deployment.archief),
            move=move,
        )
        options.setdefault("clock", self.clock)
        return Ingestor(
            engine,
            self.config,
            pseudonymize=Pseudonymizer(secret),
            destinations=destinations,
            **options,
        )


OTHER_KEY = (
    "MONITORBOT_PSEUDONYM_KEY is een andere sleutel dan die waarmee deze database gevuld is: "
    "elke cliënt zou een tweede pseudoniem krijgen en dubbel tellen. Zet de oude sleutel "
    "terug, of lees met de nieuwe sleutel het archief in een nieuwe database in: "
    "monitorbot db opnieuw-inlezen --naar <URL>."
)


def make_app(config_dir: Path | None = None, data_dir: Path | None = None) -> App:
    """The App from the environment, with explicit folders taking precedence."""
    from monitorbot.config import load_settings

    return App(load_settings(config_dir=config_dir, data_dir=data_dir))
