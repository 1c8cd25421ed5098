"""Synthetic prompt text whose length in tokens is close to a chosen number.

The vocabulary holds common short English words that typical BPE tokenizers (GPT-2, cl100k,
Llama 3, Qwen) and WordPiece keep as one token each, with or without the leading space. Words are
joined by single spaces with no punctuation, so `n` words come to about `n` tokens; the chat
template, if the endpoint applies one, adds its own few tokens on top. With the endpoint's own
tokenizer at hand, `single_token_words` keeps only the words that are one token in it, and `n`
words are exactly `n` tokens.
"""

from __future__ import annotations

import numpy as np

from harness.protocol.tokenizer import TokenCounter

_WORD_LIST = """
    the of and to in is you that it he was for on are as with his they at be this have from or one
    had by word but not what all were we when your can said there use an each which she do how their
    if will up other about out many then them these so some her would make like him into time has
    look two more write go see number no way could people my than first water been call who oil its
    now find long down day did get come made may part over new sound take only little work know
    place year live me back give most very after thing our just name good man think say great where
    help through much before line right too mean old any same tell boy follow came want show also
    around form three small set put end does another well large must big even such because turn here
    why ask went men read need land different home us move try kind hand picture again change off
    play spell air away animal house point page letter mother answer found study still learn should
    world high every near add food between own below country plant last school father keep tree
    never start city earth eye light thought head under story saw left few while along might close
    something seem next hard open example begin life always those both paper together got group
    often run important until children side feet car mile night walk white sea began grow took river
    four carry state once book hear stop without second later miss idea enough eat face watch far
    really almost let above girl sometimes young talk soon list song being leave family
"""
VOCABULARY: tuple[str, ...] = tuple(_WORD_LIST.split())

WORDS = np.array(VOCABULARY)
# Fewer words than this left after filtering by a tokenizer: the tokenizer is not for English text.
MIN_SINGLE_TOKEN_WORDS = 32


def random_words(rng: np.random.Generator, n: int, words: np.ndarray = WORDS) -> str:
    """`n` words drawn uniformly from `words` (default: the whole vocabulary), joined by spaces."""
    return " ".join(words[rng.integers(0, len(words), size=n)].tolist())


def single_token_words(tokens: TokenCounter | None) -> np.ndarray:
    """The vocabulary words that `tokens` keeps as one token, alone and after a space (the whole
    vocabulary without a tokenizer, or when too few words pass)."""
    if tokens is None:
        return WORDS
    kept = [w for w in VOCABULARY if tokens.count(w) == 1 and tokens.count(f"{w} {w}") == 2]
    return np.array(kept) if len(kept) >= MIN_SINGLE_TOKEN_WORDS else WORDS
