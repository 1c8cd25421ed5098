"""The `server:` section: launch a local vLLM or llama-server for the run, and stop it after."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveFloat

from harness.config._base import StrictModel


class ServerConfig(StrictModel):
    kind: Literal["vllm", "llamacpp"] = "vllm"
    model: str = Field(min_length=1)  # model directory, file or name the server loads
    command: list[str] | None = None  # None: the usual launcher for `kind`
    args: list[str] = Field(default_factory=list)  # extra command-line arguments
    host: str = "127.0.0.1"
    port: int | None = Field(default=None, ge=1, le=65535)  # None: a free port
    env: dict[str, str] = Field(default_factory=dict)
    startup_timeout_s: PositiveFloat = 300.0
