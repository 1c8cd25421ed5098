"""Counting tokens locally with the endpoint's tokenizer (a Hugging Face ``tokenizer.json``).

The second source of N_in / N_out after the server's ``usage``: it stands in when the server
reports none, and gives a second count to compare against ``usage`` when it does.
"""

from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer


class TokenCounter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._tokenizer = Tokenizer.from_file(str(path))

    def count(self, text: str) -> int:
        """Tokens in ``text``, without the special tokens a chat template would add."""
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)
