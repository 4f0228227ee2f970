"""Streaming, validating reader for iJw/iWmo 3.2 messages (the whole traffic, 301–325).

Why it looks like this:

* The standard and message type come from the root element's namespace, never
  from the file name: providers' software names files any way it likes.
* Validation uses the official XSDs (shipped in `schemas/`) *while* parsing:
  `lxml.etree.iterparse(..., schema=...)` runs libxml2's streaming validator,
  so a 1,000,000-Prestatie declaration is validated without building a tree.
  Only the elements we need produce Python events (`tag=`), and each one is
  cleared (with its preceding siblings) once read, so memory stays bounded.
* libxml2 reports streaming validation errors without a line number and lxml
  raises them only when the document ends. The error log is therefore checked
  after every event, which stops the parse at the first invalid chunk, and the
  offending element is looked up in the part of the tree still in memory to
  recover its line (exact for wrong values; for structural errors the first
  candidate element still in memory).
* Every error becomes a `RejectedInput` with file, line, element, value and a
  Dutch reason. libxml2's own messages contain the offending value, so they
  are parsed into parts and never passed on as such: a BSN, a name or a birth
  date is hidden by `InputProblem`, and the RejectedInput is raised outside
  the `except` block so the original lxml exception is not chained to it.
* A BSN is pseudonymised the moment its element is read and the element is
  emptied; names, addresses and birth dates are never copied out of the tree
  (a birth date only becomes an age band).

All or nothing: `ParsedMessage.records` yields records while streaming. A
schema violation late in the file raises `RejectedInput` from the iterator
after earlier records have been yielded, so the caller must treat the file as
one unit (the loader wraps each file in one database transaction and rolls it
back on `RejectedInput`). Every record that *has* been yielded was validated.
"""

from __future__ import annotations

import functools
import io
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Literal, TypeAlias

from lxml import etree

from monitorbot.config.codes import Wet, basis_namespace, message_namespace
from monitorbot.core.money import signed_cents
from monitorbot.core.privacy import age_band, passes_elfproef, redact
from monitorbot.ingest.errors import InputProblem, RejectedInput

Source: TypeAlias = Path | str | bytes

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
BERICHTTYPES: tuple[str, ...] = (
    "301", "302", "305", "306", "307", "308", "315", "316",
    "317", "318", "319", "320", "323", "325",
)  # fmt: skip
#: Technical return messages: the receiver's verdict on a message, with its retourcodes.
RETURN_TYPES: tuple[str, ...] = ("302", "306", "308", "316", "318", "320")
#: The return messages whose original the municipality sent (301, 319): their header
#: keeps the original's Afzender, so there the municipality is the Afzender.
RETURNED_FROM_GEMEENTE: tuple[str, ...] = ("302", "320")
#: The messages whose Afzender is the municipality: allocations, answers, and the
#: return messages on what it sent.
FROM_GEMEENTE: tuple[str, ...] = ("301", "319", "325", *RETURNED_FROM_GEMEENTE)
_STANDARDS: dict[Wet, tuple[str, str, str]] = {
    # wet: (standard in namespace, message prefix in namespace, XSD file prefix)
    "jw": ("ijw", "jw", "JW"),
    "wmo": ("iwmo", "wmo", "WMO"),
}
MAX_PROBLEMS = 20
_XS = "{http://www.w3.org/2001/XMLSchema}"


KNOWN_NAMESPACES: dict[str, tuple[Wet, str]] = {
    message_namespace(wet, code): (wet, code) for wet in _STANDARDS for code in BERICHTTYPES
}


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class MessageHeader:
    """The message header: who sent what to whom, when."""

    wet: Wet
    berichttype: str  # "301", ..., "325"
    afzender: str  # AGB code of the provider; the municipality's CBS code for a 301
    ontvanger: str  # CBS code of the municipality; the provider's AGB code for a 301
    bericht_identificatie: str
    dagtekening: date
    # A return message or a 325: the identity of the message it answers.
    retour_identificatie: str | None = None
    retour_dagtekening: date | None = None
    retourcodes: tuple[str, ...] = ()  # the header's own RetourCodes (325: the whole message)


# Records are plain slotted dataclasses, not frozen: a frozen dataclass costs
# about 1.4 µs more per instance, which is a fifth of the per-Prestatie budget.


@dataclass(slots=True)
class DeclaratieHeader:
    """The declaration's own data, yielded once, before its Prestaties (schema order)."""

    declaratienummer: str
    periode_begin: date
    periode_eind: date
    dagtekening: date
    totaal_cents: int  # signed: negative when TotaalIngediendBedrag is credit
    line: int


@dataclass(slots=True)
class Prestatie:
    """One declared product line of a 323."""

    client: str  # pseudonym; the BSN itself is never kept
    bsn_valid: bool  # the BSN passed the 11-check
    productreferentie: str
    vorig_referentienummer: str | None
    toewijzingnummer: str
    productcategorie: str
    productcode: str
    periode_begin: date
    periode_eind: date
    volume: int
    eenheid: str
    tarief_cents: int | None
    bedrag_cents: int  # signed by DebetCredit: credit lines are negative
    debet_credit: Literal["D", "C"]
    line: int


@dataclass(slots=True)
class Toewijzing:
    """One ToegewezenProduct of a 301 allocation."""

    client: str
    toewijzingnummer: str
    referentie_aanbieder: str | None
    productcategorie: str | None
    productcode: str | None
    toewijzingsdatum: date
    ingangsdatum: date
    einddatum: date | None
    reden_wijziging: str | None
    age_band: str  # client's age band on the toewijzingsdatum
    line: int
    # What is allocated: the Omvang (volume per unit and frequency) and, for some
    # products, a Budget in cents; both optional in the standard.
    omvang_volume: int | None = None
    omvang_eenheid: str | None = None
    omvang_frequentie: str | None = None
    budget_cents: int | None = None


@dataclass(slots=True)
class StartZorg:
    """One StartProduct of a 305: care actually started."""

    client: str
    toewijzingnummer: str | None
    productcategorie: str | None
    productcode: str | None
    begindatum: date
    line: int
    status_aanlevering: str = "1"  # 1 first delivery, 2 correction, 3 withdrawal (verwijderen)


@dataclass(slots=True)
class StopZorg:
    """One StopProduct of a 307: care ended."""

    client: str
    toewijzingnummer: str | None
    productcategorie: str | None
    productcode: str | None
    begindatum: date
    einddatum: date
    reden_beeindiging: str
    line: int
    status_aanlevering: str = "1"


