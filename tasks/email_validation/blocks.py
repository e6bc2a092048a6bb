"""Rule building blocks for ``validate_email`` solutions and the ``email_*`` operators.

The offline search space of the email task. A solution built from blocks is ordinary Python:
module-level helper functions (the blocks) and a ``validate_email`` whose body starts with a
*check region*, an optional split statement and a sequence of checks, then returns True::

    def _split_at_last_at(s: str) -> tuple[str, str]: ...
    def _dot_atom(local: str) -> bool: ...
    def _quoted_local(local: str) -> bool: ...
    def _hostname(domain: str) -> bool: ...

    def validate_email(s: str) -> bool:
        local, domain = _split_at_last_at(s)
        if not (_dot_atom(local) or _quoted_local(local)):
            return False
        if not _hostname(domain):
            return False
        return True

Blocks of the ``local`` and ``domain`` slots are alternatives (joined by ``or`` in one check);
``check`` blocks are requirements (one check each). No block is the whole answer: each
covers one rule of the grammar, and most come in several variants, variant 0 faithful to the
grammar and the others subtly wrong (label limit 64, leading hyphens allowed, Unicode
``isalnum``, no quoted pairs, no "::" group limit, ...). Some blocks are decoys that help on
everyday addresses and hurt on the rest (``_one_at``, ``_no_space``, ``_has_tld``).

Operators (``email_operators()``), all deterministic given the rng (they only call
``rng.randrange``), returning None when they do not apply:

``email_insert``   add a block not yet used: its def (a random variant) and its call; blocks
                   on the local part or domain bring the split statement along.
``email_remove``   drop one check of the region, or one alternative of an ``or`` check; defs
                   and the split that nothing uses any more go too.
``email_replace``  swap a block's def for another variant of it.
``email_tune``     move one integer constant (>= 2, not an index) by one, or to a nearby
                   interesting number (63, 64, 254, 255, ...).

The first edit of a solution whose ``validate_email`` ends in ``return <expr>`` (the naive
seed) rewrites that line as ``if not <expr>: return False`` plus ``return True``, which keeps
its meaning and makes the naive rule a check that ``email_remove`` can drop. Inserting into
a solution that ends in ``return False`` (it accepts nothing) turns that into ``return True``:
the block becomes the accept rule, so a reject-everything solution is not a dead end.
"""

from __future__ import annotations

import ast
import functools
import random
from dataclasses import dataclass
from typing import Final, Literal

from tasks.base import SafeOperator

ENTRY = "validate_email"
LOCAL: Final = "local"
DOMAIN: Final = "domain"
SPLIT = "_split_at_last_at"
MAX_SOURCE = 100_000
"""Sources longer than this are left alone."""

INTERESTING = (2, 3, 4, 5, 6, 7, 8, 16, 32, 63, 64, 65, 127, 128, 253, 254, 255, 256, 320)
"""Values ``email_tune`` may jump to (those within a factor of two of the current value)."""

Slot = Literal["split", "local", "domain", "check"]

_LET_DIG = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_ATEXT = _LET_DIG + "!#$%&'*+-/=?^_`{|}~"


@dataclass(frozen=True)
class Block:
    """A helper function with variants; ``arg`` is what its call passes (``s`` is the
    entry point's own parameter)."""

    name: str
    slot: Slot
    arg: Literal["s", "local", "domain"]
    variants: tuple[str, ...]


def _src(text: str) -> str:
    return text.replace("ATEXT", repr(_ATEXT)).replace("LET_DIG", repr(_LET_DIG)).strip() + "\n"


def _variant(base: str, old: str, new: str) -> str:
    if old not in base:
        raise ValueError(f"block template lacks {old!r}")
    return base.replace(old, new)


# ---- the blocks ------------------------------------------------------------------------------

_SPLIT = _src('''
def _split_at_last_at(s: str) -> tuple[str, str]:
    """Local-part and domain of s."""
    local, _, domain = s.rpartition("@")
    return local, domain
''')

_ASCII = _src('''
def _ascii_only(s: str) -> bool:
    """No character outside ASCII."""
    return all(ord(c) < 128 for c in s)
''')

