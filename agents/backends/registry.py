"""``make_backend``: parse a ``--model`` spec and build the backend, importing its client lazily.

Specs: ``offline`` (None: the offline engine), ``openai/<model>``, ``gemini/<model>``.
Keys come from the environment only: ``OPENAI_API_KEY``; ``GEMINI_API_KEY`` or
``GOOGLE_API_KEY``. ``OPENAI_BASE_URL`` is used when ``base_url`` is not given for openai.
A missing key raises ``MissingKey`` (one line, naming the variable) before any work starts.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agents.backends.base import BackendError, MissingKey, Provider
from agents.backends.cache import ResponseCache
from agents.backends.limiter import Budget
from agents.backends.managed import ManagedBackend
from agents.backends.pricing import PriceTable
from agents.backends.retry import RetryPolicy

KEY_VARIABLES: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
}
"""Environment variables holding each backend's key, in order of preference."""

BASE_URL_VARIABLES: dict[str, str] = {"openai": "OPENAI_BASE_URL"}


def _openai(model: str, key: str, base_url: str | None, timeout: float) -> Provider:
    from agents.backends.openai_backend import OpenAIProvider

    return OpenAIProvider(model, api_key=key, base_url=base_url, timeout=timeout)


def _gemini(model: str, key: str, base_url: str | None, timeout: float) -> Provider:
    from agents.backends.gemini_backend import GeminiProvider

    return GeminiProvider(model, api_key=key, base_url=base_url, timeout=timeout)


ProviderFactory = Callable[[str, str, "str | None", float], Provider]
PROVIDERS: dict[str, ProviderFactory] = {"openai": _openai, "gemini": _gemini}
"""Backends by name; each factory imports its client only when called."""


def parse_model_spec(spec: str) -> tuple[str, str] | None:
    """``(backend, model)`` for ``backend/model``, None for ``offline``.

    Raises BackendError (kind ``config``, one line) on anything else.
    """
    if spec == "offline":
        return None
    backend, sep, model = spec.partition("/")
    if not sep or backend not in PROVIDERS or not model.strip() or model != model.strip():
        names = " | ".join(["offline", *(f"{b}/<model>" for b in PROVIDERS)])
        raise BackendError(f"unknown model spec {spec!r} (use {names})", kind="config")
    return backend, model


def api_key(backend: str) -> str:
    """The key for ``backend`` from the environment; MissingKey names the variable(s)."""
    names = KEY_VARIABLES[backend]
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    wanted = " or ".join(names)
    raise MissingKey(f"{backend} backend needs an API key: set {wanted}")


def check_key(spec: str) -> None:
    """Raise MissingKey / BackendError now if ``spec`` could not be built (builds nothing)."""
    parsed = parse_model_spec(spec)
    if parsed is not None:
        api_key(parsed[0])


def make_backend(
    model_spec: str,
    *,
    base_url: str | None = None,
    max_connections: int = 8,
    timeout: float = 60.0,
    cache_mode: str = "readwrite",
    cache_dir: str | Path | None = None,
    budget: Budget | None = None,
    retry: RetryPolicy | None = None,
    prices: PriceTable | None = None,
    **managed: Any,
) -> ManagedBackend | None:
    """The backend for ``model_spec``, or None for ``offline``.

    Raises ``MissingKey`` when the key variable is unset and ``BackendError`` (kind
    ``config``) for a bad spec, cache mode or price file, all before any network call.
    ``managed`` passes ``sleep``/``clock`` through to ``ManagedBackend`` (tests).
    """
    parsed = parse_model_spec(model_spec)
    if parsed is None:
        return None
    backend, model = parsed
    key = api_key(backend)
    cache = ResponseCache(cache_dir, cache_mode)
    table = prices if prices is not None else PriceTable.load()
    env_url = BASE_URL_VARIABLES.get(backend)
    url = base_url or (os.environ.get(env_url) if env_url else None) or None
    provider = PROVIDERS[backend](model, key, url, timeout)
    return ManagedBackend(
        provider,
        max_connections=max_connections,
        timeout=timeout,
        cache=cache,
        retry=retry,
        prices=table,
        budget=budget,
        **managed,
    )
