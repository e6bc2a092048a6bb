"""Prompts for model-backed agents, and robust extraction of what the model answered.

- Code agent: ``code_prompt`` shows the task spec, the current solution and its minimal
  failing cases, and asks for the whole function; ``extract_code`` takes the answer's code.
- Test agent: ``test_prompt`` asks for inputs only, as a JSON list of argument lists (never
  for expected outputs: the oracle labels every case); ``parse_inputs`` reads them.
- Meta-mutation: ``meta_prompt`` asks the model to rewrite a proposer's own source (improve
  the improver); ``extract_proposer`` keeps an answer only if it passes ``static_check``.

Extractors never execute anything: they parse and compile only. They return None for an
answer with nothing usable (prose, invalid JSON, code that does not compile or does not define
what was asked for); the caller counts those as malformed.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from agents.backends.base import Message
from agents.context import MAX_FAILURES, Failure
from agents.context import __doc__ as _CONTEXT_DOC
from agents.proposer_checks import ALLOWED_IMPORTS, static_check

MAX_CODE_CHARS = 100_000
"""Longest code ``extract_code`` accepts (the engine's MAX_SOURCE)."""

MAX_INPUTS = 64
"""Most inputs ``parse_inputs`` returns from one answer."""

_REPR_LIMIT = 300
_FENCE = re.compile(
    r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+-]*)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.M | re.S
)
_CODE_START = re.compile(r"(def |async def |class |import |from |@|[A-Za-z_]\w*\s*[:=])")
_MAX_TRIES = 400

CODE_SYSTEM = (
    "You are an expert Python programmer. You fix functions so that they meet their "
    "specification exactly. Answer with one complete Python code block and nothing else."
)
TEST_SYSTEM = (
    "You are an expert software tester. You find inputs on which an implementation "
    "disagrees with its specification. Answer with JSON only."
)
META_SYSTEM = (
    "You improve search programs that improve code: you rewrite a proposer, the function "
    "that proposes candidate solutions, so that it finds better solutions. Answer with one "
    "complete Python code block and nothing else."
)


# ---- code agent ------------------------------------------------------------------------------


def code_prompt(
    spec: str, signature: str, solution: str, failures: Iterable[Failure]
) -> list[Message]:
    """Messages asking for a whole corrected function, given up to 8 failing cases."""
    shown = list(failures)[:MAX_FAILURES]
    lines = [
        "## Specification",
        spec.strip(),
        "",
        "## Signature",
        signature.strip(),
        "",
        "## Current solution",
        "```python",
        solution.rstrip(),
        "```",
        "",
    ]
    if shown:
        lines.append("## Failing cases (smallest first)")
        for number, failure in enumerate(shown, 1):
            lines.append(f"{number}. {_describe_failure(failure)}")
        lines.append("")
    else:
        lines += ["The current solution passes every known case; make it more robust.", ""]
    lines.append(
        f"Rewrite the solution so that it meets the specification on every input. Reply with "
        f"the whole module in one ```python block: it must define `{_name_of(signature)}` "
        f"with the given signature, use only the standard library, and not print."
    )
    return [
        Message(role="system", content=CODE_SYSTEM),
        Message(role="user", content="\n".join(lines)),
    ]


def _describe_failure(failure: Failure) -> str:
    args = ", ".join(_short(a) for a in failure.get("input", []))
    outcome = failure.get("outcome", "fail")
    text = f"input ({args}): expected {_short(failure.get('expected'))}"
    if outcome == "fail":
        text += f", got {_short(failure.get('actual'))}"
    elif outcome == "timeout":
        text += ", but it timed out"
    else:
        text += f", but it raised {failure.get('message') or 'an error'}"
    return text


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _REPR_LIMIT else text[: _REPR_LIMIT - 3] + "..."


def _name_of(signature: str) -> str:
    match = re.search(r"def\s+(\w+)", signature)
    if match:
        return match.group(1)
    match = re.match(r"\s*(\w+)", signature)
    return match.group(1) if match else "the entry point"


def extract_code(text: str, entry_point: str) -> str | None:
    """The code in a model answer that compiles and defines ``entry_point``, or None.

    Fenced blocks (```python, ```py, untagged, or ~~~) come first; when several qualify, the
    last one wins (a model's final answer). An answer with no Python block at all is read as
    bare code, dropping leading and trailing prose lines. ``entry_point`` counts as defined
    by a top-level ``def`` or assignment. Never executes anything.
    """
    if not isinstance(text, str) or not entry_point:
        return None
    blocks = _fenced_blocks(text)
    found: str | None = None
    for block in blocks:
        if _defines(block, entry_point):
            found = block
    if not blocks:
        found = _bare_code(text, lambda code: _defines(code, entry_point))
    return None if found is None else found.strip("\n") + "\n"


def _fenced_blocks(text: str) -> list[str]:
    blocks = []
    for match in _FENCE.finditer(text):
        language = match.group(2).lower()
        if language in ("", "python", "py", "python3"):
            blocks.append(match.group(3))
    return blocks


