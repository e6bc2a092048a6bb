"""Tests of agents.operators (generic operators, guard, crossover, the operator table) and of
the sorting-network task's ``net_*`` operators."""

from __future__ import annotations

import ast
import itertools
import random
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.operators import (
    crossover,
    generic_operators,
    make_guard_operator,
    normal_form,
    operator_table,
)
from tasks.base import Case, MutationOperator
from tasks.email_validation import SEED_SOLUTION, EmailValidation
from tasks.email_validation import blocks as bl
from tasks.sorting_network import (
    SortingNetworkTask,
    parse_network,
    read_comparators,
    redundant_positions,
)

FAST = settings(database=None, deadline=None, max_examples=40)

CLASSIFY = '''\
def classify(n):
    """Sign-ish."""
    if n < 0:
        return -1
    total = 0
    for i in range(n):
        if i % 2:
            continue
        total += i
    while total > 100:
        total -= 7
        break
    return total
'''

MODULE = """\
from __future__ import annotations

import math

LIMIT = 10
counter = 0


class Box:
    def __init__(self, v):
        self.v = v


def helper(x):
    global counter
    counter += 1
    return [y * 2 for y in range(x) if y % 3]


def f(xs, k=2):
    def inner():
        nonlocal k
        k += 1
        return k

    try:
        with open('/dev/null') as fh:
            fh.read()
    except OSError:
        pass
    finally:
        k = inner()
    if (n := len(xs)) > LIMIT:
        return math.floor(n / k)
    match xs:
        case [a, *_]:
            return helper(a)
        case _:
            return lambda: Box(k)


async def g(q):
    async for item in q:
        await item
    return None


def gen(n):
    yield n
    yield from range(n)
"""

PROGRAMS = {
    "email_seed": SEED_SOLUTION,
    "classify": CLASSIFY,
    "module": MODULE,
    "sorting": "# 4 wires.\nCOMPARATORS = [(0, 1), (2, 3), (0, 2), (1, 3), (1, 2)]\n",
    "empty": "",
    "comment": "# nothing here\n",
    "expression": "1 + 1\n",
    "one_liner": "def f(x): return x + 1\n",
}

WEIRD = [
    "\x00",
    "def f(:\n",
    "(" * 300,
    "x = " + "(" * 90 + "1" + ")" * 90 + "\n",
    "return 1\n",
    "break\n",
    "def f():\n\treturn 1\n        return 2\n",
    "\ufeffdef f():\n    pass\n",
    "def f():\n    nonlocal x\n",
    "yield 1\n",
    "await x\n",
    "x = 1\r\ny = x\r\n",
    "class C:\n    def m(self):\n        return __class__\n",
    "x = " + "-" * 900 + "1\n",
    "def f(x):\n    return " + "not " * 2000 + "x\n",
    "def f(x):\n    return x" + " + x" * 3000 + "\n",
]


