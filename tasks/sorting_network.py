"""Task pack ``sorting_network``: find a small, shallow sorting network on ``n`` wires.

A solution is data, not code: a constant ``COMPARATORS`` listing comparators ``(i, j)``.
The arena judges it in its own process, bit-parallel over all cases at once. By the 0-1
principle a network sorts every input iff it sorts every 0/1 vector, so the hidden suite (all
``2**n`` binary vectors) is a complete test, while the fixed suite is the kind of handful of
hand-picked vectors a naive benchmark would use.

With ``prefix=green`` (Hillis's setup, ``n`` a power of two) every network starts with Green's
fixed first ``log2(n)`` layers and a solution's ``COMPARATORS`` is only the suffix after them.
"""

from __future__ import annotations

import ast
import io
import itertools
import math
import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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
PREFIXES = ("", "green")
"""Values of the ``prefix`` parameter: none, or Green's first ``log2(n)`` layers."""
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


def green_prefix(n: int) -> list[Comparator]:
    """Green's fixed prefix on ``n`` wires (a power of two >= 2), as used by Hillis (1990).

    ``log2(n)`` layers of ``n/2`` comparators: layer ``k`` compares ``(i, i + 2**k)`` for every
    wire ``i`` whose bit ``k`` is 0 (32 comparators, depth 4, for ``n = 16``).
    """
    if n < 2 or n & (n - 1):
        raise ValueError(f"Green's prefix needs n to be a power of two >= 2, got n={n}")
    return [
        (i, i + (1 << k)) for k in range(n.bit_length() - 1) for i in range(n) if not i >> k & 1
    ]


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


def is_sorting_network(comparators: Any, n: int, *, prefix: Sequence[Comparator] = ()) -> bool:
    """Whether ``comparators`` (run after the trusted ``prefix``) sorts every input on ``n``
    wires. Checks all ``2**n`` 0/1 inputs, enough by the 0-1 principle; a malformed network
    is not a sorting network."""
    if not 1 <= n <= MAX_N:
        raise ValueError(f"n must be in 1..{MAX_N}, got {n}")
    network = parse_network(comparators, n)
    if network is None:
        return False
    out = _run([*prefix, *network], _all_binary_packed(n))
    # A comparator network keeps the number of ones, so sorted means no 1 above a 0.
    return not any(np.any(out[k] & ~out[k + 1]) for k in range(n - 1))


# ---- the task --------------------------------------------------------------------------


