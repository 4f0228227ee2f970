"""One neutral message, rendered per channel (Slack, Teams, e-mail, console).

The builders (alerts, digest) fill a `Message` with plain text, label/value
fields, small tables and attachments; each channel has one renderer that turns
it into Block Kit, an Adaptive Card, MIME parts or console text. Adding a
channel means adding a renderer and a sender, nothing else.

A message holds aggregates only: amounts, counts, percentages, names of
percelen and providers (organisations). Client data never reaches this module.
Messages are stored in the outbox as JSON (`to_json`/`from_json`), so a sender
after a restart delivers exactly what was decided in the evaluation.
"""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal["alerts", "digest"]
State = Literal["nieuw", "ernstiger", "herhaling", "opgelost", "bevestigd", ""]

STATE_LABELS: dict[str, str] = {
    "nieuw": "Nieuw",
    "ernstiger": "Ernstiger",
    "herhaling": "Speelt nog",
    "opgelost": "Opgelost",
    "bevestigd": "Besproken",
}
SEVERITY_LABELS: dict[str, str] = {"kritiek": "Kritiek", "waarschuwing": "Waarschuwing"}


@dataclass(frozen=True)
class MessageField:
    label: str
    value: str


@dataclass(frozen=True)
class Table:
    """A small table (at most a screenful): the budget table, open alerts by severity."""

    columns: list[str]
    rows: list[list[str]]
    align: list[str] = field(default_factory=list)  # "l" or "r" per column; default left

    def alignment(self, index: int) -> str:
        return self.align[index] if index < len(self.align) else "l"


@dataclass(frozen=True)
class Attachment:
    name: str  # file name, e.g. "jeugd-zin-2026.png"
    mime: str  # image/png, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
    data: bytes
    title: str = ""


@dataclass(frozen=True)
class Section:
    """One alert (or one part of a digest)."""

    title: str
    text: str = ""  # one to three plain sentences; no markup
    fields: list[MessageField] = field(default_factory=list)
    table: Table | None = None
    state: State = ""
    severity: str | None = None  # kritiek, waarschuwing
    action: str = ""  # what the kernteam should do (the rule's `actie`)
    chart: str | None = None  # name of an attachment shown with this section
    details: list[str] = field(default_factory=list)  # longer explanation: a thread reply

    @property
    def badge(self) -> str:
        """'Kritiek · Nieuw' — severity and state in words."""
        parts = [SEVERITY_LABELS.get(self.severity or "", ""), STATE_LABELS.get(self.state, "")]
        return " · ".join(p for p in parts if p)


@dataclass(frozen=True)
class Message:
    kind: Kind
    gemeente: str
    title: str
    summary: str  # one sentence: what this message is about
    sections: list[Section] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    footer: str = ""
    regio: str | None = None
    """A region's message (its digest): routed by the region's channels, `gemeente` empty."""

    def attachment(self, name: str) -> Attachment | None:
        return next((a for a in self.attachments if a.name == name), None)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["attachments"] = [
            {**a, "data": base64.b64encode(a["data"]).decode("ascii")} for a in data["attachments"]
        ]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Message:
        sections = [
            Section(
                **{
                    **s,
                    "fields": [MessageField(**f) for f in s.get("fields", [])],
                    "table": Table(**s["table"]) if s.get("table") else None,
                }
            )
            for s in data.get("sections", [])
        ]
        attachments = [
            Attachment(**{**a, "data": base64.b64decode(a["data"])})
            for a in data.get("attachments", [])
        ]
        return cls(
            kind=data["kind"],
            gemeente=data["gemeente"],
            title=data["title"],
            summary=data["summary"],
            sections=sections,
            attachments=attachments,
            footer=data.get("footer", ""),
            regio=data.get("regio"),
        )
