"""Test-suite setup shared by every test module.

Locust (gevent) needs its monkey patch before ``ssl``/``urllib3`` are imported anywhere in
the process, so it comes first.
"""

from gevent import monkey

monkey.patch_all()

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402

VLLM_FIXTURE_MAX_MODEL_LEN = 2048


@pytest.fixture(scope="session")
def vllm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One real vLLM (CPU build, tiny model) for the whole session, started on first use (~30 s).

    It logs each request's start and abort, so tests can see what it did with their requests;
    reports each response's prefix-cache hits in usage (``prompt_tokens_details``); and takes
    prompts up to the tiny model's 2048 positions, long enough for prefill (and what the prefix
    cache saves of it) to show in TTFT."""
    from dataclasses import replace

    from harness.launch.server import LaunchedServer
    from tests.support.vllm_env import vllm_spec

    spec = vllm_spec()
    args = [*spec.args, "--enable-log-requests", "--enable-prompt-tokens-details"]
    args[args.index("--max-model-len") + 1] = str(VLLM_FIXTURE_MAX_MODEL_LEN)
    spec = replace(spec, args=args)
    with LaunchedServer(spec, tmp_path_factory.mktemp("vllm")) as server:
        yield server


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One real llama-server (built from source, the tiny model as GGUF) for the whole session."""
    from harness.launch.server import LaunchedServer
    from tests.support.llamacpp_env import llamacpp_spec

    with LaunchedServer(llamacpp_spec(), tmp_path_factory.mktemp("llamacpp")) as server:
        yield server
