"""One renderer per channel: the neutral `Message` as text, Block Kit, an Adaptive Card or MIME.

Renderers only arrange what the builders decided; they add no facts, so a
message reads the same everywhere and the privacy guarantee of `message.py`
(aggregates only) carries over to every channel. Each renderer respects its
channel's limits (Slack: 50 blocks, 3000 characters per text; Mattermost:
16.383 characters) by moving or clipping content, never by failing: a message
that is too long for Slack still arrives, with the rest in the thread.

The words a renderer adds itself ("Actie:", "Toelichting") are Dutch: the
builders choose the message's language, the renderers follow the users' own
reports.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from monitorbot.notify.message import Attachment, Message, Section, Table

ACTION_LABEL = "Actie"
DETAILS_LABEL = "Toelichting"
CHART_IN_THREAD = "De grafiek staat in de draad onder dit bericht."
CHART_ELSEWHERE = (
    "Deze melding heeft een grafiek; die staat in Slack, de e-mail en het HTML-rapport."
)
CHART_IN_EMAIL = "De grafiek staat in de e-mail."

SLACK_MAX_BLOCKS = 50
SLACK_MAX_TEXT = 3000
SLACK_MAX_FIELDS = 10
SLACK_MAX_FIELD_TEXT = 2000
SLACK_MAX_HEADER = 150
SLACK_MAX_CONTEXT_ELEMENTS = 10
MATTERMOST_MAX_TEXT = 16_000  # the server's limit is 16.383 characters per post

TEAMS_COLORS = {"kritiek": "attention", "waarschuwing": "warning"}
HTML_COLORS = {"kritiek": "#b42318", "waarschuwing": "#b54708", "opgelost": "#067647"}
HTML_NEUTRAL = "#475467"


# --------------------------------------------------------------------------- helpers


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis: a limit must never reject a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def table_lines(table: Table) -> list[str]:
    """A table as aligned monospace lines: header, rule, rows (numbers right-aligned)."""
    rows = [table.columns, *table.rows]
    count = len(table.columns)
    widths = [max(len(row[i]) if i < len(row) else 0 for row in rows) for i in range(count)]

    def line(cells: list[str]) -> str:
        padded = []
        for i, width in enumerate(widths):
            cell = cells[i] if i < len(cells) else ""
            padded.append(cell.rjust(width) if table.alignment(i) == "r" else cell.ljust(width))
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return [line(table.columns), rule, *(line(row) for row in table.rows)]


def _chart(message: Message, section: Section) -> Attachment | None:
    return message.attachment(section.chart) if section.chart else None


def _is_image(attachment: Attachment) -> bool:
    return attachment.mime.startswith("image/")


def _charts(message: Message) -> list[Attachment]:
    return [a for a in message.attachments if _is_image(a)]


# --------------------------------------------------------------------------- plain text


def to_text(message: Message) -> str:
    """Console output and the e-mail's text part: everything, readable without markup."""
    lines = [message.title, "=" * len(message.title), message.summary]
    for section in message.sections:
        lines += ["", *_section_text(message, section)]
    if message.footer:
        lines += ["", "-" * min(len(message.footer), 72), message.footer]
    return "\n".join(lines) + "\n"


def _section_text(message: Message, section: Section) -> list[str]:
    heading = f"[{section.badge}] {section.title}" if section.badge else section.title
    lines = [heading]
    if section.text:
        lines.append(section.text)
    lines += [f"  {f.label}: {f.value}" for f in section.fields]
    if section.table:
        lines += ["", *(f"  {line}" for line in table_lines(section.table))]
    chart = _chart(message, section)
    if chart:
        lines.append(f"Grafiek: {chart.title or chart.name} (bijlage {chart.name})")
    if section.action:
        lines.append(f"{ACTION_LABEL}: {section.action}")
    if section.details:
        lines += [f"{DETAILS_LABEL}:", *(f"  {d}" for d in section.details)]
    return lines


# --------------------------------------------------------------------------- Slack


@dataclass(frozen=True)
class SlackReply:
    """One thread reply; `part` names it so a resumed send can skip what is already there."""

    part: str
    text: str
    blocks: list[dict[str, Any]]


