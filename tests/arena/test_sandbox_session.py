"""Sandbox sessions (persistent children answering batches) and brokered proposer runs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from arena.errors import SandboxError
from arena.sandbox import Sandbox
from tasks import Case, Outcome


def cases_for(xs: list[int]) -> list[Case]:
    return [Case((x,), x * x) for x in xs]


def test_session_matches_batch_evaluation(sandbox: Sandbox, square_task) -> None:  # type: ignore[no-untyped-def]
    sols = [
        square_task.reference_solution,
        square_task.seed_solution,
        "def square(x):\n    return x * x if x % 3 else -1\n",
    ]
    batch = sandbox.evaluate(square_task, sols, cases_for(list(range(-20, 20))))
    with sandbox.session(square_task, sols) as sess:
        parts = [sess.evaluate(cases_for(list(range(lo, lo + 8)))) for lo in range(-20, 20, 8)]
    joined = np.concatenate([p.outcomes for p in parts], axis=1)
    assert (joined == batch.outcomes).all()


def test_session_survives_crashes_and_keeps_loaded_state(sandbox: Sandbox, square_task) -> None:  # type: ignore[no-untyped-def]
    # A counter that persists across batches proves the child is reused; a crash forces a
    # fresh child, which the next batch must transparently get.
    source = (
        "import os\n"
        "CALLS = [0]\n"
        "def square(x):\n"
        "    CALLS[0] += 1\n"
        "    if x == 13:\n"
        "        os._exit(1)\n"
        "    return x * x if CALLS[0] < 1000 else 0\n"
    )
    with sandbox.session(square_task, [source]) as sess:
        first = sess.evaluate(cases_for([1, 2]))
        pid_before = sess.children[0].pid  # type: ignore[union-attr]
        second = sess.evaluate(cases_for([3, 4]))
        assert sess.children[0].pid == pid_before  # type: ignore[union-attr]
        crashed = sess.evaluate(cases_for([12, 13, 14]))
        after = sess.evaluate(cases_for([5]))
    assert (first.outcomes == Outcome.PASS).all() and (second.outcomes == Outcome.PASS).all()
    assert crashed.outcomes[0].tolist() == [Outcome.PASS, Outcome.ERROR, Outcome.PASS]
    assert after.outcomes[0].tolist() == [Outcome.PASS]


def test_session_with_hostile_solutions(sandbox: Sandbox, square_task) -> None:  # type: ignore[no-untyped-def]
    sols = [
        "while True:\n    pass\n",
        "def square(x):\n    while True:\n        pass\n",
        "syntax(",
        square_task.reference_solution,
    ]
    with sandbox.session(square_task, sols) as sess:
        res = sess.evaluate(cases_for([1, 2]))
        again = sess.evaluate(cases_for([3]))
    assert res.outcomes[0].tolist() == [Outcome.TIMEOUT] * 2
    assert res.outcomes[1].tolist() == [Outcome.TIMEOUT] * 2
    assert res.outcomes[2].tolist() == [Outcome.ERROR] * 2
    assert res.outcomes[3].tolist() == [Outcome.PASS] * 2
    assert again.outcomes[2].tolist() == [Outcome.ERROR]  # a dead solution stays dead
    assert again.outcomes[3].tolist() == [Outcome.PASS]


class Broker:
    """Answers ctx calls the way the arena does, recording them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[Any]]] = []

    def __call__(self, method: str, args: list[Any]) -> Any:
        self.calls.append((method, args))
        if method == "mutate":
            return args[0].replace("x + x", "x * x")
        if method == "score":
            return 1.0 if "x * x" in args[0] else 0.0
        return None


CTX: dict[str, Any] = {
    "solution": "def square(x):\n    return x + x\n",
    "score_now": 0.25,
    "failures": [{"input": [3], "expected": 9, "actual": 6, "outcome": "fail", "message": None}],
    "spec": "Return x * x.",
    "entry_point": "square",
    "signature": "def square(x: int) -> int",
    "operators": ["ast_point"],
    "peers": [],
    "seed": 7,
    "budget": 2,
}


def test_proposer_calls_are_brokered(sandbox: Sandbox) -> None:
    source = (
        "def propose(ctx):\n"
        "    child = ctx.mutate(ctx.solution)\n"
        "    scores = [ctx.score(child) for _ in range(4)]\n"
        "    assert ctx.llm('hi') is None\n"
        "    aaa = ctx.failures[0]['input'][0] * 'a'\n"
        "    return [child, str(scores), str(ctx.random.random()), aaa]\n"
    )
    broker = Broker()
    run = sandbox.run_proposer(source, CTX, broker)
    assert run.error is None
    import random

    child, scores, rnd, aaa = run.candidates
    assert child == "def square(x):\n    return x * x\n"
    assert scores == "[1.0, 1.0, None, None]"  # the budget of 2 score calls
    assert rnd == str(random.Random(7).random())
    assert aaa == "aaa"
    assert [m for m, _ in broker.calls] == ["mutate", "score", "score", "llm"]


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("def propose(ctx):\n    while True:\n        pass\n", "timed out"),
        ("def propose(ctx):\n    return 'not a list'\n", "list of str"),
        ("def propose(ctx):\n    return [1, 2]\n", "list of str"),
        ("def propose(ctx):\n    raise ValueError('nope')\n", "ValueError: nope"),
        ("import os\nos._exit(0)\n", "died"),
        ("def propose(a, b):\n    return []\n", "TypeError"),
        ("x = (", "SyntaxError"),
        ("def other(ctx):\n    return []\n", "defines no propose"),
        (
            "import os\ndef propose(ctx):\n"
            '    os.write(3, b\'0\\tO\\t0\\t""\\t["forged"]\\nD\\n\')\n'
            "    return ['real']\n",
            None,
        ),
    ],
)
def test_bad_proposers_fail_cleanly(sandbox: Sandbox, source: str, error: str | None) -> None:
    run = sandbox.run_proposer(source, CTX, Broker(), idle_limit=1.0)
    if error is None:
        # A forged result line is indistinguishable from returning that value: harmless.
        assert run.candidates in (["forged"], ["real"])
    else:
        assert run.candidates == []
        assert run.error is not None and error in run.error, run.error


def test_sessions_need_function_tasks(sandbox: Sandbox) -> None:
    from tasks import get_task

    with pytest.raises(SandboxError, match="function tasks"):
        sandbox.session(get_task("sorting_network:n=4"), ["COMPARATORS = []"])
