"""Ranking and replacement: who wins, who is replaced, ties broken by the run seed."""

from __future__ import annotations

import random
from collections.abc import Sequence


def rank(keys: Sequence[tuple[float, ...]], rng: random.Random) -> list[int]:
    """Indices ordered best first by ``keys`` (larger is better, compared left to right).

    Exact ties are broken by ``rng`` (seeded per run and round), so ties never depend on
    list order or hash order.
    """
    jitter = [rng.random() for _ in keys]
    return sorted(range(len(keys)), key=lambda i: (*(-k for k in keys[i]), jitter[i]))


def replacement_pairs(order: Sequence[int], count: int = 1) -> list[tuple[int, int]]:
    """(loser, winner) index pairs: the ``count`` worst replaced by the best.

    With fewer than two agents nothing is replaced.
    """
    if len(order) < 2:
        return []
    count = max(0, min(count, len(order) // 2))
    best = order[0]
    return [(loser, best) for loser in list(order)[::-1][:count]]
