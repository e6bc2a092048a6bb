"""Fake OpenAI chat completions server: ``POST /v1/chat/completions`` in the real wire format.

Run it standalone for manual checks: ``python -m tests.fakes.openai_server``.
"""

from __future__ import annotations

import time
from typing import Any

from tests.fakes.base import FakeServer, approx_tokens, prompt_text


class FakeOpenAI(FakeServer):
    """Speaks OpenAI chat completions; the key arrives as ``Authorization: Bearer <key>``."""

    def route(self, path: str) -> bool:
        return path.rstrip("/").endswith("/chat/completions")

    def success(self, path: str, body: Any, text: str) -> dict[str, Any]:
        prompt_tokens = approx_tokens(prompt_text(body))
        completion_tokens = approx_tokens(text)
        return {
            "id": f"chatcmpl-fake{self.count}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": (body or {}).get("model", "unknown"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    def error(self, status: int, message: str) -> dict[str, Any]:
        kind = {429: "rate_limit_exceeded", 404: "not_found"}.get(status, "server_error")
        return {"error": {"message": message, "type": kind, "param": None, "code": kind}}


if __name__ == "__main__":
    with FakeOpenAI() as server:
        print(server.url + "/v1")
        time.sleep(3600)
