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
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from monitorbot.config import Config, ConfigError, Settings
from monitorbot.core.clock import shown
from monitorbot.core.states import OutboxStatus
from monitorbot.notify.channels import PermanentFailure, Sender, TemporaryFailure, sender_for
from monitorbot.notify.message import Message
from monitorbot.store import db, models

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
LEASE = timedelta(minutes=10)  # how long a claimed row is off limits to other senders
MAX_ATTEMPTS = 12  # about six hours of retrying before a temporary failure becomes final


def idempotency_key(gemeente: str, kind: str, kanaal: str, destination: str, moment: str) -> str:
    """Stable for one message to one destination.

    `moment` is the evaluation's time for alert messages (each evaluation has its
    own news) and the period for a digest ("2026-10", "2026-W45"): running the
    digest twice in a period, or again after a failure, never sends a second one.
    """
    raw = f"{gemeente}|{kind}|{kanaal}|{destination}|{moment}"
    return f"mb-{hashlib.sha256(raw.encode()).hexdigest()[:32]}"


def destination_id(destination: Any) -> str:
    """A destination's identity (its type and settings, no secrets: those live in env vars)."""
    text = json.dumps(destination.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def enqueue(
    session: Session,
    config: Config,
    message: Message,
    kanaal: str,
    *,
    now: datetime,
    period: str | None = None,
    only: Callable[[Any], bool] | None = None,
) -> list[models.Outbox]:
    """One outbox row per accepted destination of `kanaal`, in the caller's transaction.

    A channel name the municipality does not have becomes one permanent row, so
    the loss is visible in the log and the next digest instead of silent.
    """
    destinations = channels_of(config, message.gemeente or None, message.regio).get(kanaal)
    if not destinations:
        return _missing_channel(session, message, kanaal, now=now, period=period)
    rows = []
    for index, destination in enumerate(destinations):
        if only is not None and not only(destination):
            continue
        identity = f"{destination.type}#{index}#{destination_id(destination)}"
        key = idempotency_key(
            _addressee(message), message.kind, kanaal, identity, period or now.isoformat()
        )
        if session.scalar(
            select(models.Outbox.id).where(models.Outbox.idempotentie_sleutel == key)
        ):
            continue  # already queued for this evaluation or period: once is enough
        rows.append(_row(session, message, kanaal, identity, key, now))
    session.flush()
    return rows


def channels_of(config: Config, gemeente: str | None, regio: str | None) -> dict[str, list[Any]]:
    """The channels a message is routed by: its region's for a regional message, else its
    gemeente's."""
    if regio is not None:
        return config.regio(regio).kanalen
    assert gemeente is not None
    return config.gemeente(gemeente).kanalen


def _addressee(message: Message) -> str:
    return f"regio:{message.regio}" if message.regio else message.gemeente


def _row(
    session: Session, message: Message, kanaal: str, identity: str, key: str, now: datetime
) -> models.Outbox:
    row = models.Outbox(
        gemeente_code=message.gemeente or None,
        regio=message.regio,
        kanaal=kanaal,
        ontvanger_type=identity,
        soort=message.kind,
        idempotentie_sleutel=key,
        bericht=message.to_json(),
        status=OutboxStatus.WACHTEND,
        pogingen=0,
        volgende_poging=now,
        aangemaakt_op=now,
    )
    session.add(row)
    return row


def _missing_channel(
    session: Session, message: Message, kanaal: str, *, now: datetime, period: str | None
) -> list[models.Outbox]:
    key = idempotency_key(
        _addressee(message), message.kind, kanaal, "ontbreekt", period or now.isoformat()
    )
    if session.scalar(select(models.Outbox.id).where(models.Outbox.idempotentie_sleutel == key)):
        return []
    row = _row(session, message, kanaal, "ontbreekt#0#-", key, now)
    row.status = OutboxStatus.PERMANENT
    owner = f"regio {message.regio}" if message.regio else f"gemeente {message.gemeente}"
    row.laatste_fout = f"kanaal {kanaal!r} staat niet bij de kanalen van {owner}"
    log.error("kanaal ontbreekt", extra={"kanaal": kanaal, "gemeente": _addressee(message)})
    session.flush()
    return [row]


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
    """Send every due row. Each row is claimed, sent, and recorded on its own.

    Claiming is a conditional UPDATE (`status` → `bezig` with a lease until
    `volgende_poging`), committed before sending: of two senders on the same
    database — PostgreSQL or SQLite — exactly one gets the row. A sender that
    dies after sending leaves the row `bezig`; when the lease has passed it is
    sent again (Slack recognises its own key; others are at-least-once).
    """
    factory = make_sender or (
        lambda destination: sender_for(
            destination, settings, config.deployment, Path(settings.data_dir)
        )
    )
    report = DeliveryReport()
    for row_id in _due(engine, clock(), gemeente):
        if not _claim(engine, row_id, clock()):
            continue  # another sender took it
        with db.transaction(engine) as session:
            row = session.get(models.Outbox, row_id)
            if row is not None:
                _deliver_row(session, config, row, factory, clock, report)
    return report


CLAIMABLE = (OutboxStatus.WACHTEND, OutboxStatus.MISLUKT, OutboxStatus.BEZIG)


def _due(engine: Engine, now: datetime, gemeente: str | None) -> list[int]:
    with db.transaction(engine) as session:
        query = select(models.Outbox.id).where(
            models.Outbox.status.in_(CLAIMABLE), models.Outbox.volgende_poging <= now
        )
        if gemeente is not None:
            query = query.where(models.Outbox.gemeente_code == gemeente)
        return list(session.scalars(query.order_by(models.Outbox.id)))


def _claim(engine: Engine, row_id: int, now: datetime) -> bool:
    """Take the row if it is still due; the lease keeps other senders off while sending."""
    with db.transaction(engine) as session:
        claimed = session.execute(
            update(models.Outbox)
            .where(
                models.Outbox.id == row_id,
                models.Outbox.status.in_(CLAIMABLE),
                models.Outbox.volgende_poging <= now,
            )
            .values(status=OutboxStatus.BEZIG, volgende_poging=now + LEASE)
        )
        return claimed.rowcount == 1


def _destination(config: Config, row: models.Outbox) -> Any:
    """The configured destination this row was queued for, if the config still has it."""
    _type, index, identity = row.ontvanger_type.split("#")
    try:
        destinations = channels_of(config, row.gemeente_code, row.regio).get(row.kanaal, [])
    except ConfigError:
        raise PermanentFailure(
            f"{'regio ' + row.regio if row.regio else 'gemeente ' + str(row.gemeente_code)} "
            "staat niet meer in de configuratie"
        ) from None
    position = int(index)
    if position < len(destinations) and destination_id(destinations[position]) == identity:
        return destinations[position]
    matching = [d for d in destinations if destination_id(d) == identity]
    if matching:
        return matching[0]
    raise PermanentFailure(
        f"de bestemming van kanaal {row.kanaal} is uit de configuratie verdwenen of gewijzigd"
    )


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
    except PermanentFailure as exc:
        _give_up(session, row, clock(), str(exc), report, label)
    except Exception as exc:
        # The type only: an unexpected error's text may hold a URL or a payload.
        detail = str(exc) if isinstance(exc, TemporaryFailure) else type(exc).__name__
        retry_after = exc.retry_after if isinstance(exc, TemporaryFailure) else None
        _record(session, row, clock(), "tijdelijk", detail)
        if row.pogingen >= MAX_ATTEMPTS:
            _give_up(session, row, clock(), f"{detail} (na {row.pogingen} pogingen)", report, label)
            return
        row.status = OutboxStatus.MISLUKT
        row.volgende_poging = clock() + backoff(row.pogingen, retry_after)
        row.laatste_fout = detail
        when = shown(row.volgende_poging, config.deployment.tijdzone, time=True)
        report.uitgesteld.append(f"{label}: {detail}; volgende poging {when}")
        log.warning("bezorging uitgesteld", extra={"kanaal": row.kanaal, "fout": detail})
    else:
        _record(session, row, clock(), OutboxStatus.VERZONDEN, detail)
        row.status, row.verzonden_op, row.laatste_fout = OutboxStatus.VERZONDEN, clock(), None
        report.verzonden.append(f"{label}: {detail}")


def _give_up(
    session: Session,
    row: models.Outbox,
    when: datetime,
    detail: str,
    report: DeliveryReport,
    label: str,
) -> None:
    _record(session, row, when, OutboxStatus.PERMANENT, detail)
    row.status, row.laatste_fout = OutboxStatus.PERMANENT, detail
    report.permanent.append(f"{label}: {detail}")
    log.error("bezorging definitief mislukt", extra={"kanaal": row.kanaal, "fout": detail})


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
    period: str | None = None,
    only: Callable[[Any], bool] | None = None,
) -> int:
    """Queue one message per channel name; returns the number of outbox rows."""
    return sum(
        len(enqueue(session, config, m, kanaal, now=now, period=period, only=only))
        for kanaal, m in messages.items()
    )
