"""Launch and stop a local vLLM or llama.cpp `llama-server` for a run."""

from harness.launch.errors import LaunchError
from harness.launch.server import LaunchedServer
from harness.launch.spec import SERVER_KINDS, ServerKind, ServerSpec, free_port

__all__ = ["SERVER_KINDS", "LaunchError", "LaunchedServer", "ServerKind", "ServerSpec", "free_port"]
