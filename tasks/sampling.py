"""Deterministic draws from hypothesis strategies (for hidden suites and test agents).

Hypothesis is driven through ``@given`` with an explicit ``@seed`` and ``database=None``, so
the same seed gives the same inputs with the same hypothesis version; ``strategy.example()``
is never used.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import SearchStrategy

from tasks.base import Args, input_key

_QUIET = settings(
    database=None,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=False,
    print_blob=False,
)


_HYPOTHESIS_LOCK = threading.RLock()


@contextlib.contextmanager
def stable_hypothesis() -> Iterator[None]:
    """Make seeded hypothesis generation independent of which modules are imported.

    Recent hypothesis versions sometimes draw constants collected from the source of every
    *local* module loaded so far, so one seed gives different examples in a process that
    imported one more module. Inside this block that pool is empty. This uses private
    hypothesis API when present (and does nothing otherwise); it is process-wide while
    active, so the block holds a lock.
    """
    with _HYPOTHESIS_LOCK:
        try:
            from hypothesis.internal.conjecture import providers
            from hypothesis.internal.constants_ast import Constants

            original = providers._get_local_constants
            cache = providers.CONSTANTS_CACHE
        except (ImportError, AttributeError):
            yield
            return
        cache.cache.clear()
        providers._get_local_constants = Constants
        try:
            yield
        finally:
            providers._get_local_constants = original
            cache.cache.clear()


def draw(strategy: SearchStrategy[Any], n: int, *, seed_value: int) -> list[Any]:
    """Up to ``n`` examples from one seeded hypothesis generation pass (may repeat values)."""
    if n <= 0:
        return []
    out: list[Any] = []

    @seed(seed_value)
    @settings(_QUIET, max_examples=n)
    @given(strategy)
    def collect(value: Any) -> None:
        out.append(value)

    with stable_hypothesis(), contextlib.suppress(Unsatisfiable):
        collect()
    return out


def draw_unique(
    strategy: SearchStrategy[Args],
    n: int,
    *,
    seed_value: int,
    accept: Callable[[Args], bool] | None = None,
    max_passes: int = 50,
) -> list[Args]:
    """``n`` distinct inputs (by canonical hash) in a deterministic order.

    ``accept`` filters inputs (for example to balance valid and invalid ones). Fewer than
    ``n`` come back only if ``max_passes`` generation passes could not find enough.
    """
    seen: set[str] = set()
    out: list[Args] = []
    for attempt in range(max_passes):
        for args in draw(
            strategy, max(n - len(out), 1) * 2, seed_value=seed_value * 1000 + attempt
        ):
            args = tuple(args)
            k = input_key(args)
            if k in seen or (accept is not None and not accept(args)):
                continue
            seen.add(k)
            out.append(args)
            if len(out) == n:
                return out
    return out
