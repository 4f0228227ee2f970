"""Small fake servers on 127.0.0.1 for the channel tests: Slack Web API, webhooks, SMTP.

The real clients (slack-sdk's WebClient and WebhookClient, urllib, smtplib)
talk to these over real sockets, so a test exercises the same code path as
production up to the network. Each fake listens on an ephemeral port in a
daemon thread, is a context manager, records what it received, and can be
told to fail the next N calls (HTTP 429 with Retry-After, 500, a Slack error
code, an SMTP reply), so retries and permanent errors are tested
deterministically and without sleeping.
"""

from __future__ import annotations

import itertools
import json
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    """An unused TCP port on 127.0.0.1 (aiosmtpd's Controller cannot bind port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PlannedFailure:
    """Answer the next `times` matching requests with this instead of the real thing."""

    status: int = 200
    error: str | None = None  # Slack error code in {"ok": false, "error": ...}
    retry_after: float | None = None
    method: str | None = None  # only requests to this method (Slack) or path (webhook)
    times: int = 1
    body: str | None = None


@dataclass
class Request:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    body: bytes = b""


class _HttpFake:
    """A ThreadingHTTPServer in a daemon thread, with planned failures and a request log."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._failures: list[PlannedFailure] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._handle(self)

            def do_POST(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> _HttpFake:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def fail_next(
        self,
        times: int = 1,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: float | None = None,
        method: str | None = None,
        body: str | None = None,
    ) -> None:
        """Plan a failure: `status` 429/500/404…, or a Slack `error` code with HTTP 200."""
        with self._lock:
            self._failures.append(PlannedFailure(status, error, retry_after, method, times, body))

    def _planned(self, method: str) -> PlannedFailure | None:
        with self._lock:
            for failure in self._failures:
                if failure.method in (None, method):
                    failure.times -= 1
                    if failure.times <= 0:
                        self._failures.remove(failure)
                    return failure
        return None

    @staticmethod
    def _reply(
        handler: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        content_type: str = "application/json; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    def _reply_failure(self, handler: BaseHTTPRequestHandler, failure: PlannedFailure) -> None:
        headers = {}
        if failure.retry_after is not None:
            headers["Retry-After"] = f"{failure.retry_after:g}"
        if failure.body is not None:
            self._reply(handler, failure.status, failure.body.encode(), "text/plain", headers)
            return
        error = failure.error or ("ratelimited" if failure.status == 429 else "internal_error")
        body = json.dumps({"ok": False, "error": error}).encode()
        self._reply(handler, failure.status, body, headers=headers)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError


# --------------------------------------------------------------------------- Slack Web API


class FakeSlackApi(_HttpFake):
    """The Web API methods monitorbot uses, with channels, threads, metadata and file uploads.

    `messages[channel_id]` holds top-level messages (oldest first); `replies`
    maps a parent ts to its thread; `uploads` maps file IDs to received bytes.
    """

    def __init__(
        self, token: str = "xoxb-test-token", channels: dict[str, str] | None = None
    ) -> None:
        super().__init__()
        self.token = token
        self.channels = channels or {"C0KERNTEAM1": "kernteam-sociaal-domein"}
        self.messages: dict[str, list[dict[str, Any]]] = {cid: [] for cid in self.channels}
        self.replies: dict[str, list[dict[str, Any]]] = {}
        self.uploads: dict[str, dict[str, Any]] = {}
        self._counter = itertools.count(1)

    def __enter__(self) -> FakeSlackApi:
        super().__enter__()
        return self

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def calls(self, method: str) -> list[Request]:
        return [r for r in self.requests if r.method == method]

    def posted(self, channel_id: str = "C0KERNTEAM1") -> list[dict[str, Any]]:
        return self.messages[channel_id]

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        if url.path.startswith("/upload/"):
            self._upload(handler, url.path.rsplit("/", 1)[1], raw)
            return
        method = url.path.removeprefix("/api/")
        params = _params(url.query, raw, handler.headers.get("Content-Type", ""))
        self.requests.append(Request(method, params, dict(handler.headers), raw))
        failure = self._planned(method)
        if failure:
            self._reply_failure(handler, failure)
            return
        if handler.headers.get("Authorization") != f"Bearer {self.token}":
            self._json(handler, {"ok": False, "error": "invalid_auth"})
            return
        action = getattr(self, "_" + method.replace(".", "_"), None)
        if action is None:
            self._json(handler, {"ok": False, "error": "unknown_method"})
            return
        self._json(handler, action(params))

    def _json(self, handler: BaseHTTPRequestHandler, data: dict[str, Any]) -> None:
        self._reply(handler, 200, json.dumps(data).encode())

    def _upload(self, handler: BaseHTTPRequestHandler, file_id: str, data: bytes) -> None:
        self.requests.append(Request("upload", {"file_id": file_id}, dict(handler.headers), data))
        failure = self._planned("upload")
        if failure:
            self._reply_failure(handler, failure)
            return
        if file_id not in self.uploads:
            self._reply(handler, 404, b"unknown upload", "text/plain")
            return
        self.uploads[file_id]["data"] = data
        self._reply(handler, 200, f"OK - {len(data)}".encode(), "text/plain")

    def _channel(self, value: str | None) -> str | None:
        name = (value or "").lstrip("#")
        if name in self.channels:
            return name
        return next((cid for cid, n in self.channels.items() if n == name), None)

    def _next_ts(self) -> str:
        n = next(self._counter)
        return f"{1_760_000_000 + n}.{n:06d}"

    # -- methods

    def _conversations_list(self, params: dict[str, Any]) -> dict[str, Any]:
        channels = [{"id": cid, "name": name} for cid, name in self.channels.items()]
        return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params.get("channel"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        message = {
            "type": "message",
            "ts": self._next_ts(),
            "text": params.get("text", ""),
            "blocks": params.get("blocks", []),
        }
        if params.get("metadata"):
            message["metadata"] = params["metadata"]
        self._store(channel, message, params.get("thread_ts"))
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    def _store(self, channel: str, message: dict[str, Any], thread_ts: str | None) -> None:
        if thread_ts:
            message["thread_ts"] = thread_ts
            self.replies.setdefault(thread_ts, []).append(message)
        else:
            self.messages[channel].append(message)

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        limit = int(params.get("limit") or 100)
        newest_first = list(reversed(self.messages[channel]))[:limit]
        return {"ok": True, "messages": _with_metadata(newest_first, params), "has_more": False}

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = params.get("channel"), params.get("ts")
        parent = next((m for m in self.messages.get(channel or "", []) if m["ts"] == ts), None)
        if parent is None:
            return {"ok": False, "error": "thread_not_found"}
        thread = [parent, *self.replies.get(ts or "", [])]
        return {"ok": True, "messages": _with_metadata(thread, params), "has_more": False}

    def _files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._counter):08d}"
        self.uploads[file_id] = {
            "filename": params.get("filename"),
            "length": int(params.get("length") or 0),
            "data": None,
        }
        upload_url = f"http://127.0.0.1:{self.port}/upload/{file_id}"
        return {"ok": True, "upload_url": upload_url, "file_id": file_id}

    def _files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("files")
        files = json.loads(files) if isinstance(files, str) else files or []
        channel = self._channel(params.get("channel_id"))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        shared = []
        for item in files:
            upload = self.uploads.get(item["id"])
            if upload is None or upload["data"] is None:
                return {"ok": False, "error": "file_not_found"}
            upload["title"] = item.get("title")
            shared.append(
                {"id": item["id"], "name": upload["filename"], "title": item.get("title")}
            )
        message = {"type": "message", "ts": self._next_ts(), "text": "", "files": shared}
        self._store(channel, message, params.get("thread_ts"))
        return {"ok": True, "files": [{"id": f["id"], "title": f["title"]} for f in shared]}


def _params(query: str, raw: bytes, content_type: str) -> dict[str, Any]:
    """Query string plus a JSON or form body, as the Web API accepts them."""
    params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query).items()}
    if raw and content_type.startswith("application/json"):
        params.update(json.loads(raw))
    elif raw:
        params.update({k: v[-1] for k, v in parse_qs(raw.decode("utf-8")).items()})
    return params


