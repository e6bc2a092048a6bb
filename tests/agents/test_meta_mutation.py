"""Tests of agents.meta_mutation: validity, every kind, bounds, foreign proposers, determinism."""

from __future__ import annotations

import ast
import contextlib
import difflib
import functools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.meta_mutation import (
    KINDS,
    STRATEGIES,
    TUNABLE,
    WEIGHT_BOUNDS,
    MetaMutation,
    meta_mutate,
    set_constant,
)
from agents.proposer_checks import smoke_run, static_check
from agents.proposers import SEED_PROPOSER
from tests.agents.test_proposers import START, toy_context, toy_score

SEEDS = settings(database=None, deadline=None, max_examples=60)


@functools.lru_cache(maxsize=64)
def constants(source: str) -> dict[str, object]:
    """Top-level literal constants of a source."""
    found: dict[str, object] = {}
    for stmt in ast.parse(source).body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
            with contextlib.suppress(ValueError):
                found[stmt.targets[0].id] = ast.literal_eval(stmt.value)
    return found


def fallbacks(source: str) -> list[str]:
    """Names called by the ``if not found: found = g(ctx)`` statements of propose()."""
    tree = ast.parse(source)
    propose = next(s for s in tree.body if isinstance(s, ast.FunctionDef) and s.name == "propose")
    names = []
    for stmt in propose.body:
        if isinstance(stmt, ast.If):
            call = stmt.body[0].value  # type: ignore[attr-defined]
            names.append(call.func.id)
    return names


def assert_valid(source: str, parent: str) -> None:
    assert static_check(source) is None
    assert ast.dump(ast.parse(source)) != ast.dump(ast.parse(parent))
    assert ast.get_docstring(ast.parse(source)) == ast.get_docstring(ast.parse(parent))
    values = constants(source)
    for name, (lo, hi) in TUNABLE.items():
        value = values[name]
        assert isinstance(value, int | float) and lo <= value <= hi, (name, value)
        assert type(value) is type(constants(SEED_PROPOSER)[name])
    weights = values["OPERATOR_WEIGHTS"]
    assert isinstance(weights, dict)
    assert all(WEIGHT_BOUNDS[0] <= w for w in weights.values())
    assert values["STRATEGY"] in STRATEGIES
    assert isinstance(values["FOCUS_FAILURES"], bool)


@SEEDS
@given(st.integers(0, 2**32))
def test_meta_mutate_gives_a_different_valid_proposer(seed: int) -> None:
    result = meta_mutate(SEED_PROPOSER, random.Random(seed))
    assert isinstance(result, MetaMutation)
    assert result.kind in KINDS
    assert result.description.startswith(result.kind + ": ")
    assert_valid(result.source, SEED_PROPOSER)


def test_every_kind_fires_over_seeds() -> None:
    seen = {m.kind for s in range(50) if (m := meta_mutate(SEED_PROPOSER, random.Random(s)))}
    assert seen == set(KINDS)
    for kind in KINDS:
        result = meta_mutate(SEED_PROPOSER, random.Random(0), kinds=[kind])
        assert result is not None and result.kind == kind


def test_the_same_rng_state_gives_the_same_mutation() -> None:
    for seed in range(10):
        assert meta_mutate(SEED_PROPOSER, random.Random(seed)) == meta_mutate(
            SEED_PROPOSER, random.Random(seed)
        )
    results = {meta_mutate(SEED_PROPOSER, random.Random(s)) for s in range(20)}
    assert len(results) > 10


@pytest.mark.parametrize("seed", range(3))
def test_twenty_generations_stay_valid_and_still_improve(seed: int) -> None:
    rng = random.Random(seed)
    source = SEED_PROPOSER
    kinds = set()
    for _ in range(20):
        result = meta_mutate(source, rng)
        assert result is not None
        assert_valid(result.source, source)
        kinds.add(result.kind)
        source = result.source
    assert len(kinds) >= 3
    candidates = smoke_run(source, toy_context(seed=seed, budget=30))
    assert isinstance(candidates, list)
    assert all(toy_score(c) >= toy_score(START) for c in candidates[:1])