_DOT_ATOM = _src('''
def _dot_atom(local: str) -> bool:
    """Dot-string: atoms of atext characters joined by single dots."""
    atext = set(ATEXT)
    return all(len(atom) > 0 and all(c in atext for c in atom) for atom in local.split("."))
''')

_QUOTED = _src('''
def _quoted_local(local: str) -> bool:
    """Quoted-string: printable ASCII between double quotes, with backslash pairs."""
    if len(local) < 2 or local[0] != '"' or local[-1] != '"':
        return False
    body, i = local[1:-1], 0
    while i < len(body):
        c = body[i]
        if c == "\\\\":
            if i + 1 >= len(body) or not 32 <= ord(body[i + 1]) <= 126:
                return False
            i += 2
        elif 32 <= ord(c) <= 126 and c != '"':
            i += 1
        else:
            return False
    return True
''')

_QUOTED_NO_PAIRS = """\
    return all(32 <= ord(c) <= 126 and c not in '"\\\\' for c in local[1:-1])
"""
_QUOTED_ANY = """\
    return len(local) >= 2 and local[0] == '"' and local[-1] == '"'
"""

_HOSTNAME = _src('''
def _hostname(domain: str) -> bool:
    """Domain: dot-separated labels of letters, digits and hyphens."""
    let_dig = set(LET_DIG)
    for label in domain.split("."):
        if not 0 < len(label) <= 63:
            return False
        if label[0] not in let_dig or label[-1] not in let_dig:
            return False
        if not all(c in let_dig or c == "-" for c in label):
            return False
    return True
''')

_IPV4 = _src('''
def _ipv4_literal(domain: str) -> bool:
    """Address literal: "[" four dot-separated decimal numbers "]"."""
    if len(domain) < 2 or domain[0] != "[" or domain[-1] != "]":
        return False
    parts = domain[1:-1].split(".")
    if len(parts) != 4:
        return False
    for p in parts:
        if not 1 <= len(p) <= 3 or not all(c in "0123456789" for c in p):
            return False
        if int(p) > 255:
            return False
    return True
''')

_IPV6 = _src('''
def _ipv6_literal(domain: str) -> bool:
    """Address literal: "[IPv6:" full, compressed or IPv4-tailed address "]"."""
    if len(domain) < 7 or domain[0] != "[" or domain[-1] != "]":
        return False
    if domain[1:6].lower() != "ipv6:":
        return False

    def groups(t: str) -> int:
        if t == "":
            return 0
        parts = t.split(":")
        for p in parts:
            if not 1 <= len(p) <= 4 or not all(c in "0123456789abcdefABCDEF" for c in p):
                return -1
        return len(parts)

    addr, full, limit = domain[6:-1], 8, 6
    if "." in addr:
        colon = addr.rfind(":")
        quad = addr[colon + 1 :].split(".")
        if colon < 0 or len(quad) != 4:
            return False
        for p in quad:
            if not 1 <= len(p) <= 3 or not all(c in "0123456789" for c in p) or int(p) > 255:
                return False
        addr, full, limit = addr[: colon + 1], 6, 4
        if not addr.endswith("::"):
            addr = addr[:-1]
    if "::" not in addr:
        return groups(addr) == full
    left, _, right = addr.partition("::")
    n_left, n_right = groups(left), groups(right)
    return n_left >= 0 and n_right >= 0 and n_left + n_right <= limit
''')

_IPV6_TAIL_START = '    if "." in addr:\n'
_IPV6_TAIL_END = "            addr = addr[:-1]\n"
_IPV6_NO_TAIL = (
    _IPV6[: _IPV6.index(_IPV6_TAIL_START)]
    + '    if "." in addr:\n        return False\n'
    + _IPV6[_IPV6.index(_IPV6_TAIL_END) + len(_IPV6_TAIL_END) :]
)

_LOCAL_LENGTH = _src('''
def _local_length(local: str) -> bool:
    """Local-part length limit."""
    return len(local) <= 64
''')

_TOTAL_LENGTH = _src('''
def _total_length(s: str) -> bool:
    """Whole-address length limit."""
    return len(s) <= 254
''')

