"""Numbers as people write them in config and rule files: one syntax everywhere.

A number is either a plain YAML number (`17000`, `1234.56`, `1.5`) or Dutch text
(`"17.000"`, `"1.234,56"`, `"€ 25.000"`, `"-5 %"` in a rule). The one thing that is
never guessed: a plain YAML number written like a Dutch thousands separator
(`17.000`, `1.250`). YAML reads it as seventeen; a Dutch controller meant
seventeen thousand. `ambiguous_thousands` recognises it so the loader refuses it
with both ways to write what was meant.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

#: `17.000`, `-1.250`, `1.234.567`: a dot followed by groups of exactly three digits
#: (`0.125` is a decimal: no Dutch writer starts a thousands group with 0).
THOUSANDS = re.compile(r"[-+]?[1-9]\d{0,2}(\.\d{3})+")
_DUTCH = re.compile(r"[-+]?([1-9]\d{0,2}(\.\d{3})+|\d+)(,\d+)?")
_PLAIN = re.compile(r"[-+]?\d+(\.\d+)?")


def ambiguous_thousands(text: str) -> bool:
    """Whether an unquoted YAML number could be a Dutch thousands separator (`17.000`)."""
    return THOUSANDS.fullmatch(text.strip()) is not None


def how_to_write(text: str) -> str:
    """The two unambiguous ways to write what `17.000` may have meant."""
    written = text.strip()
    whole = written.replace(".", "")
    return (
        f'{written} is dubbelzinnig: schrijf {whole} of "{written}" (tussen aanhalingstekens) '
        f'voor {whole}, of "{written.replace(".", ",")}" voor een getal met komma'
    )


def dutch_decimal(text: str) -> Decimal:
    """Dutch text to an exact Decimal: '25.000' → 25000, '1.234,56' → 1234.56, '1,5' → 1.5.

    A '.' with anything but groups of three digits after it is a decimal point
    ('1.5' → 1.5), as a YAML number would read it. A leading '€' and spaces are
    allowed; anything else is a ValueError that says what is allowed.
    """
    cleaned = text.replace("−", "-").replace("€", "").replace("\u00a0", "").replace(" ", "")
    if _DUTCH.fullmatch(cleaned):
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif not _PLAIN.fullmatch(cleaned):
        raise ValueError(
            f'{text!r} is geen getal; schrijf bv. 25000, "25.000", "1.234,56" of "€ 25.000"'
        )
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the patterns above admit only digits
        raise ValueError(f"{text!r} is geen getal") from exc


def parse_dutch_number(text: str) -> float:
    """`dutch_decimal` as a float, for thresholds and factors (not for money)."""
    return float(dutch_decimal(text))


def dutch_number(value: object) -> object:
    """A config number as people write it: a YAML number stays, text is read the Dutch way.

    Pydantic's own parsing reads `"1.500"` as one and a half; a controller who
    quotes it means fifteen hundred. Used as a BeforeValidator on every number.
    """
    if isinstance(value, str):
        number = dutch_decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)
    return value
