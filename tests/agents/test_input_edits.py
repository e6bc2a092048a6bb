"""Tests of agents.input_edits: structural edits, the reduction layer and boundary inputs."""

from __future__ import annotations

import copy
import math
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents import input_edits as ie
from tasks import Task, get_task
from tasks.base import Args, input_key

QUICK = settings(
    database=None, deadline=None, max_examples=60, suppress_health_check=list(HealthCheck)
)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.text(max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.lists(inner, min_size=1, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=3), inner, max_size=3),
    ),
    max_leaves=12,
)
ARGS = st.lists(VALUES, min_size=1, max_size=3).map(tuple)


@pytest.fixture(scope="module")
def email() -> Task:
    return get_task("email_validation")


@pytest.fixture(scope="module")
def tasks() -> list[Task]:
    return [
        get_task("email_validation"),
        get_task("humaneval:id=3"),
        get_task("humaneval:id=7"),
        get_task("sorting_network:n=4"),
    ]


def _shape(value: Any) -> Any:
    """Outer structure that edits must keep: type, and length for tuples."""
    return (type(value), len(value)) if type(value) is tuple else type(value)


def _is_plain(value: Any) -> bool:
    """JSON-like: the only kinds of values an edit may produce."""
    if value is None or type(value) in (bool, int, float, str):
        return True
    if type(value) in (list, tuple):
        return all(_is_plain(v) for v in value)
    if type(value) is dict:
        return all(_is_plain(v) for v in value.values())
    return False


# ---- apply_random_edits ---------------------------------------------------------------------


@QUICK
@given(ARGS, st.integers(0, 2**32), st.integers(1, 8))
def test_random_edits_keep_arity_and_outer_types(args: Args, seed: int, max_edits: int) -> None:
    before = copy.deepcopy(args)
    out = ie.apply_random_edits(args, random.Random(seed), max_edits)
    assert type(out) is tuple and len(out) == len(args)
    assert [_shape(a) for a in out] == [_shape(a) for a in args]
    assert _is_plain(out)
    assert input_key(args) == input_key(before)  # the input was not mutated


@QUICK
@given(ARGS, st.integers(0, 2**32))
def test_random_edits_are_deterministic_per_rng(args: Args, seed: int) -> None:
    a = ie.apply_random_edits(args, random.Random(seed), 4)
    b = ie.apply_random_edits(args, random.Random(seed), 4)
    assert input_key(a) == input_key(b)


def test_random_edits_usually_change_the_input() -> None:
    args: Args = (["xxx", "asd", "john doe"], "xx")
    outs = [ie.apply_random_edits(args, random.Random(s), 2) for s in range(100)]
    changed = sum(input_key(o) != input_key(args) for o in outs)
    assert changed >= 85
    assert len({input_key(o) for o in outs}) >= 60  # and in many different ways


def test_bit_vectors_stay_bit_vectors_of_the_same_length() -> None:
    args: Args = ((0, 1, 1, 0, 1),)
    outs = [ie.apply_random_edits(args, random.Random(s), 3) for s in range(200)]
    for (bits,) in outs:
        assert type(bits) is tuple and len(bits) == 5
        assert set(bits) <= {0, 1} and all(type(b) is int for b in bits)
    assert len({o[0] for o in outs}) >= 10


def test_string_edits_use_the_vocabulary(email: Task) -> None:
    vocab = ie.task_vocabulary(email)
    assert {"@", ".", "e"} <= set(vocab.learned)
    assert vocab.learned.index("@") < vocab.learned.index("+")  # most frequent first
    assert {"0", "!", "é"} <= set(vocab.alphabet)
    assert len(set(vocab.alphabet)) == len(vocab.alphabet)
    outs = {ie.apply_random_edits(("ab",), random.Random(s), 1, vocab=vocab)[0] for s in range(300)}
    new_chars = set("".join(outs)) - {"a", "b"}
    assert "@" in new_chars and len(new_chars) >= 10


def test_list_insertions_use_elements_seen_at_the_same_place() -> None:
    vocab = ie.Vocabulary.from_inputs([([[1, 2], [3]],), ([],)])
    assert vocab.elements[(0, "*")] == ([3], [1, 2])
    assert vocab.elements[(0, "*", "*")] == (1, 2, 3)
    outs = [ie.apply_random_edits(([],), random.Random(s), 1, vocab=vocab) for s in range(50)]
    assert {input_key(o) for o in outs} == {input_key(([[3]],)), input_key(([[1, 2]],))}


