"""The `workload:` section: where prompts come from and how they are sampled."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    Discriminator,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveInt,
    Tag,
    model_validator,
)

from harness.config._base import DataFile, StrictModel
from harness.config.dist import Dist
from harness.config.errors import CUSTOM_ERROR_TYPE, invalid


class ChatMessage(StrictModel):
    role: Literal["system", "user", "assistant"]
    content: str


class MessagesPrompt(StrictModel):
    messages: list[ChatMessage] = Field(min_length=1)


class TextPrompt(StrictModel):
    prompt: str = Field(min_length=1)


def _inline_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "text"
    if isinstance(value, MessagesPrompt) or (isinstance(value, dict) and "messages" in value):
        return "messages"
    if isinstance(value, TextPrompt) or (isinstance(value, dict) and "prompt" in value):
        return "prompt"
    return None


# A plain string, {messages: [...]} or {prompt: "..."}.
InlinePrompt = Annotated[
    Annotated[str, Tag("text")]
    | Annotated[MessagesPrompt, Tag("messages")]
    | Annotated[TextPrompt, Tag("prompt")],
    Discriminator(
        _inline_kind,
        custom_error_type=CUSTOM_ERROR_TYPE,
        custom_error_message="{problem}",
        custom_error_context={
            "problem": "is neither a string, {messages: [...]} nor {prompt: ...}",
            "fix": "write the prompt as a string, or as a mapping with a messages or a prompt key",
        },
    ),
]


class InlineSource(StrictModel):
    type: Literal["inline"]
    prompts: list[InlinePrompt] = Field(min_length=1)


class JsonlSource(StrictModel):
    """One JSON object per line holding `prompt_field` (text) or `messages_field` (chat messages).

    Optional per line: `id` (string) and `tags` (string or list of strings). Other keys are ignored.
    """

    type: Literal["jsonl"]
    path: DataFile
    prompt_field: str = "prompt"
    messages_field: str = "messages"
    limit: PositiveInt | None = None  # read at most this many prompts


class ShareGPTSource(StrictModel):
    """A ShareGPT JSON file: a list of {"conversations": [{"from": ..., "value": ...}, ...]}.

    The first human turn is the prompt. With `use_reference_output_len` the next gpt turn's
    length (estimated in tokens) becomes the item's output length.
    """

    type: Literal["sharegpt"]
    path: DataFile
    use_reference_output_len: bool = False
    limit: PositiveInt | None = None  # keep at most this many conversations


class SharedPrefixes(StrictModel):
    """`count` distinct prefixes of `tokens` words; a `share` of the prompts (drawn at random)
    start with one of them, picked uniformly, the rest with none."""

    count: PositiveInt
    tokens: PositiveInt
    share: float = Field(default=1.0, ge=0.0, le=1.0)


class SyntheticSource(StrictModel):
    """Prompts of random common words with sampled lengths (one word ≈ one token; exactly one
    with `endpoint.tokenizer` set, see docs/workloads.md).

    Each prompt is a shared prefix followed by its own `input_tokens` words: `prefix_tokens`
    words identical in every prompt, or one of several `prefix` prefixes.
    """

    type: Literal["synthetic"]
    input_tokens: Dist
    output_tokens: Dist
    prefix_tokens: NonNegativeInt = 0
    prefix: SharedPrefixes | None = None
    count: PositiveInt = 1000  # distinct prompts generated, then cycled

    @model_validator(mode="after")
    def _one_prefix_kind(self) -> SyntheticSource:
        if self.prefix is not None and self.prefix_tokens:
            raise invalid(
                "is set together with prefix_tokens",
                "give prefix_tokens (one prefix in every prompt) or prefix (several), not both",
                at="prefix",
            )
        return self


class ConversationsSource(StrictModel):
    """Multi-turn sessions: each turn sends the whole conversation so far, the server's own
    answers included, after a think time.

    From a ShareGPT file (`path`: each human turn of a conversation is a turn; with
    `use_reference_output_len` the gpt turn after it sets that turn's `max_tokens`), or
    synthetic (`turns` per session, `user_tokens` words per user message, `answer_tokens`
    as each turn's `max_tokens`; `count` sessions generated, then cycled).
    """

    type: Literal["conversations"]
    path: DataFile | None = None
    use_reference_output_len: bool = False
    limit: PositiveInt | None = None  # ShareGPT: keep at most this many conversations
    turns: Dist | None = None
    user_tokens: Dist | None = None
    answer_tokens: Dist | None = None  # default: workload.max_tokens
    count: PositiveInt = 100
    max_turns: PositiveInt | None = None  # cut longer conversations to their first turns
    think_time_s: NonNegativeFloat = 0.0  # pause between an answer and the next turn
    think_time: Literal["constant", "exponential"] = "constant"  # exponential: mean think_time_s

    @model_validator(mode="after")
    def _file_or_synthetic(self) -> ConversationsSource:
        synthetic = self.turns is not None or self.user_tokens is not None
        if self.path is not None and synthetic:
            raise invalid(
                "is set together with synthetic turns/user_tokens",
                "give path (ShareGPT conversations) or turns and user_tokens (synthetic), not both",
                at="path",
            )
        if self.path is None and (self.turns is None or self.user_tokens is None):
            missing = "turns" if self.turns is None else "user_tokens"
            raise invalid(
                "is required for synthetic conversations",
                "give turns and user_tokens (e.g. {type: fixed, value: 3}), or path to a ShareGPT file",
                at=missing,
            )
        return self


Source = Annotated[
    InlineSource | JsonlSource | ShareGPTSource | SyntheticSource | ConversationsSource,
    Field(discriminator="type"),
]


class WorkloadConfig(StrictModel):
    source: Source | None = None  # required unless a trace profile supplies the prompts
    system_prompt: str | None = None  # prepended as a system message unless an item has its own
    max_tokens: PositiveInt | None = 128  # None: the server's default; per-item lengths win
    ignore_eos: bool = False  # vLLM: generate exactly max_tokens
    min_tokens: NonNegativeInt | None = None  # vLLM: never stop earlier than this
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    seed: int = 0  # prompt order, synthetic text and lengths, and the request seed
    shuffle: bool = True  # cycle through the prompts in a seeded random order

    @model_validator(mode="after")
    def _min_within_max(self) -> WorkloadConfig:
        if self.min_tokens is not None and self.max_tokens is not None and self.min_tokens > self.max_tokens:
            raise invalid(
                f"min_tokens ({self.min_tokens}) is greater than max_tokens ({self.max_tokens})",
                "make min_tokens ≤ max_tokens",
                at="min_tokens",
            )
        return self
