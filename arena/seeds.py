"""Seed derivation: one run seed, an independent generator per named component.

``derive(seed, "test", round, agent)`` always gives the same integer for the same keys, and
unrelated integers for different keys (numpy SeedSequence spawn keys over stable hashes).
"""

from __future__ import annotations

import hashlib
import random

import numpy as np


def _key(part: object) -> int:
    if isinstance(part, int) and not isinstance(part, bool) and part >= 0:
        return part
    return int.from_bytes(hashlib.sha256(repr(part).encode()).digest()[:8], "little")


def derive(seed: int, *keys: object) -> int:
    """A 63-bit seed for the component named by ``keys`` under run seed ``seed``."""
    ss = np.random.SeedSequence(entropy=seed, spawn_key=tuple(_key(k) for k in keys))
    return int(ss.generate_state(2, np.uint64)[0] >> np.uint64(1))


def rng(seed: int, *keys: object) -> random.Random:
    """A ``random.Random`` for the component named by ``keys``."""
    return random.Random(derive(seed, *keys))
