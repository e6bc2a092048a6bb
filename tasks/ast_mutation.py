"""Deterministic single-point AST mutation of Python source (standard library only).

Used for faulty seed variants of a task's reference solution, by the arena's offline mutation
operators, and by mutation analysis (how many mutants a suite kills). A mutant is the
``ast.unparse`` text of the source's tree with exactly one site changed, so comments and
formatting are not kept. Every mutant compiles, and mutants are distinct from the original
and from each other by their unparsed text.

Not mutated: docstrings, type annotations, the literal text of f-strings, and (for statement
deletion) imports, ``def``/``class`` statements and ``pass``; changing these only breaks a
program trivially or not at all.
"""

from __future__ import annotations

import ast
import functools
import random
from collections.abc import Collection
from dataclasses import dataclass

OPERATORS = (
    "arithmetic",
    "augmented",
    "comparison",
    "boolean",
    "remove_not",
    "negate_condition",
    "remove_unary",
    "constant",
    "return_value",
    "statement_deletion",
    "swap_args",
)
"""The operator families, the values of ``Mutant.operator``."""


@dataclass(frozen=True)
class Mutant:
    """One single-point mutant: its full source, operator family, line and what changed."""

    source: str
    operator: str
    lineno: int
    description: str


@dataclass(frozen=True)
class _Edit:
    """Replace ``parent.field`` (or the slice ``[index:index+1]`` of that list) in place."""

    operator: str
    lineno: int
    description: str
    parent: ast.AST
    field: str
    index: int | None
    replacement: object


_SYMBOLS: dict[type[ast.AST], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.MatMult: "@",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.And: "and",
    ast.Or: "or",
    ast.USub: "-",
    ast.UAdd: "+",
    ast.Invert: "~",
}

_ARITH = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod)
_BINOP_SWAPS: dict[type[ast.AST], tuple[type[ast.AST], ...]] = {
    **{op: tuple(o for o in _ARITH if o is not op) for op in _ARITH},
    ast.Pow: (ast.Mult,),
    ast.BitAnd: (ast.BitOr,),
    ast.BitOr: (ast.BitAnd,),
    ast.BitXor: (ast.BitAnd, ast.BitOr),
    ast.LShift: (ast.RShift,),
    ast.RShift: (ast.LShift,),
}
_CMP_SWAPS: dict[type[ast.AST], tuple[type[ast.AST], ...]] = {
    ast.Lt: (ast.LtE, ast.GtE, ast.Gt),
    ast.LtE: (ast.Lt, ast.Gt, ast.GtE),
    ast.Gt: (ast.GtE, ast.LtE, ast.Lt),
    ast.GtE: (ast.Gt, ast.Lt, ast.LtE),
    ast.Eq: (ast.NotEq,),
    ast.NotEq: (ast.Eq,),
    ast.Is: (ast.IsNot,),
    ast.IsNot: (ast.Is,),
    ast.In: (ast.NotIn,),
    ast.NotIn: (ast.In,),
}
_SYMMETRIC_CALLS = frozenset({"max", "min"})
"""Builtins whose positional arguments commute: swapping them makes an equivalent mutant."""
_NO_DELETE = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_SKIPPED_FIELDS = {
    (ast.arg, "annotation"),
    (ast.FunctionDef, "returns"),
    (ast.AsyncFunctionDef, "returns"),
    (ast.AnnAssign, "annotation"),
}


def _lineno(node: ast.AST) -> int:
    value = getattr(node, "lineno", 0)
    return value if isinstance(value, int) else 0


def _sym(op: ast.AST) -> str:
    return _SYMBOLS.get(type(op), type(op).__name__)


