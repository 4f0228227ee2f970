"""Console accounts: argon2 password hashes, roles per gemeente, and a brake on guessing.

The password is hashed with argon2id (argon2-cffi's defaults, RFC 9106's second
recommended parameters) and never stored or logged. A role holds in one gemeente;
a user sees only the gemeenten their roles name. Login attempts are counted per
account name and per client address: after `MAX_FAILURES` failures within
`WINDOW` further attempts are refused until the window has passed, whether or not
the password would have been right (so a guesser learns nothing).
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
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
    """A logged-in account: its name and its highest role per gemeente."""

    naam: str
    rollen: dict[str, Rol]

    @property
    def gemeenten(self) -> list[str]:
        return sorted(self.rollen)

    def mag(self, gemeente: str, nodig: Rol) -> bool:
        rol = self.rollen.get(gemeente)
        return rol is not None and rol.mag(nodig)


def hash_password(wachtwoord: str) -> str:
    if len(wachtwoord) < MIN_PASSWORD:
        raise AccountError(f"een wachtwoord heeft minstens {MIN_PASSWORD} tekens")
    return _HASHER.hash(wachtwoord)


def create(session: Session, naam: str, wachtwoord: str | None, now: datetime) -> None:
    naam = naam.strip()
    if not naam or len(naam) > 100 or looks_like_bsn(naam):
        raise AccountError("een accountnaam is 1-100 tekens en bevat geen BSN")
    if rows.account(session, naam) is not None:
        raise AccountError(f"account {naam!r} bestaat al")
    rows.add_account(session, naam, hash_password(wachtwoord) if wachtwoord else None, now)


def set_password(session: Session, naam: str, wachtwoord: str) -> None:
    found = rows.account(session, naam)
    if found is None:
        raise AccountError(f"account {naam!r} bestaat niet")
    found.wachtwoord_hash = hash_password(wachtwoord)


def set_role(session: Session, naam: str, rol: Rol, gemeente: str, *, grant: bool) -> None:
    found = rows.account(session, naam)
    if found is None:
        raise AccountError(f"account {naam!r} bestaat niet")
    (rows.grant if grant else rows.revoke)(session, found.id, rol.value, gemeente)


def set_active(session: Session, naam: str, actief: bool) -> None:
    found = rows.account(session, naam)
    if found is None:
        raise AccountError(f"account {naam!r} bestaat niet")
    found.actief = actief


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
    return User(found.naam, highest)


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
    """Failed attempts per key (account name, client address) within the window."""

    max_failures: int = MAX_FAILURES
    window: float = WINDOW
    clock: object = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def _recent(self, key: str) -> deque[float]:
        now = self.clock()  # type: ignore[operator]
        seen = self._failures[key]
        while seen and now - seen[0] > self.window:
            seen.popleft()
        return seen

    def blocked(self, *keys: str) -> bool:
        return any(len(self._recent(key)) >= self.max_failures for key in keys)

    def failed(self, *keys: str) -> None:
        for key in keys:
            self._recent(key).append(self.clock())  # type: ignore[operator]

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)