@dataclass(frozen=True)
class SlackPayload:
    text: str  # fallback for notifications and clients without blocks
    blocks: list[dict[str, Any]]
    thread: list[SlackReply] = field(default_factory=list)


def slack_escape(text: str) -> str:
    """Slack mrkdwn needs &, < and > escaped; everything else is shown as written."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mrkdwn(text: str, limit: int = SLACK_MAX_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit)}


def _slack_section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)}


def _slack_context(*texts: str) -> dict[str, Any]:
    elements = [_mrkdwn(t) for t in texts if t][:SLACK_MAX_CONTEXT_ELEMENTS]
    return {"type": "context", "elements": elements}


def _slack_table(table: Table) -> dict[str, Any]:
    """A preformatted table, clipped by whole lines so the closing fence survives."""
    budget = SLACK_MAX_TEXT - len("```\n\n```") - 2
    kept: list[str] = []
    for line in table_lines(table):
        if sum(len(k) + 1 for k in kept) + len(line) > budget:
            kept.append("…")
            break
        kept.append(line)
    return _slack_section("```\n" + slack_escape("\n".join(kept)) + "\n```")


def _slack_section_blocks(message: Message, section: Section, *, threads: bool) -> list[dict]:
    """The blocks of one section: title and badge, fields, table, chart note, action."""
    head = f"*{slack_escape(section.title)}*"
    if section.badge:
        head += f"\n_{slack_escape(section.badge)}_"
    if section.text:
        head += f"\n{slack_escape(section.text)}"
    blocks: list[dict[str, Any]] = [{"type": "divider"}, _slack_section(head)]
    fields = [
        _mrkdwn(f"*{slack_escape(f.label)}*\n{slack_escape(f.value)}", SLACK_MAX_FIELD_TEXT)
        for f in section.fields
    ]
    for start in range(0, len(fields), SLACK_MAX_FIELDS):
        blocks.append({"type": "section", "fields": fields[start : start + SLACK_MAX_FIELDS]})
    if section.table:
        blocks.append(_slack_table(section.table))
    if _chart(message, section):
        blocks.append(_slack_context(CHART_IN_THREAD if threads else CHART_IN_EMAIL))
    if section.action:
        blocks.append(_slack_context(f"*{ACTION_LABEL}:* {slack_escape(section.action)}"))
    if not threads and section.details:
        blocks.append(_slack_context(_details_mrkdwn(section)))
    return blocks


def _details_mrkdwn(section: Section) -> str:
    return f"*{DETAILS_LABEL} — {slack_escape(section.title)}*\n" + "\n".join(
        slack_escape(d) for d in section.details
    )


def _slack_replies(
    index: int, section: Section, blocks: list[dict[str, Any]], *, shown: bool
) -> list[SlackReply]:
    """A shown section's details as one reply; a section that did not fit, whole."""
    details = [_slack_section(_details_mrkdwn(section))] if section.details else []
    if not shown:
        reply = (blocks[1:] + details)[:SLACK_MAX_BLOCKS]  # without its divider
        return [SlackReply(f"melding-{index}", clip(section.title, SLACK_MAX_TEXT), reply)]
    if not details:
        return []
    text = clip(_details_mrkdwn(section), SLACK_MAX_TEXT)
    return [SlackReply(f"toelichting-{index}", text, details)]


