"""Capture byte-exact response bodies from a real vLLM and llama-server as test fixtures.

    python tests/support/capture.py [vllm|llamacpp|all]

Writes, per exchange, the body exactly as the server sent it (after HTTP de-chunking, before any
decoding) to `tests/fixtures/streams/<server>/<name>.sse` when the server answered with an event
stream, else `<name>.body.json`, plus `<name>.meta.json`:

    {"request": {...}, "path": "/v1/...", "status": 200, "headers": {...}, "api": "chat"|"completions",
     "completion_tokens": N | null, "content_chunks": N | null, "server": "..."}

`completion_tokens` comes from the body's `usage` (null without one); `content_chunks` counts the
stream events whose delta carries text (null for non-streaming bodies). It also saves one
`/metrics` scrape per server to `tests/fixtures/metrics/<server>.txt`, taken while streams run.
Re-running it replaces the fixtures; ids, timestamps and sampled text change every time.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from harness.launch.server import LaunchedServer
from harness.launch.spec import ServerSpec
from tests.support.llamacpp_env import llamacpp_spec
from tests.support.parse import delta_text, metric_sum, sse_events, stream_usage
from tests.support.vllm_env import MAX_MODEL_LEN, vllm_spec

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MODEL_NAME = "tiny-llama"
CHAT = "/v1/chat/completions"
COMPLETIONS = "/v1/completions"
USAGE = {"stream_options": {"include_usage": True}}
MESSAGES = [{"role": "user", "content": "Write one sentence about the weather."}]
PROMPT = "The weather today is"
# Comfortably more tokens than llama-server's per-slot context (2048 / 4 slots).
LONG_PROMPT = " ".join(["the quick brown fox jumps over the lazy dog"] * 120)


@dataclass(frozen=True)
class Exchange:
    name: str
    path: str
    body: dict[str, Any]

    @property
    def api(self) -> str:
        return "chat" if self.path == CHAT else "completions"


def common_exchanges() -> list[Exchange]:
    chat = {"model": MODEL_NAME, "messages": MESSAGES, "max_tokens": 16, "temperature": 1.0}
    completion = {"model": MODEL_NAME, "prompt": PROMPT, "max_tokens": 16, "temperature": 1.0}
    return [
        Exchange("chat_stream_usage", CHAT, {**chat, "stream": True, **USAGE}),
        Exchange("chat_stream_no_usage", CHAT, {**chat, "stream": True}),
        Exchange("completions_stream_usage", COMPLETIONS, {**completion, "stream": True, **USAGE}),
        Exchange("chat_stream_long", CHAT, {**chat, "max_tokens": 128, "stream": True, **USAGE}),
        Exchange("chat", CHAT, {**chat, "stream": False}),
        Exchange("completions", COMPLETIONS, {**completion, "stream": False}),
    ]


def vllm_exchanges() -> list[Exchange]:
    too_long = {"model": MODEL_NAME, "messages": MESSAGES, "max_tokens": MAX_MODEL_LEN * 2}
    return [
        *common_exchanges(),
        Exchange("error_max_tokens", CHAT, {**too_long, "stream": False}),
        Exchange("error_max_tokens_stream", CHAT, {**too_long, "stream": True, **USAGE}),
    ]


def llamacpp_exchanges() -> list[Exchange]:
    too_long = {"model": MODEL_NAME, "messages": [{"role": "user", "content": LONG_PROMPT}], "max_tokens": 16}
    return [
        *common_exchanges(),
        Exchange("error_context", CHAT, {**too_long, "stream": False}),
        Exchange("error_context_stream", CHAT, {**too_long, "stream": True, **USAGE}),
    ]


def facts(body: bytes, streamed: bool) -> dict[str, int | None]:
    if streamed:
        events = sse_events(body)
        usage = stream_usage(events)
        chunks: int | None = sum(1 for e in events if delta_text(e))
    else:
        try:
            parsed = json.loads(body)
        except json.JSONDecodeError:
            parsed = {}
        usage = parsed.get("usage") if isinstance(parsed, dict) else None
        chunks = None
    return {"completion_tokens": usage.get("completion_tokens") if usage else None, "content_chunks": chunks}


def capture(
    client: httpx.Client, server: LaunchedServer, exchange: Exchange, out_dir: Path, label: str
) -> None:
    with client.stream("POST", server.base_url + exchange.path, json=exchange.body) as response:
        body = b"".join(response.iter_raw())
        streamed = response.headers.get("content-type", "").startswith("text/event-stream")
        meta = {
            "request": exchange.body,
            "path": exchange.path,
            "status": response.status_code,
            "headers": dict(response.headers),
            "api": exchange.api,
            "server": label,
            **facts(body, streamed),
        }
    suffix = ".sse" if streamed else ".body.json"
    (out_dir / f"{exchange.name}{suffix}").write_bytes(body)
    (out_dir / f"{exchange.name}.meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    print(
        f"{label}: {exchange.name}{suffix} status={response.status_code} {facts(body, streamed)}",
        file=sys.stderr,
    )


def scrape_under_load(client: httpx.Client, server: LaunchedServer, busy_gauge: str) -> str:
    """A `/metrics` scrape taken while long streams run: the first whose `busy_gauge` is above zero.

    Falls back to the scrape taken after the streams ended when none caught them in flight.
    """
    body = {"model": MODEL_NAME, "prompt": PROMPT, "max_tokens": 400, "stream": True, **USAGE}

    def stream() -> None:
        with client.stream("POST", server.base_url + COMPLETIONS, json=body) as response:
            for _ in response.iter_raw():
                pass

    threads = [threading.Thread(target=stream) for _ in range(8)]
    for thread in threads:
        thread.start()
    text = ""
    while any(thread.is_alive() for thread in threads):
        text = client.get(server.metrics_url).text
        if metric_sum(text, busy_gauge) > 0:
            break
    for thread in threads:
        thread.join()
    return text or client.get(server.metrics_url).text


def server_version(client: httpx.Client, server: LaunchedServer, kind: str) -> str:
    if kind == "vllm":
        return "vllm " + str(client.get(server.base_url + "/version").json().get("version"))
    props = client.get(server.base_url + "/props").json()
    return "llama.cpp " + str(props.get("build_info", "unknown"))


def capture_server(kind: str, spec: ServerSpec, exchanges: list[Exchange], busy_gauge: str) -> None:
    out_dir = FIXTURES / "streams" / kind
    out_dir.mkdir(parents=True, exist_ok=True)
    with LaunchedServer(spec) as server, httpx.Client(timeout=120, trust_env=False) as client:
        label = server_version(client, server, kind)
        for exchange in exchanges:
            capture(client, server, exchange, out_dir, label)
        metrics = FIXTURES / "metrics" / f"{kind}.txt"
        metrics.parent.mkdir(parents=True, exist_ok=True)
        metrics.write_text(scrape_under_load(client, server, busy_gauge))


def _vllm() -> None:
    spec = vllm_spec()
    named = replace(spec, args=[*spec.args, "--served-model-name", MODEL_NAME])
    capture_server("vllm", named, vllm_exchanges(), "vllm:num_requests_running")


def _llamacpp() -> None:
    spec = llamacpp_spec()
    named = replace(spec, args=[*spec.args, "--alias", MODEL_NAME])
    capture_server("llamacpp", named, llamacpp_exchanges(), "llamacpp:requests_processing")


SERVERS: dict[str, Callable[[], None]] = {"vllm": _vllm, "llamacpp": _llamacpp}


def main(argv: list[str]) -> int:
    which = argv[0] if argv else "all"
    if which != "all" and which not in SERVERS:
        print(f"usage: capture.py [{'|'.join(SERVERS)}|all]", file=sys.stderr)
        return 2
    for name, run in SERVERS.items():
        if which in ("all", name):
            run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
