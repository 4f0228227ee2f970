"""Console accounts: argon2 password hashes, roles per gemeente, and a brake on guessing.

The password is hashed with argon2id (argon2-cffi's defaults, RFC 9106's second
recommended parameters) and never stored or logged. A role holds in one gemeente;
a user sees only the gemeenten their roles name. Login attempts are counted per
account name and per client address: after `MAX_FAILURES` failures within
`WINDOW` further attempts are refused until the window has passed, whether or not
the password would have been right (so a guesser learns nothing).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from monitorbot.core.privacy import looks_like_bsn
from monitorbot.core.states import Rol
from monitorbot.store.queries import accounts as rows

MIN_PASSWORD = 12
MAX_FAILURES = 5
WINDOW = 300.0  # seconds

_HASHER = PasswordHasher()


class AccountError(ValueError):
    """A refused account change, in Dutch."""


@dataclass(frozen=True)
class User:
    """A logged-in account: its name, its highest role per gemeente and its session version."""

    naam: str
    rollen: dict[str, Rol]
    sessie_versie: int = 0
    regios: frozenset[str] = frozenset()
    """The regions this account reads as regio-lezer."""

    @property
    def gemeenten(self) -> list[str]:
        return sorted(self.rollen)

    def mag(self, gemeente: str, nodig: Rol) -> bool:
        rol = self.rollen.get(gemeente)
        return rol is not None and rol.mag(nodig)

    def ziet_regio(self, regio: str, leden: Iterable[str]) -> bool:
        """A region's pages show its members side by side: for its regio-lezers, and for
        whoever may read every member anyway."""
        return regio in self.regios or all(code in self.rollen for code in leden)


def hash_password(wachtwoord: str) -> str:
    if len(wachtwoord) < MIN_PASSWORD:
        raise AccountError(f"een wachtwoord heeft minstens {MIN_PASSWORD} tekens")
    return _HASHER.hash(wachtwoord)


#: The region role: reads a region's pages (the members side by side), no member's own.
REGIO_LEZER = "regio-lezer"

#: Who made a change outside the console (recorded with every account change).
IDENTITY_PROVIDER = "identiteitsprovider"


def create(
    session: Session, naam: str, wachtwoord: str | None, now: datetime, *, door: str
) -> None:
    naam = naam.strip()
    if not naam or len(naam) > 100 or looks_like_bsn(naam):
        raise AccountError("een accountnaam is 1-100 tekens en bevat geen BSN")
    if rows.account(session, naam) is not None:
        raise AccountError(f"account {naam!r} bestaat al")
    rows.add_account(session, naam, hash_password(wachtwoord) if wachtwoord else None, now)
    rows.record(session, naam, None, "account aangemaakt", door, now)


def set_password(session: Session, naam: str, wachtwoord: str, *, door: str, now: datetime) -> None:
    found = _existing(session, naam)
    found.wachtwoord_hash = hash_password(wachtwoord)
    found.sessie_versie += 1  # a new password ends the sessions made with the old one
    rows.record(session, naam, None, "wachtwoord gewijzigd", door, now)


def set_role(
    session: Session,
    naam: str,
    rol: Rol,
    gemeente: str,
    *,
    grant: bool,
    door: str,
    now: datetime,
) -> None:
    found = _existing(session, naam)
    have = (rol.value, gemeente) in rows.roles(session, found.id)
    if have == grant:
        return  # nothing changes, nothing recorded
    (rows.grant if grant else rows.revoke)(session, found.id, rol.value, gemeente)
    rows.record(
        session, naam, gemeente, f"rol {rol.value} {'gegeven' if grant else 'afgenomen'}", door, now
    )


def set_region_reader(
    session: Session, naam: str, regio: str, *, grant: bool, door: str, now: datetime
) -> None:
    """Give (or take) the regio-lezer role of a region: its pages, no member's own pages."""
    found = _existing(session, naam)
    if (regio in rows.regions(session, found.id)) == grant:
        return  # nothing changes, nothing recorded
    (rows.grant_region if grant else rows.revoke_region)(session, found.id, regio)
    wat = f"rol {REGIO_LEZER} in regio {regio} {'gegeven' if grant else 'afgenomen'}"
    rows.record(session, naam, None, wat, door, now)


def end_sessions(session: Session, naam: str) -> None:
    """Every session of the account ends (logout ends copies of the cookie too)."""
    found = rows.account(session, naam)
    if found is not None:
        found.sessie_versie += 1


def set_active(session: Session, naam: str, actief: bool, *, door: str, now: datetime) -> None:
    found = _existing(session, naam)
    if found.actief == actief:
        return
    found.actief = actief
    rows.record(session, naam, None, "ingeschakeld" if actief else "uitgeschakeld", door, now)


