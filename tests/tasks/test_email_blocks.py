"""Tests of the email rule blocks and the ``email_*`` operators (tasks.email_validation.blocks).

The blocks are trusted task code, so solutions built from them run in-process here.
"""

from __future__ import annotations

import ast
import contextlib
import random
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.email_validation import FIXED, SEED_SOLUTION, EmailValidation, grammar
from tasks.email_validation import blocks as bl
from tasks.email_validation.strategies import mailbox_inputs

FAST = settings(database=None, deadline=None, max_examples=60)

FULL = (
    "_dot_atom",
    "_quoted_local",
    "_hostname",
    "_ipv4_literal",
    "_ipv6_literal",
    "_local_length",
    "_total_length",
)
"""The blocks (variant 0 each) of the explicit path to a near-perfect validator."""

SHALLOW = ("_dot_atom", "_hostname")
"""Enough for the whole fixed suite."""


class Scripted(random.Random):
    """An rng whose ``randrange`` answers are given in advance (the operators use only it)."""

    def __init__(self, *answers: int) -> None:
        super().__init__(0)
        self.answers = list(answers)

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        value = self.answers.pop(0)
        assert stop is None and 0 <= value < start, (value, start)
        return value


Labelled = tuple[list[str], list[bool]]


@pytest.fixture(scope="module")
def hidden() -> Labelled:
    suite = EmailValidation().hidden_suite()
    return [c.args[0] for c in suite], [bool(c.expected) for c in suite]


@pytest.fixture(scope="module")
def fixed() -> Labelled:
    return list(FIXED), [grammar.validate_email(s) for s in FIXED]


def load(source: str) -> Callable[[str], Any]:
    namespace: dict[str, Any] = {}
    exec(compile(source, "<solution>", "exec"), namespace)
    fn: Callable[[str], Any] = namespace["validate_email"]
    return fn


def accuracy(source: str, data: Labelled) -> float:
    fn = load(source)
    inputs, labels = data
    right = 0
    for s, want in zip(inputs, labels, strict=True):
        with contextlib.suppress(Exception):
            right += fn(s) is want
    return right / len(inputs)


def insert_step(source: str, name: str, variant: int = 0, split_variant: int = 0) -> str:
    """One ``email_insert`` application whose rng picks exactly this block and variant."""
    rng = Scripted(bl.insertable(source).index(name), variant, split_variant)
    out = bl.EmailInsert()(source, rng)
    assert out is not None and not rng.answers
    assert out == bl.insert_block(source, name, variant, split_variant)
    return out


def remove_step(source: str, check: int, alternative: int | None = None) -> str:
    rng = Scripted(bl.removals(source).index((check, alternative)))
    out = bl.EmailRemove()(source, rng)
    assert out is not None
    return out


def build(names: tuple[str, ...], *, drop_naive: bool = True) -> str:
    source = SEED_SOLUTION
    for name in names:
        source = insert_step(source, name)
    return remove_step(source, 0) if drop_naive else source


def compiles(source: str) -> bool:
    compile(source, "<t>", "exec", dont_inherit=True)
    return True


# ---- reachability ----------------------------------------------------------------------------


def test_explicit_path_from_the_seed_reaches_the_hidden_bar(
    hidden: Labelled, fixed: Labelled
) -> None:
    """Eight operator applications: seven inserts (variant 0) and dropping the naive check."""
    source = build(FULL)
    assert accuracy(source, hidden) >= 0.97
    assert accuracy(source, hidden) == 1.0
    assert accuracy(source, fixed) == 1.0
    fn = next(s for s in ast.parse(source).body if getattr(s, "name", "") == "validate_email")
    assert "'@' in s" not in ast.unparse(fn)


def test_path_improves_hidden_accuracy_step_by_step(hidden: Labelled) -> None:
    source, last = SEED_SOLUTION, accuracy(SEED_SOLUTION, hidden)
    for name in FULL:
        source = insert_step(source, name)
        now = accuracy(source, hidden)
        assert now > last, name
        last = now


def test_full_combination_agrees_with_the_oracle_on_fresh_inputs() -> None:
    fn = load(build(FULL))

    @FAST
    @given(st.one_of(mailbox_inputs(), st.tuples(st.text(max_size=40))))
    def check(args: tuple[str]) -> None:
        assert fn(args[0]) is grammar.validate_email(args[0])

    check()


