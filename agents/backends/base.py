"""The backend protocol: ``Request`` in, ``Completion`` out, ``BackendError`` on failure.

A backend is a small object with one async method, ``complete(request) -> Completion``.
Provider classes (``openai_backend``, ``gemini_backend``) only translate a request to their
client's call and classify its errors; ``managed.ManagedBackend`` wraps one with the response
cache, the retry policy, the concurrency bound, pricing and the budget.

Error messages are one line and never contain an API key: every message passes through
``redact`` with the keys a backend knows.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypedDict, TypeVar, runtime_checkable


class Message(TypedDict):
    """One chat message: role is ``system``, ``user`` or ``assistant``."""

    role: str
    content: str


ROLES = frozenset({"system", "user", "assistant"})


@dataclass(frozen=True)
class Request:
    """One model call.

    ``sample`` distinguishes n samples of the same prompt (n samples are n cache entries).
    ``tag`` names the caller (e.g. an agent id) for accounting; it is not part of the hash.
    Raises ValueError on an empty message list, an unknown role or out-of-range parameters.
    """

    messages: tuple[Message, ...]
    temperature: float = 0.7
    max_tokens: int = 1024
    sample: int = 0
    seed: int | None = None
    tag: str = ""

    def __post_init__(self) -> None:
        if not self.messages:
            raise ValueError("request: messages must not be empty")
        for message in self.messages:
            if message.get("role") not in ROLES or not isinstance(message.get("content"), str):
                raise ValueError("request: each message needs a known role and str content")
        if not 0.0 <= self.temperature <= 2.0:
            raise ValueError(f"request: temperature must be in 0..2, got {self.temperature}")
        if self.max_tokens < 1:
            raise ValueError(f"request: max_tokens must be >= 1, got {self.max_tokens}")
        if self.sample < 0:
            raise ValueError(f"request: sample must be >= 0, got {self.sample}")

    @classmethod
    def of(cls, messages: Iterable[Message], **params: Any) -> Request:
        """Build from any iterable of messages (copied into a tuple of plain dicts)."""
        copied = tuple(Message(role=m["role"], content=m["content"]) for m in messages)
        return cls(copied, **params)

    @classmethod
    def from_prompt(cls, prompt: str, **params: Any) -> Request:
        """A one-message user request (what ``ctx.llm(prompt)`` sends)."""
        return cls((Message(role="user", content=prompt),), **params)

    def sampling(self) -> dict[str, Any]:
        """The sampling parameters that enter the hash."""
        return {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
        }


def request_hash(backend: str, model: str, request: Request) -> str:
    """sha256 hex of canonical JSON over backend, model, messages, sampling and sample index."""
    payload = {
        "backend": backend,
        "model": model,
        "messages": [[m["role"], m["content"]] for m in request.messages],
        "sampling": request.sampling(),
        "sample": request.sample,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Attempt:
    """One try of a call: ``outcome`` is ``ok`` or an error kind; ``delay`` slept after it."""

    number: int
    outcome: str
    status: int | None
    elapsed: float
    delay: float
    retry_after: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "outcome": self.outcome,
            "status": self.status,
            "elapsed": round(self.elapsed, 4),
            "delay": round(self.delay, 4),
            "retry_after": self.retry_after,
        }


@dataclass(frozen=True)
class Completion:
    """A model's answer with its accounting.

    ``cost_usd`` is what this call cost now (0 for a cache hit); ``priced`` is False when the
    model is missing from the price table (its cost then reads 0). ``latency`` is seconds
    spent in this call, retries included.
    """

    text: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    cached: bool
    latency: float
    backend: str
    model: str
    request_hash: str
    priced: bool = True
    tag: str = ""
    attempts: tuple[Attempt, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain data for events (no text: it is in the cache, addressed by the hash)."""
        return {
            "backend": self.backend,
            "model": self.model,
            "request_hash": self.request_hash,
            "tag": self.tag,
            "cached": self.cached,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
            "priced": self.priced,
            "latency": round(self.latency, 4),
            "attempts": [a.to_json() for a in self.attempts],
        }


class BackendError(Exception):
    """A model call that failed; ``str()`` is one line with no secret in it.

    ``kind``: timeout | rate_limit | server | connection | garbage (retryable) and client |
    refused | budget | missing_key | config (not retryable). ``retryable`` says whether the
    retry policy may try again; ``retry_after`` is the server's Retry-After in seconds, if
    any. ``attempts`` holds the tries made before giving up (set by the retry policy).
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str = "client",
        retryable: bool = False,
        status: int | None = None,
        retry_after: float | None = None,
        secrets: Sequence[str] = (),
    ) -> None:
        super().__init__(redact(message, secrets))
        self.kind = kind
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after
        self.attempts: tuple[Attempt, ...] = ()
        self.tag = ""


class MissingKey(BackendError):
    """The API key variable for a backend is unset; the message names the variable."""

    def __init__(self, message: str) -> None:
        super().__init__(message, kind="missing_key")


class BudgetExceeded(BackendError):
    """``--max-cost`` or ``--max-calls`` is spent; no new network call is made."""

    def __init__(self, message: str) -> None:
        super().__init__(message, kind="budget")


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` on one line, each secret (of 4+ characters) replaced by ``[redacted]``."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    line = " ".join(text.split())
    return line if len(line) <= 300 else line[:297] + "..."


@dataclass(frozen=True)
class RawAnswer:
    """What a provider returns: text and token counts (no accounting yet)."""

    text: str
    input_tokens: int
    output_tokens: int


C = TypeVar("C")


class LoopClients(Generic[C]):
    """One HTTP client per event loop: connection pools are bound to the loop that made them."""

    def __init__(self, make: Callable[[], C]) -> None:
        self._make = make
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, C] = (
            weakref.WeakKeyDictionary()
        )

    def get(self) -> C:
        """The running loop's client, made on first use."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = self._make()
        return client

    def take_all(self) -> list[C]:
        """Every client made so far, forgotten here (the caller closes them)."""
        clients = list(self._clients.values())
        self._clients = weakref.WeakKeyDictionary()
        return clients


class Provider(Protocol):
    """A provider: one HTTP call, no retries. Raises BackendError with a classified kind."""

    name: str
    model: str

    async def call(self, request: Request) -> RawAnswer: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class Backend(Protocol):
    """What the engine calls: ``await backend.complete(request)``."""

    name: str
    model: str

    async def complete(self, request: Request) -> Completion: ...
