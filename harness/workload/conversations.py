"""Multi-turn conversations: the user side of each session, from ShareGPT or synthetic.

Only the user's messages (and how long each answer may be) come from here: the assistant's
turns of a session are the server's own answers, added as the session runs
(`harness.load.sessions`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.config.errors import ConfigError
from harness.config.workload import ConversationsSource
from harness.workload.lengths import sample_lengths
from harness.workload.sharegpt import GPT, HUMAN, estimate_tokens, read_sharegpt, turns_of
from harness.workload.words import WORDS, random_words


@dataclass(frozen=True, slots=True)
class Turn:
    user: str  # the user's message of this turn
    max_tokens: int | None  # the answer's length limit (None: the workload's max_tokens)
    think_s: float = 0.0  # pause after the previous answer before this turn is sent


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    turns: tuple[Turn, ...]
    system: str | None = None  # the system message every turn starts with


def conversations(
    source: ConversationsSource, seed: int, system: str | None, words: np.ndarray = WORDS
) -> list[Conversation]:
    """The sessions' conversations, the same for the same seed; `ConfigError` for a bad file."""
    rng = np.random.default_rng([seed, 2])
    turn_lists = _sharegpt_turns(source) if source.path is not None else _synthetic_turns(source, rng, words)
    out = []
    for conv_id, turns in turn_lists:
        if source.max_turns is not None:
            turns = turns[: source.max_turns]
        thinks = _think_times(source, len(turns), rng)
        out.append(
            Conversation(
                conv_id,
                tuple(Turn(user, limit, think) for (user, limit), think in zip(turns, thinks, strict=True)),
                system,
            )
        )
    return out


def _think_times(source: ConversationsSource, n: int, rng: np.random.Generator) -> list[float]:
    """No pause before the first turn; then `think_time_s`, fixed or exponential around it."""
    mean = source.think_time_s
    if source.think_time == "exponential" and mean > 0:
        later = rng.exponential(mean, size=max(n - 1, 0)).tolist()
    else:
        later = [mean] * max(n - 1, 0)
    return [0.0, *later][:n]


def _synthetic_turns(
    source: ConversationsSource, rng: np.random.Generator, words: np.ndarray
) -> list[tuple[str, list[tuple[str, int | None]]]]:
    assert source.turns is not None and source.user_tokens is not None  # checked by the schema
    counts = sample_lengths(source.turns, source.count, rng).tolist()
    out = []
    for i, n_turns in enumerate(counts):
        lengths = sample_lengths(source.user_tokens, n_turns, rng).tolist()
        answers = (
            sample_lengths(source.answer_tokens, n_turns, rng).tolist()
            if source.answer_tokens is not None
            else [None] * n_turns
        )
        turns = [(random_words(rng, n, words), a) for n, a in zip(lengths, answers, strict=True)]
        out.append((f"conversation-{i}", turns))
    return out


def _sharegpt_turns(source: ConversationsSource) -> list[tuple[str, list[tuple[str, int | None]]]]:
    assert source.path is not None
    out = []
    for index, entry in enumerate(read_sharegpt(source.path)):
        turns = _human_turns(turns_of(entry, index, source.path), source.use_reference_output_len)
        if turns:
            out.append((str(entry.get("id", f"{source.path.stem}-{index}")), turns))
            if source.limit is not None and len(out) >= source.limit:
                break
    if not out:
        raise ConfigError(
            str(source.path),
            "(file)",
            "holds no conversation with a usable human turn",
            "check the file is ShareGPT JSON (conversations of human and gpt turns)",
        )
    return out


def _human_turns(turns: list[Any], reference_lengths: bool) -> list[tuple[str, int | None]]:
    """Each non-empty human message, with the estimated length of the gpt answer that follows it
    when `reference_lengths` (a human turn no gpt turn answers then ends the conversation)."""
    out: list[tuple[str, int | None]] = []
    for i, turn in enumerate(turns):
        if not isinstance(turn, dict) or turn.get("from") not in HUMAN:
            continue
        text = turn.get("value")
        if not isinstance(text, str) or not text.strip():
            continue
        limit: int | None = None
        if reference_lengths:
            reply = turns[i + 1] if i + 1 < len(turns) else None
            if (
                not isinstance(reply, dict)
                or reply.get("from") not in GPT
                or not isinstance(reply.get("value"), str)
            ):
                break
            limit = estimate_tokens(reply["value"])
        out.append((text, limit))
    return out
