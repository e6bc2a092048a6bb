"""Generic offline mutation operators and crossover for solution sources.

Every operator follows ``tasks.base.MutationOperator``: ``op(source, rng) -> str | None``. It
is deterministic given ``rng``, never raises on any text (untrusted agent output included),
returns None when the source does not parse or the operator does not apply, and otherwise
returns source that compiles and differs from its input. Results are ``ast.unparse`` text,
so comments and formatting are not kept.

Operators (``generic_operators``):

``ast_point``
    one single-point mutant from ``tasks.ast_mutation`` (operator or comparison swap,
    constant perturbation, negated condition, ...).
``delete_statement``, ``duplicate_statement``, ``swap_statements``
    remove a statement, repeat it in place, or swap it with the next one.
``insert_statement``
    GenProg-style: copy a statement from anywhere in the program to another position in a
    function body.

``make_guard_operator(entry_point, failures)`` makes ``guard``: ``if <args> == <input>:
return <expected>`` for one failing case, at the top of the entry function. ``crossover``
combines two solutions; ``operator_table`` merges all of these with a task's own operators.
"""

from __future__ import annotations

import ast
import copy
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tasks.ast_mutation import mutate_once
from tasks.base import Case, MutationOperator, SafeOperator, Task

MAX_SOURCE = 100_000
"""Sources longer than this many characters are left alone (every operator returns None)."""

MAX_ATTEMPTS = 24
"""Random edits an operator tries before it gives up (each must compile)."""

MAX_GUARD_REPR = 2_000
"""Longest literal (input or expected value) a guard writes into the source."""

_PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError)
_NO_COPY = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)
"""Statements the statement operators never delete, duplicate or copy."""

Body = list[ast.stmt]


# ---- helpers ---------------------------------------------------------------------------------


def parse(source: str) -> ast.Module | None:
    """The tree of ``source``, or None if it is not parseable (or too long)."""
    if not isinstance(source, str) or len(source) > MAX_SOURCE:
        return None
    try:
        return ast.parse(source)
    except _PARSE_ERRORS:
        return None


def render(tree: ast.AST) -> str | None:
    """``ast.unparse`` text of ``tree`` (with a final newline) if it compiles, else None."""
    try:
        ast.fix_missing_locations(tree)
        text = ast.unparse(tree) + "\n"
        compile(text, "<mutant>", "exec", dont_inherit=True)
    except (*_PARSE_ERRORS, TypeError, AttributeError):
        return None
    return text


def normal_form(source: str) -> str | None:
    """``source`` as ``ast.unparse`` text, to compare programs regardless of layout."""
    tree = parse(source)
    if tree is None:
        return None
    try:
        return ast.unparse(tree) + "\n"
    except _PARSE_ERRORS:
        return None


def _changed(source: str, result: str | None) -> str | None:
    """``result`` unless it is None or the same program as ``source``."""
    if result is None or result == source or result == normal_form(source):
        return None
    return result


def is_docstring(body: Body, index: int) -> bool:
    """Whether ``body[index]`` is a docstring (a leading string expression)."""
    stmt = body[index]
    return (
        index == 0
        and isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _bodies(tree: ast.AST) -> Iterator[tuple[Body, bool]]:
    """Every statement list in ``tree`` (pre-order) and whether it lies inside a function."""
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, in_function = stack.pop()
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        children: list[tuple[ast.AST, bool]] = []
        for _, value in ast.iter_fields(node):
            if isinstance(value, list):
                if value and all(isinstance(v, ast.stmt) for v in value):
                    yield value, inner
                children.extend((v, inner) for v in value if isinstance(v, ast.AST))
            elif isinstance(value, ast.AST):
                children.append((value, inner))
        stack.extend(reversed(children))


def _sites(tree: ast.AST, *, skip: Callable[[ast.stmt], bool]) -> list[tuple[Body, int]]:
    """Statements of every body as (body, index), docstrings and ``skip`` ones left out."""
    return [
        (body, i)
        for body, _ in _bodies(tree)
        for i, stmt in enumerate(body)
        if not is_docstring(body, i) and not skip(stmt)
    ]


def _entry_def(tree: ast.Module, entry_point: str) -> ast.FunctionDef | None:
    """The last module-level ``def entry_point``, or None."""
    found = None
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef) and stmt.name == entry_point:
            found = stmt
    return found


def _first_body_index(body: Body) -> int:
    return 1 if body and is_docstring(body, 0) else 0