def to_slack(message: Message, *, threads: bool = True) -> SlackPayload:
    """Block Kit for `chat.postMessage`; `threads=False` (incoming webhook) puts all in one message.

    Sections that no longer fit in 50 blocks become thread replies (with
    `threads=False` they are left out, with a note saying how many): the top
    of the message stays readable and nothing is dropped where a thread exists.
    """
    head = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": clip(message.title, SLACK_MAX_HEADER)},
        },
        _slack_context(slack_escape(message.summary)),
    ]
    tail = [_slack_context(slack_escape(message.footer))] if message.footer else []
    room = SLACK_MAX_BLOCKS - len(head) - len(tail) - 1  # one left for the overflow note
    body: list[dict[str, Any]] = []
    thread: list[SlackReply] = []
    overflow = 0
    for index, section in enumerate(message.sections, start=1):
        blocks = _slack_section_blocks(message, section, threads=threads)
        shown = not overflow and len(body) + len(blocks) <= room
        if shown:
            body += blocks
        else:
            overflow += 1
        if threads:
            thread += _slack_replies(index, section, blocks, shown=shown)
    if overflow:
        where = "staan in de draad" if threads else "passen niet in dit bericht"
        body.append(_slack_context(f"Nog {overflow} onderdelen {where}."))
    fallback = clip(f"{message.title}: {message.summary}", SLACK_MAX_TEXT)
    return SlackPayload(text=fallback, blocks=head + body + tail, thread=thread)


# --------------------------------------------------------------------------- Mattermost


def _markdown_table(table: Table) -> list[str]:
    def row(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    rule = (
        "|"
        + "|".join(
            "---:" if table.alignment(i) == "r" else "---" for i in range(len(table.columns))
        )
        + "|"
    )
    return [row(table.columns), rule, *(row(r) for r in table.rows)]


def to_mattermost(message: Message) -> dict[str, Any]:
    """Markdown for Mattermost's Slack-compatible incoming webhook (it renders tables)."""
    lines = [f"#### {message.title}", message.summary]
    for section in message.sections:
        lines += ["", f"##### {section.title}"]
        if section.badge:
            lines.append(f"_{section.badge}_")
        if section.text:
            lines.append(section.text)
        lines += [f"- **{f.label}:** {f.value}" for f in section.fields]
        if section.table:
            lines += ["", *_markdown_table(section.table), ""]
        if _chart(message, section):
            lines.append(f"_{CHART_ELSEWHERE}_")
        if section.action:
            lines.append(f"**{ACTION_LABEL}:** {section.action}")
        if section.details:
            lines += [f"> **{DETAILS_LABEL}:** " + " ".join(section.details)]
    if message.footer:
        lines += ["", f"_{message.footer}_"]
    return {"text": clip("\n".join(lines), MATTERMOST_MAX_TEXT)}


# --------------------------------------------------------------------------- Teams


def _text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _teams_table(table: Table) -> dict[str, Any]:
    """An Adaptive Card 1.5 Table; column widths follow the longest cell, numbers right-aligned."""
    count = len(table.columns)
    widths = [
        max(len(r[i]) if i < len(r) else 0 for r in [table.columns, *table.rows])
        for i in range(count)
    ]
    columns = [
        {
            "width": max(widths[i], 6),  # relative weights; short headers (V/N) must not wrap
            "horizontalCellContentAlignment": "Right" if table.alignment(i) == "r" else "Left",
        }
        for i in range(count)
    ]

    def row(cells: list[str], *, header: bool = False) -> dict[str, Any]:
        style = {"weight": "Bolder"} if header else {}
        return {
            "type": "TableRow",
            "cells": [
                {"type": "TableCell", "items": [_text_block(c, size="Small", **style)]}
                for c in cells
            ],
        }

    return {
        "type": "Table",
        "columns": columns,
        "rows": [row(table.columns, header=True), *(row(r) for r in table.rows)],
        "firstRowAsHeader": True,
        "showGridLines": True,
        "gridStyle": "accent",
        "spacing": "Medium",
    }


def _teams_action(action: str) -> dict[str, Any]:
    """A RichTextBlock: "Actie:" in bold without markdown, which Teams clients render unevenly."""
    return {
        "type": "RichTextBlock",
        "inlines": [
            {"type": "TextRun", "text": f"{ACTION_LABEL}: ", "weight": "Bolder"},
            {"type": "TextRun", "text": action},
        ],
    }


def _teams_section(message: Message, section: Section, index: int) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    if section.badge:
        color = (
            "good"
            if section.state == "opgelost"
            else TEAMS_COLORS.get(section.severity or "", "default")
        )
        items.append(_text_block(section.badge, weight="Bolder", size="Small", color=color))
    items.append(_text_block(section.title, weight="Bolder", size="Medium", spacing="None"))
    if section.text:
        items.append(_text_block(section.text))
    if section.fields:
        items.append(
            {
                "type": "FactSet",
                "facts": [{"title": f.label, "value": f.value} for f in section.fields],
            }
        )
    if section.table:
        items.append(_teams_table(section.table))
    if _chart(message, section):
        items.append(_text_block(CHART_ELSEWHERE, isSubtle=True, size="Small"))
    if section.action:
        items.append(_teams_action(section.action))
    if section.details:
        target = f"toelichting-{index}"
        items.append(
            {
                "type": "Container",
                "id": target,
                "isVisible": False,
                "items": [_text_block(d, size="Small") for d in section.details],
            }
        )
        items.append(
            {
                "type": "ActionSet",
                "actions": [
                    {
                        "type": "Action.ToggleVisibility",
                        "title": DETAILS_LABEL,
                        "targetElements": [target],
                    }
                ],
            }
        )
    return {"type": "Container", "separator": True, "spacing": "Large", "items": items}


def adaptive_card(message: Message) -> dict[str, Any]:
    """The Adaptive Card 1.5 itself (Teams renders 1.5 in chats and channels)."""
    body: list[dict[str, Any]] = [
        _text_block(message.title, size="Large", weight="Bolder", style="heading"),
        _text_block(message.summary, isSubtle=True, spacing="Small"),
    ]
    body += [_teams_section(message, s, i) for i, s in enumerate(message.sections, start=1)]
    if message.footer:
        body.append(_text_block(message.footer, isSubtle=True, size="Small", separator=True))
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "msteams": {"width": "Full"},
        "body": body,
    }