def test_fixed_suite_alone_is_satisfied_by_a_shallow_validator(
    hidden: Labelled, fixed: Labelled
) -> None:
    """Two blocks and no naive check pass every fixed case, yet fail much of the hidden
    suite; no deeper block scores higher on the fixed suite (and ties favour shorter code)."""
    shallow = build(SHALLOW)
    assert accuracy(shallow, fixed) == 1.0
    assert accuracy(shallow, hidden) < 0.8
    for name in bl.insertable(shallow):
        deeper = bl.insert_block(shallow, name)
        assert deeper is not None and len(deeper) > len(shallow)
        assert accuracy(deeper, fixed) <= 1.0


def test_no_single_block_reaches_the_bar(hidden: Labelled) -> None:
    """Any one block, any variant, with or without the naive check: below 0.95."""
    best = 0.0
    for block in bl.BLOCKS:
        if block.slot == "split":
            continue
        splits = len(bl.BY_NAME[bl.SPLIT].variants) if block.arg != "s" else 1
        for variant in range(len(block.variants)):
            for split_variant in range(splits):
                one = bl.insert_block(SEED_SOLUTION, block.name, variant, split_variant)
                assert one is not None
                alone = bl.remove(one, 0)
                assert alone is not None
                best = max(best, accuracy(one, hidden), accuracy(alone, hidden))
    assert best < 0.95
    assert best < 0.8


HIDDEN_BLIND_SPOTS = {
    ("_ipv4_literal", 1): "a@[256.1.1.1]",
    ("_ipv4_literal", 2): "a@[0001.1.1.1]",
    ("_no_double_dot", 0): '"a..b"@example.com',
}
"""Wrong variants and decoys the hidden suite does not catch, each with an input that shows
the error: its IPv4 numbers are drawn from 0-255 with at most 3 digits, and one-character
edits rarely make a 256-999 or a 4-digit number; quoted strings rarely hold "..". """


def test_every_wrong_variant_costs_hidden_accuracy(hidden: Labelled) -> None:
    """Each non-faithful variant, swapped into the perfect combination, loses cases."""
    full = build(FULL)
    for name in (bl.SPLIT, *FULL):
        for variant in range(1, len(bl.BY_NAME[name].variants)):
            worse = bl.replace_variant(full, name, variant)
            assert worse is not None
            witness = HIDDEN_BLIND_SPOTS.get((name, variant))
            if witness is None:
                assert accuracy(worse, hidden) < 1.0, (name, variant)
            else:
                assert load(worse)(witness) is not grammar.validate_email(witness)


def test_decoys_cost_hidden_accuracy(hidden: Labelled) -> None:
    full = build(FULL)
    for name in ("_one_at", "_no_space", "_no_double_dot", "_has_tld"):
        worse = bl.insert_block(full, name)
        assert worse is not None
        witness = HIDDEN_BLIND_SPOTS.get((name, 0))
        if witness is None:
            assert accuracy(worse, hidden) < 1.0, name
        else:
            assert load(worse)(witness) is not grammar.validate_email(witness)


def test_tuning_a_limit_matters(hidden: Labelled) -> None:
    full = build(FULL)
    options = bl.tunings(full)
    values = [n.value for n in bl._constant_sites(ast.parse(full))]
    assert 63 in values and 254 in values and 64 in values
    site = values.index(63)
    assert 64 in options[site] and 62 in options[site]
    looser = bl.tune(full, site, 64)
    assert looser is not None and accuracy(looser, hidden) < 1.0
    rng = Scripted(site, options[site].index(64))
    assert bl.EmailTune()(full, rng) == looser


# ---- operator behaviour ----------------------------------------------------------------------


def test_blocks_compose_as_alternatives_and_requirements() -> None:
    source = build(("_dot_atom", "_quoted_local", "_hostname", "_total_length"))
    fn = next(s for s in ast.parse(source).body if getattr(s, "name", "") == "validate_email")
    text = ast.unparse(fn)
    assert "local, domain = _split_at_last_at(s)" in text
    assert "if not (_dot_atom(local) or _quoted_local(local)):" in text
    assert "if not _hostname(domain):" in text
    assert "if not _total_length(s):" in text
    assert text.rstrip().endswith("return True")


def test_remove_collects_unused_defs_and_the_split() -> None:
    source = insert_step(SEED_SOLUTION, "_dot_atom")
    assert "def _dot_atom" in source and "def _split_at_last_at" in source
    back = remove_step(source, 1)
    assert "_dot_atom" not in back and "_split_at_last_at" not in back
    assert load(back)("a@b.c") is True and load(back)("ab") is False


