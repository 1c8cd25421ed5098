"""What to launch: a local vLLM or llama.cpp server, described by plain values."""

from __future__ import annotations

import socket
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

ServerKind = Literal["vllm", "llamacpp"]
SERVER_KINDS: tuple[ServerKind, ...] = ("vllm", "llamacpp")
VLLM_MODULE = "vllm.entrypoints.openai.api_server"


@dataclass(frozen=True)
class ServerSpec:
    """A server to start.

    `command` is the program and its leading arguments without model, host and port; None means
    `<python> -m vllm.entrypoints.openai.api_server` for vLLM (`python` defaults to this interpreter)
    and `llama-server` for llama.cpp. A vLLM command ending in `serve` (`["vllm", "serve"]`) gets the
    model as its positional argument, any other gets `--model`. `port` None picks a free port.
    `args` are appended last, so they can override anything the launcher adds.
    """

    kind: ServerKind
    model: str
    command: Sequence[str] | None = None
    host: str = "127.0.0.1"
    port: int | None = None
    args: Sequence[str] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    startup_timeout_s: float = 300.0
    python: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in SERVER_KINDS:
            raise ValueError(f"server kind {self.kind!r} is not one of {', '.join(SERVER_KINDS)}")
        if not self.model:
            raise ValueError("server model is empty: give a model directory, file or name")
        if self.command is not None and len(self.command) == 0:
            raise ValueError("server command is empty: leave it unset for the default or name a program")
        if self.startup_timeout_s <= 0:
            raise ValueError(f"server startup_timeout_s must be > 0, got {self.startup_timeout_s}")

    def program(self) -> list[str]:
        """The command that starts the server, before model, host and port."""
        if self.command is not None:
            return list(self.command)
        if self.kind == "vllm":
            return [self.python or sys.executable, "-m", VLLM_MODULE]
        return ["llama-server"]

    def argv(self, port: int) -> list[str]:
        """The full command line for serving on `port`."""
        program = self.program()
        if self.kind == "llamacpp":
            model_args = ["-m", self.model]
        elif program[-1] == "serve":
            model_args = [self.model]
        else:
            model_args = ["--model", self.model]
        return [*program, *model_args, "--host", self.host, "--port", str(port), *self.args]


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the OS picks it; another process could still take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port
