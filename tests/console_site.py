"""A console on a database holding the hand-made snapshot of tests/snapshots.py.

Accounts: `anna` (controller in 0384), `kees` (kernteam in 0384), `bert` (lezer in
0384), `olga` (controller in 0999 only), `rita` (regio-lezer of Testregio, no gemeente),
`gert` (lezer in both members of Testregio). Alert #7 is active in 0384.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine

from monitorbot.core.states import Rol
from monitorbot.store import db, models
from monitorbot.web.accounts import create, set_region_reader, set_role
from monitorbot.web.app import Console
from tests import snapshots

PASSWORD = "een-lang-wachtwoord-1"
ACCOUNTS = {
    "anna": (Rol.CONTROLLER, "0384"),
    "kees": (Rol.KERNTEAM, "0384"),
    "bert": (Rol.LEZER, "0384"),
    "olga": (Rol.CONTROLLER, "0999"),
}
REGIO = "testregio"
NOW = datetime(2026, 11, 12, 9, 0, tzinfo=UTC)


def fill(engine: Engine) -> Console:
    snapshot = snapshots.snapshot()
    with db.transaction(engine) as session:
        for naam, (rol, gemeente) in ACCOUNTS.items():
            create(session, naam, PASSWORD, NOW, door="test")
            set_role(session, naam, rol, gemeente, grant=True, door="test", now=NOW)
        session.add(
            models.Momentopname(
                gemeente_code="0384",
                peildatum=snapshot.peildatum.grens,
                soort=snapshot.peildatum.soort.value,
                berekend_op=snapshot.berekend_op,
                inhoud=snapshot.to_json(),
            )
        )
        create(session, "rita", PASSWORD, NOW, door="test")
        set_region_reader(session, "rita", REGIO, grant=True, door="test", now=NOW)
        create(session, "gert", PASSWORD, NOW, door="test")
        for gemeente in ("0384", "0999"):
            set_role(session, "gert", Rol.LEZER, gemeente, grant=True, door="test", now=NOW)
        regio = snapshots.regio_snapshot()
        session.add(
            models.RegioMomentopname(
                regio=REGIO,
                peildatum=regio.peildatum.grens,
                soort=regio.peildatum.soort.value,
                berekend_op=regio.berekend_op,
                inhoud=regio.to_json(),
            )
        )
        session.add(
            models.AlertState(
                id=7,
                gemeente_code="0384",
                fingerprint="f7",
                regel="perceel-prognose-boven-begroting",
                labels={"perceel": "jeugd-zin"},
                status="firing",
                ernst="kritiek",
                sinds=snapshot.berekend_op,
                laatst_geevalueerd=snapshot.berekend_op,
                titel="Jeugd zorg in natura (ZIN)",
            )
        )
        session.flush()
        for month, value, when in (
            (date(2026, 9, 1), -12.0, datetime(2026, 10, 1, 6, tzinfo=UTC)),
            (date(2026, 10, 1), -22.76, snapshot.berekend_op),
            (date(2026, 11, 1), -30.0, datetime(2026, 12, 1, 6, tzinfo=UTC)),  # after the snapshot
        ):
            session.add(
                models.AlertEvaluatie(
                    alert_id=7,
                    gemeente_code="0384",
                    geevalueerd_op=when,
                    peilmaand=month,
                    waarde=value,
                    drempel=-15.0,
                    voldaan=value < -15,
                    invoer={},
                )
            )
    return Console(
        engine,
        "Europe/Amsterdam",
        {"0384": "Testdorp", "0999": "Elders"},
        lambda: NOW,
        regios={REGIO: ("Testregio", ("0384", "0999")), "andere": ("Andere regio", ("0999",))},
    )
