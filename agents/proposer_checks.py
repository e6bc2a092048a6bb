"""Checks for proposer sources: a static check, an in-process ``ctx``, and a smoke run.

``static_check`` is safe on any text: it only parses and compiles. ``LocalContext`` implements
the ``ctx`` contract of ``agents.context`` in-process, with mutation operators, a scorer and a
crossover supplied as plain callables.

WARNING: ``smoke_run`` executes the proposer IN THIS PROCESS, with no time limit and no
isolation. It is for tests and for trusted seed proposers only. Model-written and
meta-mutated proposers are untrusted code: the arena must run them in the sandbox
(``static_check`` first, then the smoke run inside the sandbox), never with ``smoke_run``.
"""

from __future__ import annotations

import ast
import random
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from agents.context import DEFAULT_SCORE_BUDGET, ContextData, Failure

MAX_PROPOSER_CHARS = 64_000
"""Longest proposer source ``static_check`` accepts."""

ALLOWED_IMPORTS = frozenset(
    {
        "__future__",
        "bisect",
        "collections",
        "copy",
        "dataclasses",
        "functools",
        "heapq",
        "itertools",
        "math",
        "operator",
        "random",
        "re",
        "statistics",
        "string",
        "typing",
    }
)
"""Top-level modules a proposer may import (all pure standard library)."""

FORBIDDEN_NAMES = frozenset(
    {
        "__builtins__",
        "__import__",
        "__loader__",
        "__spec__",
        "breakpoint",
        "compile",
        "eval",
        "exec",
        "exit",
        "globals",
        "input",
        "open",
        "quit",
        "vars",
    }
)
"""Names a proposer may not use: none of them is needed to improve a solution."""

MutationFn = Callable[[str, random.Random], str | None]
"""One mutation operator: ``(source, rng) -> mutant or None`` (as ``tasks.MutationOperator``)."""

ScoreFn = Callable[[str], float]
"""A scorer: pass rate of a source on the current suite."""

CrossoverFn = Callable[[str, str, random.Random], str | None]
"""A crossover: ``(a, b, rng) -> child or None``."""


