"""Offline meta-mutation: rewrite a proposer's source into a varied copy of itself.

When a losing code agent is replaced by a mutated copy of a winner, the winner's proposer is
rewritten by one of ``KINDS``:

- ``tune_constant``: perturb one module-level number (``TUNABLE`` names, or one weight in
  ``OPERATOR_WEIGHTS``) within sane bounds; ints stay ints.
- ``switch_strategy``: set ``STRATEGY`` to another strategy whose function is defined.
- ``swap_blocks``: rewire propose()'s blocks: add a fallback (``if not found: found =
  anneal(ctx)``), drop one, reorder two, promote a fallback to be the first block run, or
  swap the bodies of two strategy functions.
- ``toggle_flag``: flip one module-level boolean constant.
- ``reweight``: move part of one operator's weight in ``OPERATOR_WEIGHTS`` to another.

The tree is read with ``ast``; edits are spliced into the original text at the node
positions, so comments, docstrings and layout survive and generation diffs stay small. A
result is kept only if its syntax tree differs from the input's and it passes
``static_check``; otherwise another kind is tried. Only recognized shapes are touched, so a
foreign (model-written) proposer gets None when nothing applies. Deterministic for a given
``rng`` state.
"""

from __future__ import annotations

import ast
import math
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from agents.proposer_checks import static_check

KINDS = ("tune_constant", "switch_strategy", "swap_blocks", "toggle_flag", "reweight")
"""The meta-mutation kinds, the values of ``MetaMutation.kind``."""

STRATEGIES = ("greedy", "beam", "anneal", "crossover")
"""Names of recognized strategy functions (each takes ``ctx``, returns candidates)."""

TUNABLE: dict[str, tuple[float, float]] = {
    "N_CANDIDATES": (1, 16),
    "STEPS": (1, 32),
    "BEAM_WIDTH": (1, 8),
    "TEMPERATURE": (0.001, 1.0),
    "FOCUS_BOOST": (1.0, 10.0),
}
"""Module-level numeric constants ``tune_constant`` perturbs, with inclusive bounds."""

WEIGHTS_NAME = "OPERATOR_WEIGHTS"
WEIGHT_BOUNDS = (0.0, 10.0)
"""Bounds of one operator weight under ``tune_constant``."""

_FLAG_NAME = re.compile(r"[A-Z][A-Z0-9_]*\Z")


@dataclass(frozen=True)
class MetaMutation:
    """A rewritten proposer: its full source, the kind of rewrite and what changed."""

    source: str
    kind: str
    description: str


def meta_mutate(
    source: str,
    rng: random.Random,
    *,
    kinds: Sequence[str] = KINDS,
    max_attempts: int = 10,
) -> MetaMutation | None:
    """One meta-mutation of ``source``, or None if no kind applies and validates.

    Kinds are drawn from ``kinds`` with ``rng``; a kind that does not apply or whose result
    fails validation is dropped and another is tried, at most ``max_attempts`` times. Never
    raises on bad source text (None instead); raises ValueError for an unknown kind.
    """
    unknown = [kind for kind in kinds if kind not in _KIND_FUNCTIONS]
    if unknown:
        raise ValueError(f"unknown meta-mutation kinds: {', '.join(unknown)}")
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    baseline = ast.dump(tree)
    text = _Text(source)
    remaining = list(dict.fromkeys(kinds))
    for _ in range(max_attempts):
        if not remaining:
            break
        kind = rng.choice(remaining)
        remaining.remove(kind)
        change = _KIND_FUNCTIONS[kind](text, tree, rng)  # reads the tree, never edits it
        if change is None:
            continue
        description, edits = change
        try:
            result = text.apply(edits)
            changed = ast.dump(ast.parse(result)) != baseline
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        if changed and static_check(result) is None:
            return MetaMutation(result, kind, f"{kind}: {description}")
    return None


