"""Money is integer euro cents everywhere; this module is the one place that converts.

iStandaard amounts are integer cents with a separate debit/credit flag, budgets in
config are euros (cents allowed). Floats never hold stored money: conversion goes
through `Decimal` and rounding happens only when a figure is shown to a person.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from monitorbot.core.numbers import dutch_decimal

CENTS_PER_EURO = 100
#: The largest amount one declared line can hold (LDT_Bedrag: € 999.999,99), and the
#: largest total (LDT_TotaalBedrag: € 9.999.999.999,99). An export is held to the same
#: bounds: a larger amount is a typo, and sums of a few would overflow a 64-bit column.
MAX_LINE_CENTS = 99_999_999
MAX_TOTAL_CENTS = 999_999_999_999


class MoneyError(ValueError):
    """A value that cannot be read as an amount of money."""


def euros_to_cents(value: int | float | str | Decimal) -> int:
    """Convert a euro amount as written in config to cents.

    Numbers (``4984400``, ``1234.56``) and Dutch text (``"17.000"``,
    ``"1.234,56"``, ``"€ 25.000"``, see `core.numbers`) are both accepted.
    Floats are converted through their shortest decimal representation so that
    ``1234.56`` becomes exactly 123456 cents. More than two decimals is an error:
    a budget with sub-cent precision is a typo, not an intention.
    """
    if isinstance(value, bool):
        raise MoneyError(f"{value!r} is geen bedrag")
    try:
        if isinstance(value, str):
            amount = dutch_decimal(value)
        else:
            amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise MoneyError(f"{value!r} is geen bedrag in euro's") from exc
    if not amount.is_finite():
        raise MoneyError(f"{value!r} is geen bedrag in euro's")
    cents = amount * CENTS_PER_EURO
    if cents != cents.to_integral_value():
        raise MoneyError(f"{value!r} heeft meer dan twee decimalen")
    return int(cents)


def signed_cents(amount_cents: int, debet_credit: str) -> int:
    """Apply an iStandaard D/C flag (COD043) to an unsigned amount in cents."""
    flag = debet_credit.strip().upper()
    if flag == "D":
        return amount_cents
    if flag == "C":
        return -amount_cents
    raise MoneyError(f"DebetCredit {debet_credit!r} is niet D of C")


def cents_to_euros(cents: int) -> Decimal:
    """Exact euro value of an amount in cents (for CSV/xlsx output)."""
    return Decimal(cents) / CENTS_PER_EURO


def whole_cents(cents: float) -> int:
    """A prognosis's unrounded float cents as whole cents, half-up: the cent the CSV and the
    regional table carry (what `exact_euros` rounds to)."""
    return int(Decimal(repr(cents)).quantize(Decimal(1), ROUND_HALF_UP))


def exact_euros(cents: float | None) -> Decimal | None:
    """Euros with two decimals as an exact Decimal (``Decimal('1234.50')``), for CSV.

    Takes the unrounded float cents of a prognosis too: rounding is half-up, here.
    """
    if cents is None:
        return None
    return (Decimal(whole_cents(cents)) / CENTS_PER_EURO).quantize(Decimal("0.01"))


def _group_thousands(integer_digits: str) -> str:
    groups = []
    while len(integer_digits) > 3:
        groups.insert(0, integer_digits[-3:])
        integer_digits = integer_digits[:-3]
    groups.insert(0, integer_digits)
    return ".".join(groups)


def format_euros(cents: int, *, decimals: int = 0, thousands: bool = False) -> str:
    """Dutch display format: ``1.234.567`` or ``1.234,56``; ``thousands`` shows × €1.000.

    Rounding is half-up on the exact decimal value, the way a controller rounds
    by hand, and only here.
    """
    value = Decimal(cents) / CENTS_PER_EURO
    if thousands:
        value = value / 1000
    quantum = Decimal(1).scaleb(-decimals)
    rounded = value.quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    text = f"{abs(rounded):.{decimals}f}"
    integer_part, _, fraction = text.partition(".")
    result = sign + _group_thousands(integer_part)
    return f"{result},{fraction}" if decimals else result


def format_number(value: float, decimals: int = 1) -> str:
    """Any other figure in Dutch: ``1.234,5``; half-up, as `format_euros` rounds."""
    rounded = Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    integer_part, _, fraction = f"{abs(rounded):.{decimals}f}".partition(".")
    result = sign + _group_thousands(integer_part)
    return f"{result},{fraction}" if decimals else result


def format_change(percent: float, *, decimals: int = 1, unit: str = "%") -> str:
    """A change or deviation in messages, with its sign: ``+20,2 %``, ``-22,8 %``.

    Takes percentage points (20.2), not a fraction; for council tables use
    `format_percentage`, which rounds to whole percents without a space.
    """
    return f"{percent:+.{decimals}f} {unit}".replace(".", ",")


def format_percentage(fraction: float | Decimal | None, *, decimals: int = 0) -> str:
    """A Dutch percentage with its sign, as in council tables (``-22%``, ``10%``).

    Empty when unknown (no budget to compare with).
    """
    if fraction is None:
        return ""
    value = (Decimal(str(fraction)) * 100).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    if value == 0:
        value = abs(value)
    text = f"{value:.{decimals}f}".replace(".", ",")
    return f"{text}%"
