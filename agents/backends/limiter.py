"""Concurrency and limits: ``complete_many``, ``Budget``, ``Usage`` and ``BackgroundLoop``.

``complete_many`` issues all calls of a round at once (``asyncio.gather``); each backend
bounds its own calls in flight (``max_connections``). ``Budget`` refuses new network calls
once ``max_cost`` or ``max_calls`` is spent (cache hits are free and always allowed); calls
already in flight finish, so the spend may pass the limit by at most those calls, and the
engine stops at the next round boundary. ``Usage`` sums tokens and cost per tag (agent) and
per run. Both carry over a resume: a model run's checkpoint keeps ``Usage.to_json()`` and
``Budget.spent_state()``. ``BackgroundLoop`` runs all of this from synchronous code on one
event loop thread.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from agents.backends.base import Backend, BackendError, BudgetExceeded, Completion, Request

T = TypeVar("T")
log = logging.getLogger("arena.models")


async def complete_many(
    backend: Backend, requests: Sequence[Request]
) -> list[Completion | BackendError]:
    """All ``requests`` concurrently; per request its Completion or its BackendError, in order.

    Only ``BackendError`` is captured; anything else (a bug) propagates.
    """

    async def one(request: Request) -> Completion | BackendError:
        try:
            return await backend.complete(request)
        except BackendError as exc:
            exc.tag = request.tag
            return exc

    return list(await asyncio.gather(*(one(r) for r in requests)))


class Budget:
    """Limits on a run's model spending: ``max_cost`` USD and ``max_calls`` network calls.

    ``reserve()`` is called before each network call (not for cache hits) and raises
    ``BudgetExceeded`` once either limit is reached; ``charge(cost)`` adds a finished call's
    cost. ``None`` means no limit. Raises ValueError on a negative limit.
    """

    def __init__(self, *, max_cost: float | None = None, max_calls: int | None = None) -> None:
        if max_cost is not None and max_cost < 0:
            raise ValueError(f"max_cost must be >= 0, got {max_cost}")
        if max_calls is not None and max_calls < 0:
            raise ValueError(f"max_calls must be >= 0, got {max_calls}")
        self.max_cost = max_cost
        self.max_calls = max_calls
        self.calls = 0
        self.cost = 0.0
        self._lock = threading.Lock()

    @property
    def exhausted(self) -> bool:
        """True once no new network call would be allowed."""
        return (self.max_calls is not None and self.calls >= self.max_calls) or (
            self.max_cost is not None and self.cost >= self.max_cost
        )

    def reserve(self) -> None:
        """Count one network call, or raise BudgetExceeded if the budget is spent."""
        with self._lock:
            if self.max_calls is not None and self.calls >= self.max_calls:
                raise BudgetExceeded(f"model call budget spent ({self.max_calls} calls)")
            if self.max_cost is not None and self.cost >= self.max_cost:
                raise BudgetExceeded(
                    f"model cost budget spent (${self.cost:.4f} of ${self.max_cost:.4f})"
                )
            self.calls += 1

    def charge(self, cost: float) -> None:
        with self._lock:
            self.cost += cost

    def to_json(self) -> dict[str, Any]:
        return {
            "max_cost": self.max_cost,
            "max_calls": self.max_calls,
            "calls": self.calls,
            "cost_usd": self.cost,
        }

    def spent_state(self) -> dict[str, Any]:
        """What has been spent (not the limits, which come from the config), for a checkpoint."""
        with self._lock:
            return {"calls": self.calls, "cost_usd": self.cost}

    def restore_spent(self, state: object) -> None:
        """Continue from ``spent_state()``, in place (the backend holds this object).

        TypeError or ValueError if ``state`` is malformed; nothing changes then.
        """
        obj = _exact_keys(state, ("calls", "cost_usd"))
        calls, cost = _count(obj["calls"]), _amount(obj["cost_usd"])
        with self._lock:
            self.calls, self.cost = calls, cost


def _exact_keys(data: object, keys: Sequence[str]) -> dict[str, Any]:
    """``data`` if it is an object with exactly ``keys``, else TypeError / ValueError."""
    if not isinstance(data, dict):
        raise TypeError(f"expected an object, got {type(data).__name__}")
    if set(data) != set(keys):
        raise ValueError(f"expected keys {sorted(keys)}, got {sorted(map(str, data))}")
    return data


def _count(value: object) -> int:
    """``value`` if it is a non-negative int (not a bool), else TypeError / ValueError."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected an integer count, got {value!r}")
    if value < 0:
        raise ValueError(f"expected a non-negative count, got {value}")
    return value


