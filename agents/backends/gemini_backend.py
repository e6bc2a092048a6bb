"""Gemini ``generateContent`` through the official ``google-genai`` client.

``google.genai`` is imported when the provider is built. Its own retries stay off (no
``retry_options``): ``retry.with_retries`` applies. ``base_url`` (tests, proxies) goes into
``HttpOptions``. System messages become ``system_instruction``; assistant turns are sent
with the ``model`` role.
"""

from __future__ import annotations

import json
from typing import Any

from agents.backends.base import BackendError, LoopClients, RawAnswer, Request
from agents.backends.retry import parse_retry_after


class GeminiProvider:
    """One ``aio.models.generate_content`` call per request, errors classified."""

    name = "gemini"

    def __init__(
        self, model: str, *, api_key: str, base_url: str | None = None, timeout: float = 60.0
    ) -> None:
        import httpx2
        from google import genai
        from google.genai import errors, types

        self._genai = genai
        self._types = types
        self._errors = errors
        self._httpx = httpx2
        self.model = model
        self._key = api_key
        self.base_url = base_url
        self.timeout = timeout
        self._clients = LoopClients(self._make_client)

    def _make_client(self) -> Any:
        options = self._types.HttpOptions(base_url=self.base_url, timeout=int(self.timeout * 1000))
        return self._genai.Client(api_key=self._key, http_options=options)

    def _client(self) -> Any:
        return self._clients.get()

    def _contents(self, request: Request) -> tuple[list[Any], str | None]:
        types = self._types
        system = [m["content"] for m in request.messages if m["role"] == "system"]
        contents = [
            types.Content(
                role="model" if m["role"] == "assistant" else "user",
                parts=[types.Part(text=m["content"])],
            )
            for m in request.messages
            if m["role"] != "system"
        ]
        return contents, "\n\n".join(system) if system else None

    async def call(self, request: Request) -> RawAnswer:
        contents, system = self._contents(request)
        config = self._types.GenerateContentConfig(
            temperature=request.temperature,
            max_output_tokens=request.max_tokens,
            seed=request.seed,
            system_instruction=system,
        )
        errors, httpx = self._errors, self._httpx
        try:
            response = await self._client().aio.models.generate_content(
                model=self.model, contents=contents, config=config
            )
        except errors.APIError as exc:
            raise self._status_error(exc) from None
        except httpx.TimeoutException:
            raise self._error("timed out", "timeout", True) from None
        except httpx.TransportError:
            raise self._error("connection failed", "connection", True) from None
        except (json.JSONDecodeError, ValueError, TypeError, KeyError) as exc:
            raise self._error(f"bad response ({type(exc).__name__})", "garbage", True) from None
        return self._answer(response)

    def _answer(self, response: Any) -> RawAnswer:
        try:
            text = response.text
        except (ValueError, AttributeError):
            text = None
        if not isinstance(text, str):
            feedback = getattr(response, "prompt_feedback", None)
            if getattr(feedback, "block_reason", None) is not None:
                raise self._error("prompt blocked by the provider", "refused", False)
            raise self._error("response has no text content", "garbage", True)
        usage = getattr(response, "usage_metadata", None)
        return RawAnswer(
            text=text,
            input_tokens=int(getattr(usage, "prompt_token_count", 0) or 0),
            output_tokens=int(getattr(usage, "candidates_token_count", 0) or 0),
        )

    def _status_error(self, exc: Any) -> BackendError:
        status = int(getattr(exc, "code", 0) or 0)
        if status == 429:
            headers = getattr(getattr(exc, "response", None), "headers", None) or {}
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
        hint = {400: " (bad request or key?)", 403: " (check GEMINI_API_KEY)"}.get(status, "")
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
            closer = getattr(client.aio, "aclose", None)
            if closer is not None:
                await closer()
