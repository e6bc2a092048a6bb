"""Generic structural edits of argument tuples, the raw material of a test agent's search.

Inputs are plain JSON-like values (str, int, float, bool, None, list, tuple, dict). An edit
changes one node somewhere inside an argument tuple and keeps the number of arguments and the
type of every argument:

- strings: delete, replace, insert, duplicate or swap characters, drawn from a
  ``Vocabulary`` (the characters of the task's fixed inputs, then digits, punctuation and a
  few non-ASCII characters);
- lists: delete, replace, insert, duplicate or swap elements (new elements are copies of
  siblings or values seen at the same place in the fixed inputs); nested nodes are edited
  through the same rules, so an element is edited recursively;
- tuples keep their length (they are records or bit vectors): elements are swapped or edited,
  and an int inside a tuple of 0/1 ints is flipped;
- ints and floats: boundary values (0, +-1, neighbours, negation, halving, doubling, large and
  tiny magnitudes); bools are negated.

Every random decision goes through one ``choose(n) -> int in range(n)`` callback in which
index 0 is the simplest option. Driven by ``random.Random`` it gives ``apply_random_edits``;
driven by hypothesis draws it gives strategies that hypothesis shrinks towards fewer and
simpler edits (``edits_of``, ``boundary_strategy``).

Shrinking an input itself goes through ``reductions_of``, the *reduction layer*: one code per
unit of the input (string chunk, list element, number), drawn as a single bytes choice, whose
smallest values mean "drop it" or "simplify it" (0, +-1, halve). Random codes leave the input
almost unchanged; hypothesis shrinks the codes towards zero, which deletes characters and
elements and shrinks numbers the way it shrinks its own ``text()`` and ``lists()``.
"""

from __future__ import annotations

import copy
import math
import random
import string
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from tasks.base import Args, Task
from tasks.canonical import canonical

Choose = Callable[[int], int]
"""``choose(n)`` returns an int in ``range(n)`` (``n >= 1``); 0 is the simplest option."""

Path = tuple[Any, ...]
"""Where a node sits inside an argument tuple: indices (and dict keys) from the top."""

NON_ASCII = ("é", "ü", "ß", "\u00a0", "\u0661", "日", "😀")
"""A few non-ASCII characters, some of which ``str.isalpha``/``isdigit``/``isspace`` accept."""
EXTRA_CHARS = tuple(
    dict.fromkeys("a" + string.digits + string.punctuation + " " + "".join(NON_ASCII))
)
"""Characters every alphabet has, after the learned ones."""

LENGTHS: tuple[int, ...] = tuple(
    sorted(
        {0, 1, 2, 3}
        | {p + d for p in (8, 16, 32, 64, 128, 256, 512, 1024, 2048) for d in (-2, -1, 0, 1)}
        | {t + d for t in (10, 100, 200, 500, 1000, 2000) for d in (-1, 0, 1)}
    )
)
"""Target lengths of boundary inputs: small ones, and around powers of two and round numbers,
where length limits usually sit (63/64/65, 253..256, 199..201, 1999..2001)."""

INT_BOUNDARIES = (
    *(0, 1, -1, 2, -2, 10, 100, 255, 256, 1000, 65535, 65536),
    *(2**31 - 1, -(2**31), 10**9, 2**53 + 1, 10**18, -(10**18), 10**18 + 1, 2**63),
)
FLOAT_BOUNDARIES = (
    *(0.0, 1.0, -1.0, 0.5, -0.5, 0.1, 1e-9, -1e-9, 1e-6, 1e6, -1e6, 1e9, 1e18),
    *(2.0**53, 5e-324, -0.0),
)
GENERIC_ELEMENTS: tuple[Any, ...] = (0, 1, "a", 0.5, "")
"""Elements inserted into a list that has no siblings and no known elements at its place."""