BLOCKS: tuple[Block, ...] = (
    Block(
        SPLIT,
        "split",
        "s",
        (
            _SPLIT,
            _variant(_SPLIT, "s.rpartition", "s.partition"),
            _variant(
                _SPLIT,
                'local, _, domain = s.rpartition("@")\n    return local, domain',
                'parts = s.split("@")\n    return parts[0], parts[-1]',
            ),
        ),
    ),
    Block(
        "_ascii_only",
        "check",
        "s",
        (_ASCII, _variant(_ASCII, "ord(c) < 128", "c.isprintable()")),
    ),
    Block(
        "_dot_atom",
        "local",
        LOCAL,
        (
            _DOT_ATOM,
            _variant(
                _DOT_ATOM,
                "return all(len(atom) > 0 and all(c in atext for c in atom) "
                'for atom in local.split("."))',
                'return len(local) > 0 and all(c in atext or c == "." for c in local)',
            ),
            _variant(_DOT_ATOM, "c in atext for", "c.isalnum() or c in atext for"),
            _variant(_DOT_ATOM, repr(_ATEXT), repr(_LET_DIG + "_-+")),
        ),
    ),
    Block(
        "_quoted_local",
        "local",
        LOCAL,
        (
            _QUOTED,
            _QUOTED[: _QUOTED.index("    body, i")] + _QUOTED_NO_PAIRS,
            _QUOTED[: _QUOTED.index("    if len(local)")] + _QUOTED_ANY,
        ),
    ),
    Block(
        "_hostname",
        "domain",
        DOMAIN,
        (
            _HOSTNAME,
            _variant(_HOSTNAME, "<= 63", "<= 64"),
            _variant(
                _HOSTNAME,
                "label[0] not in let_dig or label[-1] not in let_dig",
                "label[-1] not in let_dig",
            ),
            _variant(
                _HOSTNAME,
                "        if label[0] not in let_dig or label[-1] not in let_dig:\n"
                "            return False\n",
                "",
            ),
            _variant(
                _HOSTNAME,
                "    let_dig = set(",
                '    if "." not in domain:\n        return False\n    let_dig = set(',
            ),
            _variant(
                _variant(
                    _HOSTNAME,
                    "label[0] not in let_dig or label[-1] not in let_dig",
                    "not label[0].isalnum() or not label[-1].isalnum()",
                ),
                "c in let_dig or",
                "c.isalnum() or",
            ),
        ),
    ),
    Block(
        "_ipv4_literal",
        "domain",
        DOMAIN,
        (
            _IPV4,
            _variant(_IPV4, "        if int(p) > 255:\n            return False\n", ""),
            _variant(
                _IPV4,
                'not 1 <= len(p) <= 3 or not all(c in "0123456789" for c in p)',
                "not 1 <= len(p) <= 9 or not p.isdecimal()",
            ),
        ),
    ),
    Block(
        "_ipv6_literal",
        "domain",
        DOMAIN,
        (
            _IPV6,
            _variant(
                _IPV6,
                "n_left >= 0 and n_right >= 0 and n_left + n_right <= limit",
                "n_left >= 0 and n_right >= 0",
            ),
            _variant(_IPV6, 'domain[1:6].lower() != "ipv6:"', 'domain[1:6] != "IPv6:"'),
            _IPV6_NO_TAIL,
        ),
    ),
    Block(
        "_local_length",
        "check",
        LOCAL,
        (
            _LOCAL_LENGTH,
            _variant(_LOCAL_LENGTH, "<= 64", "< 64"),
            _variant(_LOCAL_LENGTH, "len(local)", "len(local.strip('\"'))"),
        ),
    ),
    Block(
        "_total_length",
        "check",
        "s",
        (
            _TOTAL_LENGTH,
            _variant(_TOTAL_LENGTH, "254", "256"),
            _variant(_TOTAL_LENGTH, "254", "320"),
        ),
    ),
    Block(
        "_one_at",
        "check",
        "s",
        (
            _src('''
def _one_at(s: str) -> bool:
    """Exactly one at-sign."""
    return s.count("@") == 1
'''),
        ),
    ),
    Block(
        "_no_space",
        "check",
        "s",
        (
            _src('''
def _no_space(s: str) -> bool:
    """No whitespace."""
    return " " not in s
'''),
            _src('''
def _no_space(s: str) -> bool:
    """No whitespace."""
    return not any(c.isspace() for c in s)
'''),
        ),
    ),
    Block(
        "_no_double_dot",
        "check",
        "s",
        (
            _src('''
def _no_double_dot(s: str) -> bool:
    """No two dots in a row."""
    return ".." not in s
'''),
        ),
    ),
    Block(
        "_has_tld",
        "check",
        DOMAIN,
        (
            _src('''
def _has_tld(domain: str) -> bool:
    """A dotted domain ending in an alphabetic top-level label."""
    tld = domain.rpartition(".")[2]
    return "." in domain and len(tld) >= 2 and tld.isalpha()
'''),
        ),
    ),
)
"""The block library; each block's variant 0 follows the grammar."""