@dataclass(slots=True)
class VerzoekToewijzing:
    """One AangevraagdProduct of a 315: a provider asks for an allocation."""

    client: str
    referentie_aanbieder: str
    productcategorie: str | None
    productcode: str | None
    toewijzing_ingangsdatum: date
    verwijzer_type: str  # COD327
    line: int


@dataclass(slots=True)
class VerzoekWijziging:
    """A 317: the provider asks to change, end or extend allocations; like a 315 it is a
    request (with its own ReferentieAanbieder) that a 301 or a 319 answers."""

    client: str
    referentie_aanbieder: str
    reden_verzoek: str | None
    line: int


@dataclass(slots=True)
class VerzoekAntwoord:
    """A 319: the municipality's answer on a request (315) — refused (1) or in onderzoek (2).

    An approval is not a 319 but the 301 that allocates."""

    referentie_aanbieder: str
    antwoord: str  # LDT_VerzoekAntwoord
    reden_afwijzing: str | None
    line: int


@dataclass(slots=True)
class PrestatieOordeel:
    """A Prestatie a 325 lists: the declared line it judges (by ProductReferentie and
    ToewijzingNummer) and the retourcodes of that judgement."""

    productreferentie: str
    toewijzingnummer: str
    productcategorie: str
    productcode: str
    bedrag_cents: int  # IngediendBedrag, signed
    retourcodes: tuple[str, ...]
    line: int


@dataclass(slots=True)
class ClientOordeel:
    """A 325 client's own RetourCodes; yielded after that client's PrestatieOordelen."""

    retourcodes: tuple[str, ...]
    line: int


@dataclass(slots=True)
class DeclaratieAntwoord:
    """A 325's answer on the declaration as a whole; yielded after all its Prestaties."""

    declaratienummer: str
    ingediend_cents: int
    toegekend_cents: int
    retourcodes: tuple[str, ...]
    line: int


@dataclass(slots=True)
class Retourcode:
    """One RetourCode of a return message, and the level it judges (Header, Client, ...)."""

    code: str
    niveau: str
    line: int


Record: TypeAlias = (
    DeclaratieHeader
    | Prestatie
    | Toewijzing
    | StartZorg
    | StopZorg
    | VerzoekToewijzing
    | VerzoekWijziging
    | VerzoekAntwoord
    | Retourcode
    | PrestatieOordeel
    | ClientOordeel
    | DeclaratieAntwoord
)


@dataclass
class ParsedMessage:
    """A message being read: the header is known, the records stream lazily.

    Use it as a context manager (or call `close`) when the records might not be
    read to the end, so the file is closed.
    """

    header: MessageHeader
    records: Iterator[Record]
    _stream: _EventStream | None = field(repr=False)  # None: read ahead (see `replay`)
    gevalideerd: bool = True  # False: no XSD for this type yet, only well-formedness checked

    def close(self) -> None:
        close = getattr(self.records, "close", None)
        if close is not None:
            close()
        if self._stream is not None:
            self._stream.close()

    def __enter__(self) -> ParsedMessage:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# --------------------------------------------------------------------------- schemas


@dataclass(frozen=True)
class _SchemaInfo:
    schema: etree.XMLSchema | None  # None: no XSD for this message type yet (well-formed only)
    namespace: str
    basis_namespace: str
    builtin_of_type: dict[str, str]  # basisschema simple type -> XSD builtin it restricts


def _builtin_bases(basisschema: Path) -> dict[str, str]:
    """For each named simple type, the XML Schema builtin type it finally restricts."""
    direct: dict[str, str] = {}
    for simple in etree.parse(str(basisschema)).getroot().iter(f"{_XS}simpleType"):
        restriction = simple.find(f"{_XS}restriction")
        if simple.get("name") and restriction is not None:
            direct[simple.get("name")] = restriction.get("base", "").rpartition(":")[2]
    resolved = {}
    for name, base in direct.items():
        seen = {name}
        while base in direct and base not in seen:
            seen.add(base)
            base = direct[base]
        resolved[name] = base
    return resolved


def _schema_file(wet: Wet, berichttype: str) -> Path:
    standard, _, file_prefix = _STANDARDS[wet]
    return SCHEMA_DIR / f"{standard}-3.2" / f"{file_prefix}{berichttype}.xsd"


def has_schema(wet: Wet, berichttype: str) -> bool:
    """Whether the official XSD of this message type ships with monitorbot."""
    return _schema_file(wet, berichttype).is_file()


@functools.cache
def _schema_info(wet: Wet, berichttype: str) -> _SchemaInfo:
    """Compile a message schema once per process (compiling takes ~50 ms)."""
    file = _schema_file(wet, berichttype)
    folder = file.parent
    schema = etree.XMLSchema(etree.parse(str(file))) if file.is_file() else None
    return _SchemaInfo(
        schema=schema,
        namespace=message_namespace(wet, berichttype),
        basis_namespace=basis_namespace(wet),
        builtin_of_type=_builtin_bases(folder / "basisschema.xsd"),
    )


# --------------------------------------------------------------------------- sniffing


def _open(source: Source) -> IO[bytes]:
    if isinstance(source, bytes):
        return io.BytesIO(source)
    return open(source, "rb")  # closed by the caller or by _EventStream.close


def _default_name(source: Source) -> str:
    return "<bytes>" if isinstance(source, bytes) else Path(source).name


def sniff_message(path_or_bytes: Source, *, filename: str | None = None) -> tuple[Wet, str]:
    """(wet, berichttype) from the root element's namespace; reads only up to the root tag."""
    name = filename or _default_name(path_or_bytes)
    problem: InputProblem | None = None
    with _open(path_or_bytes) as stream:
        parser = etree.iterparse(stream, events=("start",), load_dtd=False, no_network=True)
        try:
            _, root = next(parser)
            namespace, _, local = root.tag.rpartition("}")
            namespace = namespace.lstrip("{")
            line = root.sourceline
        except (etree.XMLSyntaxError, StopIteration) as exc:
            problem = _not_xml_problem(name, parser, exc)
    if problem is not None:
        raise RejectedInput([problem])
    if namespace not in KNOWN_NAMESPACES:
        known = ", ".join(KNOWN_NAMESPACES)
        raise RejectedInput(
            [
                InputProblem(
                    name,
                    line,
                    local,
                    namespace or "(geen namespace)",
                    f"onbekende namespace van het hoofdelement; bekend zijn: {known}",
                )
            ]
        )
    return KNOWN_NAMESPACES[namespace]