def _bare_code(text: str, accept: Callable[[str], bool]) -> str | None:
    """The longest span of lines that ``accept`` takes, starting at a code-looking line."""
    lines = text.strip("\n").splitlines()
    starts = [i for i, line in enumerate(lines) if _CODE_START.match(line)]
    tries = 0
    for start in starts[:20]:
        for end in range(len(lines), start, -1):
            indented_next = end < len(lines) and lines[end].startswith((" ", "\t"))
            if not lines[end - 1].strip() or indented_next:
                continue  # end only after a non-blank line, at a top-level boundary
            tries += 1
            if tries > _MAX_TRIES:
                return None
            code = "\n".join(lines[start:end])
            if accept(code):
                return code
    return None


def _parse(code: str) -> ast.Module | None:
    if len(code) > MAX_CODE_CHARS:
        return None
    try:
        tree = ast.parse(code)
        compile(tree, "<candidate>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None
    return tree


def _defines(code: str, name: str) -> bool:
    tree = _parse(code)
    if tree is None:
        return False
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == name:
            return True
        if isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return True
    return False


# ---- test agent ------------------------------------------------------------------------------


def test_prompt(
    spec: str, signature: str, examples: Sequence[Sequence[Any]], n: int
) -> list[Message]:
    """Messages asking for ``n`` new inputs as a JSON list of argument lists (no outputs)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    shown = [json.dumps(list(args), ensure_ascii=False, default=repr) for args in examples[:8]]
    lines = [
        "## Specification",
        spec.strip(),
        "",
        "## Signature",
        signature.strip(),
        "",
    ]
    if shown:
        lines += ["## Inputs already in the test suite", *shown, ""]
    lines.append(
        f"Propose {n} new inputs that an implementation is likely to get wrong: edge cases, "
        "boundaries, near-misses of valid inputs. Reply with only a JSON list of "
        f"{n} argument lists, each the list of positional arguments for one call, e.g. "
        '[["a"], ["b"]] for a one-argument function. Give inputs only: do not give expected '
        "outputs, explanations or code."
    )
    return [
        Message(role="system", content=TEST_SYSTEM),
        Message(role="user", content="\n".join(lines)),
    ]


test_prompt.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def parse_inputs(text: str, arity: int) -> list[tuple[Any, ...]] | None:
    """Inputs from a JSON answer: a list of argument lists, each of length ``arity``.

    The JSON may be the whole answer, a fenced block, or the outermost ``[...]`` span.
    With ``arity`` 1 a bare value is taken as one argument. Elements of the wrong shape are
    dropped (objects, e.g. with expected outputs, are never inputs); None when no JSON list
    is found or no element is usable. At most ``MAX_INPUTS`` inputs, duplicates removed.
    """
    if not isinstance(text, str) or arity < 0:
        return None
    data = _json_list(text)
    if data is None:
        return None
    inputs: list[tuple[Any, ...]] = []
    seen: set[str] = set()
    for item in data:
        args: tuple[Any, ...] | None = None
        if isinstance(item, list) and len(item) == arity:
            args = tuple(item)
        elif arity == 1 and not isinstance(item, list | dict):
            args = (item,)
        if args is None or any(isinstance(a, dict) for a in args):
            continue
        key = json.dumps(args, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        inputs.append(args)
        if len(inputs) >= MAX_INPUTS:
            break
    return inputs or None


def _json_list(text: str) -> list[Any] | None:
    candidates = [text]
    candidates += [m.group(3) for m in _FENCE.finditer(text)]
    first, last = text.find("["), text.rfind("]")
    if 0 <= first < last:
        candidates.append(text[first : last + 1])
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except (ValueError, RecursionError):
            continue
        if isinstance(data, list):
            return data
    return None


# ---- meta-mutation ---------------------------------------------------------------------------


def meta_prompt(proposer_source: str) -> list[Message]:
    """Messages asking the model to rewrite a proposer's whole source to improve it."""
    contract = (_CONTEXT_DOC or "").strip()
    allowed = ", ".join(sorted(ALLOWED_IMPORTS))
    user = "\n".join(
        [
            "## The proposer contract",
            contract,
            "",
            "## The current proposer",
            "```python",
            proposer_source.rstrip(),
            "```",
            "",
            "Rewrite this proposer so that it proposes better candidate solutions within its "
            "budget: better search, better use of the failing cases, of ctx.llm, of "
            "ctx.score and of crossover. Keep a top-level `def propose(ctx)` returning a "
            f"list of source strings. Import only: {allowed}. Do not use open, eval, exec, "
            "compile, globals or dunder attributes. Reply with the whole new module in one "
            "```python block.",
        ]
    )
    return [
        Message(role="system", content=META_SYSTEM),
        Message(role="user", content=user),
    ]


def extract_proposer(text: str) -> str | None:
    """The proposer source in a model answer that passes ``static_check``, or None.

    Like ``extract_code``: the last fenced block that passes wins; an answer with no block
    at all is read as bare code.
    """
    if not isinstance(text, str):
        return None
    blocks = _fenced_blocks(text)
    found: str | None = None
    for block in blocks:
        if static_check(block) is None:
            found = block
    if not blocks:
        found = _bare_code(text, lambda code: static_check(code) is None)
    return None if found is None else found.strip("\n") + "\n"