BY_NAME: dict[str, Block] = {b.name: b for b in BLOCKS}


# ---- reading a solution ----------------------------------------------------------------------


@dataclass
class _Solution:
    """A parsed solution: its tree, entry function, parameter and where its check region
    starts (after the docstring); the region is recomputed after every edit."""

    tree: ast.Module
    fn: ast.FunctionDef
    param: str
    start: int

    @property
    def end(self) -> int:
        """End (exclusive) of the region: the splits and checks that follow ``start``."""
        body, end = self.fn.body, self.start
        while end < len(body) and (_is_split(body[end]) or _is_check(body[end])):
            end += 1
        return end

    def defs(self) -> dict[str, int]:
        """Module-level function name -> index in the module body (the last one wins)."""
        return {s.name: i for i, s in enumerate(self.tree.body) if isinstance(s, ast.FunctionDef)}

    def region(self) -> list[ast.stmt]:
        return self.fn.body[self.start : self.end]

    def split_index(self) -> int | None:
        for i in range(self.start, self.end):
            if _is_split(self.fn.body[i]):
                return i
        return None

    def used(self) -> set[str]:
        """Block names called in checks of the region."""
        return {n for stmt in self.region() for n in _check_calls(stmt) or ()}

    def render(self) -> str | None:
        return _render(self.tree)


def _render(tree: ast.Module) -> str | None:
    """Unparsed ``tree`` if it compiles, else None."""
    try:
        ast.fix_missing_locations(tree)
        text = ast.unparse(tree) + "\n"
        compile(text, "<email-block>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, TypeError):
        return None
    return text


def _parse(source: str) -> ast.Module | None:
    if not isinstance(source, str) or len(source) > MAX_SOURCE:
        return None
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


def _load(source: str) -> _Solution | None:
    """Parse ``source`` and normalise its entry function; None if there is none to edit."""
    tree = _parse(source)
    if tree is None:
        return None
    fn = None
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef) and stmt.name == ENTRY:
            fn = stmt
    if fn is None:
        return None
    params = [*fn.args.posonlyargs, *fn.args.args]
    if not params:
        return None
    start = 1 if _is_docstring(fn.body) else 0
    last = fn.body[-1]
    if (
        isinstance(last, ast.Return)
        and last.value is not None
        and not isinstance(last.value, ast.Constant)
    ):
        fn.body[-1:] = [_check(last.value), ast.Return(value=ast.Constant(value=True))]
    return _Solution(tree, fn, params[0].arg, start)


def _is_docstring(body: list[ast.stmt]) -> bool:
    first = body[0] if body else None
    return (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )


def _check(condition: ast.expr) -> ast.If:
    """``if not condition: return False``."""
    return ast.If(
        test=ast.UnaryOp(op=ast.Not(), operand=condition),
        body=[ast.Return(value=ast.Constant(value=False))],
        orelse=[],
    )


def _is_check(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.If)
        and isinstance(stmt.test, ast.UnaryOp)
        and isinstance(stmt.test.op, ast.Not)
        and not stmt.orelse
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], ast.Return)
        and isinstance(stmt.body[0].value, ast.Constant)
        and stmt.body[0].value.value is False
    )


