"""Problems with input files, phrased for the person who has to fix the file.

An `InputProblem` points at file, line, element (or column) and value, and says
what is wrong in Dutch. It is shown in the CLI, stored in the database and
written next to quarantined files, so it must never carry personal data: the
value of a BSN, a name, an address, a phone number or a birth date is replaced
here, whoever constructs the problem. That is deliberate defence in depth: a
parser that forgets to hide a value still cannot leak it through a problem.
"""

from __future__ import annotations

from dataclasses import dataclass

BSN_HIDDEN = "<bsn verborgen>"
PERSONAL_HIDDEN = "<persoonsgegeven verborgen>"

#: Element names (iJw/iWmo local names, compared case-insensitively) whose value is
#: personal data. `Datum` only occurs inside `Geboortedatum`; `Nummer` is a
#: relation's person id; `Commentaar` is free text that may contain anything.
PERSONAL_ELEMENTS: frozenset[str] = frozenset(
    name.casefold()
    for name in (
        "Naam",
        "Geslachtsnaam",
        "Partnernaam",
        "Achternaam",
        "Voorvoegsel",
        "Voornamen",
        "Voorletters",
        "NaamGebruik",
        "Geboortedatum",
        "Datum",
        "DatumGebruik",
        "Geslacht",
        "Adres",
        "Huis",
        "Huisnummer",
        "Huisletter",
        "HuisnummerToevoeging",
        "AanduidingWoonadres",
        "Postcode",
        "Straatnaam",
        "Plaatsnaam",
        "LandCode",
        "Telefoon",
        "Telefoon01",
        "Telefoon02",
        "Telefoonnummer",
        "Landnummer",
        "Emailadres",
        "Commentaar",
        "Nummer",
        "Organisatie",
    )
)


def is_bsn_element(element: str | None) -> bool:
    """True for `Bsn` and for any column whose header mentions a BSN."""
    return element is not None and "bsn" in element.casefold()


def hidden_value(element: str | None, value: str | None) -> str | None:
    """The value as it may be shown: personal data is replaced by a marker."""
    if value is None or element is None:
        return value
    if is_bsn_element(element):
        return BSN_HIDDEN
    if element.casefold() in PERSONAL_ELEMENTS:
        return PERSONAL_HIDDEN
    return value


@dataclass(frozen=True)
class InputProblem:
    """One thing wrong with an input file, precise enough to find and fix it.

    `line` is the line in an XML file, or the row number in a spreadsheet or
    CSV (header = row 1, as Excel shows it). `element` is the XML local name or
    the column header as found in the file.
    """

    file: str
    line: int | None
    element: str | None
    value: str | None
    reason: str

    def __post_init__(self) -> None:
        safe = hidden_value(self.element, self.value)
        if safe is not self.value:
            object.__setattr__(self, "value", safe)

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(f"regel {self.line}")
        if self.element is not None:
            parts.append(f"element {self.element}")
        if self.value is not None:
            parts.append(f"waarde {_quote(self.value)}")
        return f"{', '.join(parts)}: {self.reason}"


def _quote(value: str) -> str:
    shown = value if len(value) <= 80 else value[:77] + "..."
    return "'" + shown.replace("\n", "\\n") + "'"


class RejectedInput(Exception):
    """A whole file is refused: nothing from it may be stored.

    Raised for files that are not well-formed, carry an unknown namespace,
    violate the message schema, or cannot be read as a table. `problems` lists
    what was found (at least one).
    """

    def __init__(self, problems: list[InputProblem]):
        if not problems:
            raise ValueError("RejectedInput needs at least one problem")
        self.problems: list[InputProblem] = list(problems)
        super().__init__(self._summary())

    def _summary(self) -> str:
        first = str(self.problems[0])
        more = len(self.problems) - 1
        if more == 0:
            return first
        return f"{first} (en nog {more} {'probleem' if more == 1 else 'problemen'})"

    def __reduce__(self) -> tuple[type[RejectedInput], tuple[list[InputProblem]]]:
        return (RejectedInput, (self.problems,))


class AlreadyIngested(Exception):
    """The message (same identity, same content) came before in another file: a no-op."""

    def __init__(self, earlier: str):
        super().__init__(earlier)
        self.earlier = earlier
