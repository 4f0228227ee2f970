"""The console served from a thread, for `monitorbot run` (which has its own main loop)."""

from __future__ import annotations

import threading
import time

import uvicorn
from fastapi import FastAPI


class ConsoleServer:
    """uvicorn in a daemon thread: `start` returns once it listens, `stop` waits for it."""

    def __init__(self, app: FastAPI, host: str, port: int):
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", server_header=False)
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._thread = threading.Thread(target=self._server.run, name="console", daemon=True)

    def start(self, timeout: float = 20.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise OSError("de console kon niet starten (poort bezet?)")
            time.sleep(0.05)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
