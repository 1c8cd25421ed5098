"""From a request body to what the simulator will generate: prompt size, output tokens, finish reason.

Output length (N_out), in order of precedence:
  * a golden item: the answer's tokens, cut to ``max_tokens`` if that is smaller
    (finish_reason ``length``), else finish_reason ``stop``;
  * ``max_tokens`` given (``max_completion_tokens`` too, for chat): exactly ``max_tokens``
    (finish_reason ``length``). A drift profile's ``output_len_scale`` below 1 ends the sequence
    early at ``round(max_tokens * scale)`` (finish_reason ``stop``, at least ``min_tokens``); a
    scale above 1 cannot pass ``max_tokens``, which a server never exceeds. ``ignore_eos: true``
    always gives exactly ``max_tokens``;
  * no ``max_tokens``: a seeded draw from ``[ceil(0.5 * output_tokens), floor(1.5 * output_tokens)]``
    times ``output_len_scale`` (at least 1 and at least ``min_tokens``), finish_reason ``stop``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from harness.sim.config import SimConfig
from harness.sim.golden import GoldenBook, GoldenItem, last_user_text
from harness.sim.profiles import DriftProfile
from harness.sim.tokens import count_text_tokens, render_chat, split_answer, vocabulary_size

CHAT = "chat"
COMPLETIONS = "completions"


class RequestError(Exception):
    """The request body is invalid: answered with HTTP 400 and an OpenAI error body."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


@dataclass(slots=True)
class RequestPlan:
    api: str
    stream: bool
    include_usage: bool
    prompt_tokens: int
    n_out: int
    finish_reason: str
    word_start: int  # where this sequence's word walk starts (generated text only)
    answer_tokens: list[str] | None = None  # golden answer tokens; None means generated words

    @property
    def kv_tokens(self) -> int:
        return self.prompt_tokens + self.n_out


@dataclass(frozen=True, slots=True)
class Planner:
    cfg: SimConfig
    profile: DriftProfile
    golden: GoldenBook

    def plan(self, api: str, body: Any, rng: random.Random) -> RequestPlan:
        if not isinstance(body, dict):
            raise RequestError("the request body must be a JSON object")
        if api == CHAT:
            prompt_tokens, key = _chat_prompt(body)
        else:
            prompt_tokens, key = _completion_prompt(body)
        max_tokens = _optional_int(body, "max_completion_tokens" if api == CHAT else "max_tokens", 1)
        if max_tokens is None and api == CHAT:
            max_tokens = _optional_int(body, "max_tokens", 1)
        min_tokens = _optional_int(body, "min_tokens", 0) or 0
        if max_tokens is not None and min_tokens > max_tokens:
            raise RequestError("min_tokens must not exceed max_tokens", "min_tokens")
        if body.get("n", 1) != 1:
            raise RequestError("the simulator supports only n = 1", "n")
        stream = _flag(body, "stream")
        options = body.get("stream_options") or {}
        if not isinstance(options, dict):
            raise RequestError("stream_options must be an object", "stream_options")
        plan = RequestPlan(
            api=api,
            stream=stream,
            include_usage=stream and bool(options.get("include_usage")),
            prompt_tokens=prompt_tokens,
            n_out=0,
            finish_reason="stop",
            word_start=rng.randrange(vocabulary_size()),
        )
        item = self.golden.lookup(key)
        if item is not None:
            self._answer(plan, item, max_tokens, rng)
        else:
            self._length(plan, max_tokens, min_tokens, _flag(body, "ignore_eos"), rng)
        return plan

    def _answer(
        self, plan: RequestPlan, item: GoldenItem, max_tokens: int | None, rng: random.Random
    ) -> None:
        correct = rng.random() < self._accuracy(item)
        text = item.answer if correct else self.golden.wrong_answer(item, rng)
        # An empty answer is one empty token, as a server that samples EOS first reports it.
        tokens = split_answer(text) or [""]
        if max_tokens is not None and len(tokens) > max_tokens:
            tokens, plan.finish_reason = tokens[:max_tokens], "length"
        plan.answer_tokens, plan.n_out = tokens, len(tokens)

    def _accuracy(self, item: GoldenItem) -> float:
        if self.profile.accuracy is not None:
            return self.profile.accuracy
        by_tag = self.cfg.golden_accuracy_by_tag
        tag = next((t for t in item.tags if t in by_tag), None)
        return by_tag[tag] if tag is not None else self.cfg.golden_accuracy

    def _length(
        self, plan: RequestPlan, max_tokens: int | None, min_tokens: int, ignore_eos: bool, rng: random.Random
    ) -> None:
        scale = self.profile.output_len_scale
        if max_tokens is not None:
            n = max_tokens if ignore_eos else max(min_tokens, 1, min(max_tokens, round(max_tokens * scale)))
            plan.n_out, plan.finish_reason = n, "length" if n == max_tokens else "stop"
            return
        mean = self.cfg.output_tokens
        drawn = rng.randint(math.ceil(0.5 * mean), math.floor(1.5 * mean))
        plan.n_out = max(min_tokens, 1, round(drawn * scale))


def _chat_prompt(body: dict[str, Any]) -> tuple[int, str | None]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        raise RequestError("messages must be a non-empty list of message objects", "messages")
    return count_text_tokens(render_chat(messages)), last_user_text(messages)


def _completion_prompt(body: dict[str, Any]) -> tuple[int, str | None]:
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]
    if isinstance(prompt, str):
        return count_text_tokens(prompt), prompt
    if isinstance(prompt, list) and prompt and all(isinstance(t, int) for t in prompt):
        return len(prompt), None
    raise RequestError("prompt must be a string, a list of one string, or a list of token ids", "prompt")


def _optional_int(body: dict[str, Any], name: str, minimum: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise RequestError(f"{name} must be an integer >= {minimum}", name)
    return value


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise RequestError(f"{name} must be true or false", name)
    return value
