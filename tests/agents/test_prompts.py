"""Prompt builders and the extractors of code, inputs and proposers from model answers."""

from __future__ import annotations

import ast
import json
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.context import Failure
from agents.prompts import (
    code_prompt,
    extract_code,
    extract_proposer,
    meta_prompt,
    parse_inputs,
    test_prompt,
)
from agents.proposer_checks import static_check
from agents.proposers import SEED_PROPOSER

SQUARE = "def square(x):\n    return x * x\n"
FENCE = "```"

# ---- code ------------------------------------------------------------------------------------


def test_code_prompt_holds_spec_solution_and_failures() -> None:
    failures = [
        Failure(input=[3], expected=9, actual=6, outcome="fail", message=None),
        Failure(input=[-1], expected=1, actual=None, outcome="error", message="ValueError: x"),
        Failure(input=[10**9], expected=10**18, actual=None, outcome="timeout", message=None),
    ]
    messages = code_prompt(
        "Return x * x.", "def square(x: int) -> int", "def square(x):\n    return x + x\n", failures
    )
    assert [m["role"] for m in messages] == ["system", "user"]
    user = messages[1]["content"]
    for needle in (
        "Return x * x.",
        "return x + x",
        "expected 9, got 6",
        "ValueError: x",
        "timed out",
        "`square`",
        "whole module",
    ):
        assert needle in user
    many = [failures[0]] * 20
    assert code_prompt("s", "def f(x)", "def f(x): pass", many)[1]["content"].count("input (") == 8


def test_extract_code_fenced() -> None:
    text = f"Here is the fix:\n{FENCE}python\n{SQUARE}{FENCE}\nIt squares x."
    assert extract_code(text, "square") == SQUARE


def test_extract_code_picks_the_block_defining_the_entry_point() -> None:
    text = (
        f"{FENCE}python\ndef helper():\n    pass\n{FENCE}\n"
        f"{FENCE}py\n{SQUARE}{FENCE}\n"
        f"Usage:\n{FENCE}python\nprint(square(3))\n{FENCE}\n"
    )
    assert extract_code(text, "square") == SQUARE
    later = text + f"{FENCE}python\ndef square(x):\n    return x ** 2\n{FENCE}\n"
    assert extract_code(later, "square") == "def square(x):\n    return x ** 2\n"


def test_extract_code_bare_with_prose_around() -> None:
    assert extract_code(SQUARE, "square") == SQUARE
    text = f"Sure! The corrected function:\n\n{SQUARE}\nThis handles negatives too."
    assert extract_code(text, "square") == SQUARE
    data = "COMPARATORS = [(0, 1), (2, 3)]"
    assert extract_code(f"Here:\n{data}\n", "COMPARATORS") == data + "\n"


def test_extract_code_rejects_prose_and_bad_code() -> None:
    assert extract_code("I am sorry, I cannot help with that.", "square") is None
    assert extract_code("square", "square") is None  # compiles, defines nothing
    assert extract_code(f"{FENCE}python\ndef square(x:\n    return x\n{FENCE}", "square") is None
    assert extract_code(f"{FENCE}python\ndef cube(x):\n    return x**3\n{FENCE}", "square") is None
    assert extract_code(f"{FENCE}javascript\nfunction square(x) {{}}\n{FENCE}", "square") is None
    assert extract_code("", "square") is None


@settings(max_examples=50, deadline=None, database=None)
@given(
    name=st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True).filter(
        lambda n: (
            n
            not in {
                "if",
                "in",
                "is",
                "or",
                "as",
                "def",
                "for",
                "and",
                "not",
                "del",
                "try",
                "with",
                "else",
                "from",
                "pass",
                "elif",
                "while",
                "class",
                "break",
                "raise",
                "yield",
                "async",
                "await",
                "global",
                "lambda",
                "return",
                "assert",
                "except",
                "import",
                "finally",
                "continue",
                "nonlocal",
            }
        )
    ),
    prose=st.text(alphabet=string.ascii_letters + " ,.!", max_size=60),
    fenced=st.booleans(),
)
def test_extract_code_round_trips(name: str, prose: str, fenced: bool) -> None:
    code = f"def {name}(x):\n    return x\n"
    body = f"{FENCE}python\n{code}{FENCE}" if fenced else code
    text = f"{prose}\n{body}\n{prose}"
    got = extract_code(text, name)
    if got is not None:  # prose that is itself code can mask a bare answer
        assert ast.dump(ast.parse(got)) == ast.dump(ast.parse(code)) or name in got
    if fenced or not prose.strip():
        assert got == code


