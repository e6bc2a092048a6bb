"""Retries with exponential backoff and jitter, bounded in attempts and in total time.

Retried: errors whose ``BackendError.retryable`` is True (timeouts, 429, 5xx, dropped
connections, garbage bodies). A 429's ``Retry-After`` (seconds or an HTTP date) is honoured:
the wait is at least that long. Jitter is drawn from a generator seeded by the policy seed and
the request hash, so waits are deterministic per request whatever the call order. ``sleep``
and ``clock`` are injectable so tests measure waits without waiting.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from agents.backends.base import Attempt, BackendError

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

log = logging.getLogger("arena.models")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: at most ``max_attempts`` tries within ``max_total`` seconds.

    The n-th wait (n = 1, 2, ...) is ``min(max_delay, base_delay * 2 ** (n - 1))`` scaled by a
    factor in ``[1 - jitter, 1]``, and at least the server's Retry-After. A wait that would end
    past ``max_total`` seconds since the first try is not taken: the call fails instead.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_total: float = 120.0
    jitter: float = 0.5
    seed: int = 0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("retry policy: max_attempts must be >= 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_total < 0:
            raise ValueError("retry policy: delays must be >= 0")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("retry policy: jitter must be in 0..1")

    def backoff(self, n: int, rng: random.Random) -> float:
        """The n-th wait before any Retry-After (n >= 1)."""
        cap = min(self.max_delay, self.base_delay * 2.0 ** (n - 1))
        return cap * (1.0 - self.jitter * rng.random())


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or HTTP date), or None."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


async def with_retries(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    key: str = "",
    sleep: Sleep = asyncio.sleep,
    clock: Clock = time.monotonic,
) -> tuple[T, tuple[Attempt, ...]]:
    """Run ``call`` until it succeeds or the policy gives up.

    Returns the result and the attempt records. Raises the last ``BackendError`` (with
    ``.attempts`` set, and ``kind`` unchanged) when a non-retryable error occurs or the bound
    on attempts or total time is reached. Other exceptions propagate unchanged.
    """
    rng = random.Random(f"{policy.seed}:{key}")
    start = clock()
    attempts: list[Attempt] = []
    number = 0
    while True:
        number += 1
        began = clock()
        try:
            result = await call()
        except BackendError as exc:
            elapsed = clock() - began
            delay = _next_delay(policy, exc, number, rng, clock() - start)
            attempts.append(
                Attempt(number, exc.kind, exc.status, elapsed, delay or 0.0, exc.retry_after)
            )
            if delay is None:
                exc.attempts = tuple(attempts)
                log.warning("model call failed after %d attempt(s): %s", number, exc)
                raise
            log.info("model call attempt %d: %s; retrying in %.2fs", number, exc, delay)
            await sleep(delay)
            continue
        attempts.append(Attempt(number, "ok", None, clock() - began, 0.0))
        return result, tuple(attempts)


def _next_delay(
    policy: RetryPolicy, exc: BackendError, number: int, rng: random.Random, spent: float
) -> float | None:
    """The wait before the next try, or None to give up."""
    if not exc.retryable or number >= policy.max_attempts:
        return None
    delay = policy.backoff(number, rng)
    if exc.retry_after is not None:
        delay = max(delay, exc.retry_after)
    if spent + delay > policy.max_total:
        return None
    return delay