def _not_xml_problem(name: str, parser: etree.iterparse, exc: BaseException) -> InputProblem:
    entries = [e for e in parser.error_log if e.level >= etree.ErrorLevels.ERROR]
    if entries:
        return _parser_problem(name, entries[0].message, entries[0].line)
    if isinstance(exc, etree.XMLSyntaxError) and exc.msg and "no element found" not in exc.msg:
        return _parser_problem(name, exc.msg, exc.lineno)
    return InputProblem(name, None, None, None, "leeg bestand of geen XML")


# --------------------------------------------------------------------------- errors

_ELEMENT_PREFIX = re.compile(
    r"^Element '(?:\{(?P<ns>[^}]*)\})?(?P<name>[^']+)'(?:, attribute '[^']*')?: ", re.S
)
_Translate: TypeAlias = Callable[[re.Match[str], _SchemaInfo], str]
_SCHEMA_MESSAGES: list[tuple[re.Pattern[str], _Translate]] = []


def _schema_message(pattern: str) -> Callable[[_Translate], _Translate]:
    """Register the Dutch translation of one kind of libxml2 validation message."""

    def register(translate: _Translate) -> _Translate:
        _SCHEMA_MESSAGES.append((re.compile(pattern, re.S), translate))
        return translate

    return register


def _local_names(expected: str) -> str:
    return ", ".join(_local(part.strip()) for part in expected.split(","))


_BUILTIN_REASONS = {
    "date": "geen geldige datum",
    "integer": "geen geheel getal",
    "time": "geen geldige tijd",
    "decimal": "geen geldig getal",
}


@_schema_message(
    r"'(?P<value>.*)' is not a valid value of the (?:local )?atomic type"
    r"(?: '(?:\{[^}]*\})?(?P<type>[^']+)')?\.$"
)
def _atomic(match: re.Match[str], info: _SchemaInfo) -> str:
    type_name = match["type"]
    if type_name is None:
        return "geen geldige waarde"
    builtin = info.builtin_of_type.get(type_name, type_name)
    return f"{_BUILTIN_REASONS.get(builtin, 'geen geldige waarde')} ({type_name})"


@_schema_message(
    r"\[facet 'pattern'\] The value '(?P<value>.*)' is not accepted by the "
    r"pattern '(?P<pattern>.*)'\.$"
)
def _pattern(match: re.Match[str], info: _SchemaInfo) -> str:
    return f"voldoet niet aan het voorgeschreven patroon {match['pattern']}"


@_schema_message(
    r"\[facet 'enumeration'\] The value '(?P<value>.*)' is not an element of the "
    r"set \{(?P<set>.*)\}\.$"
)
def _enumeration(match: re.Match[str], info: _SchemaInfo) -> str:
    allowed = match["set"].replace("'", "")
    return f"geen toegestane code; toegestaan: {allowed}"


@_schema_message(
    r"\[facet '(?P<facet>maxLength|minLength|length)'\] The value "
    r"(?:'(?P<value>.*)' )?has a length of '(?P<length>\d+)'; "
    r"this \w+(?: from)? the allowed (?:maximum |minimum )?"
    r"length of '(?P<limit>\d+)'\.$"
)
def _length(match: re.Match[str], info: _SchemaInfo) -> str:
    word = {"maxLength": "maximaal", "minLength": "minimaal", "length": "precies"}[match["facet"]]
    return f"lengte {match['length']} tekens, toegestaan {word} {match['limit']}"


@_schema_message(
    r"\[facet '(?P<facet>max|min)(?:Inclusive|Exclusive)'\] The value "
    r"'(?P<value>.*)' is (?:greater|less) than (?:or equal to )?"
    r"the (?:maximum|minimum) value allowed \('(?P<limit>.*)'\)\.$"
)
def _range(match: re.Match[str], info: _SchemaInfo) -> str:
    if match["facet"] == "max":
        return f"groter dan het maximum {match['limit']}"
    return f"kleiner dan het minimum {match['limit']}"


@_schema_message(
    r"This element is not expected\."
    r"(?: Expected is (?:one of )?\( (?P<expected>.*) \)\.)?$"
)
def _unexpected(match: re.Match[str], info: _SchemaInfo) -> str:
    if match["expected"]:
        return f"element hoort hier niet; verwacht: {_local_names(match['expected'])}"
    return "element hoort hier niet (na het laatste toegestane element)"


@_schema_message(r"Missing child element\(s\)\. Expected is (?:one of )?\( (?P<expected>.*) \)\.$")
def _missing(match: re.Match[str], info: _SchemaInfo) -> str:
    return f"verplicht element ontbreekt: {_local_names(match['expected'])}"


@_schema_message(r"Character content other than whitespace is not allowed.*$")
def _text_in_structure(match: re.Match[str], info: _SchemaInfo) -> str:
    return "tekst waar alleen elementen horen"


@_schema_message(r"No matching global declaration available for the validation root\.$")
def _wrong_root(match: re.Match[str], info: _SchemaInfo) -> str:
    return "onbekend hoofdelement; verwacht: Bericht"


@_schema_message(r"The attribute '(?P<attribute>[^']*)' is not allowed\.$")
def _attribute(match: re.Match[str], info: _SchemaInfo) -> str:
    return f"attribuut {match['attribute']} is niet toegestaan"


def _mask_values(text: str) -> str:
    """An unrecognised libxml2 message without the values or names it quotes."""
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"'[^']*'", "'…'", text)
    text = re.sub(r"Bytes: .*", "", text).strip()
    return re.sub(r"[A-Za-z][\w.-]*", lambda word: _unknown_word(word[0]), text)


@dataclass(frozen=True)
class _SchemaError:
    tag: str | None  # namespaced tag of the element the error is about
    element: str | None
    value: str | None
    reason: str
    expected: tuple[str, ...] = ()  # local names the schema wanted instead / in addition
    missing: bool = False  # "Missing child element(s)": `tag` is the parent
    length: int | None = None  # length facets: libxml2 leaves the value out, not the length