def compiles(source: str) -> bool:
    try:
        compile(source, "<t>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def all_operators() -> list[MutationOperator]:
    failures = [{"input": ["a@b"], "expected": True}, {"input": [3], "expected": 1}]
    return [
        *generic_operators("f"),
        make_guard_operator("validate_email", failures),
        make_guard_operator("classify", failures),
        *EmailValidation().mutation_operators(),
        *SortingNetworkTask(4).mutation_operators(),
    ]


def check_result(op: MutationOperator, source: str, seed: int) -> str | None:
    """The shared contract: deterministic, None or new compiling source."""
    out = op(source, random.Random(seed))
    assert out == op(source, random.Random(seed)), op.name
    if out is not None:
        assert compiles(out), (op.name, out)
        assert out != source and out != normal_form(source), op.name
    return out


# ---- generic operators -----------------------------------------------------------------------


def test_generic_operator_names() -> None:
    names = [op.name for op in generic_operators("f")]
    assert names == [
        "ast_point",
        "delete_statement",
        "duplicate_statement",
        "insert_statement",
        "swap_statements",
    ]


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_every_operator_keeps_the_contract_on_programs(name: str) -> None:
    source = PROGRAMS[name]
    for op in all_operators():
        for seed in range(6):
            check_result(op, source, seed)


def test_operators_apply_to_real_programs() -> None:
    for op in generic_operators("classify"):
        results = {op(CLASSIFY, random.Random(seed)) for seed in range(10)}
        results.discard(None)
        assert len(results) >= 2, op.name


def test_statement_operators_do_what_they_say() -> None:
    two = "def f(x):\n    a = 1\n    b = 2\n    return a + b\n"
    swapped = generic_operators("f")[4](two, random.Random(0))
    assert swapped is not None
    lines = [ln.strip() for ln in swapped.splitlines()[1:]]
    assert lines in (["b = 2", "a = 1", "return a + b"], ["a = 1", "return a + b", "b = 2"])
    deleted = generic_operators("f")[1](two, random.Random(0))
    assert deleted is not None and deleted.count("\n") == 3
    duplicated = generic_operators("f")[2](two, random.Random(0))
    assert duplicated is not None and duplicated.count("\n") == 5
    inserted = generic_operators("f")[3](two, random.Random(0))
    assert inserted is not None and inserted.count("\n") == 5


def test_insert_statement_copies_into_function_bodies_only() -> None:
    source = "X = 1\nY = X + 1\n\ndef f(a):\n    return a\n"
    op = generic_operators("f")[3]
    for seed in range(10):
        out = op(source, random.Random(seed))
        assert out is not None
        tree = ast.parse(out)
        assert len(tree.body) == 3  # nothing added at module level
        fn = tree.body[2]
        assert isinstance(fn, ast.FunctionDef) and len(fn.body) == 2


def test_delete_never_drops_definitions() -> None:
    source = "import os\n\ndef f():\n    pass\n"
    for op in generic_operators("f")[1:3]:
        assert op(source, random.Random(0)) is None


@pytest.mark.parametrize("source", WEIRD)
def test_weird_sources(source: str) -> None:
    for op in all_operators():
        check_result(op, source, 0)
    for a, b in ((source, CLASSIFY), (CLASSIFY, source), (source, source)):
        child = crossover(a, b, random.Random(0), "f")
        assert child is None or compiles(child)


@FAST
@given(st.text(max_size=120), st.integers(0, 2**16))
def test_operators_never_raise_on_text(text: str, seed: int) -> None:
    for op in all_operators():
        check_result(op, text, seed)
    child = crossover(text, CLASSIFY, random.Random(seed), "classify")
    assert child is None or compiles(child)


@FAST
@given(st.sampled_from(sorted(PROGRAMS)), st.integers(0, 2**32))
def test_random_walks_keep_the_contract(name: str, seed: int) -> None:
    rng = random.Random(seed)
    ops = all_operators()
    source = PROGRAMS[name]
    for _ in range(5):
        op = ops[rng.randrange(len(ops))]
        out = check_result(op, source, rng.randrange(1000))
        if out is not None:
            source = out


@settings(FAST, max_examples=25)
@given(st.booleans(), st.integers(0, 2**32))
def test_mixed_walks_on_email_solutions(from_blocks: bool, seed: int) -> None:
    """Generic, email and guard operators interleaved, from the seed or a block solution."""
    failures = [{"input": ["user@example"], "expected": True}]
    ops = list(operator_table(EmailValidation(), failures).values())
    source = blocks_solution("_dot_atom", "_hostname") if from_blocks else SEED_SOLUTION
    rng = random.Random(seed)
    for _ in range(6):
        op = ops[rng.randrange(len(ops))]
        out = check_result(op, source, rng.randrange(1000))
        if out is not None:
            source = out


# ---- guard -----------------------------------------------------------------------------------


def run(source: str, entry: str, *args: Any) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(source, "<t>", "exec"), namespace)
    return namespace[entry](*args)


def test_guard_makes_the_failing_input_pass() -> None:
    failure = {"input": ["user@example"], "expected": True, "actual": False}
    op = make_guard_operator("validate_email", [failure])
    assert op.name == "guard"
    assert run(SEED_SOLUTION, "validate_email", "user@example") is False
    out = op(SEED_SOLUTION, random.Random(0))
    assert out is not None
    assert run(out, "validate_email", "user@example") is True
    assert run(out, "validate_email", "a@b.c") is True
    assert run(out, "validate_email", "ab") is False
    assert op(out, random.Random(0)) is None  # already guarded


def test_guard_with_several_arguments_keeps_the_docstring() -> None:
    source = 'def add(a, b):\n    """Sum."""\n    return a - b\n'
    failures = [{"input": [2, 3], "expected": 5}, {"input": [[1], "x"], "expected": [1, "x"]}]
    op = make_guard_operator("add", failures)
    outs = {op(source, random.Random(seed)) for seed in range(10)}
    assert len(outs) == 2
    for out in outs:
        assert out is not None
        assert ast.get_docstring(ast.parse(out).body[0]) == "Sum."  # type: ignore[arg-type]
        assert run(out, "add", 7, 1) == 6
    fixed = next(o for o in outs if o is not None and "(2, 3)" in o)
    assert run(fixed, "add", 2, 3) == 5


