"""ServerSpec: the command lines the launcher builds and the specs it refuses."""

from __future__ import annotations

import socket
import sys

import pytest

from harness.launch.spec import ServerSpec, free_port


def test_vllm_default_command_runs_the_api_server_module_with_this_python() -> None:
    spec = ServerSpec(kind="vllm", model="/models/tiny", args=["--dtype", "float32"])
    assert spec.argv(8001) == [
        sys.executable,
        "-m",
        "vllm.entrypoints.openai.api_server",
        "--model",
        "/models/tiny",
        "--host",
        "127.0.0.1",
        "--port",
        "8001",
        "--dtype",
        "float32",
    ]


def test_vllm_python_can_be_another_interpreter() -> None:
    spec = ServerSpec(kind="vllm", model="m", python="/opt/vllm/bin/python")
    assert spec.argv(9)[:3] == ["/opt/vllm/bin/python", "-m", "vllm.entrypoints.openai.api_server"]


def test_vllm_serve_takes_the_model_as_its_positional_argument() -> None:
    spec = ServerSpec(kind="vllm", model="Qwen/Qwen2.5-0.5B", command=["vllm", "serve"], host="0.0.0.0")
    assert spec.argv(8000) == ["vllm", "serve", "Qwen/Qwen2.5-0.5B", "--host", "0.0.0.0", "--port", "8000"]


def test_llamacpp_default_command_is_llama_server_with_a_model_file() -> None:
    spec = ServerSpec(kind="llamacpp", model="tiny.gguf", args=["--metrics"])
    assert spec.argv(8080) == [
        "llama-server",
        "-m",
        "tiny.gguf",
        "--host",
        "127.0.0.1",
        "--port",
        "8080",
        "--metrics",
    ]


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        ({"kind": "tgi", "model": "m"}, "server kind 'tgi' is not one of vllm, llamacpp"),
        ({"kind": "vllm", "model": ""}, "server model is empty"),
        ({"kind": "vllm", "model": "m", "command": []}, "server command is empty"),
        ({"kind": "vllm", "model": "m", "startup_timeout_s": 0}, "server startup_timeout_s must be > 0"),
    ],
)
def test_invalid_specs_are_refused_with_one_line(fields: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValueError) as caught:
        ServerSpec(**fields)  # type: ignore[arg-type]
    assert str(caught.value).startswith(complaint)
    assert "\n" not in str(caught.value)


def test_free_port_is_bindable() -> None:
    port = free_port()
    assert 1024 <= port <= 65535
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