MAX_CHUNKS = 64
"""The reduction layer splits a string into at most this many chunks (one code each)."""
MAX_ELEMENTS = 8
"""Known elements kept per place in a ``Vocabulary``."""

_DROP = object()


# ---- vocabulary -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    """What edits draw new characters and elements from.

    ``learned``: characters of the example inputs, most frequent first. ``alphabet``: those,
    then digits, punctuation, space and ``NON_ASCII``. ``elements``: for each place (a path
    with every sequence index replaced by ``"*"``), up to ``MAX_ELEMENTS`` distinct values seen
    there, smallest first.
    """

    learned: tuple[str, ...] = ()
    alphabet: tuple[str, ...] = EXTRA_CHARS
    elements: dict[Path, tuple[Any, ...]] = field(default_factory=dict)

    @classmethod
    def from_inputs(cls, inputs: Sequence[Args]) -> Vocabulary:
        """The vocabulary of some example inputs (usually a task's fixed inputs)."""
        chars: Counter[str] = Counter()
        seen: dict[Path, dict[str, Any]] = {}
        for args in inputs:
            for place, node in _walk_places(tuple(args)):
                if type(node) is str:
                    chars.update(node)
                if place and place[-1] == "*":
                    try:
                        key = canonical(node)
                    except (ValueError, RecursionError):
                        continue
                    seen.setdefault(place, {}).setdefault(key, node)
        learned = tuple(c for c, _ in sorted(chars.items(), key=lambda kv: (-kv[1], kv[0])))
        elements = {
            place: tuple(v for _, v in sorted(vals.items(), key=lambda kv: (len(kv[0]), kv[0])))[
                :MAX_ELEMENTS
            ]
            for place, vals in seen.items()
        }
        return cls(learned, tuple(dict.fromkeys((*learned, *EXTRA_CHARS))), elements)


@lru_cache(maxsize=64)
def task_vocabulary(task: Task) -> Vocabulary:
    """The vocabulary of ``task``'s fixed inputs (cached per task object)."""
    return Vocabulary.from_inputs(task_bases(task))


@lru_cache(maxsize=64)
def task_bases(task: Task) -> tuple[Args, ...]:
    """``task``'s fixed inputs as argument tuples (cached per task object)."""
    return tuple(tuple(a) for a in task.fixed_inputs())


DEFAULT_VOCABULARY = Vocabulary()


# ---- tree helpers ---------------------------------------------------------------------------


def _children(node: Any) -> Iterator[tuple[Any, Any]]:
    """(key, child) pairs of a container, in a fixed order; nothing for scalars."""
    t = type(node)
    if t is list or t is tuple:
        yield from enumerate(node)
    elif t is dict:
        yield from node.items()


def _walk_places(args: Args) -> Iterator[tuple[Path, Any]]:
    """Every node below the argument tuple with its place (sequence indices as ``"*"``)."""
    stack: list[tuple[Path, Any]] = [((i,), a) for i, a in reversed(list(enumerate(args)))]
    while stack:
        place, node = stack.pop()
        yield place, node
        seq = type(node) in (list, tuple)
        kids = [((*place, "*" if seq else k), v) for k, v in _children(node)]
        stack.extend(reversed(kids))


def _place(path: Path, args: Args) -> Path:
    """The place of ``path``: sequence indices below the top replaced by ``"*"``."""
    out: list[Any] = [path[0]]
    node = args[path[0]]
    for k in path[1:]:
        out.append("*" if type(node) in (list, tuple) else k)
        node = node[k]
    return tuple(out)


def _replace(node: Any, path: Path, new: Any) -> Any:
    """A copy of ``node`` with the node at ``path`` replaced by ``new`` (shares the rest)."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    t = type(node)
    if t is dict:
        out_d = dict(node)
        out_d[head] = _replace(node[head], rest, new)
        return out_d
    items = list(node)
    items[head] = _replace(items[head], rest, new)
    return tuple(items) if t is tuple else items


def _is_bits(node: Any) -> bool:
    """Whether ``node`` is a tuple of the exact ints 0 and 1 (a bit vector)."""
    return type(node) is tuple and bool(node) and all(type(x) is int and x in (0, 1) for x in node)


# ---- scalar candidates ----------------------------------------------------------------------


def _toward_zero_half(x: int) -> int:
    return x // 2 if x >= 0 else -((-x) // 2)


def int_candidates(x: int) -> list[int]:
    """Boundary values for an int, simplest first, without ``x`` itself."""
    near = [0, 1, -1, x + 1, x - 1, -x, 2 * x, _toward_zero_half(x)]
    return [v for v in dict.fromkeys((*near, *INT_BOUNDARIES)) if v != x]


def float_candidates(x: float) -> list[float]:
    """Finite boundary values for a float, simplest first, without ``x`` itself."""
    near = [0.0, 1.0, -1.0, x + 1, x - 1, -x, x / 2, x * 2]
    near += [math.nextafter(x, math.inf), math.nextafter(x, -math.inf), x + 1e-9, x - 1e-9]
    near += [float(round(x))] if math.isfinite(x) else []
    out: dict[str, float] = {}
    for v in (*near, *FLOAT_BOUNDARIES):
        if math.isfinite(v) and repr(v) != repr(x):
            out.setdefault(repr(v), v)
    return list(out.values())


def _simplifications(x: Any, bit: bool) -> list[Any]:
    """What the reduction layer may turn a scalar into, simplest first."""
    t = type(x)
    if t is bool:
        return [False] if x else []
    if t is int:
        if bit or x in (0, 1, -1):
            return [0] if x else []
        return list(dict.fromkeys(v for v in (0, 1 if x > 0 else -1, _toward_zero_half(x))))
    if t is float:
        if not math.isfinite(x):
            return [0.0]
        opts = [0.0, math.copysign(1.0, x), float(round(x)), x / 2]
        return [v for v in dict.fromkeys(opts) if repr(v) != repr(x)]
    return []


# ---- the reduction layer --------------------------------------------------------------------


def reduction_units(args: Args) -> int:
    """How many codes ``reduce_input`` reads for ``args``."""
    return sum(_count_units(a, droppable=False, bit=False) for a in args)


def _count_units(node: Any, *, droppable: bool, bit: bool) -> int:
    t = type(node)
    if t is str:
        return int(droppable) + len(_chunks(node))
    if t in (list, tuple, dict):
        bits = _is_bits(node)
        return int(droppable) + sum(
            _count_units(v, droppable=t is list, bit=bits) for _, v in _children(node)
        )
    options = int(droppable) + len(_simplifications(node, bit))
    return 1 if options else 0


def reduce_input(args: Args, codes: Sequence[int]) -> Args:
    """``args`` with parts dropped or simplified by ``codes`` (the reduction layer).

    Units take codes in pre-order (``reduction_units(args)`` of them; missing codes keep).
    A list element is dropped on code 0; a string chunk (at most ``MAX_CHUNKS`` per string)
    too; a scalar becomes its simplification number ``code`` (after the drop option inside a
    list: 0, then +-1, then half for an int); any larger code keeps the unit. Tuples keep their
    length, dicts their keys, and the argument count is kept. Shares unchanged parts.
    """
    it = iter(codes)
    return tuple(_reduce(a, it, droppable=False, bit=False) for a in args)


def _chunks(s: str) -> list[str]:
    size = max(1, -(-len(s) // MAX_CHUNKS))
    return [s[i : i + size] for i in range(0, len(s), size)]


def _reduce(node: Any, codes: Iterator[int], *, droppable: bool, bit: bool) -> Any:
    t = type(node)
    if t in (str, list, tuple, dict):
        dropped = droppable and next(codes, 1) == 0
        if t is str:
            kept = [c for c in _chunks(node) if next(codes, 1) != 0]
            out: Any = "".join(kept)
        elif t is dict:
            out = {k: _reduce(v, codes, droppable=False, bit=False) for k, v in node.items()}
        elif t is tuple:
            bits = _is_bits(node)
            out = tuple(_reduce(v, codes, droppable=False, bit=bits) for v in node)
        else:
            items = [_reduce(v, codes, droppable=True, bit=False) for v in node]
            out = [v for v in items if v is not _DROP]
        return _DROP if dropped else out
    options = ([_DROP] if droppable else []) + _simplifications(node, bit)
    if not options:
        return node
    code = next(codes, len(options))
    return options[code] if code < len(options) else node


# ---- single edits ---------------------------------------------------------------------------


def _pick_char(choose: Choose, vocab: Vocabulary) -> str:
    if vocab.learned and choose(2) == 0:
        return vocab.learned[choose(len(vocab.learned))]
    return vocab.alphabet[choose(len(vocab.alphabet))]


def _edit_str(s: str, choose: Choose, vocab: Vocabulary) -> str:
    ops = ("delete", "replace", "insert", "duplicate", "swap")[: 5 if len(s) > 1 else 4]
    op = ops[choose(len(ops))] if s else "insert"
    if op == "insert":
        i = choose(len(s) + 1)
        return s[:i] + _pick_char(choose, vocab) + s[i:]
    if op == "swap":
        i = choose(len(s) - 1)
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    i = choose(len(s))
    if op == "delete":
        return s[:i] + s[i + 1 :]
    if op == "replace":
        return s[:i] + _pick_char(choose, vocab) + s[i + 1 :]
    return s[: i + 1] + s[i:]  # duplicate


def _new_element(xs: Sequence[Any], place: Path, choose: Choose, vocab: Vocabulary) -> Any:
    pool = [*xs, *vocab.elements.get(place, ())] or list(GENERIC_ELEMENTS)
    return copy.deepcopy(pool[choose(len(pool))])


def _edit_list(xs: list[Any], place: Path, choose: Choose, vocab: Vocabulary) -> list[Any]:
    ops = ("delete", "replace", "insert", "duplicate", "swap")[: 5 if len(xs) > 1 else 4]
    op = ops[choose(len(ops))] if xs else "insert"
    out = list(xs)
    if op == "insert":
        new = _new_element(xs, (*place, "*"), choose, vocab)
        out.insert(choose(len(xs) + 1), new)
    elif op == "swap":
        i, j = choose(len(xs)), choose(len(xs))
        out[i], out[j] = out[j], out[i]
    else:
        i = choose(len(xs))
        if op == "delete":
            del out[i]
        elif op == "replace":
            out[i] = _new_element(xs, (*place, "*"), choose, vocab)
        else:
            out.insert(i + 1, copy.deepcopy(xs[i]))
    return out


def _edit_scalar(x: Any, bit: bool, choose: Choose) -> Any:
    t = type(x)
    if t is bool:
        return not x
    if t is int:
        if bit:
            return 1 - x
        ints = int_candidates(x)
        return ints[choose(len(ints))]
    floats = float_candidates(x)
    return floats[choose(len(floats))]


def _editable(args: Args) -> list[tuple[Path, Any, bool]]:
    """Nodes an edit can change: (path, node, inside a bit vector), in pre-order."""
    out: list[tuple[Path, Any, bool]] = []

    def visit(path: Path, node: Any, bit: bool) -> None:
        t = type(node)
        if t in (str, list, bool, int, float) or (t is tuple and len(node) > 1):
            out.append((path, node, bit))
        bits = _is_bits(node)
        for k, v in _children(node):
            visit((*path, k), v, bits)

    for i, a in enumerate(args):
        visit((i,), a, False)
    return out


def edit_once(args: Args, choose: Choose, vocab: Vocabulary = DEFAULT_VOCABULARY) -> Args:
    """One edit somewhere in ``args`` (unchanged if nothing in it is editable)."""
    slots = _editable(args)
    if not slots:
        return args
    path, node, bit = slots[choose(len(slots))]
    t = type(node)
    if t is str:
        new: Any = _edit_str(node, choose, vocab)
    elif t is list:
        new = _edit_list(node, _place(path, args), choose, vocab)
    elif t is tuple:
        i, j = choose(len(node)), choose(len(node))
        items = list(node)
        items[i], items[j] = items[j], items[i]
        new = tuple(items)
    else:
        new = _edit_scalar(node, bit, choose)
    result: Args = _replace(args, path, new)
    return result


def apply_edits(
    args: Args, choose: Choose, max_edits: int, vocab: Vocabulary = DEFAULT_VOCABULARY
) -> Args:
    """1 to ``max_edits`` edits of ``args`` (the count is the first choice); shares
    unchanged parts with ``args``."""
    out = tuple(args)
    for _ in range(1 + choose(max_edits)):
        out = edit_once(out, choose, vocab)
    return out


def apply_random_edits(
    args: Args,
    rng: random.Random,
    max_edits: int,
    *,
    vocab: Vocabulary = DEFAULT_VOCABULARY,
) -> Args:
    """1 to ``max_edits`` random edits of ``args`` (``rng``: a ``random.Random``).

    Deterministic for a given rng state; never mutates ``args``; keeps the argument count and
    the type of every argument.
    """
    _check_max_edits(max_edits)
    return copy.deepcopy(apply_edits(tuple(args), rng.randrange, max_edits, vocab))


# ---- hypothesis strategies ------------------------------------------------------------------

_INTEGERS: dict[int, SearchStrategy[int]] = {}


def hypothesis_chooser(draw: st.DrawFn) -> Choose:
    """A ``Choose`` that draws each choice from hypothesis (so it shrinks towards 0)."""

    def choose(n: int) -> int:
        if n <= 1:
            return 0
        strategy = _INTEGERS.get(n)
        if strategy is None:
            strategy = _INTEGERS.setdefault(n, st.integers(0, n - 1))
        value: int = draw(strategy)
        return value

    return choose


def _check_max_edits(max_edits: int) -> None:
    if type(max_edits) is not int or not 1 <= max_edits <= 64:
        raise ValueError(f"max_edits must be an int in 1..64, got {max_edits!r}")


def edits_of(
    args: Args, max_edits: int, *, vocab: Vocabulary = DEFAULT_VOCABULARY
) -> SearchStrategy[Args]:
    """Argument tuples that are ``args`` after 1 to ``max_edits`` edits; shrinks towards
    fewer and simpler edits."""
    _check_max_edits(max_edits)
    return _edited(tuple(args), max_edits, vocab)


@st.composite
def _edited(draw: st.DrawFn, base: Args, max_edits: int, vocab: Vocabulary) -> Args:
    return copy.deepcopy(apply_edits(base, hypothesis_chooser(draw), max_edits, vocab))


def reductions_of(args: Args) -> SearchStrategy[Args]:
    """``args`` through the reduction layer, with codes drawn as one fixed-size bytes choice.

    Random bytes (uniform) change a unit with probability at most 5/256, so generated
    examples are ``args`` nearly unchanged; hypothesis shrinks the bytes towards zero, which
    drops and simplifies units, first all at once, then values shared by several units, then
    one unit at a time, like it shrinks its own ``text()`` and ``lists()``.
    """
    base = tuple(args)
    return _reduced(base, reduction_units(base))


@st.composite
def _reduced(draw: st.DrawFn, base: Args, units: int) -> Args:
    if units == 0:
        return copy.deepcopy(base)
    codes = draw(st.binary(min_size=units, max_size=units))
    return copy.deepcopy(reduce_input(base, codes))


def boundary_variants(node: Any, choose: Choose, vocab: Vocabulary) -> Any:
    """One boundary-ish variant of a node: empty, a single item, a length from ``LENGTHS``
    (a word run or the whole value padded or cut to it), or a boundary number."""
    t = type(node)
    if t is str:
        mode = choose(5)
        if mode == 0:
            return ""
        if mode == 1:
            return node[:1] or _pick_char(choose, vocab)
        target = LENGTHS[choose(len(LENGTHS))]
        if mode == 2 and node:  # grow or cut the run of similar characters around i
            i = choose(len(node))
            lo, hi = _run(node, i)
            run = node[lo:hi]
            new_run = (run * (-(-max(target, 1) // len(run))))[: max(target, 1)]
            return node[:lo] + new_run + node[hi:]
        if mode == 3 and node:  # pad or cut the whole string at position i
            i = choose(len(node))
            if target <= len(node):
                return node[:target]
            return node[:i] + node[i] * (target - len(node)) + node[i:]
        return _pick_char(choose, vocab) * target
    if t is list:
        mode = choose(3)
        if mode == 0 or not node:
            return []
        if mode == 1:
            return [copy.deepcopy(node[choose(len(node))])]
        target = LENGTHS[choose(len(LENGTHS))]
        return [copy.deepcopy(node[k % len(node)]) for k in range(target)]
    if t is tuple and node:
        mode = choose(3)
        if mode == 0:
            return tuple(copy.deepcopy(node[0]) for _ in node)
        if mode == 1:
            return tuple(reversed(node))
        return tuple(copy.deepcopy(node[-1]) for _ in node)
    if t is bool:
        return not node
    if t is int:
        return _edit_scalar(node, False, choose)
    if t is float:
        return _edit_scalar(node, False, choose)
    return node


def _run(s: str, i: int) -> tuple[int, int]:
    """Bounds of the run around ``s[i]``: alphanumerics together, else equal characters."""

    def same(c: str) -> bool:
        return c.isalnum() if s[i].isalnum() else c == s[i]

    lo, hi = i, i + 1
    while lo > 0 and same(s[lo - 1]):
        lo -= 1
    while hi < len(s) and same(s[hi]):
        hi += 1
    return lo, hi


def boundary_input(pool: Sequence[Args], choose: Choose, vocab: Vocabulary) -> Args:
    """A boundary variant (``boundary_variants``) of one node of one input of ``pool``."""
    base = tuple(pool[choose(len(pool))])
    slots = _all_nodes(base)
    if not slots:
        return copy.deepcopy(base)
    path, node = slots[choose(len(slots))]
    result: Args = _replace(base, path, boundary_variants(node, choose, vocab))
    return copy.deepcopy(result)


@st.composite
def _boundary(draw: st.DrawFn, pool: tuple[Args, ...], vocab: Vocabulary) -> Args:
    return boundary_input(pool, hypothesis_chooser(draw), vocab)


def boundary_strategy(
    task: Task,
    bases: Sequence[Args] | None = None,
    *,
    vocab: Vocabulary | None = None,
) -> SearchStrategy[Args]:
    """Boundary-ish inputs derived from ``bases`` (default: the task's fixed inputs).

    Picks a base, a node in it and a boundary variant of that node (``boundary_variants``);
    with no bases at all it gives the task's own ``input_strategy()``.
    """
    pool = tuple(tuple(b) for b in bases) if bases is not None else task_bases(task)
    if not pool:
        return task.input_strategy().map(tuple)
    return _boundary(pool, vocab if vocab is not None else task_vocabulary(task))


def _all_nodes(args: Args) -> list[tuple[Path, Any]]:
    """Every node below the argument tuple with its path, in pre-order."""
    out: list[tuple[Path, Any]] = []

    def visit(path: Path, node: Any) -> None:
        out.append((path, node))
        for k, v in _children(node):
            visit((*path, k), v)

    for i, a in enumerate(args):
        visit((i,), a)
    return out