# ---- tests -----------------------------------------------------------------------------------


def test_test_prompt_asks_for_inputs_only() -> None:
    messages = test_prompt(
        "Validate an email.", "def validate_email(s: str) -> bool", [("a@b",)], 5
    )
    user = messages[1]["content"]
    assert "JSON list of 5 argument lists" in user and '["a@b"]' in user
    assert "do not give expected outputs" in user


def test_parse_inputs_shapes() -> None:
    assert parse_inputs('[["a"], ["b"], ["a"]]', 1) == [("a",), ("b",)]
    assert parse_inputs("Sure:\n```json\n[[1, 2], [3, 4]]\n```", 2) == [(1, 2), (3, 4)]
    assert parse_inputs("Here are some: [[1, 2], [3], 5, [6, 7]] ok", 2) == [(1, 2), (6, 7)]
    assert parse_inputs('["x", "y"]', 1) == [("x",), ("y",)]  # bare values, arity 1
    assert parse_inputs("[[[1, 2, 3]]]", 1) == [([1, 2, 3],)]  # one list argument


def test_parse_inputs_rejects_malformed_and_outputs() -> None:
    assert parse_inputs("no json here", 1) is None
    assert parse_inputs("[[1], [2]", 1) is None
    assert parse_inputs('{"inputs": [[1]]}', 1) == [(1,)]  # lenient: the outermost list
    assert parse_inputs('{"inputs": [[1]], "expected": [1]}', 1) is None
    assert parse_inputs('[{"input": [1], "expected": 1}]', 1) is None
    assert parse_inputs("[[1, 2]]", 1) is None
    assert parse_inputs("[]", 1) is None


@settings(max_examples=60, deadline=None, database=None)
@given(
    st.lists(
        st.lists(
            st.one_of(st.integers(), st.text(max_size=8), st.booleans()), min_size=2, max_size=2
        ),
        min_size=1,
        max_size=10,
    ),
    st.text(alphabet=string.ascii_letters + " .:", max_size=30),
)
def test_parse_inputs_round_trips(inputs: list[list[object]], prose: str) -> None:
    text = f"{prose}\n{json.dumps(inputs)}\n{prose}"
    got = parse_inputs(text, 2)
    expected: dict[str, tuple[object, ...]] = {}
    for args in inputs:  # dedup by JSON text: 0 and False are different inputs
        expected.setdefault(json.dumps(args, sort_keys=True), tuple(args))
    assert got == list(expected.values())


# ---- meta ------------------------------------------------------------------------------------


def test_meta_prompt_holds_the_proposer_and_the_contract() -> None:
    messages = meta_prompt(SEED_PROPOSER)
    user = messages[1]["content"]
    assert SEED_PROPOSER.rstrip() in user and "ctx.llm(prompt)" in user and "def propose" in user


def test_extract_proposer() -> None:
    good = "import random\n\ndef propose(ctx):\n    return [ctx.solution]\n"
    assert extract_proposer(f"Improved:\n{FENCE}python\n{good}{FENCE}\nDone.") == good
    assert (
        extract_proposer(f"{FENCE}python\n{SEED_PROPOSER}{FENCE}")
        == SEED_PROPOSER.strip("\n") + "\n"
    )
    assert extract_proposer(good) == good
    bad_import = f"{FENCE}python\nimport os\ndef propose(ctx):\n    return []\n{FENCE}"
    assert extract_proposer(bad_import) is None
    assert extract_proposer(f"{FENCE}python\ndef propose(a, b):\n    return []\n{FENCE}") is None
    assert extract_proposer("I would make it search harder.") is None
    extracted = extract_proposer(f"{FENCE}python\n{good}{FENCE}")
    assert extracted is not None and static_check(extracted) is None