def _short(node: ast.AST, limit: int = 40) -> str:
    text = ast.unparse(node).split("\n", 1)[0]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_docstring(owner: ast.AST, field: str, index: int | None, node: ast.AST) -> bool:
    return (
        index == 0
        and field == "body"
        and isinstance(owner, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _is_identity(node: ast.BinOp | ast.AugAssign, new_op: type[ast.AST]) -> bool:
    """Whether the swap turns an augmented assignment into a no-op (``x *= 1``, ``x -= 0``).

    Such a mutant behaves like deleting the statement, which statement deletion already makes.
    """
    if not isinstance(node, ast.AugAssign):
        return False
    if new_op is ast.Mult:
        return _is_const(node.value, 1)
    return new_op in (ast.Add, ast.Sub) and _is_const(node.value, 0)


def _is_const(node: ast.expr, value: int) -> bool:
    return (
        isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value == value
    )


def _negation_is_covered(test: ast.expr) -> bool:
    """Whether ``not test`` is already made by another family (remove_not, comparison)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return True
    return isinstance(test, ast.Compare) and len(test.ops) == 1


def _number_node(value: float) -> ast.expr:
    """A node for ``value``; negative numbers become unary minus so precedence survives."""
    if value < 0 or (isinstance(value, float) and str(value).startswith("-")):
        return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-value))
    return ast.Constant(value=value)


def _constant_variants(value: object) -> list[ast.expr]:
    if isinstance(value, bool):
        return [ast.Constant(value=not value)]
    if isinstance(value, int):
        return [_number_node(value + 1), _number_node(value - 1)]
    if isinstance(value, float):
        floats = [value + 1.0, value - 1.0, 0.0] if value != 0.0 else [1.0, -1.0]
        return [_number_node(v) for v in dict.fromkeys(floats) if v != value]
    if isinstance(value, str):
        return [ast.Constant(value="" if value else "x")]
    return []


class _Collector:
    """Walks a tree in pre-order (fields in ``_fields`` order) and records candidate edits."""

    def __init__(self) -> None:
        self.edits: list[_Edit] = []

    def add(
        self,
        operator: str,
        node: ast.AST,
        description: str,
        parent: ast.AST,
        field: str,
        index: int | None,
        replacement: object,
    ) -> None:
        lineno = _lineno(node) or _lineno(parent)
        self.edits.append(_Edit(operator, lineno, description, parent, field, index, replacement))

    def replace(
        self,
        operator: str,
        node: ast.AST,
        description: str,
        site: tuple[ast.AST, str, int | None],
        new: ast.AST,
    ) -> None:
        """Record replacing ``node`` (found at ``site``) with ``new``."""
        parent, field, index = site
        self.add(
            operator, node, description, parent, field, index, [new] if index is not None else new
        )

    def visit(self, node: ast.AST, site: tuple[ast.AST, str, int | None]) -> None:
        self._edits_at(node, site)
        if isinstance(node, ast.JoinedStr):
            for part in node.values:
                if isinstance(part, ast.FormattedValue):
                    self.visit(part.value, (part, "value", None))
            return
        for field, value in ast.iter_fields(node):
            if (type(node), field) in _SKIPPED_FIELDS:
                continue
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, ast.AST) and not _is_docstring(node, field, i, item):
                        self.visit(item, (node, field, i))
            elif isinstance(value, ast.AST):
                self.visit(value, (node, field, None))

    def _edits_at(self, node: ast.AST, site: tuple[ast.AST, str, int | None]) -> None:
        if isinstance(node, ast.BinOp | ast.AugAssign):
            family = "arithmetic" if isinstance(node, ast.BinOp) else "augmented"
            for new_op in _BINOP_SWAPS.get(type(node.op), ()):
                if _is_identity(node, new_op):
                    continue
                desc = f"'{_sym(node.op)}' -> '{_SYMBOLS[new_op]}'"
                self.add(family, node, desc, node, "op", None, new_op())
        elif isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                for new_op in _CMP_SWAPS.get(type(op), ()):
                    desc = f"'{_sym(op)}' -> '{_SYMBOLS[new_op]}'"
                    self.add("comparison", node, desc, node, "ops", i, [new_op()])
        elif isinstance(node, ast.BoolOp):
            new_bool: ast.boolop = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            desc = f"'{_sym(node.op)}' -> '{_sym(new_bool)}'"
            self.add("boolean", node, desc, node, "op", None, new_bool)
        elif isinstance(node, ast.UnaryOp):
            family = "remove_not" if isinstance(node.op, ast.Not) else "remove_unary"
            desc = f"drop '{_sym(node.op).strip()}' in {_short(node)}"
            self.replace(family, node, desc, site, node.operand)
        elif isinstance(node, ast.Constant):
            for new in _constant_variants(node.value):
                ast.copy_location(new, node)
                desc = f"{ast.unparse(node)} -> {ast.unparse(new)}"
                self.replace("constant", node, desc, site, new)
        elif isinstance(node, ast.Call):
            self._swap_args(node, site)
        elif isinstance(node, ast.comprehension):
            for i, cond in enumerate(node.ifs):
                if not _negation_is_covered(cond):
                    negated = ast.copy_location(ast.UnaryOp(op=ast.Not(), operand=cond), cond)
                    desc = f"negate comprehension filter {_short(cond)}"
                    self.add("negate_condition", cond, desc, node, "ifs", i, [negated])
        if isinstance(node, ast.If | ast.While | ast.IfExp):
            test = node.test
            if not _negation_is_covered(test):
                negated = ast.copy_location(ast.UnaryOp(op=ast.Not(), operand=test), test)
                desc = f"negate condition {_short(test)}"
                self.add("negate_condition", node, desc, node, "test", None, negated)
        value = node.value if isinstance(node, ast.Return) else None
        if value is not None and not (isinstance(value, ast.Constant) and value.value is None):
            desc = f"return None instead of {_short(value)}"
            self.add("return_value", node, desc, node, "value", None, ast.Constant(None))
        if isinstance(node, ast.stmt) and site[2] is not None:
            self._delete(node, site)

    def _swap_args(self, node: ast.Call, site: tuple[ast.AST, str, int | None]) -> None:
        args = node.args
        if len(args) < 2 or any(isinstance(a, ast.Starred) for a in args):
            return
        if isinstance(node.func, ast.Name) and node.func.id in _SYMMETRIC_CALLS:
            return
        for i in range(len(args) - 1):
            swapped = [*args[:i], args[i + 1], args[i], *args[i + 2 :]]
            desc = f"swap arguments {i + 1} and {i + 2} of {_short(node.func)}(...)"
            self.add("swap_args", node, desc, node, "args", None, swapped)

    def _delete(self, node: ast.stmt, site: tuple[ast.AST, str, int | None]) -> None:
        parent, field, index = site
        if isinstance(node, (*_NO_DELETE, ast.Pass)):
            return
        siblings = getattr(parent, field)
        keep_valid = len(siblings) == 1
        replacement: list[ast.stmt] = [ast.copy_location(ast.Pass(), node)] if keep_valid else []
        desc = f"delete '{_short(node)}'"
        self.add("statement_deletion", node, desc, parent, field, index, replacement)


def _apply(tree: ast.Module, edit: _Edit) -> str | None:
    """Unparse ``tree`` with ``edit`` applied, then undo the edit; None if unparse fails."""
    current = getattr(edit.parent, edit.field)
    if edit.index is None:
        setattr(edit.parent, edit.field, edit.replacement)
        try:
            return ast.unparse(tree)
        except (ValueError, RecursionError):
            return None
        finally:
            setattr(edit.parent, edit.field, current)
    assert isinstance(edit.replacement, list)
    old = current[edit.index]
    current[edit.index : edit.index + 1] = edit.replacement
    try:
        return ast.unparse(tree)
    except (ValueError, RecursionError):
        return None
    finally:
        current[edit.index : edit.index + len(edit.replacement)] = [old]


def _compiles(text: str) -> bool:
    try:
        compile(text, "<mutant>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError):
        return False
    return True


@functools.lru_cache(maxsize=16)
def _all_mutants(source: str) -> tuple[Mutant, ...]:
    """Mutants in pre-order of their sites (per site in family order); cached per source."""
    tree = ast.parse(source)
    seen = {ast.unparse(tree)}
    collector = _Collector()
    for i, stmt in enumerate(tree.body):
        if not _is_docstring(tree, "body", i, stmt):
            collector.visit(stmt, (tree, "body", i))
    out: list[Mutant] = []
    for edit in collector.edits:
        text = _apply(tree, edit)
        if text is None or text in seen or not _compiles(text):
            continue
        seen.add(text)
        out.append(Mutant(text, edit.operator, edit.lineno, edit.description))
    return tuple(out)


def enumerate_mutants(source: str, operators: Collection[str] | None = None) -> list[Mutant]:
    """Every single-point mutant of ``source`` in a deterministic order.

    ``operators`` restricts the result to those families (see ``OPERATORS``). Raises
    SyntaxError (or ValueError) if ``source`` does not parse.
    """
    mutants = _all_mutants(source)
    if operators is None:
        return list(mutants)
    unknown = set(operators) - set(OPERATORS)
    if unknown:
        raise ValueError(f"unknown mutation operators: {', '.join(sorted(unknown))}")
    return [m for m in mutants if m.operator in operators]


def mutate_once(source: str, rng: random.Random) -> str | None:
    """One mutant of ``source`` picked uniformly with ``rng``; None if there is none.

    Also None when ``source`` does not parse, so it is safe on untrusted agent text.
    """
    try:
        mutants = _all_mutants(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if not mutants:
        return None
    return mutants[rng.randrange(len(mutants))].source