def _parse_schema_error(message: str, info: _SchemaInfo) -> _SchemaError:
    prefix = _ELEMENT_PREFIX.match(message)
    if prefix is None:
        reason = f"voldoet niet aan het schema: {_mask_values(message)}"
        return _SchemaError(None, None, None, reason)
    rest = message[prefix.end() :]
    tag = f"{{{prefix['ns']}}}{prefix['name']}" if prefix["ns"] else prefix["name"]
    for pattern, translate in _SCHEMA_MESSAGES:
        match = pattern.match(rest)
        if match is not None:
            groups = match.groupdict()
            expected = tuple(
                _local(part.strip())
                for part in (groups.get("expected") or "").split(",")
                if part.strip()
            )
            length = groups.get("length")
            return _SchemaError(
                tag,
                prefix["name"],
                groups.get("value"),
                translate(match, info),
                expected,
                missing=translate is _missing,
                length=None if length is None else int(length),
            )
    return _SchemaError(
        tag, prefix["name"], None, f"voldoet niet aan het schema: {_mask_values(rest)}"
    )


_PARSER_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"Opening and ending tag mismatch: (\S+) line (\d+) and (\S+)"),
        r"<\1> van regel \2 wordt afgesloten met </\3>",
    ),
    (
        re.compile(r"Premature end of data in tag (\S+) line (\d+)"),
        r"het bestand houdt op voordat <\1> (regel \2) is afgesloten (afgebroken bestand?)",
    ),
    (
        re.compile(r"EntityRef: expecting ';'|xmlParseEntityRef: no name"),
        "los '&'-teken (schrijf &amp;)",
    ),
    (
        re.compile(r"Extra content at the end of the document"),
        "inhoud na het einde van het bericht",
    ),
    (re.compile(r"Start tag expected, '<' not found"), "geen XML: begintag '<' verwacht"),
    (re.compile(r"Document is empty"), "leeg bestand"),
    (
        re.compile(r"Input is not proper UTF-8|Invalid bytes in character encoding"),
        "tekens passen niet bij de encoding (UTF-8 tenzij de XML-declaratie iets anders zegt)",
    ),
    (
        re.compile(r"Namespace prefix (\S+) on (\S+) is not defined"),
        r"namespace-prefix \1 (bij <\2>) is niet gedeclareerd",
    ),
    (re.compile(r"Couldn't find end of Start Tag (\S+)"), r"begintag <\1> is niet afgesloten"),
    (
        re.compile(r"invalid xmlChar value|Char 0x\w+ out of allowed range|PCDATA invalid Char"),
        "teken dat in XML niet is toegestaan",
    ),
]


_FEED_ERROR = re.compile(r"^line \d+: b(['\"])(?P<message>.*)\1$", re.S)


def _parser_problem(filename: str, message: str, line: int | None) -> InputProblem:
    """A well-formedness error in Dutch. lxml wraps feed errors as "line N: b'...'"."""
    message = message.strip()
    wrapped = _FEED_ERROR.match(message)
    if wrapped is not None:
        message = wrapped["message"]
    reason = None
    element = None
    for pattern, template in _PARSER_MESSAGES:
        match = pattern.search(message)
        if match is not None:
            names = [_known_name(group) for group in match.groups()]
            reason = re.sub(r"\\(\d)", lambda ref, n=names: n[int(ref[1]) - 1], template)
            element = names[0] if names else None
            break
    if reason is None:
        reason = _mask_values(message)
    return InputProblem(
        filename, line or None, element, None, f"XML is niet goed gevormd: {redact(reason)}"
    )


#: Words libxml2 uses in its messages; any other word in an unrecognised message may be
#: data and is masked.
_PARSER_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "at",
        "attribute",
        "attributes",
        "char",
        "characters",
        "content",
        "data",
        "document",
        "element",
        "encoding",
        "end",
        "entity",
        "expected",
        "error",
        "found",
        "in",
        "input",
        "is",
        "line",
        "missing",
        "name",
        "names",
        "not",
        "of",
        "on",
        "or",
        "parsing",
        "parse",
        "redefined",
        "specification",
        "tag",
        "the",
        "to",
        "unexpected",
        "value",
        "xml",
    }
)


def _unknown_word(word: str) -> str:
    return word if word.lower() in _PARSER_WORDS or word in _element_names() else "…"


@functools.cache
def _element_names() -> frozenset[str]:
    """Every element name the official schemas define (and the digits of line numbers)."""
    names: set[str] = set()
    for xsd in SCHEMA_DIR.glob("*/*.xsd"):
        names.update(re.findall(r'<xs:element name="([A-Za-z]+)"', xsd.read_text("utf-8")))
    return frozenset(names)


def _known_name(text: str) -> str:
    """A name quoted by the parser, if it is one the standard defines; otherwise it may be
    data (a surname or a BSN written as a tag) and is shown as '…'."""
    if text.isdigit() and len(text) < 9:
        return text  # a line number
    local = text.rpartition(":")[2]
    return text if local in _element_names() else "…"


# --------------------------------------------------------------------------- the event stream


