"""Fictional clients: BSNs that pass the 11-proef, names nobody carries, one street.

Demo data must look real to a parser and be unmistakably fake to a person: every
client is "Testpersoon" at Voorbeeldstraat, 9999ZZ Demodorp.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import date, timedelta

BSN_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)
ACHTERNAAM = "Testpersoon"
STRAAT = "Voorbeeldstraat"
POSTCODE = "9999ZZ"
PLAATS = "Demodorp"


def break_elfproef(bsn: str) -> str:
    """The same BSN with its last digit changed so that the 11-proef fails (a typo)."""
    last = int(bsn[-1])
    return bsn[:-1] + str((last + 1) % 10)


def random_bsn(rng: random.Random) -> str:
    """A BSN that passes the 11-proef; the first eight digits are drawn, the ninth solves it."""
    while True:
        head = f"{rng.randint(100_000_00, 999_999_99):08d}"
        partial = sum(int(d) * w for d, w in zip(head, BSN_WEIGHTS[:8], strict=True))
        check = partial % 11  # the last digit counts -1, so it must equal partial mod 11
        if check < 10:
            return head + str(check)


@dataclass(frozen=True, slots=True)
class Client:
    """A fictional resident, identified (as in the messages) by the BSN."""

    bsn: str
    geboortedatum: date
    geslacht: str
    voorletters: str
    huisnummer: int


class ClientFactory:
    """Creates clients with unique BSNs from its own random stream."""

    def __init__(self, rng: random.Random, reserved: set[str] | None = None) -> None:
        self._rng = rng
        self._used: set[str] = set(reserved or ())

    def new_bsn(self) -> str:
        """A fresh BSN not yet handed out by this factory."""
        while True:
            bsn = random_bsn(self._rng)
            if bsn not in self._used:
                self._used.add(bsn)
                return bsn

    def create(self, on: date, age_range: tuple[int, int]) -> Client:
        """A client whose age on `on` lies within `age_range` (years, inclusive)."""
        rng = self._rng
        age_days = rng.randint(age_range[0] * 365 + 30, age_range[1] * 365 + 330)
        return Client(
            bsn=self.new_bsn(),
            geboortedatum=on - timedelta(days=age_days),
            geslacht=rng.choices(("1", "2", "0"), weights=(49, 50, 1))[0],
            voorletters="".join(rng.choices(string.ascii_uppercase, k=rng.randint(1, 2))),
            huisnummer=rng.randint(1, 250),
        )
