"""OpenAI chat completions (and OpenAI-compatible servers) through the official client.

The client's own retries are off (``max_retries=0``): ``retry.with_retries`` applies one
policy to every backend. ``openai`` is imported when the provider is built, not before.
Against api.openai.com the token limit is sent as ``max_completion_tokens``; against a custom
base URL as ``max_tokens``, which OpenAI-compatible servers understand. OpenAI's reasoning
models (o1, o3, o4, gpt-5 families) get no ``temperature``: they accept only the default.
"""

from __future__ import annotations

from typing import Any

from agents.backends.base import BackendError, LoopClients, RawAnswer, Request
from agents.backends.retry import parse_retry_after

_FIXED_TEMPERATURE = ("o1", "o3", "o4", "gpt-5")
"""OpenAI models that refuse a temperature other than the default: none is sent to them."""


class OpenAIProvider:
    """One ``chat.completions.create`` call per request, errors classified."""

    name = "openai"

    def __init__(
        self, model: str, *, api_key: str, base_url: str | None = None, timeout: float = 60.0
    ) -> None:
        import openai  # lazy: only model-backed runs need it

        self._openai = openai
        self.model = model
        self._key = api_key
        self.base_url = base_url
        self.timeout = timeout
        self._clients = LoopClients(self._make_client)

    def _make_client(self) -> Any:
        return self._openai.AsyncOpenAI(
            api_key=self._key, base_url=self.base_url, max_retries=0, timeout=self.timeout
        )

    def _client(self) -> Any:
        return self._clients.get()

    async def call(self, request: Request) -> RawAnswer:
        openai = self._openai
        limit = "max_tokens" if self.base_url else "max_completion_tokens"
        params: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in request.messages],
            limit: request.max_tokens,
        }
        if self.base_url or not self.model.startswith(_FIXED_TEMPERATURE):
            params["temperature"] = request.temperature
        if request.seed is not None:
            params["seed"] = request.seed
        try:
            response = await self._client().chat.completions.create(**params)
        except openai.APITimeoutError:
            raise self._error("timed out", "timeout", True) from None
        except openai.APIConnectionError:
            raise self._error("connection failed", "connection", True) from None
        except openai.APIStatusError as exc:
            raise self._status_error(exc.status_code, exc.response.headers) from None
        except openai.APIResponseValidationError:
            raise self._error("malformed response body", "garbage", True) from None
        except (ValueError, TypeError) as exc:
            raise self._error(f"bad response ({type(exc).__name__})", "garbage", True) from None
        return self._answer(response)

    def _answer(self, response: Any) -> RawAnswer:
        choices = getattr(response, "choices", None)
        if not choices:
            raise self._error("malformed response body (no choices)", "garbage", True)
        message = getattr(choices[0], "message", None)
        text = getattr(message, "content", None)
        if not isinstance(text, str) and getattr(message, "refusal", None):
            raise self._error("the model refused", "refused", False)
        if not isinstance(text, str):
            raise self._error("response has no text content", "garbage", True)
        usage = getattr(response, "usage", None)
        return RawAnswer(
            text=text,
            input_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            output_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        )

    def _status_error(self, status: int, headers: Any) -> BackendError:
        if status == 429:
            return BackendError(
                f"{self.name}/{self.model}: HTTP 429 rate limited",
                kind="rate_limit",
                retryable=True,
                status=status,
                retry_after=parse_retry_after(headers.get("retry-after")),
                secrets=[self._key],
            )
        retryable = status >= 500 or status in (408, 409)
        kind = "server" if status >= 500 else ("timeout" if status == 408 else "client")
        hint = {401: " (check OPENAI_API_KEY)", 404: " (unknown model or URL?)"}.get(status, "")
        return self._error(f"HTTP {status}{hint}", kind, retryable, status)

    def _error(
        self, what: str, kind: str, retryable: bool, status: int | None = None
    ) -> BackendError:
        return BackendError(
            f"{self.name}/{self.model}: {what}",
            kind=kind,
            retryable=retryable,
            status=status,
            secrets=[self._key],
        )

    async def aclose(self) -> None:
        for client in self._clients.take_all():
            await client.close()