class _EventStream:
    """iterparse with schema validation that turns every error into RejectedInput."""

    def __init__(self, source: Source, info: _SchemaInfo, tags: list[str], filename: str):
        self.info = info
        self.filename = filename
        self._size = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
        self._file: IO[bytes] | None = _open(source)
        self._events: etree.iterparse | None = etree.iterparse(
            self._file,
            events=("end",),
            tag=[f"{{{info.namespace}}}{name}" for name in [*tags, "Bericht"]],
            schema=info.schema,
            huge_tree=False,  # libxml2's limits on depth and text size stay on
            load_dtd=False,  # entities: lxml's default resolves internal ones only (no XXE)
            no_network=True,
            remove_comments=True,  # comments and PIs would shift child positions
            remove_pis=True,
            remove_blank_text=True,  # indentation is not stored: about 10 % faster
        )
        self._root: etree._Element | None = None
        self._released: dict[str, etree._Element] = {}
        self._complete = False  # the root element's end tag has been read
        self._log_seen = 0
        self._had_errors = False

    def __iter__(self) -> Iterator[etree._Element]:
        events = self._events
        if events is None:
            return
        while True:
            problems: list[InputProblem] = []
            finished = False
            try:
                _, element = next(events)
            except StopIteration:
                finished = True
            except etree.XMLSyntaxError as exc:
                problems = self._problems_after(exc.msg or "", exc.lineno)
            else:
                if self._root is None:
                    self._root = element.getroottree().getroot()
                if element is self._root:
                    self._complete = True
                    continue
            if not problems and len(events.error_log) > self._log_seen:
                problems = self._schema_problems()
            if problems:
                self._had_errors = True
                self.close()
                raise RejectedInput(problems)
            if finished:
                self.close()
                return
            yield element

    def release(self, element: etree._Element) -> None:
        """Free an element we are done with, and its preceding siblings."""
        element.clear()
        parent = element.getparent()
        if parent is not None:
            while element.getprevious() is not None:
                del parent[0]
        self._released[element.tag] = element

    def close(self) -> None:
        """Close the file and drop the parser (and with it, its error log)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._events = None
        self._released.clear()
        if self._had_errors:
            # lxml keeps a per-thread log of recent errors; those quote values (a BSN).
            etree.clear_error_log()

    def _problems_after(self, message: str, line: int | None) -> list[InputProblem]:
        """Problems when lxml raised: a broken document, or validity errors at its end.

        lxml raises well-formedness errors met while feeding with the message only
        (nothing in the error log), and validity errors when the document ends.
        """
        if message and not message.startswith("Element '"):
            return [_parser_problem(self.filename, message, line)]
        if not self._complete and self._read_to_end():
            return [self._truncated()]
        return self._schema_problems(drain=False) or [
            InputProblem(
                self.filename, line or None, None, None, "leeg bestand of geen volledig XML-bericht"
            )
        ]

    def _schema_problems(self, *, drain: bool = True) -> list[InputProblem]:
        events = self._events
        if events is None:
            return []
        log = events.error_log
        entries = [e for e in list(log)[self._log_seen :] if e.level >= etree.ErrorLevels.ERROR]
        self._log_seen = len(log)
        if not entries:
            return []
        broken = [e for e in entries if e.domain_name != "SCHEMASV"]
        if broken:
            return [_parser_problem(self.filename, e.message, e.line) for e in broken[:1]]
        if drain and self._read_to_end():
            # A truncated file shows up first as a validity error in its last chunk;
            # the real problem (the missing end) is what the user must be told.
            end_problem = self._problem_at_end()
            if end_problem is not None:
                return [end_problem]
        problems = []
        for entry in entries[:MAX_PROBLEMS]:
            error = _parse_schema_error(entry.message, self.info)
            line, value = self._locate(error)
            problems.append(InputProblem(self.filename, line, error.element, value, error.reason))
        return problems

    def _read_to_end(self) -> bool:
        return self._file is not None and self._file.tell() >= self._size

    def _problem_at_end(self) -> InputProblem | None:
        """The file has been read: a well-formedness error or truncation still queued."""
        events = self._events
        if events is None:
            return None
        try:
            for _, element in events:
                if element is self._root:
                    self._complete = True
        except etree.XMLSyntaxError as exc:
            message = exc.msg or ""
            if message and not message.startswith("Element '"):
                return _parser_problem(self.filename, message, exc.lineno)
        return None if self._complete else self._truncated()

    def _truncated(self) -> InputProblem:
        last_line = None
        if self._root is not None:
            for element in self._root.iter():
                last_line = element.sourceline
        return InputProblem(
            self.filename,
            last_line,
            None,
            None,
            "XML is niet goed gevormd: het bestand houdt op voordat het bericht "
            "is afgesloten (afgebroken of onvolledig bestand)",
        )

    def _locate(self, error: _SchemaError) -> tuple[int | None, str | None]:
        """Line (and, if the message lacks it, value) of the element an error is about.

        libxml2 gives no line for streaming validation errors, so the element is
        looked up in the part of the tree still in memory: the current record and
        what the parser read ahead, which is where a freshly logged error is.
        Exact for wrong values; for structural errors the first element that fits.
        """
        root = self._root
        if error.tag is None or root is None or "{" not in error.tag:
            return (root.sourceline if root is not None else None), error.value
        released = {id(element) for element in self._released.values()}
        candidates = [el for el in root.iter(error.tag) if id(el) not in released]
        found = _best_candidate(candidates, error)
        if found is None:
            return None, error.value
        value = error.value
        if value is None and error.length is not None:
            value = found.text
        return found.sourceline, value


def _best_candidate(candidates: list[etree._Element], error: _SchemaError) -> etree._Element | None:
    if error.value is not None:
        wanted = error.value.strip()
        return next((el for el in candidates if (el.text or "").strip() == wanted), None)
    if error.length is not None:
        return next((el for el in candidates if len(el.text or "") == error.length), None)
    if error.missing:
        expected = set(error.expected)
        return next((el for el in candidates if not expected & {_local(c.tag) for c in el}), None)
    if error.expected:
        # "E is not expected, expected X": either E is repeated, or E stands where
        # an X should have come first (X missing or after it).
        preceding = [(el, _preceding_names(el)) for el in candidates]
        repeated = (el for el, before in preceding if _local(el.tag) in before)
        misplaced = (el for el, before in preceding if not before & set(error.expected))
        found = next(repeated, None)
        return found if found is not None else next(misplaced, None)
    return candidates[0] if candidates else None


def _preceding_names(element: etree._Element) -> set[str]:
    return {_local(sibling.tag) for sibling in element.itersiblings(preceding=True)}


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


# --------------------------------------------------------------------------- values


class _FieldError(Exception):
    """A value that passed the schema but cannot be represented (e.g. year 12026)."""

    def __init__(self, element: str | None, value: str, reason: str):
        super().__init__(reason)
        self.element = element
        self.value = value
        self.reason = reason


class _Dates(dict[str, date]):
    """xs:date text to date, cached: a declaration repeats the same few dates."""

    def __missing__(self, text: str) -> date:
        try:
            value = date.fromisoformat(text.strip())
        except ValueError:
            # The schema accepted it, so it is a real xs:date Python cannot hold.
            raise _FieldError(
                None, text.strip(), "datum buiten het ondersteunde bereik (jaar 1 tot en met 9999)"
            ) from None
        self[text] = value
        return value


class _LocalNames(dict[str, str]):
    """Namespaced tag to local name, cached (the same twenty tags, millions of times)."""

    def __missing__(self, tag: str) -> str:
        name = tag.rpartition("}")[2]
        self[tag] = name
        return name


class _Reader:
    """Per-message state: caches and the current client's pseudonym."""

    def __init__(self, stream: _EventStream, pseudonymize: Callable[[str], str]):
        self.stream = stream
        self.pseudonymize = pseudonymize
        self.ns = f"{{{stream.info.namespace}}}"
        self.names = _LocalNames()
        self.dates = _Dates()
        self.client = ""
        self.bsn_valid = False
        self.birth: date | None = None

    def leaves(self, element: etree._Element) -> dict[str, str]:
        """Local name -> text of every element under `element` (all leaves are unique there)."""
        names = self.names
        return {names[child.tag]: child.text for child in element.iter() if child.text is not None}

    def take_bsn(self, element: etree._Element) -> None:
        """Pseudonymise the BSN and empty the element: the clear BSN is not kept anywhere."""
        bsn = (element.text or "").strip()
        element.text = None
        self.bsn_valid = passes_elfproef(bsn)
        self.client = self.pseudonymize(bsn)

    def date(self, text: str, element: str) -> date:
        try:
            return self.dates[text]
        except _FieldError as error:
            raise _FieldError(element, error.value, error.reason) from None