@pytest.mark.parametrize(
    "failure",
    [
        {"input": ["x"], "expected": float("nan")},
        {"input": [float("inf")], "expected": 1},
        {"input": ["x", "y"], "expected": 1},
        {"input": "x", "expected": 1},
        {"expected": 1},
        {"input": [object()], "expected": 1},
        {"input": ["x" * 5000], "expected": 1},
    ],
)
def test_guard_skips_cases_it_cannot_write(failure: dict[str, Any]) -> None:
    op = make_guard_operator("f", [failure])
    assert op("def f(s):\n    return 0\n", random.Random(0)) is None


def test_guard_needs_the_entry_function() -> None:
    op = make_guard_operator("COMPARATORS", [{"input": [[0, 1]], "expected": [0, 1]}])
    assert op(PROGRAMS["sorting"], random.Random(0)) is None
    op = make_guard_operator("g", [{"input": [1], "expected": 1}])
    assert op(CLASSIFY, random.Random(0)) is None


# ---- crossover -------------------------------------------------------------------------------


def blocks_solution(*names: str) -> str:
    source = SEED_SOLUTION
    for name in names:
        out = bl.insert_block(source, name)
        assert out is not None
        source = out
    return source


def test_crossover_combines_block_solutions() -> None:
    a = blocks_solution("_dot_atom", "_hostname")
    b = blocks_solution("_quoted_local", "_ipv4_literal", "_total_length")
    children = [crossover(a, b, random.Random(seed), "validate_email") for seed in range(30)]
    assert all(c is None or compiles(c) for c in children)
    made = [c for c in children if c is not None]
    assert len(made) >= 20
    assert all(c not in (a, b, normal_form(a), normal_form(b)) for c in made)
    assert any("def _dot_atom" in c and "def _ipv4_literal" in c for c in made)
    for child in made:
        namespace: dict[str, Any] = {}
        exec(compile(child, "<child>", "exec"), namespace)
        assert "validate_email" in namespace
    assert crossover(a, b, random.Random(3), "validate_email") == children[3]


def test_crossover_of_literal_networks_is_one_point() -> None:
    a = "COMPARATORS = [(0, 1), (1, 2), (2, 3)]\n"
    b = "COMPARATORS = [(0, 3), (0, 2), (1, 3), (1, 2)]\n"
    pairs_a = [(0, 1), (1, 2), (2, 3)]
    pairs_b = [(0, 3), (0, 2), (1, 3), (1, 2)]
    for seed in range(20):
        child = crossover(a, b, random.Random(seed), "COMPARATORS")
        if child is None:
            continue
        value = ast.literal_eval(child.split("=", 1)[1].strip())
        assert any(
            value == pairs_a[:i] + pairs_b[j:]
            for i in range(len(pairs_a) + 1)
            for j in range(len(pairs_b) + 1)
        )


def test_crossover_rejects_unparseable_parents() -> None:
    assert crossover("def (", CLASSIFY, random.Random(0), "classify") is None
    assert crossover(CLASSIFY, "\x00", random.Random(0), "classify") is None
    selfish = crossover(CLASSIFY, CLASSIFY, random.Random(0), "classify")
    assert selfish is None or (compiles(selfish) and selfish != normal_form(CLASSIFY))


@FAST
@given(
    st.sampled_from(sorted(PROGRAMS)),
    st.sampled_from(sorted(PROGRAMS)),
    st.sampled_from(["f", "classify", "validate_email", "COMPARATORS", "missing"]),
    st.integers(0, 2**32),
)
def test_crossover_always_compiles(a: str, b: str, entry: str, seed: int) -> None:
    child = crossover(PROGRAMS[a], PROGRAMS[b], random.Random(seed), entry)
    assert child == crossover(PROGRAMS[a], PROGRAMS[b], random.Random(seed), entry)
    if child is not None:
        assert compiles(child)
        assert child not in (normal_form(PROGRAMS[a]), normal_form(PROGRAMS[b]))


# ---- the table -------------------------------------------------------------------------------


def test_operator_table_for_each_task() -> None:
    email = operator_table(EmailValidation(), [{"input": ["x"], "expected": False}])
    assert list(email) == [
        "ast_point",
        "delete_statement",
        "duplicate_statement",
        "insert_statement",
        "swap_statements",
        "email_insert",
        "email_remove",
        "email_replace",
        "email_tune",
        "guard",
    ]
    assert all(op.name == name for name, op in email.items())
    sorting = operator_table(SortingNetworkTask(4))
    assert [n for n in sorting if n.startswith("net_")] == [
        "net_insert",
        "net_delete",
        "net_swap",
        "net_move",
        "net_rewire",
        "net_prune",
        "net_regrow",
    ]


