"""Model backends behind one protocol: ``await backend.complete(Request) -> Completion``.

``make_backend("openai/gpt-4o-mini" | "gemini/gemini-2.5-flash" | "offline", ...)`` builds a
``ManagedBackend`` (response cache, retries, concurrency bound, pricing, budget) around a
provider whose client library is imported only then. ``complete_many`` issues a round's calls
concurrently; ``BackgroundLoop`` does so from synchronous code. See ``base`` for the data
types and errors.
"""

from agents.backends.base import (
    Attempt,
    Backend,
    BackendError,
    BudgetExceeded,
    Completion,
    Message,
    MissingKey,
    Request,
    request_hash,
)
from agents.backends.cache import CACHE_MODES, ResponseCache, default_cache_dir
from agents.backends.limiter import BackgroundLoop, Budget, Usage, complete_many
from agents.backends.managed import ManagedBackend
from agents.backends.pricing import PRICES_DATE, PriceTable
from agents.backends.registry import check_key, make_backend, parse_model_spec
from agents.backends.retry import RetryPolicy, parse_retry_after

__all__ = [
    "CACHE_MODES",
    "PRICES_DATE",
    "Attempt",
    "Backend",
    "BackendError",
    "BackgroundLoop",
    "Budget",
    "BudgetExceeded",
    "Completion",
    "ManagedBackend",
    "Message",
    "MissingKey",
    "PriceTable",
    "Request",
    "ResponseCache",
    "RetryPolicy",
    "Usage",
    "check_key",
    "complete_many",
    "default_cache_dir",
    "make_backend",
    "parse_model_spec",
    "parse_retry_after",
    "request_hash",
]