@pytest.mark.parametrize("seed", range(40))
def test_tune_constant_stays_in_bounds_and_changes_one_line(seed: int) -> None:
    result = meta_mutate(SEED_PROPOSER, random.Random(seed), kinds=["tune_constant"])
    assert result is not None
    before, after = constants(SEED_PROPOSER), constants(result.source)
    changed = [name for name in before if before[name] != after[name]]
    assert len(changed) == 1
    if changed == ["OPERATOR_WEIGHTS"]:
        assert before["OPERATOR_WEIGHTS"].keys() == after["OPERATOR_WEIGHTS"].keys()  # type: ignore[attr-defined]
    else:
        assert changed[0] in TUNABLE
    diff = [
        line
        for line in difflib.unified_diff(SEED_PROPOSER.splitlines(), result.source.splitlines())
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert len(diff) == 2  # one line out, one in: comments and layout kept
    assert "#" in diff[1] or "OPERATOR_WEIGHTS" in result.description


def test_integer_constants_stay_integers_at_least_one() -> None:
    source = SEED_PROPOSER
    for name in ("N_CANDIDATES", "STEPS", "BEAM_WIDTH"):
        source = set_constant(source, name, 1)
    rng = random.Random(0)
    for _ in range(40):
        result = meta_mutate(source, rng, kinds=["tune_constant"])
        assert result is not None
        source = result.source
        values = constants(source)
        for name in ("N_CANDIDATES", "STEPS", "BEAM_WIDTH"):
            assert type(values[name]) is int and values[name] >= 1  # type: ignore[operator]


@pytest.mark.parametrize("seed", range(20))
def test_switch_strategy_picks_another_defined_strategy(seed: int) -> None:
    result = meta_mutate(SEED_PROPOSER, random.Random(seed), kinds=["switch_strategy"])
    assert result is not None
    new = constants(result.source)["STRATEGY"]
    assert new != constants(SEED_PROPOSER)["STRATEGY"] and new in STRATEGIES
    assert f'STRATEGY = "{new}"' in result.source


def test_switch_strategy_only_to_functions_that_exist() -> None:
    source = SEED_PROPOSER.replace("def beam(", "def beam_search(").replace(
        "def anneal(", "def annealing("
    )
    source = source.replace('"beam": beam, "anneal": anneal, ', "")
    assert static_check(source) is None
    targets = set()
    for seed in range(30):
        result = meta_mutate(source, random.Random(seed), kinds=["switch_strategy"])
        assert result is not None
        targets.add(constants(result.source)["STRATEGY"])
    assert targets == {"crossover"}


@pytest.mark.parametrize("seed", range(10))
def test_toggle_flag_flips_the_boolean(seed: int) -> None:
    result = meta_mutate(SEED_PROPOSER, random.Random(seed), kinds=["toggle_flag"])
    assert result is not None
    assert (
        constants(result.source)["FOCUS_FAILURES"] is not constants(SEED_PROPOSER)["FOCUS_FAILURES"]
    )


@pytest.mark.parametrize("seed", range(30))
def test_reweight_moves_weight_between_two_operators(seed: int) -> None:
    result = meta_mutate(SEED_PROPOSER, random.Random(seed), kinds=["reweight"])
    assert result is not None
    before = constants(SEED_PROPOSER)["OPERATOR_WEIGHTS"]
    after = constants(result.source)["OPERATOR_WEIGHTS"]
    assert isinstance(before, dict) and isinstance(after, dict)
    changed = [k for k in before if before[k] != after[k]]
    assert len(changed) == 2
    assert abs(sum(before.values()) - sum(after.values())) < 0.02
    assert min(after.values()) >= 0


def test_swap_blocks_variants_all_fire() -> None:
    # Two distinct fallbacks, so that reordering applies too.
    source = SEED_PROPOSER.replace(
        "    return found[:N_CANDIDATES]",
        "    if not found:\n        found = beam(ctx)\n    return found[:N_CANDIDATES]",
    )
    assert fallbacks(source) == ["crossover", "beam"]
    seen: dict[str, MetaMutation] = {}
    for seed in range(60):
        result = meta_mutate(source, random.Random(seed), kinds=["swap_blocks"])
        assert result is not None
        assert_valid(result.source, source)
        variant = result.description.split()[1]
        variant += " " + result.description.split()[3] if variant == "swap" else ""
        seen.setdefault(variant, result)
    assert set(seen) == {"add", "drop", "swap order", "swap bodies", "run"}
    added = fallbacks(seen["add"].source)
    assert added == ["crossover", "beam", "anneal"]
    assert len(fallbacks(seen["drop"].source)) == 1
    assert fallbacks(seen["swap order"].source) == ["beam", "crossover"]
    promoted = seen["run"].source
    assert constants(promoted)["STRATEGY"] in ("crossover", "beam")
    assert "greedy" in fallbacks(promoted)


def test_swapped_bodies_run_the_other_search() -> None:
    for seed in range(200):
        result = meta_mutate(SEED_PROPOSER, random.Random(seed), kinds=["swap_blocks"])
        if result is not None and "bodies of greedy() and beam()" in result.description:
            break
    else:
        pytest.fail("no greedy/beam body swap in 200 seeds")
    tree = ast.parse(result.source)
    greedy = next(s for s in tree.body if isinstance(s, ast.FunctionDef) and s.name == "greedy")
    assert "Beam search" in (ast.get_docstring(greedy) or "")
    ctx = toy_context(seed=1, budget=100)
    assert isinstance(smoke_run(result.source, ctx), list)
    assert ctx.calls["mutate"] > 8  # beam's search, under greedy's name


FOREIGN_NOTHING = '''
"""A model-written proposer with no recognized knobs."""
import random

K = 5
VERBOSE = "no"


def propose(ctx):
    out = []
    for _ in range(K):
        child = ctx.mutate(ctx.solution)
        if child:
            out.append(child)
    return out
'''

FOREIGN_SOME = '''
"""A model-written proposer with a few recognized knobs."""
N_CANDIDATES = 100
STRATEGY = "tabu"
TEMPERATURE = "warm"
USE_LLM = False


def propose(ctx):
    return [c for c in (ctx.mutate(ctx.solution) for _ in range(N_CANDIDATES)) if c]
'''


def test_foreign_proposer_without_known_knobs_is_left_alone() -> None:
    for seed in range(20):
        assert meta_mutate(FOREIGN_NOTHING, random.Random(seed)) is None


def test_foreign_proposer_only_known_knobs_change() -> None:
    kinds = set()
    for seed in range(40):
        result = meta_mutate(FOREIGN_SOME, random.Random(seed))
        assert result is not None and static_check(result.source) is None
        kinds.add(result.kind)
        values = constants(result.source)
        assert values["STRATEGY"] == "tabu" and values["TEMPERATURE"] == "warm"
        if result.kind == "tune_constant":
            assert values["N_CANDIDATES"] == TUNABLE["N_CANDIDATES"][1]  # clamped into bounds
    assert kinds == {"tune_constant", "toggle_flag"}


@pytest.mark.parametrize(
    "source",
    [
        "def propose(ctx:\n",
        "",
        "N_CANDIDATES = 4\nimport os\ndef propose(ctx):\n    return []\n",
        "N_CANDIDATES = 4\n",
        "N_CANDIDATES = 4\ndef propose(a, b):\n    return []\n",
    ],
)
def test_sources_that_cannot_become_valid_give_none(source: str) -> None:
    assert meta_mutate(source, random.Random(0)) is None


def test_crlf_and_non_ascii_sources_are_spliced_correctly() -> None:
    source = SEED_PROPOSER.replace('"ast_point": 1.0', '"ast_pöint_é": 3.0').replace("\n", "\r\n")
    for seed in range(30):
        result = meta_mutate(source, random.Random(seed))
        assert result is not None
        assert_valid(result.source, source)
        assert "ast_pöint_é" in result.source


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_edits_land_after_non_ascii_text_with_any_newline(newline: str) -> None:
    source = SEED_PROPOSER.replace(
        SEED_PROPOSER[SEED_PROPOSER.index("OPERATOR_WEIGHTS = {") : SEED_PROPOSER.index("}  #")],
        'OPERATOR_WEIGHTS = {"ö_é→": 3.0, "ü_ß": 1.0',
    ).replace("\n", newline)
    for seed in range(10):
        result = meta_mutate(source, random.Random(seed), kinds=["reweight"])
        assert result is not None
        after = constants(result.source)["OPERATOR_WEIGHTS"]
        assert isinstance(after, dict) and list(after) == ["ö_é→", "ü_ß"]
        assert after != {"ö_é→": 3.0, "ü_ß": 1.0} and abs(sum(after.values()) - 4.0) < 0.01


def test_damaged_and_odd_sources_never_raise() -> None:
    lines = SEED_PROPOSER.splitlines(keepends=True)
    sources = ["".join(lines[:i] + lines[i + 1 :]) for i in range(0, len(lines), 3)]
    sources.append(SEED_PROPOSER.replace('"guard": 2.0', '"ast_point": 2.0'))
    duplicate = 'OPERATOR_WEIGHTS = {"a": 1, "a": 2}\ndef propose(ctx):\n    return []\n'
    assert meta_mutate(duplicate, random.Random(0), kinds=["reweight"]) is None
    sources.append(duplicate)
    for i, source in enumerate(sources):
        result = meta_mutate(source, random.Random(i))
        assert result is None or static_check(result.source) is None


def test_unknown_kind_raises() -> None:
    with pytest.raises(ValueError, match="unknown"):
        meta_mutate(SEED_PROPOSER, random.Random(0), kinds=["rewrite_everything"])


def test_set_constant_keeps_comments_and_rejects_missing_names() -> None:
    out = set_constant(SEED_PROPOSER, "STRATEGY", "beam")
    assert 'STRATEGY = "beam"  # the block' in out
    assert set_constant(out, "STEPS", 3).count("STEPS = 3  #") == 1
    with pytest.raises(ValueError, match="NOPE"):
        set_constant(SEED_PROPOSER, "NOPE", 1)
    with pytest.raises(ValueError, match="parse"):
        set_constant("x = (", "x", 1)
