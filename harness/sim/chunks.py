"""Response bytes in vLLM's OpenAI-server format (compact JSON, field order as vLLM writes it).

Streaming chat:
  ``data: {"id":"chatcmpl-…","object":"chat.completion.chunk","created":…,"model":…,"choices":[
  {"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}``
  first, then one chunk per token with ``"delta":{"content":"…"}``; the last token chunk carries
  ``finish_reason`` and ``"stop_reason":null``. Completions chunks have ``"object":"text_completion"``
  and ``choices[0].text`` and no role chunk. With ``stream_options.include_usage`` a chunk with
  ``"choices":[]`` and ``usage`` follows, plus the simulator's ground truth ``"sim":{"ttft_ms",
  "e2e_ms","queue_ms"}`` (server-side, from request receipt). Then ``data: [DONE]``.
"""

from __future__ import annotations

import json
from typing import Any

from harness.sim.plan import CHAT

DONE = b"data: [DONE]\n\n"


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def error_body(message: str, kind: str, code: int, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


MIDSTREAM_ERROR = (
    "data: " + dumps(error_body("simulated engine failure", "InternalServerError", 500)) + "\n\n"
).encode() + DONE


def usage_body(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "completion_tokens": completion_tokens,
    }


class ChunkEncoder:
    """The bytes of one response's chunks, with everything but the token text built once."""

    def __init__(self, api: str, request_id: str, created: int, model: str) -> None:
        kind = "chat.completion.chunk" if api == CHAT else "text_completion"
        self._head = {"id": request_id, "object": kind, "created": created, "model": model}
        head = dumps(self._head)[:-1]
        if api == CHAT:
            self._prefix = f'data: {head},"choices":[{{"index":0,"delta":{{"content":'.encode()
            close_delta = "}"
            self.role = (
                f'data: {head},"choices":[{{"index":0,"delta":{{"role":"assistant","content":""}},'
                '"logprobs":null,"finish_reason":null}]}\n\n'
            ).encode()
        else:
            self._prefix = f'data: {head},"choices":[{{"index":0,"text":'.encode()
            close_delta = ""
            self.role = b""
        self._suffix = f'{close_delta},"logprobs":null,"finish_reason":null}}]}}\n\n'.encode()
        self._last_suffix = {
            reason: (
                f'{close_delta},"logprobs":null,"finish_reason":"{reason}","stop_reason":null}}]}}\n\n'
            ).encode()
            for reason in ("stop", "length")
        }

    def token(self, token_json: str) -> bytes:
        return self._prefix + token_json.encode() + self._suffix

    def last_token(self, token_json: str, finish_reason: str) -> bytes:
        return self._prefix + token_json.encode() + self._last_suffix[finish_reason]

    def malformed(self) -> bytes:
        """A ``data:`` line holding the first half of a chunk: not valid JSON."""
        whole = self.token('"x"')
        return whole[: len(whole) // 2] + b"\n\n"

    def usage(self, prompt_tokens: int, completion_tokens: int, sim: dict[str, float | str]) -> bytes:
        body = {
            **self._head,
            "choices": [],
            "usage": usage_body(prompt_tokens, completion_tokens),
            "sim": sim,
        }
        return ("data: " + dumps(body) + "\n\n").encode()


def full_response(
    api: str,
    request_id: str,
    created: int,
    model: str,
    text: str,
    finish_reason: str,
    prompt_tokens: int,
    completion_tokens: int,
    sim: dict[str, float | str],
) -> dict[str, Any]:
    """A non-streaming response body, with the simulator's ground truth under ``sim``."""
    if api == CHAT:
        choice: dict[str, Any] = {
            "index": 0,
            "message": {"role": "assistant", "content": text, "tool_calls": []},
            "logprobs": None,
            "finish_reason": finish_reason,
            "stop_reason": None,
        }
        obj = "chat.completion"
    else:
        choice = {
            "index": 0,
            "text": text,
            "logprobs": None,
            "finish_reason": finish_reason,
            "stop_reason": None,
        }
        obj = "text_completion"
    return {
        "id": request_id,
        "object": obj,
        "created": created,
        "model": model,
        "choices": [choice],
        "usage": usage_body(prompt_tokens, completion_tokens),
        "sim": sim,
    }