def _is_split(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and isinstance(stmt.targets[0], ast.Tuple)
        and [getattr(e, "id", None) for e in stmt.targets[0].elts] == [LOCAL, DOMAIN]
        and isinstance(stmt.value, ast.Call)
        and isinstance(stmt.value.func, ast.Name)
        and stmt.value.func.id == SPLIT
    )


def _call_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id
    return None


def _check_calls(stmt: ast.stmt) -> list[str] | None:
    """Names called by a check ``if not f(x)`` or ``if not (f(x) or g(x) ...)``, else None."""
    if not _is_check(stmt):
        return None
    assert isinstance(stmt, ast.If) and isinstance(stmt.test, ast.UnaryOp)
    cond = stmt.test.operand
    terms = cond.values if isinstance(cond, ast.BoolOp) and isinstance(cond.op, ast.Or) else [cond]
    names = [_call_name(t) for t in terms]
    return None if None in names else [n for n in names if n is not None]


def _group_slot(stmt: ast.stmt) -> Slot | None:
    """The slot of an alternatives check whose every call is a block of that slot."""
    names = _check_calls(stmt)
    if not names or any(n not in BY_NAME for n in names):
        return None
    slots = {BY_NAME[n].slot for n in names}
    slot = slots.pop() if len(slots) == 1 else None
    return slot if slot in ("local", "domain") else None


def _parse_def(text: str) -> ast.FunctionDef:
    stmt = ast.parse(text).body[0]
    assert isinstance(stmt, ast.FunctionDef)
    return stmt


def _names_loaded(node: ast.AST, skip: ast.AST | None = None) -> set[str]:
    """Names read anywhere in ``node`` (not descending into ``skip``)."""
    out: set[str] = set()
    stack = [node]
    while stack:
        cur = stack.pop()
        if cur is skip:
            continue
        if isinstance(cur, ast.Name) and isinstance(cur.ctx, ast.Load):
            out.add(cur.id)
        stack.extend(ast.iter_child_nodes(cur))
    return out


# ---- edits (public so tests and proposers can name a step exactly) ---------------------------


def insertable(source: str) -> list[str]:
    """Blocks ``insert_block`` can add to ``source`` (not yet called in its checks)."""
    sol = _load(source)
    if sol is None:
        return []
    used = sol.used()
    return [b.name for b in BLOCKS if b.slot != "split" and b.name not in used]


def insert_block(source: str, name: str, variant: int = 0, split_variant: int = 0) -> str | None:
    """``source`` with block ``name`` added (its def, if missing, as ``variant``); the split
    statement comes along (as ``split_variant``) when the block needs it.

    A solution that ends in ``return False`` (or another falsy constant) accepts nothing,
    so a check could never matter: there the block becomes the accept rule (the final
    return becomes ``return True``).
    """
    block = BY_NAME.get(name)
    sol = _load(source)
    if block is None or sol is None or name not in insertable(source):
        return None
    last = sol.fn.body[-1]
    if isinstance(last, ast.Return) and not (
        isinstance(last.value, ast.Constant) and last.value.value
    ):
        last.value = ast.Constant(value=True)  # after _load, any other value is a constant
    defs = sol.defs()
    body = sol.tree.body
    entry_at = body.index(sol.fn)
    if block.arg != "s" and sol.split_index() is None:
        sol.fn.body.insert(sol.start, _split_statement(sol.param))
        if SPLIT not in defs:
            body.insert(entry_at, _parse_def(_pick(BY_NAME[SPLIT], split_variant)))
            entry_at += 1
    if name not in defs:
        body.insert(entry_at, _parse_def(_pick(block, variant)))
    call = ast.Call(
        func=ast.Name(id=name, ctx=ast.Load()),
        args=[ast.Name(id=sol.param if block.arg == "s" else block.arg, ctx=ast.Load())],
        keywords=[],
    )
    for stmt in sol.region():
        if block.slot in ("local", "domain") and _group_slot(stmt) == block.slot:
            assert isinstance(stmt, ast.If) and isinstance(stmt.test, ast.UnaryOp)
            cond = stmt.test.operand
            terms = cond.values if isinstance(cond, ast.BoolOp) else [cond]
            stmt.test.operand = ast.BoolOp(op=ast.Or(), values=[*terms, call])
            return sol.render()
    sol.fn.body.insert(sol.end, _check(call))
    return sol.render()


