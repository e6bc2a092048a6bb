"""Model calls of a run: one batch per round phase, issued concurrently, cached, logged.

The engine stays synchronous; ``ModelDriver`` owns a background event loop and hands each
phase's requests (every code agent's, every test agent's) to ``complete_many`` at once, so a
round costs about as long as its slowest calls, not their sum. Every call becomes a
``model_call`` event (backend, model, request hash, tokens, cost, cache hit, attempts, in
the schema of ``replays.schema``; never the key). A call that still fails after its retries
makes that agent skip its model turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agents.backends import (
    BackendError,
    BackgroundLoop,
    Budget,
    Completion,
    ManagedBackend,
    Request,
    Usage,
    request_hash,
)
from agents.context import Failure
from agents.prompts import (
    code_prompt,
    extract_code,
    extract_proposer,
    meta_prompt,
    parse_inputs,
    test_prompt,
)
from arena.seeds import derive
from replays.events import EventLog
from tasks import Args, Task

TEST_INPUTS_PER_CALL = 4
"""Inputs a test agent asks its model for each round."""


class ModelDriver:
    """Issues, accounts for and logs every model call of one run."""

    def __init__(
        self, backend: ManagedBackend, log: EventLog, seed: int, budget: Budget | None = None
    ) -> None:
        self.backend, self.log, self.seed, self.budget = backend, log, seed, budget
        self.loop = BackgroundLoop()
        self.usage = Usage()

    def close(self) -> None:
        try:
            self.loop.run(self.backend.aclose(), timeout=10)
        finally:
            self.loop.close()

    @property
    def exhausted(self) -> bool:
        """Whether --max-cost or --max-calls is reached (the run stops at a round boundary)."""
        return self.budget is not None and self.budget.exhausted

    def describe(self) -> dict[str, Any]:
        return self.backend.describe()

    def state(self) -> dict[str, Any]:
        """Usage and budget spend so far, for the checkpoint (a resume continues them)."""
        return {
            "usage": self.usage.to_json(),
            "budget": self.budget.spent_state() if self.budget is not None else None,
        }

    def restore(self, state: object) -> None:
        """Continue from ``state()``; TypeError or ValueError (nothing changed) if malformed."""
        if not isinstance(state, dict) or set(state) != {"usage", "budget"}:
            raise ValueError("models: expected an object with usage and budget")
        usage = Usage.from_json(state["usage"])
        if self.budget is not None:
            self.budget.restore_spent(state["budget"])
        elif state["budget"] is not None:
            raise ValueError("models: budget spend recorded for a run without a budget")
        self.usage = usage

    def _seed(self, *keys: object) -> int:
        return derive(self.seed, "model", *keys) % (2**31)

    def call_many(self, round_: int, purpose: str, requests: Sequence[Request]) -> list[str | None]:
        """Texts of the answers, in order (None where the call failed); logs each call."""
        if not requests:
            return []
        results = self.loop.complete_many(self.backend, list(requests))
        texts: list[str | None] = []
        name, model = self.backend.name, self.backend.model
        for request, result in zip(requests, results, strict=True):
            self.usage.record(result, request.tag)
            common = {
                "backend": name,
                "model": model,
                "request": request_hash(name, model, request),
                "agent": request.tag,
                "purpose": purpose,
            }
            if isinstance(result, Completion):
                self.log.emit(
                    "model_call",
                    round_,
                    **common,
                    ok=True,
                    prompt_tokens=result.input_tokens,
                    completion_tokens=result.output_tokens,
                    cost=result.cost_usd,
                    cache_hit=result.cached,
                    priced=result.priced,
                    attempts=[a.to_json() for a in result.attempts],
                    seconds=result.latency,
                )
                texts.append(result.text)
            else:
                self.log.emit(
                    "model_call",
                    round_,
                    **common,
                    ok=False,
                    prompt_tokens=0,
                    completion_tokens=0,
                    cost=0.0,
                    cache_hit=False,
                    kind=result.kind,
                    error=str(result),
                    attempts=[a.to_json() for a in result.attempts],
                )
                texts.append(None)
        return texts

    def malformed(self, round_: int, tag: str, what: str) -> None:
        self.usage.record_malformed(tag, what)
        self.log.emit("model_malformed", round_, tag=tag, what=what)

    # ---- the three uses ----------------------------------------------------------------------

    def code_candidates(
        self,
        round_: int,
        task: Task,
        agents: Sequence[tuple[str, int, str, list[Failure]]],
    ) -> list[list[str]]:
        """One model-written candidate per code agent ``(id, slot, solution, failures)``."""
        requests = [
            Request.of(
                code_prompt(task.spec, task.signature, solution, failures),
                sample=slot,
                seed=self._seed("code", round_, slot),
                tag=agent_id,
            )
            for agent_id, slot, solution, failures in agents
        ]
        out: list[list[str]] = []
        for (agent_id, *_), text in zip(
            agents, self.call_many(round_, "code", requests), strict=True
        ):
            code = extract_code(text, task.entry_point) if text is not None else None
            if text is not None and code is None:
                self.malformed(round_, agent_id, "code")
            out.append([code] if code is not None else [])
        return out

    def test_inputs(
        self, round_: int, task: Task, agent_ids: Sequence[str], examples: Sequence[Args]
    ) -> list[list[Args]]:
        """Inputs (never expected outputs) each test agent's model proposes this round."""
        messages = test_prompt(task.spec, task.signature, list(examples), TEST_INPUTS_PER_CALL)
        requests = [
            Request.of(messages, sample=i, seed=self._seed("test", round_, i), tag=agent_id)
            for i, agent_id in enumerate(agent_ids)
        ]
        out: list[list[Args]] = []
        for agent_id, text in zip(agent_ids, self.call_many(round_, "test", requests), strict=True):
            inputs = parse_inputs(text, task.arity) if text is not None else None
            if text is not None and inputs is None:
                self.malformed(round_, agent_id, "inputs")
            out.append(list(inputs or []))
        return out

    def meta(self, round_: int, proposer: str, tag: str) -> str | None:
        """A model's rewrite of a proposer (still to be validated by the caller)."""
        request = Request.of(
            meta_prompt(proposer), seed=self._seed("meta", round_, tag), tag=tag, max_tokens=4096
        )
        (text,) = self.call_many(round_, "meta", [request])
        if text is None:
            return None
        source = extract_proposer(text)
        if source is None:
            self.malformed(round_, tag, "proposer")
        return source

    def llm(self, round_: int, prompt: str, tag: str, call: int) -> str | None:
        """``ctx.llm(prompt)`` from a proposer; None if the call failed."""
        if not isinstance(prompt, str) or not prompt:
            return None
        request = Request.from_prompt(
            prompt[:50_000], sample=call, seed=self._seed("llm", round_, tag, call), tag=tag
        )
        try:
            (text,) = self.call_many(round_, "llm", [request])
        except BackendError:
            return None
        return text
