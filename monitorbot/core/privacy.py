"""Pseudonyms for BSNs and age bands for birth dates: the only personal data that is kept.

A BSN next to a care product is special-category health data (AVG art. 9), so
it is replaced at parse time by a keyed hash: the same client gets the same
pseudonym in every file of a deployment (needed to count unique clients and
find the top-10), but without the key the pseudonym cannot be linked back to a
person, not even by trying all 10^9 possible BSNs. A birth date is reduced to
the age band the reports use.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date

#: Key used by the demo and the tests. Never use it for real data: anybody can
#: recompute the pseudonym of a known BSN with it.
DEMO_KEY = b"monitorbot-demo-key-not-for-production"

PSEUDONYM_LENGTH = 32
_WEIGHT_SUM = 9 + 8 + 7 + 6 + 5 + 4 + 3 + 2 - 1  # the 11-check weights
_SEPARATORS = str.maketrans("", "", " .-\u00a0")
_BLOCK_SIZE = 64  # SHA-256 block size, RFC 2104


def normalize_bsn(raw: str) -> str:
    """The BSN as 9 digits: separators removed, leading zeros restored.

    Spreadsheets drop leading zeros (``012345678`` becomes ``12345678``), so a
    shorter all-digit value is padded; anything else is not a BSN. The error
    message never repeats the value.
    """
    if len(raw) == 9 and raw.isascii() and raw.isdigit():
        return raw  # the common case, kept fast: exports have a BSN on every row
    digits = raw.translate(_SEPARATORS)
    if not digits.isascii() or not digits.isdigit() or len(digits) > 9:
        raise ValueError("geen BSN: verwacht 9 cijfers")
    return digits.zfill(9)


def passes_elfproef(bsn: str) -> bool:
    """The BSN 11-check: 9 digits, weights 9..2 and -1, sum divisible by 11, not all zeros."""
    if len(bsn) != 9 or not bsn.isascii() or not bsn.isdigit() or bsn == "000000000":
        return False
    d = bsn.encode("ascii")
    # Written out (on ASCII codes, minus 48 per unit of weight) because it runs once per row.
    total = (
        9 * d[0]
        + 8 * d[1]
        + 7 * d[2]
        + 6 * d[3]
        + 5 * d[4]
        + 4 * d[5]
        + 3 * d[6]
        + 2 * d[7]
        - d[8]
        - _WEIGHT_SUM * 48
    )
    return total % 11 == 0


class Pseudonymizer:
    """HMAC-SHA256(key, normalised BSN), hex, first 32 characters.

    The HMAC is computed from precomputed inner and outer SHA-256 states
    (RFC 2104), which is about twice as fast as `hmac.digest` per call and
    matters when an export has a BSN on every one of a million rows. The key is
    never shown in `repr`, and a pseudonymizer cannot be pickled (so the key
    cannot end up in a cache or a task queue by accident).
    """

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes):
        if not key:
            raise ValueError("de sleutel voor pseudonimisering mag niet leeg zijn")
        if len(key) > _BLOCK_SIZE:
            key = hashlib.sha256(key).digest()
        padded = key.ljust(_BLOCK_SIZE, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))

    def __call__(self, bsn: str) -> str:
        inner = self._inner.copy()
        inner.update(normalize_bsn(bsn).encode("ascii"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()[:PSEUDONYM_LENGTH]

    def __repr__(self) -> str:
        return "Pseudonymizer(key=<verborgen>)"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("een Pseudonymizer bevat een sleutel en wordt niet geserialiseerd")


#: Nine digits in a row, possibly grouped by dots, spaces or dashes ("123.456.789").
_NINE_DIGITS = re.compile(r"(?<!\d)(?<!\d[.\- ])\d(?:[.\- ]?\d){8}(?![.\- ]?\d)")
HIDDEN = "<9 cijfers verborgen>"


def looks_like_bsn(text: str) -> bool:
    """Whether free text holds nine digits in a row: treated as a possible BSN.

    No 11-proef here: a mistyped BSN is still personal data. People's free text
    (a rule's description, an acknowledgement, a correction's reason) that
    reaches chat, reports or the console is refused when this is true.
    """
    return _NINE_DIGITS.search(text) is not None


def redact(text: str) -> str:
    """Hide every run of nine digits (defence in depth for text shown to people)."""
    return _NINE_DIGITS.sub(HIDDEN, text)


AGE_BANDS: tuple[tuple[int, str], ...] = (
    (3, "0-3"),
    (11, "4-11"),
    (17, "12-17"),
    (22, "18-22"),
    (64, "23-64"),
    (74, "65-74"),
)


def age_in_years(birth: date, on: date) -> int:
    """Completed years on `on` (a person born on 29 February ages on 1 March)."""
    had_birthday = (on.month, on.day) >= (birth.month, birth.day)
    return on.year - birth.year - (0 if had_birthday else 1)


def age_band(birth: date, on: date) -> str:
    """The age band on `on`: '0-3', '4-11', '12-17', '18-22', '23-64', '65-74' or '75+'.

    A birth date after `on` (care for an unborn child, or a typo) counts as
    '0-3': the band is for reporting, not for checking the birth date.
    """
    age = age_in_years(birth, on)
    for upper, band in AGE_BANDS:
        if age <= upper:
            return band
    return "75+"


#: The fingerprint's salt: a fixed text, never data.
_FINGERPRINT_MESSAGE = b"monitorbot: vingerafdruk van de pseudonimiseringssleutel"


def key_fingerprint(key: bytes) -> str:
    """A short one-way fingerprint of the pseudonym key, stored with the data it made.

    A database filled under one key and then fed under another counts every
    client twice; comparing fingerprints catches that without storing the key.
    scrypt (about 50 ms, 16 MiB per try) makes guessing a short key from a
    stolen fingerprint expensive; the fingerprint is never printed.
    """
    return hashlib.scrypt(key, salt=_FINGERPRINT_MESSAGE, n=2**14, r=8, p=1, dklen=8).hex()