def _amount(value: object) -> float:
    """``value`` as a float if it is a finite non-negative number, else TypeError / ValueError."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise TypeError(f"expected a number, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"expected a finite non-negative amount, got {value}")
    return float(value)


@dataclass
class Tally:
    """Counts for one tag or for the run."""

    calls: int = 0
    cached: int = 0
    failed: int = 0
    malformed: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    unpriced: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "cached": self.cached,
            "failed": self.failed,
            "malformed": self.malformed,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
            "unpriced": self.unpriced,
        }

    @classmethod
    def from_json(cls, data: object) -> Tally:
        """The inverse of ``to_json``; TypeError or ValueError if ``data`` is malformed."""
        obj = _exact_keys(data, [f.name for f in fields(cls)])
        counts = {k: _count(v) for k, v in obj.items() if k != "cost_usd"}
        return cls(**counts, cost_usd=_amount(obj["cost_usd"]))


@dataclass
class Usage:
    """Tokens, cost and failures per tag (agent) and for the whole run.

    ``calls`` counts network calls; cache hits count under ``cached`` only, and their tokens
    and cost are not added (they cost nothing new).
    """

    total: Tally = field(default_factory=Tally)
    by_tag: dict[str, Tally] = field(default_factory=dict)

    def _tallies(self, tag: str) -> tuple[Tally, Tally]:
        return self.total, self.by_tag.setdefault(tag, Tally())

    def record(self, result: Completion | BackendError, tag: str | None = None) -> None:
        """Add one result of ``complete``/``complete_many``."""
        name = tag if tag is not None else result.tag
        for tally in self._tallies(name):
            if isinstance(result, BackendError):
                tally.failed += 1
            elif result.cached:
                tally.cached += 1
            else:
                tally.calls += 1
                tally.input_tokens += result.input_tokens
                tally.output_tokens += result.output_tokens
                tally.cost_usd += result.cost_usd
                tally.unpriced += not result.priced

    def record_malformed(self, tag: str, what: str = "answer") -> None:
        """Count (and log) an answer with no usable code / JSON list / proposer."""
        log.warning("malformed model %s from %s", what, tag or "?")
        for tally in self._tallies(tag):
            tally.malformed += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total.to_json(),
            "by_tag": {k: v.to_json() for k, v in sorted(self.by_tag.items())},
        }

    @classmethod
    def from_json(cls, data: object) -> Usage:
        """The inverse of ``to_json`` (a checkpoint keeps a run's usage across a resume);
        TypeError or ValueError if ``data`` is malformed."""
        obj = _exact_keys(data, ("total", "by_tag"))
        by_tag = obj["by_tag"]
        if not isinstance(by_tag, dict):
            raise TypeError(f"by_tag: expected an object, got {type(by_tag).__name__}")
        return cls(
            total=Tally.from_json(obj["total"]),
            by_tag={str(k): Tally.from_json(v) for k, v in by_tag.items()},
        )


class BackgroundLoop:
    """An event loop on a daemon thread, so synchronous code can await backends.

    ``run(coro)`` blocks until the coroutine is done and returns its result (or raises its
    exception). Backends keep their HTTP clients on this one loop across rounds. Use as a
    context manager or call ``close()``.
    """

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="arena-models", daemon=True
        )
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result(timeout)

    def complete_many(
        self, backend: Backend, requests: Sequence[Request]
    ) -> list[Completion | BackendError]:
        """Synchronous ``complete_many``."""
        return self.run(complete_many(backend, requests))

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> BackgroundLoop:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
