"""``ManagedBackend``: a provider plus cache, retries, concurrency bound, pricing and budget.

Order of one ``complete(request)``: cache lookup (a hit returns ``cached=True`` at no cost
and makes no network call, even with the budget spent); budget reservation; then tries of the
provider call, each holding one of ``max_connections`` slots (the slot is released while
waiting to retry); pricing; cache write; budget charge.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import urllib.parse
import weakref
from typing import Any

from agents.backends.base import BackendError, Completion, Provider, RawAnswer, Request
from agents.backends.base import request_hash as _request_hash
from agents.backends.cache import ResponseCache
from agents.backends.limiter import Budget
from agents.backends.pricing import PriceTable
from agents.backends.retry import Clock, RetryPolicy, Sleep, with_retries

log = logging.getLogger("arena.models")


class ManagedBackend:
    """Implements ``Backend`` on top of a ``Provider``; see the module docstring."""

    def __init__(
        self,
        provider: Provider,
        *,
        max_connections: int = 8,
        timeout: float = 60.0,
        cache: ResponseCache | None = None,
        retry: RetryPolicy | None = None,
        prices: PriceTable | None = None,
        budget: Budget | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        if max_connections < 1:
            raise ValueError(f"max_connections must be >= 1, got {max_connections}")
        self.provider = provider
        self.name = provider.name
        self.model = provider.model
        self.max_connections = max_connections
        self.timeout = timeout
        self.cache = cache if cache is not None else ResponseCache(mode="off")
        self.retry = retry if retry is not None else RetryPolicy()
        self.prices = prices if prices is not None else PriceTable.load()
        self.budget = budget
        self._sleep = sleep
        self._clock = clock
        self._semaphores: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, asyncio.Semaphore
        ] = weakref.WeakKeyDictionary()

    def describe(self) -> dict[str, Any]:
        """The backend's spec for run.json (no key; a base URL without credentials)."""
        url = getattr(self.provider, "base_url", None)
        if url:
            parts = urllib.parse.urlsplit(url)
            host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
            url = urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))
        return {
            "backend": self.name,
            "model": self.model,
            "base_url": url,
            "max_connections": self.max_connections,
            "timeout": self.timeout,
            "cache": self.cache.mode,
            "retry": dataclasses.asdict(self.retry),
            "prices_date": self.prices.date,
            "budget": self.budget.to_json() if self.budget is not None else None,
        }

    def request_hash(self, request: Request) -> str:
        return _request_hash(self.name, self.model, request)

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        sem = self._semaphores.get(loop)
        if sem is None:
            sem = self._semaphores[loop] = asyncio.Semaphore(self.max_connections)
        return sem

    async def complete(self, request: Request) -> Completion:
        """The completion for ``request``; BackendError (one line, no key) on failure."""
        key = self.request_hash(request)
        began = self._clock()
        entry = self.cache.get(key)
        if entry is not None:
            return self._completion(entry, key, request, began, cached=True, cost=0.0, priced=True)
        if self.budget is not None:
            self.budget.reserve()
        sem = self._semaphore()

        async def attempt() -> RawAnswer:
            async with sem:
                try:
                    async with asyncio.timeout(self.timeout + 5.0):
                        return await self.provider.call(request)
                except TimeoutError:
                    raise BackendError(
                        f"{self.name}: no answer within {self.timeout:g}s",
                        kind="timeout",
                        retryable=True,
                    ) from None

        try:
            raw, attempts = await with_retries(
                attempt, self.retry, key=key, sleep=self._sleep, clock=self._clock
            )
        except BackendError as exc:
            exc.tag = request.tag
            raise
        cost, priced = self.prices.cost(self.name, self.model, raw.input_tokens, raw.output_tokens)
        if self.budget is not None:
            self.budget.charge(cost)
        stored = {
            "backend": self.name,
            "model": self.model,
            "text": raw.text,
            "input_tokens": raw.input_tokens,
            "output_tokens": raw.output_tokens,
        }
        try:
            self.cache.put(key, stored)
        except OSError as exc:
            log.warning("model cache write failed: %s", type(exc).__name__)
        completion = self._completion(
            stored, key, request, began, cached=False, cost=cost, priced=priced
        )
        return dataclasses.replace(completion, attempts=attempts)

    def _completion(
        self,
        entry: dict[str, Any],
        key: str,
        request: Request,
        began: float,
        *,
        cached: bool,
        cost: float,
        priced: bool,
    ) -> Completion:
        return Completion(
            text=entry["text"],
            input_tokens=entry["input_tokens"],
            output_tokens=entry["output_tokens"],
            cost_usd=cost,
            cached=cached,
            latency=self._clock() - began,
            backend=self.name,
            model=self.model,
            request_hash=key,
            priced=priced,
            tag=request.tag,
        )

    async def aclose(self) -> None:
        """Close the provider's HTTP client(s)."""
        await self.provider.aclose()
