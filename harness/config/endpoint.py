"""The `endpoint:` section: which OpenAI-compatible server to load, and how to talk to it."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import (
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from harness.config._base import DataFile, HttpUrl, ResolvedPath, StrictModel
from harness.config.errors import ConfigError, invalid

# Validation context key holding the scenario file's name, for errors raised at run time.
SOURCE_FILE = "source_file"

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Timeouts(StrictModel):
    """Clocks start when the request is written, after the connection is made (own timeout)."""

    connect_s: PositiveFloat = 10.0
    first_token_s: PositiveFloat = 60.0  # from writing the request to the first generated token (streams)
    total_s: PositiveFloat = 600.0  # from writing the request to the last byte

    @model_validator(mode="after")
    def _first_token_within_total(self) -> Timeouts:
        if self.first_token_s > self.total_s:
            raise invalid(
                f"first_token_s ({self.first_token_s:g}) is longer than total_s ({self.total_s:g})",
                "make first_token_s ≤ total_s",
                at="first_token_s",
            )
        return self


class Retries(StrictModel):
    max_attempts: PositiveInt = 1  # 1 = no retry
    honor_retry_after: bool = False  # wait as long as a 429/503 Retry-After header asks
    backoff_s: NonNegativeFloat = 0.5
    # Closed-loop users wait after a failed connection (50 ms, doubling up to the cap).
    connect_backoff: bool = True
    connect_backoff_max_s: PositiveFloat = 2.0


class Endpoint(StrictModel):
    """Where requests go. Without a `base_url` the scenario needs a `server:` section to launch one."""

    base_url: HttpUrl | None = None  # with or without the trailing /v1
    api: Literal["chat", "completions"] = "chat"
    model: str | None = None  # None: the first model listed by /v1/models
    api_key_env: str | None = None  # name of the environment variable holding the key
    api_key_file: ResolvedPath | None = None  # file holding the key (whitespace stripped)
    headers: dict[str, str] = Field(default_factory=dict)
    timeouts: Timeouts = Field(default_factory=Timeouts)
    verify_tls: bool = True
    stream: bool = True
    # Ask for the usage chunk (stream_options.include_usage); off for servers that reject it.
    include_usage: bool = True
    # The model's tokenizer.json: counts tokens when the server reports no usage, and gives a
    # second count to compare with usage when it does.
    tokenizer: DataFile | None = None
    retries: Retries = Field(default_factory=Retries)
    name: str = Field(default="default", min_length=1)  # the `endpoint` label of metrics

    _source_file: str = PrivateAttr(default="scenario")

    @field_validator("tokenizer")
    @classmethod
    def _loadable_tokenizer(cls, value: Path | None) -> Path | None:
        if value is not None:
            from tokenizers import Tokenizer

            try:
                Tokenizer.from_file(str(value))
            except Exception as e:  # the library raises a bare Exception for any unreadable file
                raise invalid(
                    f"{value} is not a tokenizer.json ({str(e).splitlines()[0][:80]})",
                    "point it at the model's tokenizer.json (Hugging Face tokenizers format)",
                ) from None
        return value

    @field_validator("api_key_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        # The value is never echoed: a pasted key must not reach logs.
        if value is not None and not _ENV_NAME.fullmatch(value):
            raise invalid(
                "is not an environment variable name (it must name the variable, not hold the key)",
                "export the key as e.g. OPENAI_API_KEY and write api_key_env: OPENAI_API_KEY",
            )
        return value

    @model_validator(mode="after")
    def _one_key_source(self, info: ValidationInfo) -> Endpoint:
        if self.api_key_env is not None and self.api_key_file is not None:
            raise invalid("api_key_env and api_key_file are both set", "keep one of them", at="api_key_file")
        self._source_file = str((info.context or {}).get(SOURCE_FILE, "scenario"))
        return self

    @property
    def root_url(self) -> str:
        """The server's root URL (no /v1), where /metrics and /health live."""
        if self.base_url is None:
            raise ValueError("endpoint has no base_url: the scenario's server section provides it")
        return self.base_url.removesuffix("/v1")

    @property
    def metrics_url(self) -> str:
        return self.root_url + "/metrics"

    def api_key(self) -> str | None:
        """The API key, read now from the named environment variable or file; None if neither is set."""
        if self.api_key_env is not None:
            key = os.environ.get(self.api_key_env)
            if not key:
                raise ConfigError(
                    self._source_file,
                    "endpoint.api_key_env",
                    f"environment variable {self.api_key_env} is not set",
                    f"export {self.api_key_env}=<your key>, or remove endpoint.api_key_env",
                )
            return key
        if self.api_key_file is not None:
            try:
                key = self.api_key_file.read_text(encoding="utf-8").strip()
            except OSError as e:
                raise ConfigError(
                    self._source_file,
                    "endpoint.api_key_file",
                    f"cannot read {self.api_key_file} ({e.strerror})",
                    "point api_key_file at a readable file holding the key",
                ) from None
            if not key:
                raise ConfigError(
                    self._source_file,
                    "endpoint.api_key_file",
                    f"{self.api_key_file} is empty",
                    "write the key into the file",
                )
            return key
        return None