def test_remove_one_alternative() -> None:
    source = build(("_dot_atom", "_quoted_local"), drop_naive=False)
    out = remove_step(source, 1, 0)
    assert "_dot_atom" not in out and "if not _quoted_local(local)" in out


def test_replace_picks_a_different_variant() -> None:
    source = insert_step(SEED_SOLUTION, "_hostname")
    options = bl.replacements(source)
    assert options["_hostname"] == list(range(1, len(bl.BY_NAME["_hostname"].variants)))
    out = bl.EmailReplace()(source, Scripted(sorted(options).index("_hostname"), 0))
    assert out is not None and "<= 64" in out


def test_operators_do_not_apply_where_they_cannot() -> None:
    assert bl.EmailReplace()(SEED_SOLUTION, random.Random(0)) is None
    assert bl.EmailTune()(SEED_SOLUTION, random.Random(0)) is None
    no_entry = "def other(s):\n    return True\n"
    for op in bl.email_operators():
        for source in ("", "def (:", no_entry, "def validate_email():\n    return 1\n"):
            assert op(source, random.Random(0)) is None, (op.name, source)
    full = build(FULL)
    assert bl.insert_block(full, "_hostname") is None
    assert bl.insert_block(full, "no_such_block") is None
    assert bl.remove(full, 99) is None
    assert bl.replace_variant(full, "_hostname", 0) is None


def test_operators_work_on_a_foreign_solution() -> None:
    foreign = (
        "def validate_email(addr):\n"
        '    """Mine."""\n'
        "    if len(addr) > 300:\n"
        "        return False\n"
        '    return addr.count("@") == 1\n'
    )
    out = insert_step(foreign, "_hostname")
    assert "local, domain = _split_at_last_at(addr)" in out
    assert load(out)("a@b-") is False and load(out)("a@b") is True
    assert bl.tunings(foreign) == [[253, 254, 255, 256, 299, 301, 320]]


def test_operators_handle_a_body_of_checks_only() -> None:
    """A region that runs to the end of the body (no final return), or a docstring alone."""
    full = build(("_dot_atom", "_hostname"))
    checks_only = full.replace("    return True\n", "")
    assert checks_only != full
    for k in range(len(bl.removals(checks_only))):
        assert compiles(remove_step(checks_only, *bl.removals(checks_only)[k]))
    assert compiles(insert_step(checks_only, "_total_length"))
    doc_only = 'def validate_email(s):\n    """Nothing yet."""\n'
    out = insert_step(doc_only, "_hostname")
    assert out.index('"""Nothing yet."""') < out.index("local, domain = _split_at_last_at(s)")
    assert bl.removals(doc_only) == []


@FAST
@given(st.integers(0, 2**32), st.integers(1, 3))
def test_random_sequences_from_the_seed_stay_compilable(seed: int, steps: int) -> None:
    rng = random.Random(seed)
    ops = bl.email_operators()
    source = SEED_SOLUTION
    for _ in range(steps):
        op = ops[rng.randrange(len(ops))]
        out = op(source, rng)
        if out is not None:
            assert compiles(out) and out != source
            fn = load(out)
            assert fn("user@example.com") in (True, False)
            source = out


@settings(FAST, max_examples=10)
@given(st.integers(0, 2**32))
def test_operators_are_deterministic(seed: int) -> None:
    source = build(("_dot_atom", "_hostname", "_ipv6_literal"), drop_naive=False)
    for op in bl.email_operators():
        assert op(source, random.Random(seed)) == op(source, random.Random(seed))


@FAST
@given(st.text(max_size=200))
def test_operators_never_raise_on_garbage(text: str) -> None:
    for op in bl.email_operators():
        out = op(text, random.Random(0))
        assert out is None or compiles(out)


@FAST
@given(st.text(max_size=80))
def test_blocks_never_raise_and_return_bools(text: str) -> None:
    for block in bl.BLOCKS:
        for source in block.variants:
            namespace: dict[str, Any] = {}
            exec(source, namespace)
            result = namespace[block.name](text)
            expected_type = tuple if block.slot == "split" else bool
            assert type(result) is expected_type


def test_task_offers_the_email_operators() -> None:
    names = [op.name for op in EmailValidation().mutation_operators()]
    assert names == ["email_insert", "email_remove", "email_replace", "email_tune"]
    assert EmailValidation().seed_solution == SEED_SOLUTION