def _with_metadata(messages: list[dict[str, Any]], params: dict[str, Any]) -> list[dict[str, Any]]:
    """Slack returns message metadata only when asked for it (`include_all_metadata`)."""
    if str(params.get("include_all_metadata", "")).lower() in {"1", "true"}:
        return messages
    return [{k: v for k, v in m.items() if k != "metadata"} for m in messages]


# --------------------------------------------------------------------------- webhooks


class FakeWebhook(_HttpFake):
    """An incoming webhook (Teams, Mattermost, Slack): records JSON bodies, answers `status`."""

    def __init__(self, status: int = 200, body: str = "ok") -> None:
        super().__init__()
        self.status = status
        self.body = body
        self.bodies: list[dict[str, Any]] = []

    def __enter__(self) -> FakeWebhook:
        super().__enter__()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/geheim-token-123"

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        path = urlsplit(handler.path).path
        self.requests.append(Request(path, {}, dict(handler.headers), raw))
        failure = self._planned(path)
        if failure:
            if failure.body is None:
                failure.body = f"HTTP {failure.status}"
            self._reply_failure(handler, failure)
            return
        self.bodies.append(json.loads(raw))
        self._reply(handler, self.status, self.body.encode(), "text/plain")


# --------------------------------------------------------------------------- SMTP


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@dataclass
class SmtpRecorder:
    """aiosmtpd handler: keeps what arrives; `rcpt_reply`/`data_reply` plan a refusal."""

    received: list[ReceivedMail] = field(default_factory=list)
    rcpt_reply: str | None = None
    data_reply: str | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply:
            return self.data_reply
        self.received.append(
            ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        return "250 Message accepted for delivery"


class FakeSmtp:
    """An SMTP server on 127.0.0.1; with `tls` (cert, key) it offers STARTTLS and requires it.

    With `users` it also requires a login (only after STARTTLS, as real servers do).
    """

    def __init__(
        self, tls: tuple[Path, Path] | None = None, users: dict[str, str] | None = None
    ) -> None:
        self.handler = SmtpRecorder()
        self.port = free_port()
        self.users = users or {}
        kwargs: dict[str, Any] = {}
        if tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            kwargs.update(tls_context=context, require_starttls=True)
        if self.users:
            kwargs.update(authenticator=self._authenticate, auth_require_tls=bool(tls))
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    @property
    def received(self) -> list[ReceivedMail]:
        return self.handler.received

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.users.get(auth_data.login.decode()) == auth_data.password.decode()
        )
        return AuthResult(success=ok, handled=False)

    def __enter__(self) -> FakeSmtp:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 (EC P-256, one day), made with the openssl CLI."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key