def test_operator_table_rejects_duplicate_names() -> None:
    class Clashing(SortingNetworkTask):
        def mutation_operators(self, suite: Sequence[Case] = ()) -> list[MutationOperator]:
            return [generic_operators("x")[0]]

    with pytest.raises(ValueError, match="ast_point"):
        operator_table(Clashing(4))


# ---- sorting-network operators ---------------------------------------------------------------


def net_source(network: Any) -> str:
    return f"# my network\nCOMPARATORS = {network!r}\n"


def outputs(network: list[tuple[int, int]], n: int) -> list[list[int]]:
    result = []
    for bits in itertools.product((0, 1), repeat=n):
        v = list(bits)
        for i, j in network:
            v[i], v[j] = min(v[i], v[j]), max(v[i], v[j])
        result.append(v)
    return result


pairs = st.tuples(st.integers(-1, 8), st.integers(-1, 8))


@FAST
@given(st.integers(2, 8), st.lists(pairs, max_size=12), st.integers(0, 2**32))
def test_net_operators_keep_pairs_valid(n: int, network: list[Any], seed: int) -> None:
    task = SortingNetworkTask(n)
    source = net_source(network)
    for op in task.mutation_operators():
        out = check_result(op, source, seed)
        if out is None:
            continue
        assert out.startswith("# my network\n")
        found = read_comparators(out, n)
        assert found is not None
        value = ast.literal_eval(out.split("=", 1)[1].strip())
        assert parse_network(value, n, cap=task.cap) == found[0]


@FAST
@given(
    st.integers(2, 6),
    st.lists(st.sampled_from([(0, 1), (1, 2), (0, 2), (2, 3), (4, 5)]), max_size=10),
    st.integers(0, 2**32),
)
def test_net_prune_never_changes_behaviour(n: int, network: list[Any], seed: int) -> None:
    network = [p for p in network if p[1] < n]
    ops = {op.name: op for op in SortingNetworkTask(n).mutation_operators()}
    out = ops["net_prune"](net_source(network), random.Random(seed))
    if not redundant_positions(network):
        assert out is None
        return
    assert out is not None
    found = read_comparators(out, n)
    assert found is not None and len(found[0]) == len(network) - 1
    assert outputs(found[0], n) == outputs(network, n)


def test_net_operators_on_the_seed_and_on_bad_sources() -> None:
    task = SortingNetworkTask(8)
    ops = {op.name: op for op in task.mutation_operators()}
    seed = task.seed_solution
    grown = ops["net_insert"](seed, random.Random(0))
    assert grown is not None and grown.startswith("# Comparators")
    found = read_comparators(grown, 8)
    assert found is not None and len(found[0]) == 1
    for name in ("net_delete", "net_swap", "net_move", "net_rewire", "net_prune"):
        assert ops[name](seed, random.Random(0)) is None
    for bad in (
        "COMPARATORS = [(i, i + 1) for i in range(7)]\n",
        "COMPARATORS = [(0, 1, 2)]\n",
        "COMPARATORS = [(0, True)]\n",
        "COMPARATORS = 5\n",
        "X = [(0, 1)]\n",
        "COMPARATORS = [(0, 1)\n",
    ):
        for op in ops.values():
            assert op(bad, random.Random(0)) is None, (op.name, bad)


def test_net_operators_normalise_and_survive_odd_layouts() -> None:
    task = SortingNetworkTask(4)
    delete = task.mutation_operators()[1]
    out = delete("COMPARATORS = [(3, 1), (2, 2), (0, 9), (0, 1)]\n", random.Random(0))
    assert out is not None
    found = read_comparators(out, 4)
    assert found is not None and found[0] in ([(1, 3)], [(0, 1)])
    for source in (
        "x = 1; COMPARATORS = [(0, 1), (1, 2)]\n",
        "COMPARATORS: list[tuple[int, int]] = [(0, 1), (1, 2)]  # typed\n",
        "COMPARATORS = [(0, 1)]\nCOMPARATORS = [(0, 1), (2, 3)]\n",
    ):
        out = delete(source, random.Random(0))
        assert out is not None and compiles(out)
        found = read_comparators(out, 4)
        assert found is not None and len(found[0]) == 1


def test_net_insert_respects_the_cap() -> None:
    task = SortingNetworkTask(2)
    full = net_source([(0, 1)] * task.cap)
    assert task.mutation_operators()[0](full, random.Random(0)) is None
