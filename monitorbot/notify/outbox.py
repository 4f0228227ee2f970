"""Delivery that loses nothing and repeats nothing: the outbox and its sender.

`enqueue` writes one row per destination (a channel name in the municipality's
config expands to a Slack channel, a Teams webhook, an e-mail list, ...) in the
caller's transaction, the same one that stores the alert states: either both
are committed or neither. `deliver` sends what is due, one row per transaction:
success, a temporary failure (retried with exponential backoff, honouring a
429's Retry-After) or a permanent one (invalid token, unknown channel, webhook
404: marked, logged, reported in the next digest, other rows carry on).

Each row carries an idempotency key. If the process dies between sending and
committing, the row is sent again after a restart; the Slack sender looks for
the key in the channel's recent messages first, so Slack gets it once. Webhooks
and e-mail cannot be asked, so they are at-least-once (e-mail's Message-ID is
derived from the key, so a mail client can still recognise the duplicate).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from monitorbot.config import Config, Settings
from monitorbot.notify.channels import PermanentFailure, Sender, TemporaryFailure, sender_for
from monitorbot.notify.message import Message
from monitorbot.store import db, models

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
MAX_ATTEMPTS = 12  # about six hours of retrying before a temporary failure becomes final


def idempotency_key(
    gemeente: str, kind: str, kanaal: str, destination: int, moment: datetime
) -> str:
    """Stable for one message to one destination: the same evaluation never yields two keys."""
    raw = f"{gemeente}|{kind}|{kanaal}|{destination}|{moment.isoformat()}"
    return f"mb-{hashlib.sha256(raw.encode()).hexdigest()[:32]}"


def enqueue(
    session: Session,
    config: Config,
    message: Message,
    kanaal: str,
    *,
    now: datetime,
    only: Callable[[Any], bool] | None = None,
) -> list[models.Outbox]:
    """One outbox row per accepted destination of `kanaal`, in the caller's transaction."""
    destinations = config.gemeente(message.gemeente).kanalen.get(kanaal, [])
    rows = []
    for index, destination in enumerate(destinations):
        if only is not None and not only(destination):
            continue
        key = idempotency_key(message.gemeente, message.kind, kanaal, index, now)
        if session.scalar(
            select(models.Outbox.id).where(models.Outbox.idempotentie_sleutel == key)
        ):
            continue  # the same evaluation enqueued twice (a retried transaction): once is enough
        row = models.Outbox(
            gemeente_code=message.gemeente,
            kanaal=kanaal,
            ontvanger_type=f"{destination.type}#{index}",
            soort=message.kind,
            idempotentie_sleutel=key,
            bericht=message.to_json(),
            status="wachtend",
            pogingen=0,
            volgende_poging=now,
            aangemaakt_op=now,
        )
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


@dataclass
class DeliveryReport:
    verzonden: list[str] = field(default_factory=list)  # "kanaal via type: detail"
    uitgesteld: list[str] = field(default_factory=list)
    permanent: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.permanent


SenderFactory = Callable[[Any], Sender]


def backoff(attempts: int, retry_after: float | None) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at an hour; a server's Retry-After wins when longer."""
    wait = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)
    if retry_after is not None:
        wait = max(wait, timedelta(seconds=retry_after))
    return wait


def deliver(
    engine: Engine,
    config: Config,
    settings: Settings,
    *,
    clock: Callable[[], datetime],
    gemeente: str | None = None,
    make_sender: Callable[[Any], Sender] | None = None,
) -> DeliveryReport:
    """Send every due row; each in its own transaction, so one failure stops nothing else."""
    factory = make_sender or (
        lambda destination: sender_for(
            destination, settings, config.deployment, Path(settings.data_dir)
        )
    )
    report = DeliveryReport()
    for row_id in _due(engine, clock(), gemeente):
        with db.transaction(engine) as session:
            row = _claim(session, row_id)
            if row is None:
                continue  # another instance took it
            _deliver_row(session, config, row, factory, clock, report)
    return report


def _due(engine: Engine, now: datetime, gemeente: str | None) -> list[int]:
    with db.transaction(engine) as session:
        query = select(models.Outbox.id).where(
            models.Outbox.status.in_(("wachtend", "mislukt")),
            models.Outbox.volgende_poging <= now,
        )
        if gemeente is not None:
            query = query.where(models.Outbox.gemeente_code == gemeente)
        return list(session.scalars(query.order_by(models.Outbox.id)))


def _claim(session: Session, row_id: int) -> models.Outbox | None:
    """Lock the row (PostgreSQL: skip it if another sender holds it)."""
    query = select(models.Outbox).where(
        models.Outbox.id == row_id, models.Outbox.status.in_(("wachtend", "mislukt"))
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query).one_or_none()


def _destination(config: Config, row: models.Outbox) -> Any:
    index = int(row.ontvanger_type.rsplit("#", 1)[1])
    destinations = config.gemeente(row.gemeente_code).kanalen.get(row.kanaal, [])
    if index >= len(destinations):
        raise PermanentFailure(
            f"kanaal {row.kanaal} heeft geen bestemming {index} meer in de configuratie"
        )
    return destinations[index]


def _deliver_row(
    session: Session,
    config: Config,
    row: models.Outbox,
    factory: Callable[[Any], Sender],
    clock: Callable[[], datetime],
    report: DeliveryReport,
) -> None:
    label = f"{row.kanaal} via {row.ontvanger_type.split('#')[0]}"
    row.pogingen += 1
    try:
        sender = factory(_destination(config, row))
        detail = sender.send(Message.from_json(row.bericht), row.idempotentie_sleutel)
    except TemporaryFailure as exc:
        _record(session, row, clock(), "tijdelijk", str(exc))
        if row.pogingen >= MAX_ATTEMPTS:
            row.status = "permanent"
            report.permanent.append(f"{label}: {exc} (na {row.pogingen} pogingen)")
            return
        row.status = "mislukt"
        row.volgende_poging = clock() + backoff(row.pogingen, exc.retry_after)
        row.laatste_fout = str(exc)
        report.uitgesteld.append(f"{label}: {exc}; volgende poging {row.volgende_poging:%H:%M:%S}")
        log.warning("bezorging uitgesteld", extra={"kanaal": row.kanaal, "fout": str(exc)})
    except PermanentFailure as exc:
        _record(session, row, clock(), "permanent", str(exc))
        row.status, row.laatste_fout = "permanent", str(exc)
        report.permanent.append(f"{label}: {exc}")
        log.error("bezorging definitief mislukt", extra={"kanaal": row.kanaal, "fout": str(exc)})
    else:
        _record(session, row, clock(), "verzonden", detail)
        row.status, row.verzonden_op, row.laatste_fout = "verzonden", clock(), None
        report.verzonden.append(f"{label}: {detail}")


def _record(session: Session, row: models.Outbox, when: datetime, result: str, detail: str) -> None:
    session.add(
        models.NotificatieLog(
            outbox_id=row.id,
            gemeente_code=row.gemeente_code,
            poging_op=when,
            resultaat=result,
            detail=detail[:2000],
        )
    )


def enqueue_evaluation(
    session: Session,
    config: Config,
    messages: dict[str, Message],
    *,
    now: datetime,
    only: Callable[[Any], bool] | None = None,
) -> int:
    """Queue one message per channel name; returns the number of outbox rows."""
    return sum(
        len(enqueue(session, config, m, kanaal, now=now, only=only))
        for kanaal, m in messages.items()
    )
