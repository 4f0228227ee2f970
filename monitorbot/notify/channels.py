"""Senders: deliver one rendered message to one channel, and say whether a failure is worth a retry.

A sender does one attempt. Retrying with backoff, honouring `retry_after` and
recording the result belong to the outbox, which needs to know only two
things from a failure: `TemporaryFailure` (try again later, perhaps not before
`retry_after` seconds) or `PermanentFailure` (a person has to fix something:
a token, a channel, a webhook URL; retrying would only repeat the error).

Each call carries the notification's idempotency key:
- Slack (Web API) is exactly-once where it matters: before posting, the
  channel's recent history is searched for a message carrying the key in its
  metadata, and a send that crashed half-way resumes the thread (chart,
  details) instead of posting a second message.
- Webhooks (Slack, Teams, Mattermost) and e-mail cannot be asked what they
  already received: they are at-least-once. An e-mail's Message-ID is derived
  from the key, so a repeat is recognisable (and mail systems that dedup on
  Message-ID drop it); a webhook repeat is possible only after a crash between
  the POST and recording its result.

Secrets (the Slack token, webhook URLs, the SMTP password) come from the
environment and never appear in a detail, an exception text or a log line:
a webhook URL *is* a secret, so webhook errors are raised without their cause.
"""

from __future__ import annotations

import json
import os
import re
import smtplib
import socket
import ssl
import sys
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.error import HTTPError, URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web import SlackResponse
from slack_sdk.webhook import WebhookClient

from monitorbot.config.models import (
    Channel,
    ConsoleChannel,
    Deployment,
    EmailChannel,
    FileChannel,
    MattermostChannel,
    SlackChannel,
    SlackWebhookChannel,
    SmtpSettings,
    TeamsChannel,
)
from monitorbot.config.settings import Settings
from monitorbot.notify.message import Message
from monitorbot.notify.render import (
    SlackPayload,
    to_email,
    to_mattermost,
    to_slack,
    to_teams,
    to_text,
)

TIMEOUT_SECONDS = 30
SLACK_EVENT_TYPE = "monitorbot_melding"
SLACK_HISTORY_LIMIT = 100  # a crash is noticed within hours, not after a hundred messages
SLACK_TOKEN_ENV = "MONITORBOT_SLACK_TOKEN"
SMTP_PASSWORD_ENV = "MONITORBOT_SMTP_PASSWORD"

# Slack errors that a retry can cure; every other `ok: false` is a request
# Slack will keep refusing (bad token, unknown channel, missing scope, bad blocks).
SLACK_TEMPORARY_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
SLACK_HINTS = {
    "invalid_auth": f"het token is ongeldig; controleer {SLACK_TOKEN_ENV}",
    "not_authed": f"er is geen token meegestuurd; zet {SLACK_TOKEN_ENV}",
    "account_inactive": "het bot-account is gedeactiveerd",
    "token_revoked": f"het token is ingetrokken; maak een nieuw token en zet {SLACK_TOKEN_ENV}",
    "channel_not_found": "kanaal niet gevonden; controleer `kanaal` in het gemeentebestand",
    "is_archived": "het kanaal is gearchiveerd",
    "not_in_channel": "de bot is geen lid van het kanaal; nodig hem uit met /invite",
    "missing_scope": "de Slack-app mist een recht",
}
_SLACK_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{8,}$")


class DeliveryFailure(Exception):
    """A send that did not arrive; `detail` is safe to log (no secrets, no personal data)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class TemporaryFailure(DeliveryFailure):
    """Try again later; not before `retry_after` seconds when the channel said so (HTTP 429)."""

    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class PermanentFailure(DeliveryFailure):
    """Retrying will not help until a person fixes the configuration or the credentials."""


class Sender(Protocol):
    name: str

    def send(self, message: Message, key: str) -> str:
        """Deliver `message` once under idempotency `key`; return a short detail for the log."""
        ...


# --------------------------------------------------------------------------- HTTP helpers


def _retry_after(headers: Mapping[str, Any] | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds form; Slack and Teams send that)."""
    if not headers:
        return None
    lowered = {str(k).lower(): v for k, v in headers.items()}
    value = lowered.get("retry-after")
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


