"""The simulator's deterministic, cheap stand-in for a tokenizer.

Prompt tokens: the prompt is rendered as text and counted as ``ceil(characters / 4)`` — the
usual rule of thumb for English BPE vocabularies. A chat request is rendered with a minimal
template, one ``<|role|>\\n{content}\\n`` block per message followed by ``<|assistant|>\\n``, so
the template overhead is counted as a real server counts its chat template. A completions prompt
given as a list of token ids counts one token per id.

Output tokens: each generated token is one short English word (a leading space on all but the
first), sent as one SSE chunk. Golden answers are split on whitespace, the whitespace kept in
front of the word that follows it, so joining the tokens gives back the answer exactly.
"""

from __future__ import annotations

import json
import re
from typing import Any

CHARS_PER_TOKEN = 4

# Short, JSON-safe words: each is a plausible single BPE token.
_WORDS = (
    "the", "model", "answer", "is", "a", "token", "of", "and", "to", "in", "that", "it", "for",
    "with", "as", "on", "this", "be", "by", "data", "at", "from", "or", "an", "are", "we", "can",
    "time", "query", "result", "value", "system", "request", "stream", "load", "test", "fast",
    "small", "server", "batch", "cache", "word", "next", "line", "step", "list", "case", "text",
    "more", "less", "some", "each", "new", "old", "good", "well", "here", "then", "when", "so",
    "not", "all", "one", "two",
)  # fmt: skip
_FIRST_TOKENS: tuple[str, ...] = tuple(json.dumps(w) for w in _WORDS)
_NEXT_TOKENS: tuple[str, ...] = tuple(json.dumps(" " + w) for w in _WORDS)
# Coprime with the vocabulary size, so consecutive tokens walk the whole vocabulary.
_STRIDE = 7

_ANSWER_TOKEN = re.compile(r"\s*\S+")


def count_text_tokens(text: str) -> int:
    return -(-len(text) // CHARS_PER_TOKEN)


def content_text(content: Any) -> str:
    """The text of a message's ``content``: a string, or a list of OpenAI content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "") for part in content if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def render_chat(messages: list[dict[str, Any]]) -> str:
    blocks = [f"<|{m.get('role', 'user')}|>\n{content_text(m.get('content'))}\n" for m in messages]
    return "".join(blocks) + "<|assistant|>\n"


def generated_token_json(start: int, index: int) -> str:
    """The JSON string literal of generated token ``index`` of a sequence whose word walk starts at ``start``.

    Returned already JSON-encoded so the hot path only concatenates bytes.
    """
    word = (start + index * _STRIDE) % len(_WORDS)
    return _FIRST_TOKENS[word] if index == 0 else _NEXT_TOKENS[word]


def vocabulary_size() -> int:
    return len(_WORDS)


def split_answer(text: str) -> list[str]:
    """Split an answer into tokens, whitespace kept in front of the next word (``"".join`` restores it)."""
    tokens = _ANSWER_TOKEN.findall(text)
    # Trailing whitespace has no word after it; keep it on the last token so nothing is lost.
    tail = text[sum(map(len, tokens)) :]
    if tail:
        if tokens:
            tokens[-1] += tail
        else:
            tokens.append(tail)
    return tokens
