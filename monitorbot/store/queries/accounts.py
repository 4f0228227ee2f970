"""Console accounts and their roles per gemeente: rows only; hashing lives in `web.accounts`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from monitorbot.store.models import Gebruiker, GebruikerRol


def account(session: Session, naam: str) -> Gebruiker | None:
    return session.scalars(select(Gebruiker).where(Gebruiker.naam == naam)).first()


def add_account(
    session: Session, naam: str, wachtwoord_hash: str | None, now: datetime
) -> Gebruiker:
    row = Gebruiker(naam=naam, wachtwoord_hash=wachtwoord_hash, actief=True, aangemaakt_op=now)
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


def accounts(session: Session) -> list[Gebruiker]:
    return list(session.scalars(select(Gebruiker).order_by(Gebruiker.naam)))