def _short(body: str) -> str:
    """A response body fit for the log: one line, no addresses (they may carry a token)."""
    return re.sub(r"https?://\S+", "<adres>", " ".join(body.split()))[:200]


def check_http_status(
    label: str, env_name: str, status: int, headers: Mapping[str, Any] | None, body: str = ""
) -> None:
    """Raise the right failure for a webhook's HTTP status; 2xx passes.

    401/403/404/410 mean the URL is wrong, revoked or removed: that needs a
    person (a new URL in `env_name`), so it is permanent.
    """
    if 200 <= status < 300:
        return
    if status == 429:
        raise TemporaryFailure(f"{label}: te veel berichten (HTTP 429)", _retry_after(headers))
    if status >= 500 or status == 408:
        raise TemporaryFailure(f"{label}: serverfout (HTTP {status})")
    if status in {401, 403, 404, 410}:
        raise PermanentFailure(
            f"{label}: webhook geweigerd (HTTP {status}); controleer het adres in {env_name}"
        )
    raise PermanentFailure(f"{label}: bericht geweigerd (HTTP {status}): {_short(body)}")


def _webhook_url(environ: Mapping[str, str], env_name: str, label: str) -> str:
    url = environ.get(env_name, "").strip()
    if not url:
        raise PermanentFailure(f"{label}: omgevingsvariabele {env_name} is niet gezet")
    if not url.lower().startswith(("https://", "http://")):
        raise PermanentFailure(f"{label}: {env_name} is geen http(s)-adres")
    return url