def to_teams(message: Message) -> dict[str, Any]:
    """The payload for a Teams incoming webhook or Workflows URL.

    A webhook card cannot carry an image without hosting it somewhere public,
    so the chart is mentioned, not shown; it travels with the e-mail and Slack.
    """
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": adaptive_card(message),
            }
        ],
    }


# --------------------------------------------------------------------------- e-mail


def content_id(attachment: Attachment) -> str:
    """A stable Content-ID per attachment name, so the same message renders byte-for-byte alike."""
    safe = re.sub(r"[^A-Za-z0-9.-]", "-", attachment.name)
    return f"{safe}@monitorbot"


def message_id(key: str, sender: str) -> str:
    """Derived from the idempotency key: a resend has the same Message-ID, so it can be dropped."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]  # 96 bits, one header line
    domain = sender.rpartition("@")[2] or "monitorbot.local"
    return f"<monitorbot-{digest}@{domain}>"


_CELL = "padding:4px 10px;border-bottom:1px solid #eaecf0;font-size:14px;"
_FONT = "font-family:Segoe UI,Helvetica,Arial,sans-serif;color:#101828;"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _html_table(table: Table) -> str:
    def cell(tag: str, text: str, index: int) -> str:
        align = "right" if table.alignment(index) == "r" else "left"
        weight = "font-weight:600;background:#f2f4f7;" if tag == "th" else ""
        return f'<{tag} style="{_CELL}text-align:{align};{weight}">{_e(text)}</{tag}>'

    head = "".join(cell("th", c, i) for i, c in enumerate(table.columns))
    rows = "".join(
        "<tr>" + "".join(cell("td", c, i) for i, c in enumerate(r)) + "</tr>" for r in table.rows
    )
    return (
        '<table role="presentation" cellspacing="0" cellpadding="0" '
        f'style="border-collapse:collapse;margin:8px 0;"><tr>{head}</tr>{rows}</table>'
    )


def _html_fields(section: Section) -> str:
    rows = "".join(
        f'<tr><td style="{_CELL}color:#475467;">{_e(f.label)}</td>'
        f'<td style="{_CELL}font-weight:600;">{_e(f.value)}</td></tr>'
        for f in section.fields
    )
    return (
        '<table role="presentation" cellspacing="0" cellpadding="0" '
        f'style="border-collapse:collapse;margin:8px 0;">{rows}</table>'
    )


def _png_width(data: bytes) -> int | None:
    """Pixel width from a PNG's IHDR chunk (bytes 16-20), without an image library."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 24:
        return None
    return int.from_bytes(data[16:20], "big")


