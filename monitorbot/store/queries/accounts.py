"""Console accounts and their roles per gemeente: rows only; hashing lives in `web.accounts`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from monitorbot.store.models import Gebruiker, GebruikerRegio, GebruikerRol, GebruikerWijziging


def account(session: Session, naam: str) -> Gebruiker | None:
    return session.scalars(select(Gebruiker).where(Gebruiker.naam == naam)).first()


def account_by_extern_id(session: Session, extern_id: str) -> Gebruiker | None:
    return session.scalars(select(Gebruiker).where(Gebruiker.extern_id == extern_id)).first()


def add_account(
    session: Session,
    naam: str,
    wachtwoord_hash: str | None,
    now: datetime,
    extern_id: str | None = None,
) -> Gebruiker:
    row = Gebruiker(
        naam=naam,
        wachtwoord_hash=wachtwoord_hash,
        actief=True,
        aangemaakt_op=now,
        extern_id=extern_id,
    )
    session.add(row)
    session.flush()
    return row


def roles(session: Session, gebruiker_id: int) -> list[tuple[str, str]]:
    """(rol, gemeente_code) pairs of one account."""
    rows = session.execute(
        select(GebruikerRol.rol, GebruikerRol.gemeente_code)
        .where(GebruikerRol.gebruiker_id == gebruiker_id)
        .order_by(GebruikerRol.gemeente_code, GebruikerRol.rol)
    ).all()
    return [(rol, gemeente) for rol, gemeente in rows]


def grant(session: Session, gebruiker_id: int, rol: str, gemeente: str) -> None:
    if (rol, gemeente) not in roles(session, gebruiker_id):
        session.add(GebruikerRol(gebruiker_id=gebruiker_id, rol=rol, gemeente_code=gemeente))


def revoke(session: Session, gebruiker_id: int, rol: str, gemeente: str) -> None:
    session.execute(
        delete(GebruikerRol).where(
            GebruikerRol.gebruiker_id == gebruiker_id,
            GebruikerRol.rol == rol,
            GebruikerRol.gemeente_code == gemeente,
        )
    )


def regions(session: Session, gebruiker_id: int) -> list[str]:
    """The regions an account reads as regio-lezer."""
    return list(
        session.scalars(
            select(GebruikerRegio.regio)
            .where(GebruikerRegio.gebruiker_id == gebruiker_id)
            .order_by(GebruikerRegio.regio)
        )
    )


def grant_region(session: Session, gebruiker_id: int, regio: str) -> None:
    if regio not in regions(session, gebruiker_id):
        session.add(GebruikerRegio(gebruiker_id=gebruiker_id, regio=regio))


def revoke_region(session: Session, gebruiker_id: int, regio: str) -> None:
    session.execute(
        delete(GebruikerRegio).where(
            GebruikerRegio.gebruiker_id == gebruiker_id, GebruikerRegio.regio == regio
        )
    )


def accounts(session: Session) -> list[Gebruiker]:
    return list(session.scalars(select(Gebruiker).order_by(Gebruiker.naam)))


def record(
    session: Session, naam: str, gemeente: str | None, wat: str, door: str, now: datetime
) -> None:
    session.add(
        GebruikerWijziging(gebruiker=naam, gemeente_code=gemeente, wat=wat, door=door, op=now)
    )


def changes(
    session: Session, gemeente: str, names: list[str], limit: int = 50
) -> list[GebruikerWijziging]:
    """The latest account changes in a gemeente, and account-wide changes (switched off, a
    new password) of the accounts named; newest first."""
    return list(
        session.scalars(
            select(GebruikerWijziging)
            .where(
                (GebruikerWijziging.gemeente_code == gemeente)
                | (
                    GebruikerWijziging.gemeente_code.is_(None)
                    & GebruikerWijziging.gebruiker.in_(names)
                )
            )
            .order_by(GebruikerWijziging.id.desc())
            .limit(limit)
        )
    )


def holding_roles_in(session: Session, gemeente: str) -> list[Gebruiker]:
    """Accounts with any role in a gemeente."""
    return list(
        session.scalars(
            select(Gebruiker)
            .where(
                Gebruiker.id.in_(
                    select(GebruikerRol.gebruiker_id).where(GebruikerRol.gemeente_code == gemeente)
                )
            )
            .order_by(Gebruiker.naam)
        )
    )
