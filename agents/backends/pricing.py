"""Token prices in USD per 1M tokens, and the cost of a call.

The built-in table was taken from the providers' public pricing pages as of ``PRICES_DATE``
(standard, non-batch, text, prompts under 200k tokens). Prices change: check them, and
override or extend the table with a JSON file named by ``$ARENA_PRICES``::

    {"openai/gpt-4o-mini": {"input": 0.15, "output": 0.60}, "date": "2026-01-01"}

A model is matched exactly, else by the longest table entry that prefixes it (so a dated
snapshot such as ``gpt-4o-mini-2024-07-18`` gets its family's price). An unknown model costs
0 and is flagged ``priced=False``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.backends.base import BackendError

PRICES_DATE = "2025-08-15"
"""When the built-in prices were taken."""

PRICES_ENV = "ARENA_PRICES"


@dataclass(frozen=True)
class Price:
    """USD per 1M input and output tokens."""

    input: float
    output: float


BUILTIN_PRICES: dict[str, Price] = {
    "openai/gpt-5": Price(1.25, 10.00),
    "openai/gpt-5-mini": Price(0.25, 2.00),
    "openai/gpt-5-nano": Price(0.05, 0.40),
    "openai/gpt-4.1": Price(2.00, 8.00),
    "openai/gpt-4.1-mini": Price(0.40, 1.60),
    "openai/gpt-4.1-nano": Price(0.10, 0.40),
    "openai/gpt-4o": Price(2.50, 10.00),
    "openai/gpt-4o-mini": Price(0.15, 0.60),
    "openai/o4-mini": Price(1.10, 4.40),
    "openai/o3": Price(2.00, 8.00),
    "gemini/gemini-2.5-pro": Price(1.25, 10.00),
    "gemini/gemini-2.5-flash": Price(0.30, 2.50),
    "gemini/gemini-2.5-flash-lite": Price(0.10, 0.40),
    "gemini/gemini-2.0-flash": Price(0.10, 0.40),
    "gemini/gemini-2.0-flash-lite": Price(0.075, 0.30),
}


class PriceTable:
    """Prices by ``backend/model``; ``date`` says when they were taken."""

    def __init__(self, prices: dict[str, Price], date: str = PRICES_DATE) -> None:
        self.prices = dict(prices)
        self.date = date

    @classmethod
    def load(cls, path: str | Path | None = None) -> PriceTable:
        """The built-in table, updated from ``path`` or ``$ARENA_PRICES`` if given.

        Raises BackendError (kind ``config``, one line) on an unreadable or malformed file.
        """
        table = cls(BUILTIN_PRICES)
        source = path if path is not None else os.environ.get(PRICES_ENV)
        if source:
            table.update_from(Path(source))
        return table

    def update_from(self, path: Path) -> None:
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BackendError(f"price file {path}: {type(exc).__name__}", kind="config") from None
        if not isinstance(data, dict):
            raise BackendError(f"price file {path}: expected a JSON object", kind="config")
        for name, value in data.items():
            if name == "date":
                self.date = str(value)
                continue
            if (
                not isinstance(value, dict)
                or "/" not in name
                or not all(
                    isinstance(value.get(k), int | float) and value[k] >= 0
                    for k in ("input", "output")
                )
            ):
                raise BackendError(
                    f"price file {path}: entry {name!r} must be "
                    '"backend/model": {"input": USD, "output": USD}',
                    kind="config",
                )
            self.prices[name] = Price(float(value["input"]), float(value["output"]))

    def price(self, backend: str, model: str) -> Price | None:
        """The price of ``backend/model`` (exact, else longest prefix), or None."""
        name = f"{backend}/{model}"
        if name in self.prices:
            return self.prices[name]
        best = max((k for k in self.prices if name.startswith(k)), key=len, default=None)
        return self.prices[best] if best is not None else None

    def cost(
        self, backend: str, model: str, input_tokens: int, output_tokens: int
    ) -> tuple[float, bool]:
        """(USD, priced): the cost of one call; (0.0, False) for an unknown model."""
        price = self.price(backend, model)
        if price is None:
            return 0.0, False
        return (input_tokens * price.input + output_tokens * price.output) / 1e6, True