def _existing(session: Session, naam: str):  # type: ignore[no-untyped-def]
    found = rows.account(session, naam)
    if found is None:
        raise AccountError(f"account {naam!r} bestaat niet")
    return found


def user_of(session: Session, naam: str) -> User | None:
    """The account as a user with its roles; None when it does not exist or is switched off."""
    found = rows.account(session, naam)
    if found is None or not found.actief:
        return None
    highest: dict[str, Rol] = {}
    for rol, gemeente in rows.roles(session, found.id):
        role = Rol(rol)
        if gemeente not in highest or role.mag(highest[gemeente]):
            highest[gemeente] = role
    return User(
        found.naam, highest, found.sessie_versie, frozenset(rows.regions(session, found.id))
    )


def sync_external(
    session: Session,
    extern_id: str,
    naam: str,
    grants: set[tuple[Rol, str]],
    now: datetime,
) -> User | None:
    """An identity provider's user, known by its stable subject (`extern_id`): created
    without a password at the first login under the name it had then, its roles replaced
    by what its groups give now. None when a beheerder switched it off. A name that is
    already another account's (a local one, or another subject's) is refused, never taken
    over; a later rename at the provider keeps the account and its history."""
    naam = naam.strip()
    if not naam or len(naam) > 100 or looks_like_bsn(naam):
        raise AccountError("de accountnaam van de identiteitsprovider is onbruikbaar")
    found = rows.account_by_extern_id(session, extern_id)
    if found is None:
        if rows.account(session, naam) is not None:
            raise AccountError(
                f"{naam!r} is al een ander account in monitorbot; vraag de beheerder"
            )
        found = rows.add_account(session, naam, None, now, extern_id=extern_id)
        rows.record(session, naam, None, "account aangemaakt", IDENTITY_PROVIDER, now)
    naam = found.naam
    if not found.actief:
        return None
    wanted = {(rol.value, gemeente) for rol, gemeente in grants}
    have = set(rows.roles(session, found.id))
    for rol, gemeente in sorted(have - wanted):
        rows.revoke(session, found.id, rol, gemeente)
        rows.record(session, naam, gemeente, f"rol {rol} afgenomen", IDENTITY_PROVIDER, now)
    for rol, gemeente in sorted(wanted - have):
        rows.grant(session, found.id, rol, gemeente)
        rows.record(session, naam, gemeente, f"rol {rol} gegeven", IDENTITY_PROVIDER, now)
    session.flush()
    return user_of(session, naam)


def verify(session: Session, naam: str, wachtwoord: str) -> User | None:
    """The user when the password is right, else None (also for an unknown account: the
    hash is still computed so timing does not tell which accounts exist)."""
    found = rows.account(session, naam)
    stored = found.wachtwoord_hash if found is not None and found.actief else None
    try:
        _HASHER.verify(stored or _DUMMY, wachtwoord)
    except (VerificationError, InvalidHashError):
        return None
    return user_of(session, naam) if stored else None


_DUMMY = _HASHER.hash("geen-account-hier")


@dataclass
class LoginBrake:
    """Attempts per key (account name, client address) within the window.

    An attempt is counted before the password is checked, under a lock: parallel
    requests cannot slip past the limit while argon2 runs. A right password takes
    back the account's count (not the address's). Keys without recent attempts are
    dropped, and at most `max_keys` are kept (the oldest go first).
    """

    max_failures: int = MAX_FAILURES
    window: float = WINDOW
    clock: object = time.monotonic
    max_keys: int = 10_000
    _attempts: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _recent(self, key: str, now: float) -> deque[float]:
        seen = self._attempts.get(key, deque())
        while seen and now - seen[0] > self.window:
            seen.popleft()
        if not seen:
            self._attempts.pop(key, None)
        return seen

    def begin(self, *keys: str) -> bool:
        """Count an attempt for every key; False (and nothing counted) when one is held."""
        with self._lock:
            now = self.clock()  # type: ignore[operator]
            if any(len(self._recent(key, now)) >= self.max_failures for key in keys):
                return False
            for key in keys:
                self._attempts.setdefault(key, deque()).append(now)
                self._attempts[key] = self._attempts.pop(key)  # most recent last
            while len(self._attempts) > self.max_keys:
                self._attempts.pop(next(iter(self._attempts)))
            return True

    def succeeded(self, account: str, address: str) -> None:
        """A right password: the account's count goes, the address's attempt is taken back
        (colleagues behind one address log in all day)."""
        with self._lock:
            self._attempts.pop(account, None)
            seen = self._attempts.get(address)
            if seen:
                seen.pop()
                if not seen:
                    self._attempts.pop(address, None)