def _html_image(attachment: Attachment) -> str:
    """Outlook ignores max-width, so the width attribute is set: at most 640, never upscaled."""
    alt = _e(attachment.title or attachment.name)
    width = min(640, _png_width(attachment.data) or 640)
    return (
        f'<p style="margin:8px 0;"><img src="cid:{content_id(attachment)}" alt="{alt}" '
        f'width="{width}" style="max-width:100%;height:auto;border:1px solid #eaecf0;"></p>'
    )


def _html_section(message: Message, section: Section) -> str:
    color = HTML_COLORS.get(
        section.state if section.state == "opgelost" else section.severity or "", HTML_NEUTRAL
    )
    parts = []
    if section.badge:
        parts.append(
            f'<div style="font-size:12px;font-weight:600;text-transform:uppercase;color:{color};">'
            f"{_e(section.badge)}</div>"
        )
    parts.append(f'<h2 style="font-size:17px;margin:2px 0 6px 0;">{_e(section.title)}</h2>')
    if section.text:
        parts.append(f'<p style="margin:4px 0;font-size:14px;">{_e(section.text)}</p>')
    if section.fields:
        parts.append(_html_fields(section))
    if section.table:
        parts.append(_html_table(section.table))
    chart = _chart(message, section)
    if chart and _is_image(chart):
        parts.append(_html_image(chart))
    if section.action:
        parts.append(
            f'<p style="margin:8px 0;font-size:14px;"><strong>{ACTION_LABEL}:</strong> '
            f"{_e(section.action)}</p>"
        )
    if section.details:
        items = "".join(f"<li>{_e(d)}</li>" for d in section.details)
        parts.append(
            f'<p style="margin:8px 0 2px 0;font-size:13px;color:#475467;">{DETAILS_LABEL}:</p>'
            f'<ul style="margin:0;font-size:13px;color:#475467;">{items}</ul>'
        )
    return (
        f'<div style="border-left:4px solid {color};padding:4px 0 4px 14px;margin:20px 0;">'
        + "".join(parts)
        + "</div>"
    )


def to_html(message: Message) -> str:
    """The e-mail's HTML part: inline styles only, since mail clients drop style sheets."""
    shown = {s.chart for s in message.sections if s.chart}
    loose = [a for a in _charts(message) if a.name not in shown]
    footer = (
        f'<p style="margin-top:24px;font-size:12px;color:#667085;">{_e(message.footer)}</p>'
        if message.footer
        else ""
    )
    return (
        '<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8">'
        f"<title>{_e(message.title)}</title></head>"
        f'<body style="margin:0;padding:24px;{_FONT}">'
        '<div style="max-width:720px;">'
        f'<h1 style="font-size:22px;margin:0 0 6px 0;">{_e(message.title)}</h1>'
        f'<p style="margin:0;font-size:15px;color:#344054;">{_e(message.summary)}</p>'
        + "".join(_html_section(message, s) for s in message.sections)
        + "".join(_html_image(a) for a in loose)
        + footer
        + "</div></body></html>"
    )


def to_email(
    message: Message, *, sender: str, recipients: list[str], message_id_key: str
) -> EmailMessage:
    """multipart/alternative (text, HTML with the charts inline via cid) plus other files attached.

    Structure: mixed[ alternative[ text/plain, related[ text/html, image/png… ] ], xlsx… ].
    """
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = message_id(message_id_key, sender)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    mail["Content-Language"] = "nl"
    mail.set_content(to_text(message))
    mail.add_alternative(to_html(message), subtype="html")
    html_part = mail.get_payload()[1]
    for chart in _charts(message):
        maintype, _, subtype = chart.mime.partition("/")
        html_part.add_related(
            chart.data, maintype, subtype, cid=f"<{content_id(chart)}>", filename=chart.name
        )
    for other in (a for a in message.attachments if not _is_image(a)):
        maintype, _, subtype = other.mime.partition("/")
        mail.add_attachment(other.data, maintype, subtype, filename=other.name)
    return mail