def _pick(block: Block, variant: int) -> str:
    return block.variants[variant % len(block.variants)]


def _split_statement(param: str) -> ast.Assign:
    target = ast.Tuple(
        elts=[ast.Name(id=LOCAL, ctx=ast.Store()), ast.Name(id=DOMAIN, ctx=ast.Store())],
        ctx=ast.Store(),
    )
    call = ast.Call(
        func=ast.Name(id=SPLIT, ctx=ast.Load()),
        args=[ast.Name(id=param, ctx=ast.Load())],
        keywords=[],
    )
    return ast.Assign(targets=[target], value=call)


def removals(source: str) -> list[tuple[int, int | None]]:
    """What ``remove`` can drop: (check number in the region, alternative index or None)."""
    sol = _load(source)
    if sol is None:
        return []
    out: list[tuple[int, int | None]] = []
    checks = [s for s in sol.region() if _is_check(s)]
    for k, stmt in enumerate(checks):
        out.append((k, None))
        names = _check_calls(stmt) or []
        if len(names) > 1:
            out.extend((k, i) for i in range(len(names)))
    return out


def remove(source: str, check: int, alternative: int | None = None) -> str | None:
    """``source`` without check number ``check`` of its region (or only that check's
    ``alternative``), then without block defs and the split that are no longer used."""
    sol = _load(source)
    if sol is None:
        return None
    checks = [s for s in sol.region() if _is_check(s)]
    if not 0 <= check < len(checks):
        return None
    stmt = checks[check]
    assert isinstance(stmt, ast.If) and isinstance(stmt.test, ast.UnaryOp)
    cond = stmt.test.operand
    if alternative is None:
        sol.fn.body.remove(stmt)
    elif (
        isinstance(cond, ast.BoolOp)
        and len(cond.values) > 1
        and 0 <= alternative < len(cond.values)
    ):
        del cond.values[alternative]
        if len(cond.values) == 1:
            stmt.test.operand = cond.values[0]
    else:
        return None
    _collect_garbage(sol)
    return sol.render()


def _collect_garbage(sol: _Solution) -> None:
    """Drop the split if nothing reads local/domain, then block defs nothing calls."""
    at = sol.split_index()
    if at is not None:
        split = sol.fn.body[at]
        if not {LOCAL, DOMAIN} & _names_loaded(sol.fn, skip=split):
            del sol.fn.body[at]
    if not sol.fn.body:
        sol.fn.body.append(ast.Return(value=ast.Constant(value=True)))
    body = sol.tree.body
    loads = [_names_loaded(stmt) for stmt in body]
    changed = True
    while changed:
        changed = False
        for i, stmt in enumerate(body):
            name = stmt.name if isinstance(stmt, ast.FunctionDef) else ""
            if name in BY_NAME and not any(name in n for k, n in enumerate(loads) if k != i):
                del body[i], loads[i]
                changed = True
                break


def replacements(source: str) -> dict[str, list[int]]:
    """Block defs in ``source`` -> the variants that differ from the def as it stands."""
    tree = _parse(source)
    if tree is None:
        return {}
    current = {s.name: s for s in tree.body if isinstance(s, ast.FunctionDef)}
    out: dict[str, list[int]] = {}
    for name, stmt in current.items():
        if name in BY_NAME:
            now = ast.dump(stmt)
            count = len(BY_NAME[name].variants)
            others = [i for i in range(count) if _variant_dump(name, i) != now]
            if others:
                out[name] = others
    return out


@functools.cache
def _variant_dump(name: str, variant: int) -> str:
    return ast.dump(_parse_def(BY_NAME[name].variants[variant]))