def _text(values: dict[str, str], name: str) -> str:
    return values[name].strip()


def _optional(values: dict[str, str], name: str) -> str | None:
    text = values.get(name)
    return None if text is None else text.strip()


def _number(text: str) -> str:
    """An xs:integer identifier in canonical form: '000123' and '123' are the same number."""
    return str(int(text))


def _optional_int(values: dict[str, str], name: str) -> int | None:
    text = values.get(name)
    return None if text is None else int(text)


def _optional_number(values: dict[str, str], name: str) -> str | None:
    text = values.get(name)
    return None if text is None else _number(text)


def _debet_credit(text: str) -> Literal["D", "C"]:
    return "C" if text.strip() == "C" else "D"


# --------------------------------------------------------------------------- per message type


def _read_header(element: etree._Element, reader: _Reader, wet: Wet, code: str) -> MessageHeader:
    """The header. Identificatie and Dagtekening are read from BerichtIdentificatie itself:
    a 325 repeats both names in DeclaratieIdentificatie, the declaration it answers."""
    ns, basis = reader.ns, f"{{{reader.stream.info.basis_namespace}}}"
    values = {reader.names[child.tag]: child for child in element}
    own = values["BerichtIdentificatie"]
    answered = values.get("DeclaratieIdentificatie")
    if answered is not None:
        returned: str | None = answered.findtext(basis + "Identificatie")
        returned_day: str | None = answered.findtext(basis + "Dagtekening")
    else:
        returned = values["IdentificatieRetour"].text if "IdentificatieRetour" in values else None
        returned_day = values["DagtekeningRetour"].text if returned is not None else None
    codes = values.get("RetourCodes")
    return MessageHeader(
        wet=wet,
        berichttype=code,
        afzender=values["Afzender"].text.strip(),
        ontvanger=values["Ontvanger"].text.strip(),
        bericht_identificatie=own.findtext(basis + "Identificatie").strip(),
        dagtekening=reader.date(own.findtext(basis + "Dagtekening"), "Dagtekening"),
        retour_identificatie=returned.strip() if returned is not None else None,
        retour_dagtekening=(
            reader.date(returned_day, "Dagtekening") if returned_day is not None else None
        ),
        retourcodes=_codes(codes, ns),
    )


def _codes(holder: etree._Element | None, ns: str) -> tuple[str, ...]:
    """The RetourCode texts directly under a RetourCodes element (none: empty)."""
    if holder is None:
        return ()
    return tuple((code.text or "").strip() for code in holder.iterchildren(ns + "RetourCode"))


def _declaratie_header(totaal: etree._Element, reader: _Reader) -> DeclaratieHeader:
    declaratie = totaal.getparent()
    values: dict[str, str] = {}
    for child in declaratie:  # stop before Clienten: the parser may have read into it
        if child.tag == f"{reader.ns}Clienten":
            break
        values.update(reader.leaves(child))
    flag = _debet_credit(values["DebetCredit"])
    return DeclaratieHeader(
        declaratienummer=_text(values, "DeclaratieNummer"),
        periode_begin=reader.date(values["Begindatum"], "Begindatum"),
        periode_eind=reader.date(values["Einddatum"], "Einddatum"),
        dagtekening=reader.date(values["DeclaratieDagtekening"], "DeclaratieDagtekening"),
        totaal_cents=signed_cents(int(values["TotaalBedrag"]), flag),
        line=declaratie.sourceline,
    )


#: A Prestatie covers care of at most a year (in practice a month): a longer period is a
#: typo (0001-01-01 … 9999-12-31 would become 120.000 monthly rows), not care.
MAX_PERIOD_DAYS = 366


def _period_problem(begin: date, end: date) -> str:
    if end < begin:
        return f"einddatum ligt voor de begindatum {begin:%d-%m-%Y}"
    return (
        f"ProductPeriode van {(end - begin).days + 1} dagen vanaf {begin:%d-%m-%Y}: een "
        f"prestatie beslaat hoogstens {MAX_PERIOD_DAYS} dagen"
    )


def _prestatie(element: etree._Element, reader: _Reader) -> Prestatie:
    """Read a Prestatie by position: the hot path of a million-line declaration.

    The schema fixes the order (ProductReferentie, ToewijzingNummer,
    ProductCategorie, ProductCode, ProductPeriode, GeleverdVolume, Eenheid,
    ProductTarief?, IngediendBedrag) and the element has been validated before
    it gets here, so positions are safe; it is 2.5 times faster than looking
    children up by name. Only the optional elements are told apart, by count.
    """
    children = list(element)
    referentie, periode, ingediend = children[0], children[4], children[-1]
    dates = reader.dates
    flag: Literal["D", "C"] = "C" if ingediend[1].text.strip() == "C" else "D"
    amount = int(ingediend[0].text)
    begin, end = dates[periode[0].text], dates[periode[1].text]
    if end < begin or (end - begin).days > MAX_PERIOD_DAYS:
        raise _FieldError("Einddatum", periode[1].text.strip(), _period_problem(begin, end))
    return Prestatie(
        client=reader.client,
        bsn_valid=reader.bsn_valid,
        productreferentie=referentie[0].text.strip(),
        vorig_referentienummer=referentie[1].text.strip() if len(referentie) == 2 else None,
        toewijzingnummer=str(int(children[1].text)),
        productcategorie=children[2].text.strip(),
        productcode=children[3].text.strip(),
        periode_begin=begin,
        periode_eind=end,
        volume=int(children[5].text),
        eenheid=children[6].text.strip(),
        tarief_cents=int(children[7].text) if len(children) == 9 else None,
        bedrag_cents=-amount if flag == "C" else amount,
        debet_credit=flag,
        line=element.sourceline,
    )