def _try_edits(
    source: str,
    rng: random.Random,
    count: int,
    edit: Callable[[ast.Module, int], bool],
) -> str | None:
    """Apply ``edit(tree, k)`` for random candidates ``k`` until one yields a new program.

    ``edit`` changes a fresh tree in place and returns False if candidate ``k`` does not
    apply. At most ``MAX_ATTEMPTS`` candidates are tried (in a random order).
    """
    if count <= 0:
        return None
    for k in rng.sample(range(count), min(count, MAX_ATTEMPTS)):
        tree = parse(source)
        if tree is None or not edit(tree, k):
            continue
        result = _changed(source, render(tree))
        if result is not None:
            return result
    return None


# ---- statement operators ---------------------------------------------------------------------


def _never_touch(stmt: ast.stmt) -> bool:
    return isinstance(stmt, (*_NO_COPY, ast.Pass))


@dataclass
class AstPoint(SafeOperator):
    """One single-point AST mutant (``tasks.ast_mutation.mutate_once``)."""

    name: str = "ast_point"

    def apply(self, source: str, rng: random.Random) -> str | None:
        if parse(source) is None:
            return None
        return _changed(source, mutate_once(source, rng))


@dataclass
class DeleteStatement(SafeOperator):
    """Delete one statement (never a def, class, import or docstring); ``pass`` if emptied."""

    name: str = "delete_statement"

    def apply(self, source: str, rng: random.Random) -> str | None:
        tree = parse(source)
        if tree is None:
            return None
        count = len(_sites(tree, skip=_never_touch))

        def edit(fresh: ast.Module, k: int) -> bool:
            body, i = _sites(fresh, skip=_never_touch)[k]
            del body[i]
            if not body:
                body.append(ast.Pass())
            return True

        return _try_edits(source, rng, count, edit)


@dataclass
class DuplicateStatement(SafeOperator):
    """Repeat one statement right after itself."""

    name: str = "duplicate_statement"

    def apply(self, source: str, rng: random.Random) -> str | None:
        tree = parse(source)
        if tree is None:
            return None
        count = len(_sites(tree, skip=_never_touch))

        def edit(fresh: ast.Module, k: int) -> bool:
            body, i = _sites(fresh, skip=_never_touch)[k]
            body.insert(i + 1, copy.deepcopy(body[i]))
            return True

        return _try_edits(source, rng, count, edit)


@dataclass
class SwapStatements(SafeOperator):
    """Swap one statement with the next one in the same body."""

    name: str = "swap_statements"

    def apply(self, source: str, rng: random.Random) -> str | None:
        tree = parse(source)
        if tree is None:
            return None

        def pairs(t: ast.Module) -> list[tuple[Body, int]]:
            return [(b, i) for b, i in _sites(t, skip=lambda s: False) if i + 1 < len(b)]

        def edit(fresh: ast.Module, k: int) -> bool:
            body, i = pairs(fresh)[k]
            body[i], body[i + 1] = body[i + 1], body[i]
            return True

        return _try_edits(source, rng, len(pairs(tree)), edit)