def set_constant(source: str, name: str, value: int | float | str | bool) -> str:
    """``source`` with top-level constant ``name`` set to ``value`` (comments kept).

    Raises ValueError if ``source`` does not parse or has no top-level ``name = <literal>``.
    """
    if not isinstance(value, int | float | str | bool):
        raise ValueError(f"unsupported constant type {type(value).__name__}")
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ValueError(f"source does not parse: {exc.msg}") from exc
    node = _constants(tree).get(name)
    if not isinstance(node, ast.Constant):
        raise ValueError(f"no top-level constant {name!r} to set")
    text = _Text(source)
    return text.apply([text.replace(node, _literal(value, text.segment(node)))])


# ---------------------------------------------------------------------------------------------
# Text splicing at AST positions


@dataclass(frozen=True)
class _Edit:
    """Replace ``text[start:end]`` (character offsets) by ``new``."""

    start: int
    end: int
    new: str


class _Text:
    """Source text with conversion of AST positions (UTF-8 byte columns) to offsets."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.line_starts = [0]
        for match in re.finditer("\r\n|\r|\n", source):
            self.line_starts.append(match.end())

    def offset(self, lineno: int, col: int) -> int:
        start = self.line_starts[lineno - 1]
        end = self.line_starts[lineno] if lineno < len(self.line_starts) else len(self.source)
        return start + len(self.source[start:end].encode()[:col].decode())

    def start(self, node: ast.expr | ast.stmt) -> int:
        return self.offset(node.lineno, node.col_offset)

    def end(self, node: ast.expr | ast.stmt) -> int:
        assert node.end_lineno is not None and node.end_col_offset is not None
        return self.offset(node.end_lineno, node.end_col_offset)

    def segment(self, node: ast.expr | ast.stmt) -> str:
        return self.source[self.start(node) : self.end(node)]

    def line_prefix(self, node: ast.stmt) -> str | None:
        """The indentation before ``node`` if it starts its line, else None."""
        prefix = self.source[self.offset(node.lineno, 0) : self.start(node)]
        return prefix if prefix.strip() == "" else None

    def whole_lines(self, node: ast.stmt) -> tuple[int, int] | None:
        """Offsets of the full lines ``node`` spans, if nothing but a comment shares them."""
        assert node.end_lineno is not None
        if self.line_prefix(node) is None:
            return None
        end = self.end(node)
        stop = (
            self.line_starts[node.end_lineno]
            if node.end_lineno < len(self.line_starts)
            else len(self.source)
        )
        rest = self.source[end:stop].strip()
        if rest and not rest.startswith("#"):
            return None
        return self.offset(node.lineno, 0), stop

    def replace(self, node: ast.expr | ast.stmt, new: str) -> _Edit:
        return _Edit(self.start(node), self.end(node), new)

    def apply(self, edits: Sequence[_Edit]) -> str:
        """The text with ``edits`` applied; raises ValueError if two edits overlap."""
        out = self.source
        previous_start = len(out) + 1
        for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
            if edit.end > previous_start:
                raise ValueError("overlapping edits")
            out = out[: edit.start] + edit.new + out[edit.end :]
            previous_start = edit.start
        return out


# ---------------------------------------------------------------------------------------------
# What the kinds recognize

Change = tuple[str, list[_Edit]]
"""A description and the text edits that make it."""


def _constants(tree: ast.Module) -> dict[str, ast.expr]:
    """Value of the last top-level ``NAME = value`` (or annotated) assignment per name."""
    found: dict[str, ast.expr] = {}
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
        ):
            found[stmt.targets[0].id] = stmt.value
        elif (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and stmt.value is not None
        ):
            found[stmt.target.id] = stmt.value
    return found


def _number(node: ast.expr) -> int | float | None:
    """The value of a finite int or float literal (not a bool), else None."""
    if not isinstance(node, ast.Constant) or isinstance(node.value, bool):
        return None
    value = node.value
    if isinstance(value, int | float) and math.isfinite(value):
        return value
    return None


def _weights(tree: ast.Module) -> list[tuple[str, ast.expr, int | float]]:
    """(operator, value node, weight) for the numeric entries of ``OPERATOR_WEIGHTS``."""
    node = _constants(tree).get(WEIGHTS_NAME)
    if not isinstance(node, ast.Dict):
        return []
    entries = []
    for key, value in zip(node.keys, node.values, strict=True):
        weight = _number(value)
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and weight is not None:
            entries.append((key.value, value, weight))
    return entries


def _strategy_functions(tree: ast.Module) -> list[str]:
    """Names of top-level one-parameter functions named as in ``STRATEGIES``, in order."""
    names = []
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.FunctionDef)
            and stmt.name in STRATEGIES
            and len(stmt.args.posonlyargs) + len(stmt.args.args) == 1
            and stmt.name not in names
        ):
            names.append(stmt.name)
    return names


def _strategy_constant(tree: ast.Module) -> ast.Constant | None:
    node = _constants(tree).get("STRATEGY")
    return node if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


@dataclass(frozen=True)
class _Propose:
    """propose(): its def, parameter name, result variable, and fallback statements."""

    function: ast.FunctionDef
    param: str
    result: str
    fallbacks: list[tuple[ast.If, ast.Call]]


def _propose(tree: ast.Module) -> _Propose | None:
    """propose() if it ends with ``return <expr of X>`` after an assignment ``X = ...``."""
    functions = [s for s in tree.body if isinstance(s, ast.FunctionDef) and s.name == "propose"]
    if not functions:
        return None
    function = functions[-1]
    params = function.args.posonlyargs + function.args.args
    last = function.body[-1]
    if len(params) != 1 or not isinstance(last, ast.Return) or last.value is None:
        return None
    returned = {n.id for n in ast.walk(last.value) if isinstance(n, ast.Name)}
    assigned = [
        s.targets[0].id
        for s in function.body[:-1]
        if isinstance(s, ast.Assign)
        and len(s.targets) == 1
        and isinstance(s.targets[0], ast.Name)
        and s.targets[0].id in returned
    ]
    if not assigned:
        return None
    param, result = params[0].arg, assigned[0]
    strategies = _strategy_functions(tree)
    fallbacks = []
    for stmt in function.body:
        call = _fallback_call(stmt, result, param)
        if call is not None and isinstance(call.func, ast.Name) and call.func.id in strategies:
            assert isinstance(stmt, ast.If)
            fallbacks.append((stmt, call))
    return _Propose(function, param, result, fallbacks)


def _fallback_call(stmt: ast.stmt, result: str, param: str) -> ast.Call | None:
    """The call ``g(param)`` if ``stmt`` is ``if not result: result = g(param)``."""
    if not (
        isinstance(stmt, ast.If)
        and not stmt.orelse
        and len(stmt.body) == 1
        and isinstance(stmt.test, ast.UnaryOp)
        and isinstance(stmt.test.op, ast.Not)
        and isinstance(stmt.test.operand, ast.Name)
        and stmt.test.operand.id == result
    ):
        return None
    assign = stmt.body[0]
    if not (
        isinstance(assign, ast.Assign)
        and len(assign.targets) == 1
        and isinstance(assign.targets[0], ast.Name)
        and assign.targets[0].id == result
        and isinstance(assign.value, ast.Call)
        and isinstance(assign.value.func, ast.Name)
        and not assign.value.keywords
        and len(assign.value.args) == 1
        and isinstance(assign.value.args[0], ast.Name)
        and assign.value.args[0].id == param
    ):
        return None
    return assign.value


def _literal(value: int | float | str | bool, old: str = "") -> str:
    """Source text of a literal, keeping the quote style of ``old`` for strings."""
    if isinstance(value, str):
        text = repr(value)
        if old.startswith('"') and '"' not in value and "\\" not in text:
            text = '"' + value + '"'
        return text
    return repr(value)


# ---------------------------------------------------------------------------------------------
# The kinds: each returns a Change, or None when it does not apply to the source


def _perturb_int(value: int, lo: int, hi: int, rng: random.Random) -> int | None:
    options = {value - 2, value - 1, value + 1, value + 2, value * 2, value // 2}
    choices = sorted({min(hi, max(lo, v)) for v in options} - {value})
    return rng.choice(choices) if choices else None


def _perturb_float(value: float, lo: float, hi: float, rng: random.Random) -> float | None:
    base = value if value > 0 else max(lo, 0.1)
    for _ in range(8):
        new = float(f"{min(hi, max(lo, base * math.exp(rng.gauss(0.0, 0.5)))):.3g}")
        if new != value:
            return new
    return None


def _tune_constant(text: _Text, tree: ast.Module, rng: random.Random) -> Change | None:
    sites: list[tuple[str, ast.expr, int | float, float, float]] = []
    for name, node in _constants(tree).items():
        value = _number(node)
        if name in TUNABLE and value is not None:
            sites.append((name, node, value, *TUNABLE[name]))
    for operator, node, weight in _weights(tree):
        sites.append((f"{WEIGHTS_NAME}[{operator!r}]", node, weight, *WEIGHT_BOUNDS))
    while sites:
        label, node, value, lo, hi = sites.pop(rng.randrange(len(sites)))
        new: int | float | None
        if isinstance(value, int):
            low = 0 if label.startswith(WEIGHTS_NAME) else max(1, math.ceil(lo))
            new = _perturb_int(value, low, math.floor(hi), rng)
        else:
            new = _perturb_float(value, lo, hi, rng)
        if new is not None:
            return f"{label} {value!r} -> {new!r}", [text.replace(node, _literal(new))]
    return None


def _switch_strategy(text: _Text, tree: ast.Module, rng: random.Random) -> Change | None:
    node = _strategy_constant(tree)
    if node is None:
        return None
    options = [name for name in _strategy_functions(tree) if name != node.value]
    if not options:
        return None
    new = rng.choice(options)
    edit = text.replace(node, _literal(new, text.segment(node)))
    return f"STRATEGY {node.value!r} -> {new!r}", [edit]


def _toggle_flag(text: _Text, tree: ast.Module, rng: random.Random) -> Change | None:
    flags = [
        (name, node)
        for name, node in _constants(tree).items()
        if _FLAG_NAME.match(name) and isinstance(node, ast.Constant) and type(node.value) is bool
    ]
    if not flags:
        return None
    name, node = rng.choice(flags)
    assert isinstance(node, ast.Constant)
    flipped = not node.value
    return f"{name} {not flipped} -> {flipped}", [text.replace(node, repr(flipped))]


def _round(value: float) -> float:
    return float(f"{value:.3g}") if abs(value) < 1e15 else value


def _reweight(text: _Text, tree: ast.Module, rng: random.Random) -> Change | None:
    entries = _weights(tree)
    donors = [e for e in entries if e[2] > 0]
    if len(entries) < 2 or not donors:
        return None
    donor = rng.choice(donors)
    receivers = [e for e in entries if e[0] != donor[0]]
    if not receivers:
        return None
    receiver = rng.choice(receivers)
    given: int | float = donor[2]
    got: int | float = receiver[2]
    new_given: int | float
    new_got: int | float
    shift: int | float
    if isinstance(given, int) and isinstance(got, int):
        shift = rng.randint(1, given)
        new_given, new_got = given - shift, got + shift
    else:
        shift = max(_round(given * rng.uniform(0.2, 0.6)), 0.001)
        shift = min(shift, given)
        new_given, new_got = _round(max(0.0, given - shift)), _round(got + shift)
    if new_given == given and new_got == got:
        return None
    edits = [
        text.replace(donor[1], _literal(new_given)),
        text.replace(receiver[1], _literal(new_got)),
    ]
    description = (
        f"{WEIGHTS_NAME}: {donor[0]!r} {given!r} -> {new_given!r}, "
        f"{receiver[0]!r} {got!r} -> {new_got!r}"
    )
    return description, edits


def _swap_blocks(text: _Text, tree: ast.Module, rng: random.Random) -> Change | None:
    variants: list[Callable[[], Change | None]] = []
    strategies = _strategy_functions(tree)
    functions = {s.name: s for s in tree.body if isinstance(s, ast.FunctionDef)}
    shape = _propose(tree)
    primary = _strategy_constant(tree)
    if shape is not None:
        called = [call.func.id for _, call in shape.fallbacks if isinstance(call.func, ast.Name)]
        first = primary.value if primary is not None else None
        addable = [name for name in strategies if name not in called and name != first]
        if addable:
            variants.append(lambda: _add_fallback(text, shape, rng.choice(addable)))
        if shape.fallbacks:
            variants.append(lambda: _drop_fallback(text, shape, rng))
        if len(set(called)) >= 2:
            variants.append(lambda: _reorder_fallbacks(text, shape, rng))
        if primary is not None and primary.value in strategies and set(called) - {first}:
            variants.append(lambda: _promote_fallback(text, shape, primary, rng))
    dumps = {name: _body_dump(functions[name]) for name in strategies}
    pairs = [
        (a, b)
        for i, a in enumerate(strategies)
        for b in strategies[i + 1 :]
        if dumps[a] != dumps[b]
    ]
    if pairs:
        variants.append(lambda: _swap_bodies(text, functions, rng.choice(pairs)))
    while variants:
        change = variants.pop(rng.randrange(len(variants)))()
        if change is not None:
            return change
    return None


def _body_dump(function: ast.FunctionDef) -> str:
    return ast.dump(ast.Module(body=function.body, type_ignores=[]))


def _add_fallback(text: _Text, shape: _Propose, name: str) -> Change | None:
    last = shape.function.body[-1]
    indent = text.line_prefix(last)
    outer = text.line_prefix(shape.function)
    if indent is None or outer is None or not indent.startswith(outer) or indent == outer:
        return None
    step = indent[len(outer) :]
    line = f"{indent}if not {shape.result}:\n{indent}{step}{shape.result} = {name}({shape.param})\n"
    at = text.offset(last.lineno, 0)
    return f"add fallback {name}() when nothing was found", [_Edit(at, at, line)]


def _drop_fallback(text: _Text, shape: _Propose, rng: random.Random) -> Change | None:
    stmt, call = rng.choice(shape.fallbacks)
    span = text.whole_lines(stmt)
    if span is None:
        return None
    return f"drop fallback {text.segment(call.func)}()", [_Edit(*span, "")]


def _reorder_fallbacks(text: _Text, shape: _Propose, rng: random.Random) -> Change | None:
    pairs = [
        (a, b)
        for i, a in enumerate(shape.fallbacks)
        for b in shape.fallbacks[i + 1 :]
        if ast.dump(a[1]) != ast.dump(b[1])
    ]
    (stmt_a, call_a), (stmt_b, call_b) = rng.choice(pairs)
    edits = [
        text.replace(stmt_a, text.segment(stmt_b)),
        text.replace(stmt_b, text.segment(stmt_a)),
    ]
    names = f"{text.segment(call_a.func)}() and {text.segment(call_b.func)}()"
    return f"swap the order of fallbacks {names}", edits


def _promote_fallback(
    text: _Text, shape: _Propose, primary: ast.Constant, rng: random.Random
) -> Change | None:
    first = primary.value
    options = [
        call
        for _, call in shape.fallbacks
        if isinstance(call.func, ast.Name) and call.func.id != first
    ]
    call = rng.choice(options)
    assert isinstance(call.func, ast.Name) and isinstance(first, str)
    promoted = call.func.id
    edits = [
        text.replace(primary, _literal(promoted, text.segment(primary))),
        text.replace(call.func, first),
    ]
    return f"run {promoted}() first and fall back to {first}()", edits


def _swap_bodies(
    text: _Text, functions: dict[str, ast.FunctionDef], pair: tuple[str, str]
) -> Change | None:
    a, b = functions[pair[0]], functions[pair[1]]
    if a.body[0].col_offset != b.body[0].col_offset:
        return None
    if text.line_prefix(a.body[0]) is None or text.line_prefix(b.body[0]) is None:
        return None
    span_a = (text.start(a.body[0]), text.end(a.body[-1]))
    span_b = (text.start(b.body[0]), text.end(b.body[-1]))
    body_a, body_b = text.source[slice(*span_a)], text.source[slice(*span_b)]
    edits = [_Edit(*span_a, body_b), _Edit(*span_b, body_a)]
    return f"swap the bodies of {a.name}() and {b.name}()", edits


_KIND_FUNCTIONS: dict[str, Callable[[_Text, ast.Module, random.Random], Change | None]] = {
    "tune_constant": _tune_constant,
    "switch_strategy": _switch_strategy,
    "swap_blocks": _swap_blocks,
    "toggle_flag": _toggle_flag,
    "reweight": _reweight,
}