def replace_variant(source: str, name: str, variant: int) -> str | None:
    """``source`` with the def of block ``name`` replaced by its ``variant``."""
    block = BY_NAME.get(name)
    sol = _load(source)
    if block is None or sol is None or not 0 <= variant < len(block.variants):
        return None
    at = sol.defs().get(name)
    if at is None:
        return None
    if _variant_dump(name, variant) == ast.dump(sol.tree.body[at]):
        return None
    sol.tree.body[at] = _parse_def(block.variants[variant])
    return sol.render()


def _constant_sites(tree: ast.Module) -> list[ast.Constant]:
    """Int constants >= 2 outside subscripts (limits, not indices), in a fixed order."""
    out: list[ast.Constant] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Subscript):
            stack.append(node.value)
            continue
        if isinstance(node, ast.Constant) and type(node.value) is int and node.value >= 2:
            out.append(node)
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return out


def _edit_tree(source: str) -> ast.Module | None:
    """The (normalised, if it has an entry function) tree that edits apply to."""
    sol = _load(source)
    return sol.tree if sol is not None else _parse(source)


def tunings(source: str) -> list[list[int]]:
    """Per tunable constant of ``source`` (in order), the values ``tune`` may set."""
    tree = _edit_tree(source)
    if tree is None:
        return []
    out = []
    for node in _constant_sites(tree):
        v = node.value
        if not isinstance(v, int):  # pragma: no cover - _constant_sites keeps ints only
            continue
        near = {v - 1, v + 1} | {x for x in INTERESTING if v / 2 <= x <= 2 * v}
        out.append(sorted(x for x in near if x != v and x >= 0))
    return out


def tune(source: str, site: int, value: int) -> str | None:
    """``source`` with its tunable constant number ``site`` set to ``value``."""
    tree = _edit_tree(source)
    if tree is None:
        return None
    sites = _constant_sites(tree)
    if not 0 <= site < len(sites) or sites[site].value == value or value < 0:
        return None
    sites[site].value = value
    return _render(tree)


# ---- the operators ---------------------------------------------------------------------------


def _changed(source: str, result: str | None) -> str | None:
    """``result`` unless it is None or ``source`` itself.

    Every edit changes the tree (an added call, a dropped check, a different def, another
    value), and normalising a final ``return <expr>`` cannot undo one, so comparing the
    text is enough.
    """
    return None if result is None or result == source else result


@dataclass
class EmailInsert(SafeOperator):
    """Add a random unused block (random variant, and random split variant if needed)."""

    name: str = "email_insert"

    def apply(self, source: str, rng: random.Random) -> str | None:
        names = insertable(source)
        if not names:
            return None
        block = BY_NAME[names[rng.randrange(len(names))]]
        variant = rng.randrange(len(block.variants))
        split_variant = rng.randrange(len(BY_NAME[SPLIT].variants))
        return _changed(source, insert_block(source, block.name, variant, split_variant))


@dataclass
class EmailRemove(SafeOperator):
    """Drop a random check, or one alternative of an ``or`` check."""

    name: str = "email_remove"

    def apply(self, source: str, rng: random.Random) -> str | None:
        options = removals(source)
        if not options:
            return None
        check, alternative = options[rng.randrange(len(options))]
        return _changed(source, remove(source, check, alternative))


@dataclass
class EmailReplace(SafeOperator):
    """Swap a random block def for another of its variants."""

    name: str = "email_replace"

    def apply(self, source: str, rng: random.Random) -> str | None:
        options = replacements(source)
        if not options:
            return None
        names = sorted(options)
        name = names[rng.randrange(len(names))]
        variants = options[name]
        return _changed(
            source, replace_variant(source, name, variants[rng.randrange(len(variants))])
        )


@dataclass
class EmailTune(SafeOperator):
    """Move a random integer limit by one or to a nearby interesting number."""

    name: str = "email_tune"

    def apply(self, source: str, rng: random.Random) -> str | None:
        options = tunings(source)
        if not options:
            return None
        site = rng.randrange(len(options))
        values = options[site]
        return _changed(source, tune(source, site, values[rng.randrange(len(values))]))


def email_operators() -> list[EmailInsert | EmailRemove | EmailReplace | EmailTune]:
    """The four ``email_*`` operators, in a fixed order."""
    return [EmailInsert(), EmailRemove(), EmailReplace(), EmailTune()]