@dataclass
class InsertStatement(SafeOperator):
    """GenProg-style insertion: copy a statement to another position in a function body."""

    name: str = "insert_statement"

    def apply(self, source: str, rng: random.Random) -> str | None:
        tree = parse(source)
        if tree is None:
            return None
        n_donors = len(_sites(tree, skip=_never_touch))
        n_slots = len(self._slots(tree))
        if n_donors == 0 or n_slots == 0:
            return None
        count = n_donors * n_slots

        def edit(fresh: ast.Module, k: int) -> bool:
            donors = _sites(fresh, skip=_never_touch)
            body, i = donors[k // n_slots]
            target, pos = self._slots(fresh)[k % n_slots]
            if target is body and pos in (i, i + 1):
                return False  # that is duplicate_statement
            target.insert(pos, copy.deepcopy(body[i]))
            return True

        return _try_edits(source, rng, count, edit)

    @staticmethod
    def _slots(tree: ast.Module) -> list[tuple[Body, int]]:
        """Insertion points (body, position) inside function bodies, after docstrings."""
        return [
            (body, pos)
            for body, in_function in _bodies(tree)
            if in_function
            for pos in range(_first_body_index(body), len(body) + 1)
        ]


def generic_operators(entry_point: str) -> list[MutationOperator]:
    """The task-independent operators, in a fixed order.

    ``entry_point`` is accepted for symmetry with ``make_guard_operator``; the statement
    operators never delete or copy a ``def``, so the entry function always survives.
    """
    del entry_point
    return [
        AstPoint(),
        DeleteStatement(),
        DuplicateStatement(),
        InsertStatement(),
        SwapStatements(),
    ]


# ---- guard -----------------------------------------------------------------------------------


def literal(value: Any) -> ast.expr | None:
    """An expression node for a plain ``value`` whose repr round-trips, or None."""
    try:
        text = repr(value)
        if len(text) > MAX_GUARD_REPR or repr(ast.literal_eval(text)) != text:
            return None
        return ast.parse(text, mode="eval").body
    except (*_PARSE_ERRORS, TypeError):
        return None


def guard_statement(params: Sequence[str], args: Sequence[Any], expected: Any) -> ast.If | None:
    """``if <params> == <args>: return <expected>``, or None if a value is not a literal."""
    if len(params) != len(args) or not params:
        return None
    values = [literal(a) for a in args]
    result = literal(expected)
    if result is None or any(v is None for v in values):
        return None
    names: list[ast.expr] = [ast.Name(id=p, ctx=ast.Load()) for p in params]
    left: ast.expr = names[0] if len(names) == 1 else ast.Tuple(elts=names, ctx=ast.Load())
    lits = [v for v in values if v is not None]
    right: ast.expr = lits[0] if len(lits) == 1 else ast.Tuple(elts=lits, ctx=ast.Load())
    test = ast.Compare(left=left, ops=[ast.Eq()], comparators=[right])
    return ast.If(test=test, body=[ast.Return(value=result)], orelse=[])


@dataclass
class GuardOperator(SafeOperator):
    """Special-case one failing input: ``if <args> == <input>: return <expected>``.

    The guard goes at the top of the entry function (after its docstring). Failures are
    ``ctx.failures`` items (``{"input": [args...], "expected": value, ...}``); a failure
    whose values do not round-trip through ``repr``/``ast.literal_eval`` is skipped, as is
    one already guarded at the top.
    """

    entry_point: str
    failures: tuple[Mapping[str, Any], ...] = ()
    name: str = field(default="guard")

    def apply(self, source: str, rng: random.Random) -> str | None:
        tree = parse(source)
        if tree is None:
            return None
        fn = _entry_def(tree, self.entry_point)
        if fn is None:
            return None
        params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
        start = _first_body_index(fn.body)
        present = {ast.dump(s) for s in fn.body[start:] if isinstance(s, ast.If)}
        guards: list[ast.If] = []
        for failure in self.failures:
            args = failure.get("input") if isinstance(failure, Mapping) else None
            if not isinstance(args, list | tuple):
                continue
            stmt = guard_statement(params, list(args), failure.get("expected"))
            if stmt is not None and ast.dump(stmt) not in present:
                guards.append(stmt)
        if not guards:
            return None
        fn.body.insert(start, guards[rng.randrange(len(guards))])
        return _changed(source, render(tree))


def make_guard_operator(
    entry_point: str, failures: Sequence[Mapping[str, Any]]
) -> MutationOperator:
    """A ``guard`` operator over ``failures`` (``ctx.failures`` items)."""
    return GuardOperator(entry_point, tuple(failures))


# ---- crossover -------------------------------------------------------------------------------


def _key(stmt: ast.stmt) -> str:
    """What a top-level statement defines: a def/class name, assigned names, or its text."""
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return "def " + stmt.name
    targets: list[ast.expr] = []
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, ast.AnnAssign):
        targets = [stmt.target]
    if targets and all(isinstance(t, ast.Name) for t in targets):
        return "= " + ",".join(t.id for t in targets if isinstance(t, ast.Name))
    return ast.dump(stmt)


def _entry_index(body: Body, entry_point: str) -> int | None:
    """Index of the last top-level statement defining ``entry_point``."""
    found = None
    for i, stmt in enumerate(body):
        if _key(stmt) in ("def " + entry_point, "= " + entry_point):
            found = i
    return found