def _toewijzing(element: etree._Element, reader: _Reader) -> Toewijzing:
    values = reader.leaves(element)
    toewijzingsdatum = reader.date(values["Toewijzingsdatum"], "Toewijzingsdatum")
    einddatum = values.get("Einddatum")
    birth = reader.birth
    return Toewijzing(
        client=reader.client,
        toewijzingnummer=_number(values["ToewijzingNummer"]),
        referentie_aanbieder=_optional(values, "ReferentieAanbieder"),
        productcategorie=_optional(values, "Categorie"),
        productcode=_optional(values, "Code"),
        toewijzingsdatum=toewijzingsdatum,
        ingangsdatum=reader.date(values["Ingangsdatum"], "Ingangsdatum"),
        einddatum=None if einddatum is None else reader.date(einddatum, "Einddatum"),
        reden_wijziging=_optional(values, "RedenWijziging"),
        age_band=age_band(birth, toewijzingsdatum) if birth is not None else "onbekend",
        line=element.sourceline,
        omvang_volume=_optional_int(values, "Volume"),
        omvang_eenheid=_optional(values, "Eenheid"),
        omvang_frequentie=_optional(values, "Frequentie"),
        budget_cents=_optional_int(values, "Budget"),
    )


def _start_zorg(element: etree._Element, reader: _Reader) -> StartZorg:
    values = reader.leaves(element)
    return StartZorg(
        client=reader.client,
        toewijzingnummer=_optional_number(values, "ToewijzingNummer"),
        productcategorie=_optional(values, "Categorie"),
        productcode=_optional(values, "Code"),
        begindatum=reader.date(values["Begindatum"], "Begindatum"),
        line=element.sourceline,
        status_aanlevering=_text(values, "StatusAanlevering"),
    )


def _stop_zorg(element: etree._Element, reader: _Reader) -> StopZorg:
    values = reader.leaves(element)
    return StopZorg(
        client=reader.client,
        toewijzingnummer=_optional_number(values, "ToewijzingNummer"),
        productcategorie=_optional(values, "Categorie"),
        productcode=_optional(values, "Code"),
        begindatum=reader.date(values["Begindatum"], "Begindatum"),
        einddatum=reader.date(values["Einddatum"], "Einddatum"),
        reden_beeindiging=_text(values, "RedenBeeindiging"),
        line=element.sourceline,
        status_aanlevering=_text(values, "StatusAanlevering"),
    )


def _verzoek(element: etree._Element, reader: _Reader) -> VerzoekToewijzing:
    values = reader.leaves(element)
    return VerzoekToewijzing(
        client=reader.client,
        referentie_aanbieder=_text(values, "ReferentieAanbieder"),
        productcategorie=_optional(values, "Categorie"),
        productcode=_optional(values, "Code"),
        toewijzing_ingangsdatum=reader.date(
            values["ToewijzingIngangsdatum"], "ToewijzingIngangsdatum"
        ),
        verwijzer_type=_text(values, "Type"),
        line=element.sourceline,
    )


def _wijziging(element: etree._Element, reader: _Reader) -> VerzoekWijziging:
    values = {
        reader.names[child.tag]: child.text for child in element if child.text is not None
    }  # its own leaves only: the products below repeat names
    return VerzoekWijziging(
        client=reader.client,
        referentie_aanbieder=_text(values, "ReferentieAanbieder"),
        reden_verzoek=_optional(values, "RedenVerzoek"),
        line=element.sourceline,
    )


def _antwoord(element: etree._Element, reader: _Reader) -> VerzoekAntwoord:
    values = reader.leaves(element)
    return VerzoekAntwoord(
        referentie_aanbieder=_text(values, "ReferentieAanbieder"),
        antwoord=_text(values, "VerzoekAntwoord"),
        reden_afwijzing=_optional(values, "RedenAfwijzingVerzoek"),
        line=element.sourceline,
    )


def _retourcode(element: etree._Element, reader: _Reader) -> Retourcode:
    """One RetourCode; `niveau` is where it sits (Header, Client, StartProduct, ...)."""
    holder = element.getparent()
    level = holder.getparent() if holder is not None else None
    return Retourcode(
        code=(element.text or "").strip(),
        niveau=_local(level.tag) if level is not None else "Bericht",
        line=element.sourceline,
    )


def _prestatie_oordeel(element: etree._Element, reader: _Reader) -> PrestatieOordeel:
    """A 325 Prestatie, by position like the 323's (the schema fixes the order; the
    ReferentieNummer is the first child of ProductReferentie, RetourCodes the last)."""
    children = list(element)
    ingediend = children[-2]
    amount = int(ingediend[0].text)
    return PrestatieOordeel(
        productreferentie=children[0][0].text.strip(),
        toewijzingnummer=str(int(children[1].text)),
        productcategorie=children[2].text.strip(),
        productcode=children[3].text.strip(),
        bedrag_cents=-amount if ingediend[1].text.strip() == "C" else amount,
        retourcodes=_codes(children[-1], reader.ns),
        line=element.sourceline,
    )


def _signed_total(element: etree._Element) -> int:
    """A CDT_TotaalBedragMetDC (Bedrag, DebetCredit) as signed cents."""
    return signed_cents(int(element[0].text), _debet_credit(element[1].text))


def _declaratie_antwoord(element: etree._Element, reader: _Reader) -> DeclaratieAntwoord:
    """A 325's DeclaratieAntwoord at its end: DeclaratieNummer, the two totals, (the
    Clienten, released by now) and its own RetourCodes, in schema order."""
    children = list(element)
    return DeclaratieAntwoord(
        declaratienummer=children[0].text.strip(),
        ingediend_cents=_signed_total(children[1]),
        toegekend_cents=_signed_total(children[2]),
        retourcodes=_codes(children[-1], reader.ns),
        line=element.sourceline,
    )


RecordBuilder = Callable[[etree._Element, _Reader], Record]

#: Per message type: the element that becomes a record, and how.
_PRODUCT_RECORDS: dict[str, tuple[str, RecordBuilder]] = {
    "323": ("Prestatie", _prestatie),
    "301": ("ToegewezenProduct", _toewijzing),
    "305": ("StartProduct", _start_zorg),
    "307": ("StopProduct", _stop_zorg),
    "315": ("AangevraagdProduct", _verzoek),
    "317": ("Verzoek", _wijziging),
    "319": ("Antwoord", _antwoord),
    "325": ("Prestatie", _prestatie_oordeel),
    **{code: ("RetourCode", _retourcode) for code in RETURN_TYPES},
}


