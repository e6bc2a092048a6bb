"""A scriptable fake HTTP model server on 127.0.0.1 (stdlib ``http.server`` in a thread).

Each request consumes the next entry of ``script`` (a ``Fault``; when the script is empty the
request succeeds). Faults: ``rate_limit`` (429 with an optional ``Retry-After``), ``server``
(500), ``status`` (any HTTP error status), ``delay`` (sleep ``seconds`` before a normal
answer; beyond the client's timeout this is a timeout), ``drop`` (close the connection
without answering) and ``garbage`` (200 with a body that is not JSON). ``latency`` seconds
are added to every request. The server records every request's path, headers and JSON body,
counts them, and tracks the peak number of requests in flight, so tests can assert
concurrency bounds and where a key was sent.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour: rate_limit | server | delay | drop | garbage | status.

    ``status`` answers with the error payload and HTTP ``status`` (e.g. 401, 400).
    """

    kind: str
    retry_after: str | None = None
    seconds: float = 0.0
    status: int = 0


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


Answer = Callable[[str, Any], str]
"""``(path, json_body) -> reply text`` for a successful request."""


class FakeServer(ABC):
    """Base fake server; subclasses define the success and error payloads."""

    def __init__(self, *, answer: Answer | None = None, latency: float = 0.0) -> None:
        self.answer: Answer = answer if answer is not None else default_answer
        self.latency = latency
        self.script: deque[Fault] = deque()
        self.requests: list[Recorded] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.durations: list[float] = []
        """Seconds each answered request spent in the server (latency included)."""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> FakeServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def push(self, *faults: Fault) -> None:
        """Queue faults for the next requests, in order."""
        with self._lock:
            self.script.extend(faults)

    @property
    def count(self) -> int:
        return len(self.requests)

    # -- subclass hooks --------------------------------------------------------------------
    @abstractmethod
    def route(self, path: str) -> bool:
        """True if ``path`` is this API's completion endpoint."""

    @abstractmethod
    def success(self, path: str, body: Any, text: str) -> dict[str, Any]:
        """The JSON body of a successful answer carrying ``text``."""

    @abstractmethod
    def error(self, status: int, message: str) -> dict[str, Any]:
        """The JSON body of an error with HTTP ``status``."""

    # -- request handling ------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with self._lock:
            self.requests.append(
                Recorded(handler.command, handler.path, dict(handler.headers.items()), body)
            )
            fault = self.script.popleft() if self.script else None
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        began = time.monotonic()
        try:
            if self.latency:
                self._stop.wait(self.latency)
            self._respond(handler, fault, body)
        finally:
            with self._lock:
                self.in_flight -= 1
                self.durations.append(time.monotonic() - began)

    def _respond(self, handler: BaseHTTPRequestHandler, fault: Fault | None, body: Any) -> None:
        path = handler.path.split("?")[0]
        if not self.route(path):
            self._send(handler, 404, self.error(404, f"no route {path}"))
            return
        if fault is not None:
            if fault.kind == "rate_limit":
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                self._send(handler, 429, self.error(429, "rate limited"), headers)
                return
            if fault.kind == "status":
                self._send(handler, fault.status, self.error(fault.status, "refused"))
                return
            if fault.kind == "server":
                self._send(handler, 500, self.error(500, "internal error"))
                return
            if fault.kind == "drop":
                handler.close_connection = True
                handler.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault.kind == "garbage":
                self._send_raw(handler, 200, b"<html>this is not json", "text/html")
                return
            if fault.kind == "delay" and self._stop.wait(fault.seconds):
                return
        text = self.answer(path, body)
        self._send(handler, 200, self.success(path, body, text))

    def _send(
        self,
        handler: BaseHTTPRequestHandler,
        status: int,
        payload: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(payload).encode()
        self._send_raw(handler, status, data, "application/json", headers)

    @staticmethod
    def _send_raw(
        handler: BaseHTTPRequestHandler,
        status: int,
        data: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: clients that time out close their sockets under a sleeping handler."""


def _handler_for(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            try:
                server._handle(self)
            except (BrokenPipeError, ConnectionResetError, OSError):
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    return Handler


def prompt_text(body: Any) -> str:
    """All text of a request body (either API), joined, for deterministic answers."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            parts.append(node)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for key in ("messages", "content", "contents", "parts", "text", "systemInstruction"):
                if key in node:
                    walk(node[key])

    walk(body)
    return "\n".join(parts)


def default_answer(path: str, body: Any) -> str:
    """A deterministic reply: a JSON list of inputs when asked for one, else a code block."""
    text = prompt_text(body)
    if "JSON list" in text:
        return "[[1], [2], [-3]]"
    if "propose(ctx)" in text:
        return "```python\ndef propose(ctx):\n    return [ctx.solution]\n```"
    return "Here you go:\n```python\ndef square(x):\n    return x * x\n```\n"


def approx_tokens(text: str) -> int:
    """A stable token count for usage fields (words, at least 1)."""
    return max(1, len(text.split()))