def post_json(
    url: str, body: dict[str, Any], *, label: str, timeout: float
) -> tuple[int, dict, str]:
    """POST JSON with urllib; returns (status, headers, body) also for HTTP errors.

    Network errors become `TemporaryFailure` without their cause: the cause's
    text could name the URL, and the URL is the webhook's secret.
    """
    request = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return (
                response.status,
                dict(response.headers),
                response.read(4096).decode("utf-8", "replace"),
            )
    except HTTPError as exc:
        text = exc.read(4096).decode("utf-8", "replace") if exc.fp else ""
        return exc.code, dict(exc.headers or {}), text
    except (URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TemporaryFailure(f"{label}: niet bereikbaar ({type(reason).__name__})") from None


# --------------------------------------------------------------------------- Slack Web API


def _slack_failure(response: SlackResponse) -> DeliveryFailure:
    status = response.status_code
    data = response.data if isinstance(response.data, dict) else {}
    error = str(data.get("error", ""))
    if status == 429 or error == "ratelimited":
        return TemporaryFailure("Slack: te veel berichten (429)", _retry_after(response.headers))
    if status >= 500 or error in SLACK_TEMPORARY_ERRORS:
        return TemporaryFailure(f"Slack: serverfout (HTTP {status}, {error or 'geen foutcode'})")
    hint = SLACK_HINTS.get(error, "Slack weigert het verzoek")
    if error == "missing_scope" and data.get("needed"):
        hint += f" ({data['needed']})"
    return PermanentFailure(f"Slack: {error or f'HTTP {status}'}: {hint}")


@contextmanager
def _slack_errors() -> Iterator[None]:
    """Translate slack-sdk and urllib errors into the outbox's two kinds of failure."""
    try:
        yield
    except SlackApiError as exc:
        raise _slack_failure(exc.response) from exc
    except HTTPError as exc:  # the file upload goes through urllib; a retry asks a new upload URL
        retry_after = _retry_after(dict(exc.headers or {})) if exc.code == 429 else None
        raise TemporaryFailure(f"Slack-upload: HTTP {exc.code}", retry_after) from exc
    except SlackRequestError as exc:
        raise TemporaryFailure(f"Slack: {_short(str(exc))}") from exc
    except (URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TemporaryFailure(f"Slack: niet bereikbaar ({type(reason).__name__})") from exc


class SlackApiSender:
    """`chat.postMessage` with Block Kit, the chart and the details in the thread.

    Exactly-once through message metadata: the parent message carries
    `{"key": key}`, each thread reply `{"key": key, "part": ...}`; a resend
    finds what is there and adds only what is missing.

    Bot scopes: chat:write, files:write, channels:history (groups:history for a
    private channel) and, when `kanaal` is a name rather than an ID,
    channels:read (groups:read) to look the ID up.
    """

    def __init__(
        self,
        channel: str,
        token: str | None,
        base_url: str,
        *,
        timeout: int = TIMEOUT_SECONDS,
        history_limit: int = SLACK_HISTORY_LIMIT,
    ) -> None:
        self.name = f"slack:{channel}"
        self.channel = channel
        self._token = token
        self._base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._timeout = timeout
        self._history_limit = history_limit
        self._channel_id: str | None = None

    def send(self, message: Message, key: str) -> str:
        if not self._token:
            raise PermanentFailure(f"Slack: omgevingsvariabele {SLACK_TOKEN_ENV} is niet gezet")
        client = WebClient(token=self._token, base_url=self._base_url, timeout=self._timeout)
        payload = to_slack(message)
        with _slack_errors():
            channel_id = self._resolve_channel(client)
            ts = self._find_posted(client, channel_id, key)
            resumed = ts is not None
            if ts is None:
                ts = self._post(client, channel_id, payload.text, payload.blocks, {"key": key})
            done = self._thread_parts(client, channel_id, ts) if resumed else set()
            added = self._complete_thread(client, channel_id, ts, message, payload, key, done)
        if resumed:
            return f"al geplaatst (ts {ts}); {added} aangevuld"
        return f"geplaatst (ts {ts})"

    def _resolve_channel(self, client: WebClient) -> str:
        """The channel ID (history and uploads need it); a name is looked up once per sender."""
        if self._channel_id:
            return self._channel_id
        wanted = self.channel.lstrip("#")
        if _SLACK_CHANNEL_ID.match(wanted):
            self._channel_id = wanted
            return wanted
        cursor = None
        while True:
            page = client.conversations_list(
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=200,
                cursor=cursor,
            )
            for channel in page.get("channels", []):
                if channel.get("name") == wanted:
                    self._channel_id = str(channel["id"])
                    return self._channel_id
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                raise PermanentFailure(
                    f"Slack: kanaal {self.channel} niet gevonden; controleer `kanaal` "
                    "en nodig de bot uit (of zet het kanaal-ID in de config)"
                )

    def _find_posted(self, client: WebClient, channel_id: str, key: str) -> str | None:
        history = client.conversations_history(
            channel=channel_id, limit=self._history_limit, include_all_metadata=True
        )
        for item in history.get("messages", []):
            payload = _metadata_payload(item)
            if payload.get("key") == key and "part" not in payload:
                return str(item["ts"])
        return None

    def _thread_parts(self, client: WebClient, channel_id: str, ts: str) -> set[str]:
        """What an interrupted send already put in the thread: reply parts and file names."""
        replies = client.conversations_replies(
            channel=channel_id, ts=ts, include_all_metadata=True, limit=200
        )
        done: set[str] = set()
        for item in replies.get("messages", []):
            part = _metadata_payload(item).get("part")
            if part:
                done.add(str(part))
            done |= {f"bestand:{f.get('name')}" for f in item.get("files", [])}
        return done

    def _post(
        self,
        client: WebClient,
        channel_id: str,
        text: str,
        blocks: list[dict[str, Any]],
        metadata: dict[str, str],
        thread_ts: str | None = None,
    ) -> str:
        response = client.chat_postMessage(
            channel=channel_id,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            unfurl_links=False,
            metadata={"event_type": SLACK_EVENT_TYPE, "event_payload": metadata},
        )
        return str(response["ts"])

    def _complete_thread(
        self,
        client: WebClient,
        channel_id: str,
        ts: str,
        message: Message,
        payload: SlackPayload,
        key: str,
        done: set[str],
    ) -> int:
        """Charts first (they illustrate the message), then the details; skip what is `done`."""
        added = 0
        for chart in (a for a in message.attachments if a.mime.startswith("image/")):
            if f"bestand:{chart.name}" in done:
                continue
            client.files_upload_v2(
                channel=channel_id,
                thread_ts=ts,
                content=chart.data,
                filename=chart.name,
                title=chart.title or chart.name,
            )
            added += 1
        for reply in payload.thread:
            if reply.part in done:
                continue
            self._post(
                client, channel_id, reply.text, reply.blocks, {"key": key, "part": reply.part}, ts
            )
            added += 1
        return added


def _metadata_payload(item: Mapping[str, Any]) -> dict[str, Any]:
    metadata = item.get("metadata") or {}
    if metadata.get("event_type") != SLACK_EVENT_TYPE:
        return {}
    payload = metadata.get("event_payload")
    return payload if isinstance(payload, dict) else {}


# --------------------------------------------------------------------------- webhooks


class SlackWebhookSender:
    """A Slack incoming webhook: one message, no thread and no files (at-least-once)."""

    def __init__(
        self, env_name: str, environ: Mapping[str, str], *, timeout: int = TIMEOUT_SECONDS
    ):
        self.name = "slack_webhook"
        self._env_name = env_name
        self._environ = environ
        self._timeout = timeout

    def send(self, message: Message, key: str) -> str:
        url = _webhook_url(self._environ, self._env_name, "Slack-webhook")
        payload = to_slack(message, threads=False)
        client = WebhookClient(url, timeout=self._timeout)
        try:
            response = client.send_dict({"text": payload.text, "blocks": payload.blocks})
        except (URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TemporaryFailure(
                f"Slack-webhook: niet bereikbaar ({type(reason).__name__})"
            ) from None
        check_http_status(
            "Slack-webhook", self._env_name, response.status_code, response.headers, response.body
        )
        return f"verstuurd (HTTP {response.status_code})"


class TeamsSender:
    """A Teams incoming webhook or Workflows URL with an Adaptive Card (at-least-once)."""

    def __init__(
        self, env_name: str, environ: Mapping[str, str], *, timeout: int = TIMEOUT_SECONDS
    ):
        self.name = "teams"
        self._env_name = env_name
        self._environ = environ
        self._timeout = timeout

    def send(self, message: Message, key: str) -> str:
        url = _webhook_url(self._environ, self._env_name, "Teams")
        status, headers, body = post_json(
            url, to_teams(message), label="Teams", timeout=self._timeout
        )
        check_http_status("Teams", self._env_name, status, headers, body)
        return f"verstuurd (HTTP {status})"


class MattermostSender:
    """Mattermost's Slack-compatible incoming webhook, in markdown (at-least-once)."""

    def __init__(
        self, env_name: str, environ: Mapping[str, str], *, timeout: int = TIMEOUT_SECONDS
    ):
        self.name = "mattermost"
        self._env_name = env_name
        self._environ = environ
        self._timeout = timeout

    def send(self, message: Message, key: str) -> str:
        url = _webhook_url(self._environ, self._env_name, "Mattermost")
        status, headers, body = post_json(
            url, to_mattermost(message), label="Mattermost", timeout=self._timeout
        )
        check_http_status("Mattermost", self._env_name, status, headers, body)
        return f"verstuurd (HTTP {status})"


# --------------------------------------------------------------------------- e-mail


def _smtp_failure(code: int, what: str) -> DeliveryFailure:
    """SMTP reply classes: 4xx is "try later", 5xx is "never like this"."""
    if 400 <= code < 500:
        return TemporaryFailure(f"SMTP: {what} tijdelijk geweigerd ({code})")
    return PermanentFailure(f"SMTP: {what} geweigerd ({code})")


class EmailSender:
    """SMTP with STARTTLS (default), implicit TLS or none (a local relay); at-least-once.

    The Message-ID is derived from the key, so a repeat after a crash between
    sending and recording is recognisable by the receiver.
    """

    def __init__(
        self,
        smtp: SmtpSettings,
        recipients: list[str],
        password: str | None,
        *,
        attach_reports: bool = False,
        timeout: int = TIMEOUT_SECONDS,
    ) -> None:
        self.name = "email"
        self._smtp = smtp
        self._recipients = recipients
        self._password = password
        self._attach_reports = attach_reports
        self._timeout = timeout

    def send(self, message: Message, key: str) -> str:
        if self._smtp.gebruiker and not self._password:
            raise PermanentFailure(f"SMTP: omgevingsvariabele {SMTP_PASSWORD_ENV} is niet gezet")
        if not self._attach_reports:
            message = replace(
                message, attachments=[a for a in message.attachments if a.mime.startswith("image/")]
            )
        mail = to_email(
            message, sender=self._smtp.afzender, recipients=self._recipients, message_id_key=key
        )
        try:
            with self._connect() as client:
                if self._smtp.gebruiker:
                    client.login(self._smtp.gebruiker, self._password or "")
                refused = client.send_message(mail, self._smtp.afzender, self._recipients)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise _smtp_failure(min(codes) if codes else 550, "alle ontvangers") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentFailure(
                f"SMTP: inloggen geweigerd ({exc.smtp_code}); "
                f"controleer gebruiker en {SMTP_PASSWORD_ENV}"
            ) from None
        except smtplib.SMTPSenderRefused as exc:
            raise _smtp_failure(exc.smtp_code, "afzender") from None
        except smtplib.SMTPDataError as exc:
            raise _smtp_failure(exc.smtp_code, "bericht") from None
        except smtplib.SMTPNotSupportedError:
            raise PermanentFailure("SMTP: de server biedt geen STARTTLS of AUTH aan") from None
        except ssl.SSLCertVerificationError as exc:
            raise PermanentFailure(
                f"SMTP: certificaat van de server niet vertrouwd ({exc.verify_message}); "
                "zet smtp.ca_bestand in config/monitorbot.yaml"
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise _smtp_failure(exc.smtp_code, "verzoek") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(f"SMTP: server niet bereikbaar ({type(exc).__name__})") from None
        delivered = len(self._recipients) - len(refused)
        if refused:
            return f"verstuurd aan {delivered} van {len(self._recipients)} ontvangers"
        return f"verstuurd aan {delivered} ontvanger(s)"

    def _connect(self) -> smtplib.SMTP:
        smtp = self._smtp
        if smtp.tls == "ssl":
            return smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=self._timeout, context=self._tls()
            )
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=self._timeout)
        if smtp.tls == "starttls":
            try:
                client.starttls(context=self._tls())
            except BaseException:
                client.close()
                raise
        return client

    def _tls(self) -> ssl.SSLContext:
        """Verified TLS always; a private CA file for servers with an internal certificate."""
        return ssl.create_default_context(cafile=self._smtp.ca_bestand)


# --------------------------------------------------------------------------- local output


class ConsoleSender:
    """The readable text on a terminal: for local use and the demo."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.name = "console"
        self._stream = stream

    def send(self, message: Message, key: str) -> str:
        stream = self._stream or sys.stdout
        stream.write(to_text(message) + "\n")
        stream.flush()
        return "afgedrukt"


def safe_file_stem(key: str) -> str:
    """A key as a file name: letters, digits, '.', '_' and '-' only."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", key).strip(".") or "bericht"


class FileSender:
    """`<key>.txt` and `<key>-<attachment>` in a folder; the same key overwrites (idempotent)."""

    def __init__(self, folder: Path) -> None:
        self.name = f"bestand:{folder.name}"
        self.folder = folder

    def send(self, message: Message, key: str) -> str:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            stem = safe_file_stem(key)
            _write_atomic(self.folder / f"{stem}.txt", to_text(message).encode("utf-8"))
            for attachment in message.attachments:
                _write_atomic(
                    self.folder / f"{stem}-{safe_file_stem(attachment.name)}", attachment.data
                )
        except OSError as exc:
            raise TemporaryFailure(
                f"bestand: schrijven in {self.folder} mislukt ({exc.strerror})"
            ) from None
        return f"geschreven: {stem}.txt"


def _write_atomic(path: Path, data: bytes) -> None:
    """Write next to the target, then rename: a reader never sees half a file."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


# --------------------------------------------------------------------------- factory


def sender_for(
    channel_config: Channel,
    settings: Settings,
    deployment: Deployment,
    data_dir: Path,
    *,
    environ: Mapping[str, str] = os.environ,
) -> Sender:
    """The sender for one configured channel.

    Missing credentials do not fail here but on `send`, as a `PermanentFailure`:
    then the outbox records it per notification, and the other channels of the
    same message still go out.
    """
    match channel_config:
        case ConsoleChannel():
            return ConsoleSender()
        case FileChannel(map=folder):
            return FileSender(data_dir / folder)
        case SlackChannel(kanaal=kanaal):
            token = settings.slack_token.get_secret_value() if settings.slack_token else None
            return SlackApiSender(kanaal, token, settings.slack_api_url)
        case SlackWebhookChannel(webhook_env=env_name):
            return SlackWebhookSender(env_name, environ)
        case TeamsChannel(webhook_env=env_name):
            return TeamsSender(env_name, environ)
        case MattermostChannel(webhook_env=env_name):
            return MattermostSender(env_name, environ)
        case EmailChannel(aan=recipients, rapport_bijvoegen=attach):
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
            return EmailSender(deployment.smtp, list(recipients), password, attach_reports=attach)
    raise ValueError(f"onbekend kanaaltype: {type(channel_config).__name__}")


def missing_configuration(
    channel_config: Channel,
    settings: Settings,
    deployment: Deployment,
    *,
    environ: Mapping[str, str] = os.environ,
) -> str | None:
    """Why a destination cannot be used on this machine, or None when it can.

    For the demo, which posts only to what is configured. The service does not
    ask: there a configured channel that fails is an error to report.
    """
    match channel_config:
        case SlackChannel():
            return None if settings.slack_token else "MONITORBOT_SLACK_TOKEN is niet gezet"
        case (
            SlackWebhookChannel(webhook_env=name)
            | TeamsChannel(webhook_env=name)
            | (MattermostChannel(webhook_env=name))
        ):
            return None if environ.get(name) else f"{name} is niet gezet"
        case EmailChannel():
            smtp = deployment.smtp
            try:
                socket.create_connection((smtp.host, smtp.port), timeout=2).close()
            except OSError:
                return f"SMTP-server {smtp.host}:{smtp.port} niet bereikbaar (config smtp)"
            return None
    return None


@dataclass
class ConfiguredHere:
    """A filter for the outbox that lets through only destinations this machine can use,
    and remembers why it skipped the others (the demo says so instead of failing)."""

    settings: Settings
    deployment: Deployment
    overgeslagen: list[str] = field(default_factory=list)

    def __call__(self, destination: Channel) -> bool:
        reason = missing_configuration(destination, self.settings, self.deployment)
        if reason:
            line = f"{destination.type}: {reason}"
            if line not in self.overgeslagen:
                self.overgeslagen.append(line)
        return reason is None