def static_check(source: str) -> str | None:
    """Return why ``source`` is not an acceptable proposer, or None if it is.

    It must parse and compile, define a top-level function ``propose`` taking exactly one
    positional parameter, import only modules in ``ALLOWED_IMPORTS``, and use none of
    ``FORBIDDEN_NAMES`` nor dunder attributes. This is a first filter, not a sandbox.
    """
    if not isinstance(source, str):
        return f"proposer source must be str, not {type(source).__name__}"
    if len(source) > MAX_PROPOSER_CHARS:
        return f"proposer source is {len(source)} characters; the limit is {MAX_PROPOSER_CHARS}"
    try:
        tree = ast.parse(source)
        compile(tree, "<proposer>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = f" at line {exc.lineno}" if exc.lineno else ""
        return f"syntax error{where}: {exc.msg}"
    except (ValueError, RecursionError, MemoryError) as exc:
        return f"proposer does not compile: {type(exc).__name__}: {exc}"
    problem = _forbidden_use(tree)
    if problem is not None:
        return problem
    return _propose_problem(tree)


def _forbidden_use(tree: ast.Module) -> str | None:
    """The first disallowed import, name or dunder attribute in ``tree``, described."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                root = alias.name.split(".")[0]
                if root not in ALLOWED_IMPORTS:
                    return _import_message(root)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                return "relative imports are not allowed"
            root = (node.module or "").split(".")[0]
            if root not in ALLOWED_IMPORTS:
                return _import_message(root)
        elif isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            return f"use of {node.id!r} is not allowed"
        elif isinstance(node, ast.Attribute) and _is_dunder(node.attr):
            return f"access to attribute {node.attr!r} is not allowed"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "setattr", "delattr", "hasattr"}
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _is_dunder(node.args[1].value)
        ):
            return f"access to attribute {node.args[1].value!r} is not allowed"
    return None


def _import_message(module: str) -> str:
    allowed = ", ".join(sorted(ALLOWED_IMPORTS))
    return f"import of module {module!r} is not allowed (allowed: {allowed})"


def _is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _propose_problem(tree: ast.Module) -> str | None:
    """Why the last top-level binding of ``propose`` is not a one-parameter function."""
    binding: ast.stmt | None = None
    for stmt in tree.body:
        names: list[str] = []
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names = [stmt.name]
        elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            names = [(a.asname or a.name).split(".")[0] for a in stmt.names]
        if "propose" in names:
            binding = stmt
    if binding is None:
        return "no top-level function propose(ctx)"
    if not isinstance(binding, ast.FunctionDef):
        return "propose must be a plain (not async) top-level function"
    args = binding.args
    positional = len(args.posonlyargs) + len(args.args)
    if args.vararg is not None or positional != 1:
        star = " plus *args" if args.vararg is not None else ""
        return (
            f"propose must take exactly one positional parameter (ctx); it takes {positional}{star}"
        )
    if any(default is None for default in args.kw_defaults):
        return "propose may not have keyword-only parameters without defaults"
    return None


class LocalContext:
    """An in-process ``ctx`` with exactly the API of ``agents.context`` (see that module).

    Data fields are plain attributes. ``mutate`` applies ``operators[operator]`` (a random
    one of ``operators`` if None; None for an unknown name); ``score`` calls the scorer and
    returns None once ``budget`` calls are spent (``budget`` counts down); ``crossover``
    uses the given callable or a one-point line crossover; ``llm`` returns None (offline).
    ``ctx.random`` is seeded with ``seed``; the broker's own choices use a separate generator.
    Raises ValueError on a negative budget and TypeError when a method gets a non-str source.
    """

    def __init__(
        self,
        *,
        solution: str,
        operators: Mapping[str, MutationFn],
        score: ScoreFn,
        score_now: float | None = None,
        failures: Iterable[Failure] = (),
        spec: str = "",
        entry_point: str = "",
        signature: str = "",
        peers: Iterable[str] = (),
        seed: int = 0,
        budget: int = DEFAULT_SCORE_BUDGET,
        crossover: CrossoverFn | None = None,
    ) -> None:
        if budget < 0:
            raise ValueError(f"budget must be >= 0, got {budget}")
        self._operators = dict(operators)
        self._score = score
        self._crossover = crossover if crossover is not None else line_crossover
        self._broker_random = random.Random(f"{seed}:broker")
        self.solution = solution
        self.score_now = float(score(solution)) if score_now is None else float(score_now)
        self.failures: list[Failure] = [Failure(**f) for f in failures]
        self.spec = spec
        self.entry_point = entry_point
        self.signature = signature
        self.operators: list[str] = list(self._operators)
        self.peers: list[str] = list(peers)
        self.random = random.Random(seed)
        self.budget = budget
        self.seed = seed
        self.calls: dict[str, int] = {"mutate": 0, "crossover": 0, "score": 0, "llm": 0}
        """How often each method was called (for tests and diagnostics)."""

    @classmethod
    def from_data(
        cls,
        data: ContextData,
        *,
        operators: Mapping[str, MutationFn],
        score: ScoreFn,
        crossover: CrossoverFn | None = None,
    ) -> LocalContext:
        """Build from the data half of a ctx, as the arena serializes it; names in
        ``data["operators"]`` missing from ``operators`` raise ValueError."""
        missing = [name for name in data["operators"] if name not in operators]
        if missing:
            raise ValueError(f"no callable for operators: {', '.join(missing)}")
        return cls(
            solution=data["solution"],
            operators={name: operators[name] for name in data["operators"]},
            score=score,
            score_now=data["score_now"],
            failures=data["failures"],
            spec=data["spec"],
            entry_point=data["entry_point"],
            signature=data["signature"],
            peers=data["peers"],
            seed=data["seed"],
            budget=data["budget"],
            crossover=crossover,
        )

    def to_data(self) -> ContextData:
        """The data half of this ctx, as plain data."""
        return ContextData(
            solution=self.solution,
            score_now=self.score_now,
            failures=[Failure(**f) for f in self.failures],
            spec=self.spec,
            entry_point=self.entry_point,
            signature=self.signature,
            operators=list(self.operators),
            peers=list(self.peers),
            seed=self.seed,
            budget=self.budget,
        )

    def mutate(self, source: str, operator: str | None = None) -> str | None:
        """One mutation of ``source`` by ``operator`` (random if None); None if none applies."""
        _require_str(source, "source")
        self.calls["mutate"] += 1
        if operator is None:
            if not self._operators:
                return None
            operator = self._broker_random.choice(sorted(self._operators))
        fn = self._operators.get(operator)
        if fn is None:
            return None
        child = fn(source, self._broker_random)
        return child if isinstance(child, str) else None

    def crossover(self, a: str, b: str) -> str | None:
        """A child of ``a`` and ``b``, or None."""
        _require_str(a, "a")
        _require_str(b, "b")
        self.calls["crossover"] += 1
        child = self._crossover(a, b, self._broker_random)
        return child if isinstance(child, str) else None

    def score(self, source: str) -> float | None:
        """Pass rate of ``source``; None once the budget is spent."""
        _require_str(source, "source")
        self.calls["score"] += 1
        if self.budget <= 0:
            return None
        self.budget -= 1
        return float(self._score(source))

    def llm(self, prompt: str) -> str | None:
        """Always None: there is no model in-process."""
        _require_str(prompt, "prompt")
        self.calls["llm"] += 1
        return None


def _require_str(value: object, name: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str, not {type(value).__name__}")


def line_crossover(a: str, b: str, rng: random.Random) -> str | None:
    """One-point crossover on lines: a prefix of ``a`` then a suffix of ``b``, if it compiles.

    Only compiles the child, never runs it. None when no cut gives a new, compiling child.
    """
    lines_a = a.splitlines(keepends=True)
    lines_b = b.splitlines(keepends=True)
    cuts = [(i, j) for i in range(1, len(lines_a)) for j in range(1, len(lines_b))]
    rng.shuffle(cuts)
    for i, j in cuts[:16]:
        child = "".join(lines_a[:i] + lines_b[j:])
        if child in (a, b):
            continue
        try:
            compile(child, "<crossover>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            continue
        return child
    return None


def smoke_run(source: str, ctx: Any) -> list[str] | str:
    """Run ``propose(ctx)`` IN THIS PROCESS: the candidates, or an error message.

    NOT A SANDBOX: for tests and trusted seed proposers only. Model-written or meta-mutated
    proposers must be run by the arena's sandbox instead. Runs ``static_check`` first; any
    exception raised while defining or running the proposer, or a result that is not a list
    of str, becomes the returned message.
    """
    problem = static_check(source)
    if problem is not None:
        return problem
    namespace: dict[str, Any] = {"__name__": "proposer"}
    try:
        exec(compile(source, "<proposer>", "exec", dont_inherit=True), namespace)
        result = namespace["propose"](ctx)
    except (Exception, SystemExit) as exc:
        return f"propose raised {type(exc).__name__}: {exc}"
    if not isinstance(result, list):
        return f"propose returned {type(result).__name__}, not a list of str"
    bad = [type(item).__name__ for item in result if not isinstance(item, str)]
    if bad:
        return f"propose returned a list holding {bad[0]}, not only str"
    return list(result)