def _tags(code: str) -> list[str]:
    """The elements that produce Python events; everything else stays in C."""
    tags = ["Header", "Bsn", _PRODUCT_RECORDS[code][0], "Client"]
    if code == "323":
        tags.append("TotaalIngediendBedrag")
    if code == "325":
        tags.append("DeclaratieAntwoord")
    if code == "301":
        tags.append("Geboortedatum")
    return tags


def _records(events: Iterator[etree._Element], reader: _Reader, code: str) -> Iterator[Record]:
    """Turn the stream's events into records, releasing elements as soon as they are read."""
    ns = reader.ns
    product_tag = ns + _PRODUCT_RECORDS[code][0]
    build = _PRODUCT_RECORDS[code][1]
    bsn_tag, client_tag = ns + "Bsn", ns + "Client"
    try:
        for element in events:
            tag = element.tag
            problem: InputProblem | None = None
            try:
                if tag == product_tag:
                    record: Record = build(element, reader)
                    reader.stream.release(element)
                    yield record
                elif tag == bsn_tag:
                    reader.take_bsn(element)
                elif tag == client_tag:
                    if code == "325":
                        yield ClientOordeel(
                            _codes(element.find(ns + "RetourCodes"), ns), element.sourceline
                        )
                    reader.stream.release(element)
                    reader.birth = None
                elif tag == ns + "DeclaratieAntwoord":
                    yield _declaratie_antwoord(element, reader)
                elif tag == ns + "TotaalIngediendBedrag":
                    yield _declaratie_header(element, reader)
                elif tag == ns + "Geboortedatum" and element.getparent().tag == client_tag:
                    reader.birth = _birth_date(element, reader)
            except _FieldError as error:
                scope = element.getparent() if tag == ns + "TotaalIngediendBedrag" else element
                problem = _field_problem(reader.stream.filename, scope, error)
            if problem is not None:
                raise RejectedInput([problem])
    finally:
        reader.stream.close()


def _field_problem(filename: str, scope: etree._Element, error: _FieldError) -> InputProblem:
    """Point at the element holding a value that passed the schema but cannot be used."""
    for element in scope.iter():
        text = element.text
        name = _local(element.tag)
        if text is not None and text.strip() == error.value and error.element in (None, name):
            return InputProblem(filename, element.sourceline, name, error.value, error.reason)
    return InputProblem(filename, scope.sourceline, error.element, error.value, error.reason)


def _birth_date(element: etree._Element, reader: _Reader) -> date | None:
    """Kept only while the client's products are read, to derive their age band."""
    text = element.findtext(f"{{{reader.stream.info.basis_namespace}}}Datum")
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None  # outside Python's range: the age band becomes 'onbekend'


# --------------------------------------------------------------------------- entry point


def parse_message(
    source: Path | bytes, *, filename: str, pseudonymize: Callable[[str], str]
) -> ParsedMessage:
    """Open a message, validate and read its header; the records follow lazily.

    Raises `RejectedInput` here for problems up to and including the header,
    and from `records` for problems further on (see the module docstring:
    the caller treats the file as one unit).
    """
    wet, code = sniff_message(source, filename=filename)
    info = _schema_info(wet, code)
    stream = _EventStream(source, info, _tags(code), filename)
    reader = _Reader(stream, pseudonymize)
    events = iter(stream)
    header_element = next(events, None)
    early: list[Record] = []  # a return message's own RetourCodes end before its Header
    while (
        code in RETURN_TYPES
        and header_element is not None
        and header_element.tag == reader.ns + "RetourCode"
    ):
        early.append(_retourcode(header_element, reader))
        header_element = next(events, None)
    if header_element is None or header_element.tag != reader.ns + "Header":
        stream.close()
        raise RejectedInput([InputProblem(filename, None, "Header", None, "bericht zonder Header")])
    problem: InputProblem | None = None
    try:
        header = _read_header(header_element, reader, wet, code)
    except _FieldError as error:
        problem = _field_problem(filename, header_element, error)
    if problem is not None:
        stream.close()
        raise RejectedInput([problem])
    records = _records(events, reader, code)
    return ParsedMessage(
        header=header,
        records=itertools.chain(early, records) if early else records,
        _stream=stream,
        gevalideerd=info.schema is not None,
    )


# --------------------------------------------------------------------------- read ahead


@dataclass
class ReadMessage:
    """A small message read whole, ahead of its turn, by a worker process: everything
    `sniff_message` and `parse_message` would give or raise, in a form that travels.

    `problems` is the rejection that ended the reading: before the header when
    `header` is None (from sniffing when `berichttype` is None too), otherwise after
    the `records`.
    """

    wet: Wet | None
    berichttype: str | None
    header: MessageHeader | None
    records: list[Record]
    gevalideerd: bool
    problems: list[InputProblem]


def read_message(
    source: Source, *, filename: str, pseudonymize: Callable[[str], str]
) -> ReadMessage:
    """Sniff, validate and read a whole message; a rejection is kept, not raised."""
    try:
        wet, code = sniff_message(source, filename=filename)
    except RejectedInput as rejected:
        return ReadMessage(None, None, None, [], False, rejected.problems)
    try:
        message = parse_message(source, filename=filename, pseudonymize=pseudonymize)
    except RejectedInput as rejected:
        return ReadMessage(wet, code, None, [], False, rejected.problems)
    records: list[Record] = []
    problems: list[InputProblem] = []
    with message:
        try:
            records.extend(message.records)
        except RejectedInput as rejected:
            problems = rejected.problems
    return ReadMessage(wet, code, message.header, records, message.gevalideerd, problems)


def replay(read: ReadMessage) -> ParsedMessage:
    """`parse_message` for a message read ahead: the same header and records, and the
    same rejection at the same point."""
    if read.header is None:
        raise RejectedInput(read.problems)
    return ParsedMessage(
        header=read.header,
        records=_replayed(read),
        _stream=None,
        gevalideerd=read.gevalideerd,
    )


def _replayed(read: ReadMessage) -> Iterator[Record]:
    yield from read.records
    if read.problems:
        raise RejectedInput(read.problems)