def test_number_candidates_are_boundaries_without_the_value_itself() -> None:
    ints = ie.int_candidates(7)
    assert ints[:3] == [0, 1, -1] and {8, 6, -7, 14, 3, 2**31 - 1} <= set(ints)
    assert 7 not in ints and len(set(ints)) == len(ints)
    floats = ie.float_candidates(2.5)
    assert 2.5 not in floats and {0.0, 3.5, 1.25, -2.5} <= set(floats)
    assert math.nextafter(2.5, math.inf) in floats
    assert all(math.isfinite(f) for f in ie.float_candidates(1e308))


# ---- the reduction layer ----------------------------------------------------------------------


def test_reduction_codes_zero_drop_and_simplify_everything() -> None:
    args: Args = ("hello", [5, "ab", [1]], (0, 1, 1), -9, 2.5, {"k": 7}, None, True)
    units = ie.reduction_units(args)
    # "hello": 5 chunks; the list: 5, "ab" (drop + 2 chunks), [1] (drop + its 1); the bits
    # 1 and 1 (a 0 has nothing simpler); -9; 2.5; the dict's 7; True (None has no code)
    assert units == 5 + (1 + 3 + 2) + 2 + 1 + 1 + 1 + 1
    assert ie.reduce_input(args, [0] * units) == ("", [], (0, 0, 0), 0, 0.0, {"k": 0}, None, False)
    assert ie.reduce_input(args, [255] * units) == args
    assert ie.reduce_input(args, []) == args  # missing codes keep


def test_reduction_simplifies_numbers_step_by_step() -> None:
    # codes for a lone int: 0 -> 0, 1 -> sign, 2 -> half (toward zero), larger -> keep
    assert [ie.reduce_input((-9,), [c])[0] for c in (0, 1, 2, 3)] == [0, -1, -4, -9]
    # inside a list the drop option comes first
    assert [ie.reduce_input(([9],), [c])[0] for c in (0, 1, 2, 3, 4)] == [
        [],
        [0],
        [1],
        [4],
        [9],
    ]


def test_long_strings_are_cut_into_at_most_max_chunks() -> None:
    s = "".join(chr(ord("a") + i % 26) for i in range(1000))
    units = ie.reduction_units((s,))
    assert units == 63 <= ie.MAX_CHUNKS  # chunks of 16, the last one of 8
    assert ie.reduce_input((s,), [0] * 62 + [1]) == (s[-8:],)
    assert ie.reduce_input((s,), [1] + [0] * 62) == (s[:16],)


# ---- strategies ---------------------------------------------------------------------------


def _check_args(task: Task, args: Any) -> None:
    assert type(args) is tuple and len(args) == task.arity
    fixed = task.fixed_inputs()[-1]
    assert [type(a) for a in args] == [type(a) for a in fixed]
    assert _is_plain(args)


@QUICK
@given(st.data())
def test_edits_of_produces_argument_tuples(tasks: list[Task], data: st.DataObject) -> None:
    task = data.draw(st.sampled_from(tasks))
    base = data.draw(st.sampled_from(task.fixed_inputs()))
    args = data.draw(ie.edits_of(base, 4, vocab=ie.task_vocabulary(task)))
    _check_args(task, args)


@QUICK
@given(st.data())
def test_boundary_strategy_produces_argument_tuples(tasks: list[Task], data: st.DataObject) -> None:
    task = data.draw(st.sampled_from(tasks))
    _check_args(task, data.draw(ie.boundary_strategy(task)))


@QUICK
@given(st.data())
def test_reductions_of_produces_smaller_argument_tuples(
    tasks: list[Task], data: st.DataObject
) -> None:
    task = data.draw(st.sampled_from(tasks))
    base = data.draw(st.sampled_from(task.fixed_inputs()))
    args = data.draw(ie.reductions_of(base))
    _check_args(task, args)
    assert len(str(args)) <= len(str(base))


def test_boundary_inputs_reach_empty_and_limit_lengths(email: Task) -> None:
    pool = ie.task_bases(email)
    vocab = ie.task_vocabulary(email)
    lengths = set()
    local_lengths = set()
    for s in range(3000):
        (text,) = ie.boundary_input(pool, random.Random(s).randrange, vocab)
        lengths.add(len(text))
        local_lengths.add(len(text.partition("@")[0]))
    assert {0, 1, 254, 255, 256} <= lengths
    assert {63, 64, 65} <= local_lengths


def test_edit_arguments_are_validated() -> None:
    with pytest.raises(ValueError, match="max_edits"):
        ie.edits_of(("a",), 0)
    with pytest.raises(ValueError, match="max_edits"):
        ie.apply_random_edits(("a",), random.Random(0), 100)
