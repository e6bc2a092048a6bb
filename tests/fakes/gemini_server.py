"""Fake Gemini server: ``POST /v1beta/models/{model}:generateContent`` in the real wire format.

``/v1/models/...`` is accepted too (google-genai 3.x defaults to the ``v1`` API version).

Run it standalone for manual checks: ``python -m tests.fakes.gemini_server``.
"""

from __future__ import annotations

import re
import time
from typing import Any

from tests.fakes.base import FakeServer, approx_tokens, prompt_text

_ROUTE = re.compile(r"/v1(?:beta)?/models/[^/:]+:generateContent\Z")
_STATUS = {400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL"}


class FakeGemini(FakeServer):
    """Speaks Gemini generateContent; the key arrives as the ``x-goog-api-key`` header."""

    def route(self, path: str) -> bool:
        return _ROUTE.search(path) is not None

    def success(self, path: str, body: Any, text: str) -> dict[str, Any]:
        prompt_tokens = approx_tokens(prompt_text(body))
        candidate_tokens = approx_tokens(text)
        model = path.rsplit("/", 1)[-1].split(":")[0]
        return {
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": text}]},
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": prompt_tokens,
                "candidatesTokenCount": candidate_tokens,
                "totalTokenCount": prompt_tokens + candidate_tokens,
            },
            "modelVersion": model,
            "responseId": f"fake{self.count}",
        }

    def error(self, status: int, message: str) -> dict[str, Any]:
        return {
            "error": {"code": status, "message": message, "status": _STATUS.get(status, "UNKNOWN")}
        }


if __name__ == "__main__":
    with FakeGemini() as server:
        print(server.url)
        time.sleep(3600)
