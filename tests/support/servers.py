"""Pytest fixtures that serve the tiny model from a real vLLM or llama-server.

Import the fixture into a test module (`from tests.support.servers import vllm_server`); the
environments are built once and cached (see `vllm_env.py`, `llamacpp_env.py`), each server starts
once per test module.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.launch import LaunchedServer
from tests.support.llamacpp_env import llamacpp_spec
from tests.support.vllm_env import vllm_spec


@pytest.fixture(scope="module")
def vllm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaunchedServer]:
    with LaunchedServer(vllm_spec(), tmp_path_factory.mktemp("vllm")) as server:
        yield server


@pytest.fixture(scope="module")
def llamacpp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaunchedServer]:
    with LaunchedServer(llamacpp_spec(), tmp_path_factory.mktemp("llamacpp")) as server:
        yield server