class SortingNetworkTask(Task):
    """Sorting network on ``n`` wires: correct on every 0/1 input, then fewest comparators,
    then fewest layers. With a ``prefix`` the network is ``self.prefix + COMPARATORS``."""

    entry_point = "COMPARATORS"
    signature = "COMPARATORS: list[tuple[int, int]]"
    kind: Literal["function", "data"] = "data"
    time_limit = 1.0

    def __init__(self, n: int = 8, prefix: str = "") -> None:
        if not MIN_N <= n <= MAX_N:
            raise TaskError(f"sorting_network: n must be in {MIN_N}..{MAX_N}, got {n}")
        if prefix not in PREFIXES:
            known = ", ".join(repr(p) for p in PREFIXES)
            raise TaskError(f"sorting_network: prefix must be one of {known}, got {prefix!r}")
        if prefix == "green" and n & (n - 1):
            raise TaskError(f"sorting_network: prefix=green needs n a power of two, got n={n}")
        self.n = n
        self.prefix_name = prefix
        self.prefix: list[Comparator] = green_prefix(n) if prefix == "green" else []
        """Fixed comparators run before a solution's ``COMPARATORS`` (empty: no prefix)."""
        self.name = f"sorting_network:n={n}" + (f",prefix={prefix}" if prefix else "")
        self.cap = SIZE_CAP_FACTOR * n * n
        self.spec = _SPEC.format(n=n, last=n - 1, cap=self.cap, total=1 << n)
        if self.prefix:
            self.spec += _PREFIX_SPEC.format(
                n=n,
                layers=network_depth(self.prefix),
                last_layer=network_depth(self.prefix) - 1,
                size=len(self.prefix),
                half=n // 2,
                listing=_layer_listing(self.prefix, n // 2),
            )
        self._packed: OrderedDict[tuple[int, ...], _PackedSuite] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def seed_solution(self) -> str:
        after = " (after the fixed PREFIX)" if self.prefix else ""
        return (
            f"# Comparators (i, j), 0 <= i < j < {self.n}: min to wire i, max to wire j{after}.\n"
            "COMPARATORS = []\n"
        )

    @property
    def reference_solution(self) -> str:
        """Batcher's network; after a prefix too (any sorting network is a correct suffix)."""
        comment = f"Batcher's odd-even merge sort on {self.n} wires"
        if self.prefix:
            comment += " (sorts anything, so also whatever the fixed prefix outputs)"
        return network_source(batcher_network(self.n), comment + ".")

    def full_network(self, value: Any) -> list[Comparator] | None:
        """The whole network a solution's ``COMPARATORS`` value stands for (prefix included),
        or None if the value is malformed."""
        network = parse_network(value, self.n, cap=self.cap)
        return None if network is None else [*self.prefix, *network]

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

    def mutation_operators(self, suite: Sequence[Case] = ()) -> list[MutationOperator]:
        """The syntactic ``net_*`` operators on the ``COMPARATORS`` literal (see
        ``NetworkOperator``): insert, delete, swap, move, rewire, prune; and ``net_regrow``
        (``RegrowOperator``), which rebuilds a network's tail from the inputs of ``suite``."""
        ops: list[MutationOperator] = [
            NetworkOperator(name, self.n, self.cap, edit) for name, edit in _NETWORK_EDITS.items()
        ]
        ops.append(RegrowOperator(self, suite))
        return ops

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
        """Size and depth of a well-formed network (prefix included); {} for a malformed one.

        With a prefix also ``evolved`` (the solution's own comparators) and ``prefix`` sizes.
        """
        suffix = parse_network(value, self.n, cap=self.cap)
        if suffix is None:
            return {}
        network = [*self.prefix, *suffix]
        metrics = {"comparators": network_size(network), "depth": network_depth(network)}
        if self.prefix:
            metrics |= {"evolved": network_size(suffix), "prefix": network_size(self.prefix)}
        return metrics

    def data_cost(self, value: Any) -> tuple[float, ...]:
        """(comparators, depth) of the whole network, the spec's order of merit; infinite
        for a malformed value."""
        metrics = self.data_metrics(value)
        if not metrics:
            return (math.inf, math.inf)
        return (float(metrics["comparators"]), float(metrics["depth"]))

    def _packed_suite(self, cases: Sequence[Case]) -> _PackedSuite:
        """Packed inputs (already through the prefix) and expected outputs of ``cases``, cached
        by the identity of the cases (the cache holds them, so their ids stay theirs; cases are
        immutable)."""
        key = tuple(map(id, cases))
        with self._lock:
            hit = self._packed.get(key)
            if hit is not None:
                self._packed.move_to_end(key)
                return hit
        packed = _PackedSuite(
            tuple(cases),
            _run(
                self.prefix,
                _pack(self._matrix([c.args[0] if len(c.args) == 1 else None for c in cases])),
            ),
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
    """Bit-packed wires of a suite: its cases (kept alive), inputs (after the task's prefix)
    and expected outputs."""

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

_PREFIX_SPEC = """
FIXED PREFIX. Here the network is PREFIX + COMPARATORS: every input first goes through a fixed
PREFIX of {size} comparators (Green's first {layers} layers, the setup of Hillis 1990), and your
COMPARATORS only continues from its output. Layer k (k = 0..{last_layer}) of PREFIX compares
(i, i + 2**k) for every wire i whose bit k is 0 ({half} comparators per layer):

PREFIX = [
{listing}]

Do not repeat PREFIX in COMPARATORS. Test cases are still inputs to the whole network, and
size and depth are those of the whole network (PREFIX counts {size} comparators and {layers}
layers for everyone). Any full sorting network on {n} wires is a correct COMPARATORS (for
example Batcher's), but far fewer comparators suffice: only the vectors PREFIX can output
remain to be sorted.
"""


def _layer_listing(prefix: Sequence[Comparator], per_line: int) -> str:
    """``prefix`` as Python list items, ``per_line`` comparators (one layer) per line."""
    rows = [prefix[k : k + per_line] for k in range(0, len(prefix), per_line)]
    return "".join("    " + " ".join(f"({i}, {j})," for i, j in row) + "\n" for row in rows)


@register(
    "sorting_network",
    "Sorting network on n wires (data task; smaller, then shallower; prefix=green: Hillis)",
)
def make(n: int = 8, prefix: str = "") -> list[Task]:
    """The one sorting-network task on ``n`` wires (2 <= n <= 20); ``prefix="green"`` fixes
    Green's first ``log2(n)`` layers (``n`` a power of two) and evolves only the rest."""
    return [SortingNetworkTask(n, prefix)]


# ---- offline mutation operators ----------------------------------------------------------

NetworkEdit = Callable[[list[Comparator], int, random.Random], list[Comparator] | None]
"""Edit of a normalised network on ``n`` wires; None when it does not apply."""

_MAX_OPERATOR_SOURCE = 200_000


def read_comparators(source: str, n: int) -> tuple[list[Comparator], ast.stmt] | None:
    """The ``COMPARATORS`` literal of ``source``, normalised, and its assignment statement.

    The last top-level assignment to ``COMPARATORS`` counts; its value must be a literal
    list or tuple of pairs of ints (else None). Normalised: each pair ordered ``i < j``;
    pairs with ``i == j`` or a wire outside ``0..n-1`` are dropped.
    """
    if not isinstance(source, str) or len(source) > _MAX_OPERATOR_SOURCE:
        return None
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None
    found: ast.Assign | ast.AnnAssign | None = None
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(isinstance(t, ast.Name) and t.id == "COMPARATORS" for t in targets):
                found = stmt
    value = found.value if found is not None else None
    if found is None or value is None:
        return None
    try:
        raw = ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return None
    if type(raw) not in (list, tuple):
        return None
    network: list[Comparator] = []
    for pair in raw:
        if type(pair) not in (list, tuple) or len(pair) != 2:
            return None
        i, j = pair
        if type(i) is not int or type(j) is not int:
            return None
        lo, hi = min(i, j), max(i, j)
        if 0 <= lo < hi < n:
            network.append((lo, hi))
    return network, found


def write_comparators(source: str, stmt: ast.stmt, network: Sequence[Comparator]) -> str | None:
    """``source`` with the assignment ``stmt`` rewritten as ``COMPARATORS = [...]``.

    The other lines (comments included) are kept when the assignment has lines of its own;
    otherwise the whole module is unparsed. None if the result would not compile.
    """
    body = "".join(f"    ({i}, {j}),\n" for i, j in network)
    text = f"COMPARATORS = [\n{body}]\n" if network else "COMPARATORS = []\n"
    lines = io.StringIO(source, newline="").readlines()
    start, end = stmt.lineno - 1, (stmt.end_lineno or stmt.lineno)
    candidate = None
    if stmt.col_offset == 0 and 0 <= start < end <= len(lines):
        tail = lines[end - 1][stmt.end_col_offset or 0 :]
        if not tail.strip() or tail.strip().startswith("#"):
            candidate = "".join([*lines[:start], text, *lines[end:]])
    if candidate is not None and _reads_back(candidate, network):
        return candidate
    try:
        tree = ast.parse(source)
        for i, top in enumerate(tree.body):
            if ast.dump(top) == ast.dump(stmt):
                tree.body[i] = ast.parse(text).body[0]
        fallback = ast.unparse(tree) + "\n"
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return fallback if _reads_back(fallback, network) else None


def _reads_back(text: str, network: Sequence[Comparator]) -> bool:
    try:
        compile(text, "<network>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    n = max((j for _, j in network), default=0) + 1
    found = read_comparators(text, n)
    return found is not None and found[0] == list(network)


def _random_pair(n: int, rng: random.Random) -> Comparator:
    i = rng.randrange(n)
    j = rng.randrange(n - 1)
    j += j >= i
    return (min(i, j), max(i, j))


def _insert(net: list[Comparator], n: int, rng: random.Random) -> list[Comparator] | None:
    """A random comparator at a random position, or (half the time) an adjacent-wire
    comparator ``(k, k+1)`` appended where the last comparator on those wires is another
    one: the finishing pattern of every sorting network."""
    if rng.randrange(2) == 0:
        last: dict[int, Comparator] = {}
        for c in net:
            last[c[0]] = last[c[1]] = c
        ends = [
            (k, k + 1) for k in range(n - 1) if not last.get(k) == last.get(k + 1) == (k, k + 1)
        ]
        if ends:
            return [*net, ends[rng.randrange(len(ends))]]
    pos = rng.randrange(len(net) + 1)
    return [*net[:pos], _random_pair(n, rng), *net[pos:]]


def _delete(net: list[Comparator], n: int, rng: random.Random) -> list[Comparator] | None:
    if not net:
        return None
    pos = rng.randrange(len(net))
    return net[:pos] + net[pos + 1 :]


def _swap(net: list[Comparator], n: int, rng: random.Random) -> list[Comparator] | None:
    if len(set(net)) < 2:
        return None
    a = rng.randrange(len(net))
    others = [b for b in range(len(net)) if net[b] != net[a]]
    b = others[rng.randrange(len(others))]
    out = list(net)
    out[a], out[b] = out[b], out[a]
    return out


def _move(net: list[Comparator], n: int, rng: random.Random) -> list[Comparator] | None:
    if len(set(net)) < 2:
        return None
    for _ in range(8):
        a = rng.randrange(len(net))
        rest = net[:a] + net[a + 1 :]
        b = rng.randrange(len(rest) + 1)
        out = [*rest[:b], net[a], *rest[b:]]
        if out != net:
            return out
    return None


def _rewire(net: list[Comparator], n: int, rng: random.Random) -> list[Comparator] | None:
    """Replace one wire of one comparator by another wire."""
    if not net or n < 3:
        return None
    pos = rng.randrange(len(net))
    i, j = net[pos]
    keep = (i, j)[rng.randrange(2)]
    choices = [w for w in range(n) if w not in (i, j)]
    w = choices[rng.randrange(len(choices))]
    out = list(net)
    out[pos] = (min(keep, w), max(keep, w))
    return out


def redundant_positions(net: Sequence[Comparator]) -> list[int]:
    """Positions of comparators that repeat an earlier identical comparator with nothing
    touching their wires in between (removing one never changes what the network does)."""
    last: dict[int, int] = {}
    out = []
    for p, (i, j) in enumerate(net):
        q = last.get(i)
        if q is not None and q == last.get(j) and net[q] == (i, j):
            out.append(p)
        last[i] = last[j] = p
    return out


def _prune(net: list[Comparator], n: int, rng: random.Random) -> list[Comparator] | None:
    """Remove one provably redundant comparator (see ``redundant_positions``)."""
    spots = redundant_positions(net)
    if not spots:
        return None
    pos = spots[rng.randrange(len(spots))]
    return net[:pos] + net[pos + 1 :]


_NETWORK_EDITS: dict[str, NetworkEdit] = {
    "net_insert": _insert,
    "net_delete": _delete,
    "net_swap": _swap,
    "net_move": _move,
    "net_rewire": _rewire,
    "net_prune": _prune,
}


@dataclass
class NetworkOperator:
    """A syntactic mutation of a solution's ``COMPARATORS`` literal (never evaluates it).

    Reads the literal with ``read_comparators`` (None if there is none), applies ``edit``
    and writes the list back with pairs normalised (``i < j``, wires within ``0..n-1``).
    Returns None when the edit does not apply, changes nothing, or exceeds ``cap``.
    """

    name: str
    n: int
    cap: int
    edit: NetworkEdit

    def __call__(self, source: str, rng: random.Random) -> str | None:
        try:
            found = read_comparators(source, self.n)
            if found is None:
                return None
            network, stmt = found
            new = self.edit(list(network), self.n, rng)
            if new is None or new == network or len(new) > self.cap:
                return None
            return write_comparators(source, stmt, new)
        except (RecursionError, MemoryError):
            return None


# ---- ruin and recreate, guided by the suite ---------------------------------------------


def wire_states(bits: np.ndarray) -> np.ndarray:
    """A (vectors, wires) 0/1 array as one int64 state per vector, wire ``k`` at bit ``k``."""
    wires = np.arange(bits.shape[1], dtype=np.int64)
    states: np.ndarray = (bits.astype(np.int64) << wires).sum(axis=1)
    return states


def apply_to_states(states: np.ndarray, comparators: Sequence[Comparator]) -> np.ndarray:
    """The states after the comparators (min to the lower wire: a 1 on ``i`` and a 0 on
    ``j`` trade places)."""
    out = states.copy()
    for i, j in comparators:
        swap = (out >> i) & ~(out >> j) & 1
        out ^= swap * ((1 << i) | (1 << j))
    return out


def sorted_states(states: np.ndarray, n: int) -> np.ndarray:
    """Which states are sorted: their zeros, read as ones, are the low wires only."""
    zeros = states ^ ((1 << n) - 1)
    done: np.ndarray = (zeros & (zeros + 1)) == 0
    return done


@dataclass
class RegrowOperator:
    """``net_regrow``: ruin and recreate, guided by the suite the agents are scored on.

    Keeps a random-length head of the network and regrows the rest one comparator at a
    time, each time appending a comparator that leaves the fewest distinct vectors among the
    suite's inputs (run through the task's prefix and the network so far), ties broken at
    random, until every one of them comes out sorted. It reads the inputs of the current
    suite only, never the hidden one, so its networks sort what the test agents have found so
    far, and finding the inputs they do not sort is the test agents' job. One operator of
    many: the proposer decides how often to use it. None when the suite is empty, the source
    has no ``COMPARATORS`` literal, or the result would exceed the task's cap.
    """

    task: SortingNetworkTask
    suite: Sequence[Case]
    name: str = "net_regrow"
    _inputs: np.ndarray | None = field(default=None, init=False, repr=False)
    """The suite's distinct input states after the task's prefix, made on first use."""

    def __call__(self, source: str, rng: random.Random) -> str | None:
        try:
            found = read_comparators(source, self.task.n)
            if found is None or not self.suite:
                return None
            network, stmt = found
            head = network[: rng.randrange(len(network) + 1)]
            new = self.regrow(head, rng)
            if new is None or new == network or len(new) > self.task.cap:
                return None
            return write_comparators(source, stmt, new)
        except (RecursionError, MemoryError):
            return None

    def regrow(self, head: list[Comparator], rng: random.Random) -> list[Comparator] | None:
        """``head`` plus greedily chosen comparators that sort every suite input."""
        n, task = self.task.n, self.task
        if self._inputs is None:
            try:
                bits = task._matrix([c.args[0] if len(c.args) == 1 else None for c in self.suite])
            except TaskError:
                return None
            self._inputs = np.unique(apply_to_states(wire_states(bits), task.prefix))
        states = np.unique(apply_to_states(self._inputs, head))
        pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
        lows = np.array([i for i, _ in pairs], dtype=np.int64)[:, None]
        highs = np.array([j for _, j in pairs], dtype=np.int64)[:, None]
        masks = (1 << lows) | (1 << highs)
        new = list(head)
        while not sorted_states(states, n).all():
            if len(new) >= task.cap:
                return None
            swap = (states[None, :] >> lows) & ~(states[None, :] >> highs) & 1
            after = np.sort(states[None, :] ^ (swap * masks), axis=1)
            distinct = 1 + (np.diff(after, axis=1) != 0).sum(axis=1)
            distinct[~swap.any(axis=1)] = np.iinfo(np.int64).max  # comparators that do nothing
            best = np.flatnonzero(distinct == distinct.min())
            pick = int(best[rng.randrange(len(best))])
            new.append(pairs[pick])
            states = np.unique(after[pick])
        return new