def _merge(a: ast.Module, b: ast.Module, rng: random.Random, entry: int | None) -> Body:
    """Top level of ``a``, each definition shared with ``b`` taken from either at random, and
    ``b``'s other definitions added before ``a``'s entry point (``entry``) or at the end."""
    keys_a = {_key(s) for s in a.body}
    from_b = {_key(s): s for s in b.body}
    out: Body = []
    for i, stmt in enumerate(a.body):
        if i == entry or is_docstring(a.body, i):
            out.append(stmt)
            continue
        other = from_b.get(_key(stmt))
        out.append(copy.deepcopy(other) if other is not None and rng.random() < 0.5 else stmt)
    extra = [
        copy.deepcopy(s)
        for i, s in enumerate(b.body)
        if _key(s) not in keys_a
        and not is_docstring(b.body, i)
        and not (isinstance(s, ast.ImportFrom) and s.module == "__future__")
    ]
    at = len(out) if entry is None else out.index(a.body[entry])
    return out[:at] + extra + out[at:]


def _splice_body(fa: ast.FunctionDef, fb: ast.FunctionDef, rng: random.Random) -> None:
    """Replace a random slice of ``fa``'s body by a random non-empty slice of ``fb``'s."""
    sa, sb = _first_body_index(fa.body), _first_body_index(fb.body)
    if sb >= len(fb.body):
        return
    i = rng.randint(sa, len(fa.body))
    j = rng.randint(i, min(len(fa.body), i + 2))
    k = rng.randrange(sb, len(fb.body))
    m = rng.randint(k + 1, min(len(fb.body), k + 3))
    fa.body[i:j] = copy.deepcopy(fb.body[k:m])
    if not fa.body:
        fa.body.append(ast.Pass())


def _literal_list(stmt: ast.stmt) -> list[ast.expr] | None:
    """The element nodes of ``NAME = [...]`` (or a tuple), else None."""
    value = stmt.value if isinstance(stmt, ast.Assign | ast.AnnAssign) else None
    if isinstance(value, ast.List | ast.Tuple):
        return value.elts
    return None


def crossover(a: str, b: str, rng: random.Random, entry_point: str) -> str | None:
    """A child of solutions ``a`` and ``b``, or None if none compiles and differs from both.

    If both define ``entry_point`` as a function: ``a``'s module with helper definitions
    taken from either parent (and ``b``'s extra ones added), and the entry function's body
    with a slice replaced by a slice of ``b``'s entry body. If both define it as a list or
    tuple literal: one-point crossover of the elements (``a[:i] + b[j:]``). Otherwise a
    uniform crossover of the top-level statements. Deterministic given ``rng``.
    """
    ta, tb = parse(a), parse(b)
    if ta is None or tb is None:
        return None
    try:
        parents = {normal_form(a), normal_form(b)}
        for _ in range(MAX_ATTEMPTS // 3):
            child = _cross_once(ta, tb, rng, entry_point)
            if child is not None and child not in parents:
                return child
    except (RecursionError, MemoryError):
        return None
    return None


def _cross_once(ta: ast.Module, tb: ast.Module, rng: random.Random, entry: str) -> str | None:
    a, b = copy.deepcopy(ta), copy.deepcopy(tb)
    ia, ib = _entry_index(a.body, entry), _entry_index(b.body, entry)
    body = _merge(a, b, rng, ia)
    if ia is not None and ib is not None:
        ea, eb = a.body[ia], b.body[ib]
        if isinstance(ea, ast.FunctionDef) and isinstance(eb, ast.FunctionDef):
            _splice_body(ea, eb, rng)
        else:
            la, lb = _literal_list(ea), _literal_list(eb)
            if la is not None and lb is not None:
                cut_a, cut_b = rng.randint(0, len(la)), rng.randint(0, len(lb))
                la[cut_a:] = copy.deepcopy(lb[cut_b:])
            elif rng.random() < 0.5:
                body[body.index(ea)] = copy.deepcopy(eb)
    return render(ast.Module(body=body, type_ignores=[]))


# ---- the table -------------------------------------------------------------------------------


def operator_table(
    task: Task, failures: Sequence[Mapping[str, Any]] = (), suite: Sequence[Case] = ()
) -> dict[str, MutationOperator]:
    """Name -> operator: the generic ones, ``task.mutation_operators(suite)`` and ``guard``
    (made for ``failures``). ``suite`` is the current suite the agents are scored on.

    Raises ValueError if two operators share a name.
    """
    ops = [
        *generic_operators(task.entry_point),
        *task.mutation_operators(suite),
        make_guard_operator(task.entry_point, failures),
    ]
    table: dict[str, MutationOperator] = {}
    for op in ops:
        if op.name in table:
            raise ValueError(f"duplicate mutation operator name: {op.name!r}")
        table[op.name] = op
    return table
