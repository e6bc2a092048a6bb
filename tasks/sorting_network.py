"""Task pack ``sorting_network``: find a small, shallow sorting network on ``n`` wires.

A solution is data, not code: a constant ``COMPARATORS`` listing comparators ``(i, j)``.
The arena judges it in its own process, bit-parallel over all cases at once. By the 0-1
principle a network sorts every input iff it sorts every 0/1 vector, so the hidden suite (all
``2**n`` binary vectors) is a complete test, while the fixed suite is the kind of handful of
hand-picked vectors a naive benchmark would use.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from tasks.base import Args, Case, InvalidInput, MutationOperator, Outcome, Task, TaskError
from tasks.registry import register

MIN_N = 2
MAX_N = 20
SIZE_CAP_FACTOR = 50
"""A network longer than ``SIZE_CAP_FACTOR * n * n`` comparators is malformed (no real one is)."""

_CACHE_SLOTS = 4
"""Packed suites kept per task (the fixed suite, the hidden suite and a couple of others)."""

Comparator = tuple[int, int]
_INT = frozenset({int})
_BITS = frozenset({0, 1})


# ---- networks --------------------------------------------------------------------------


def parse_network(value: Any, n: int, *, cap: int | None = None) -> list[Comparator] | None:
    """``value`` as a list of comparators on ``n`` wires, or None if malformed.

    Well-formed means: a list (at most ``cap`` long) of lists or tuples ``(i, j)`` of exact
    ints (bool excluded) with ``0 <= i < j < n``.
    """
    if type(value) is not list or (cap is not None and len(value) > cap):
        return None
    out: list[Comparator] = []
    for pair in value:
        if type(pair) not in (list, tuple) or len(pair) != 2:
            return None
        i, j = pair
        if type(i) is not int or type(j) is not int or not 0 <= i < j < n:
            return None
        out.append((i, j))
    return out


def network_size(comparators: Sequence[Comparator]) -> int:
    """Number of comparators (the primary cost of a network)."""
    return len(comparators)


def network_depth(comparators: Sequence[Comparator]) -> int:
    """Number of parallel layers, assigning each comparator greedily to the earliest layer
    after the last one that used either of its wires (the secondary cost)."""
    last: dict[int, int] = {}
    depth = 0
    for i, j in comparators:
        layer = max(last.get(i, 0), last.get(j, 0)) + 1
        last[i] = last[j] = layer
        depth = max(depth, layer)
    return depth


def batcher_network(n: int) -> list[Comparator]:
    """Batcher's odd-even merge sort network on ``n`` wires (19 comparators for 8, 63 for 16).

    Built for the next power of two; comparators touching wires ``>= n`` are dropped, which
    stays valid (think of those wires as holding +infinity, which no comparator moves).
    """
    if n < 1:
        raise ValueError(f"need at least one wire, got n={n}")
    size = 1 << (n - 1).bit_length()
    out: list[Comparator] = []
    p = 1
    while p < size:
        k = p
        while k >= 1:
            for j in range(k % p, size - k, 2 * k):
                for i in range(k):
                    lo, hi = i + j, i + j + k
                    if hi < n and lo // (2 * p) == hi // (2 * p):
                        out.append((lo, hi))
            k //= 2
        p *= 2
    return out


def network_source(comparators: Sequence[Comparator], comment: str) -> str:
    """Solution source text defining ``COMPARATORS`` as the given network."""
    body = "".join(f"    ({i}, {j}),\n" for i, j in comparators)
    return f"# {comment}\nCOMPARATORS = [\n{body}]\n"


# ---- bit-parallel evaluation -----------------------------------------------------------


def _pack(bits: np.ndarray) -> np.ndarray:
    """Bit-pack a (cases, wires) 0/1 array into (wires, words) uint64, case c at bit c."""
    cases, wires = bits.shape
    words = max(1, -(-cases // 64))
    padded = np.zeros((words * 64, wires), dtype=np.uint8)
    padded[:cases] = bits
    packed = np.packbits(padded, axis=0, bitorder="little")  # (words * 8, wires)
    return np.ascontiguousarray(packed.T).view(np.uint64)


def _run(comparators: Sequence[Comparator], packed: np.ndarray) -> np.ndarray:
    """Apply the network to packed wires (a copy): min to the lower wire, max to the upper."""
    w = packed.copy()
    for i, j in comparators:
        a, b = w[i], w[j]
        w[i], w[j] = a & b, a | b
    return w


def _all_binary_packed(n: int) -> np.ndarray:
    """Packed wires over all ``2**n`` inputs, input x at bit x and wire k = bit n-1-k of x
    (the order of ``itertools.product((0, 1), repeat=n)``)."""
    x = np.arange(1 << n, dtype=np.uint32)
    bits = np.stack([(x >> (n - 1 - k)) & 1 for k in range(n)], axis=1).astype(np.uint8)
    return _pack(bits)


def is_sorting_network(comparators: Any, n: int) -> bool:
    """Whether ``comparators`` sorts every input on ``n`` wires (checks all ``2**n`` 0/1
    inputs, enough by the 0-1 principle). A malformed network is not a sorting network."""
    if not 1 <= n <= MAX_N:
        raise ValueError(f"n must be in 1..{MAX_N}, got {n}")
    network = parse_network(comparators, n)
    if network is None:
        return False
    out = _run(network, _all_binary_packed(n))
    # A comparator network keeps the number of ones, so sorted means no 1 above a 0.
    return not any(np.any(out[k] & ~out[k + 1]) for k in range(n - 1))


# ---- the task --------------------------------------------------------------------------


class SortingNetworkTask(Task):
    """Sorting network on ``n`` wires: correct on every 0/1 input, then fewest comparators,
    then fewest layers."""

    entry_point = "COMPARATORS"
    signature = "COMPARATORS: list[tuple[int, int]]"
    kind: Literal["function", "data"] = "data"
    time_limit = 1.0

    def __init__(self, n: int = 8) -> None:
        if not MIN_N <= n <= MAX_N:
            raise TaskError(f"sorting_network: n must be in {MIN_N}..{MAX_N}, got {n}")
        self.n = n
        self.name = f"sorting_network:n={n}"
        self.cap = SIZE_CAP_FACTOR * n * n
        self.spec = _SPEC.format(n=n, last=n - 1, cap=self.cap, total=1 << n)
        self._packed: OrderedDict[tuple[int, ...], _PackedSuite] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def seed_solution(self) -> str:
        return (
            f"# Comparators (i, j), 0 <= i < j < {self.n}: min to wire i, max to wire j.\n"
            "COMPARATORS = []\n"
        )

    @property
    def reference_solution(self) -> str:
        return network_source(
            batcher_network(self.n), f"Batcher's odd-even merge sort on {self.n} wires."
        )

    def oracle(self, args: Args) -> Any:
        return sorted(self._bits(args))

    def label(self, args: Args, origin: str) -> Case:
        """Label ``args`` like ``Task.label``, minus its deep copy and canonical-form probe.

        Both are redundant here: the oracle accepts only a list or tuple of exact ints 0/1
        (which always has a canonical form) and never mutates it. Skipping them makes the
        ``2**n``-case hidden suite about twice as fast to build.
        """
        args = tuple(args)
        return Case(args, self.oracle(args), origin)

    def _bits(self, args: Args) -> list[int]:
        """The bit vector of ``args``; InvalidInput unless it is n exact ints 0 or 1."""
        if type(args) not in (tuple, list) or len(args) != 1:
            raise InvalidInput("expected one argument: a vector of bits")
        bits = args[0]
        if type(bits) not in (tuple, list) or len(bits) != self.n:
            raise InvalidInput(f"input must be a list or tuple of {self.n} bits")
        if not set(map(type, bits)) <= _INT or not set(bits) <= _BITS:
            raise InvalidInput("every bit must be the int 0 or 1")
        return list(bits)

    def input_strategy(self) -> SearchStrategy[Args]:
        bits = st.tuples(*[st.integers(0, 1)] * self.n)
        return st.tuples(bits)

    def fixed_inputs(self) -> list[Args]:
        n, h = self.n, self.n // 2
        rules: list[Callable[[int], bool]] = [
            lambda k: False,  # all zeros
            lambda k: True,  # all ones
            lambda k: k == n - 1,  # a single 1 at the end
            lambda k: k == 0,  # a single 1 at the start
            lambda k: k != 0,  # a single 0 at the start
            lambda k: k != n - 1,  # a single 0 at the end
            lambda k: k % 2 == 1,  # 0101...
            lambda k: k % 2 == 0,  # 1010...
            lambda k: k >= h,  # sorted halves
            lambda k: k < h,  # reversed halves
            lambda k: k // 2 % 2 == 1,  # 0011...
            lambda k: k // 2 % 2 == 0,  # 1100...
            lambda k: k == h,  # a single 1 in the middle
            lambda k: k != h,  # a single 0 in the middle
            lambda k: k >= n - 2,  # two 1s at the end
            lambda k: k < 2,  # two 1s at the start
        ]
        vectors = dict.fromkeys(tuple(int(rule(k)) for k in range(n)) for rule in rules)
        return [(v,) for v in vectors]  # deduplicated (small n repeats), in order

    def hidden_inputs(self) -> list[Args]:
        return [(bits,) for bits in itertools.product((0, 1), repeat=self.n)]

    def mutation_operators(self) -> list[MutationOperator]:
        return []

    def judge_data(self, value: Any, cases: Sequence[Case]) -> np.ndarray:
        """PASS/FAIL per case for the network ``value``; ERROR everywhere if it is malformed.

        Never raises on a bad ``value`` (it is untrusted); raises TaskError on cases that are
        not labelled inputs of this task.
        """
        network = parse_network(value, self.n, cap=self.cap)
        if network is None:
            return np.full(len(cases), Outcome.ERROR, dtype=np.int8)
        if not cases:
            return np.zeros(0, dtype=np.int8)
        packed = self._packed_suite(cases)
        out = _run(network, packed.inputs)
        wrong = np.bitwise_or.reduce(out ^ packed.expected, axis=0)
        failed = np.unpackbits(wrong.view(np.uint8), bitorder="little")[: len(cases)]
        return np.where(failed.astype(bool), Outcome.FAIL, Outcome.PASS).astype(np.int8)

    def data_metrics(self, value: Any) -> dict[str, Any]:
        """Size and depth of a well-formed network; {} for a malformed one."""
        network = parse_network(value, self.n, cap=self.cap)
        if network is None:
            return {}
        return {"comparators": network_size(network), "depth": network_depth(network)}

    def _packed_suite(self, cases: Sequence[Case]) -> _PackedSuite:
        """Packed inputs and expected outputs of ``cases``, cached by the identity of the
        cases (the cache holds them, so their ids stay theirs; cases are immutable)."""
        key = tuple(map(id, cases))
        with self._lock:
            hit = self._packed.get(key)
            if hit is not None:
                self._packed.move_to_end(key)
                return hit
        packed = _PackedSuite(
            tuple(cases),
            _pack(self._matrix([c.args[0] if len(c.args) == 1 else None for c in cases])),
            _pack(self._matrix([c.expected for c in cases])),
        )
        with self._lock:
            self._packed[key] = packed
            while len(self._packed) > _CACHE_SLOTS:
                self._packed.popitem(last=False)
        return packed

    def _matrix(self, vectors: list[Any]) -> np.ndarray:
        """A (cases, n) uint8 array of bit vectors; TaskError if one is not n ints 0/1.

        Vectorised version of the oracle's domain check (cases come labelled, so this is a
        guard against misuse, not a verdict).
        """
        n = self.n
        if not all(type(v) in (tuple, list) and len(v) == n for v in vectors):
            raise TaskError(f"{self.name}: a case is not a vector of {n} bits")
        values = _bit_values(list(itertools.chain.from_iterable(vectors)))
        if values is None:
            raise TaskError(f"{self.name}: a case holds a value other than the ints 0 and 1")
        return values.reshape(len(vectors), n)


def _bit_values(flat: list[Any]) -> np.ndarray | None:
    """``flat`` as a uint8 array if every item is the exact int 0 or 1, else None."""
    if not set(map(type, flat)) <= _INT:
        return None
    try:
        values = np.fromiter(flat, dtype=np.int64, count=len(flat))
    except OverflowError:
        return None
    if values.size and (values.min() < 0 or values.max() > 1):
        return None
    return values.astype(np.uint8)


class _PackedSuite:
    """Bit-packed wires of a suite: its cases (kept alive), inputs and expected outputs."""

    __slots__ = ("cases", "expected", "inputs")

    def __init__(self, cases: tuple[Case, ...], inputs: np.ndarray, expected: np.ndarray) -> None:
        self.cases = cases
        self.inputs = inputs
        self.expected = expected


_SPEC = """\
Design a sorting network on {n} wires.

Define a constant COMPARATORS = [(i, j), ...]: a list of comparators applied in order, each a
pair of 0-based wire indices with 0 <= i < j <= {last}. A comparator (i, j) puts the smaller of
the two values on wire i and the larger on wire j. At most {cap} comparators. Anything else
(not a list, not pairs of ints, out of range, i >= j) is malformed and errors on every case.

A test case is a vector of {n} bits (0 or 1); the expected output is the same bits sorted
ascending. By the 0-1 principle a network sorts every input of {n} numbers iff it sorts all
{total} vectors of {n} bits, so every one of those may be tested.

Correctness comes first. Among correct networks, fewer comparators is better, and at equal
size fewer layers (depth: comparators on disjoint wires run in parallel) is better.
"""


@register("sorting_network", "Sorting network on n wires (data task; smaller, then shallower)")
def make(n: int = 8) -> list[Task]:
    """The one sorting-network task on ``n`` wires (2 <= n <= 20)."""
    return [SortingNetworkTask(n)]
