"""Large SSE chunks: does a huge content chunk inflate the harness's TTFT?

A local server streams one content chunk of 2 KB or 2 MB (then a finish chunk, usage and
[DONE]). For each size the harness runs one closed-loop user for a few seconds and reports TTFT
p50; a plain socket client measures the time to the end of the same first event beside it.
Target: the 2 MB chunk adds < 5 ms to the harness's TTFT over the 2 KB one.

Usage: ``python benchmarks/bench_large_chunks.py``
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"2 KB": 2 * 1024, "2 MB": 2 * 1024 * 1024}
RUN_S = 4
PLAIN_REPEATS = 30


def _event(obj: object) -> bytes:
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            break
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
        body = json.loads(await reader.readexactly(length))
        writer.write(_response(int(body["messages"][-1]["content"])))
        await writer.drain()
    writer.close()


_RESPONSES: dict[int, bytes] = {}


def _response(size: int) -> bytes:
    """The whole answer, built once per size so that the server's own cost is only the write."""
    if size not in _RESPONSES:
        events = [
            _event({"choices": [{"index": 0, "delta": {"content": "x" * size}, "finish_reason": None}]}),
            _event({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
            _event({"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1}}),
            b"data: [DONE]\n\n",
        ]
        _RESPONSES[size] = (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"".join(_chunk(e) for e in events)
            + b"0\r\n\r\n"
        )
    return _RESPONSES[size]


def server_main() -> None:
    async def main() -> None:
        server = await asyncio.start_server(_serve, "127.0.0.1", 0)
        print(server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    asyncio.run(main())


def plain_ttft_ms(port: int, size: int) -> float:
    """Median time from writing the request to the end of the first SSE event, raw socket."""
    payload = json.dumps({"model": "m", "messages": [{"role": "user", "content": str(size)}]}).encode()
    request = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload
    samples = []
    with socket.create_connection(("127.0.0.1", port)) as sock:
        for _ in range(PLAIN_REPEATS):
            t0 = time.perf_counter()
            sock.sendall(request)
            tail = b""
            first_end = None
            while not tail.endswith(b"0\r\n\r\n"):
                piece = sock.recv(1 << 20)
                if first_end is None and b"\n\n" in tail[-1:] + piece:
                    first_end = time.perf_counter()
                tail = (tail + piece)[-8:]
            samples.append(((first_end or time.perf_counter()) - t0) * 1000)
    return statistics.median(samples)


def harness_ttft_ms(port: int, size: int, out: Path) -> float:
    scenario = {
        "name": f"chunk-{size}",
        "endpoint": {"base_url": f"http://127.0.0.1:{port}", "model": "m"},
        "workload": {"source": {"type": "inline", "prompts": [str(size)]}, "max_tokens": 1},
        "load": {"profile": {"type": "concurrency", "users": 1}, "duration_s": RUN_S},
        "telemetry": {"gpu": {"enabled": False}, "server_metrics": {"enabled": False}},
        "publish": {"exporter": {"enabled": False}},
    }
    path = out / f"chunk-{size}.yaml"
    path.write_text(yaml.safe_dump(scenario))
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli.main", "run", str(path), "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    summary = json.loads((Path(done.stdout.strip().splitlines()[-1]) / "summary.json").read_text())
    return float(summary["latency"]["ttft_ms"]["p50"])


def main() -> int:
    server = subprocess.Popen([sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        with tempfile.TemporaryDirectory() as tmp:
            results = {
                label: (plain_ttft_ms(port, size), harness_ttft_ms(port, size, Path(tmp)))
                for label, size in SIZES.items()
            }
    finally:
        server.kill()
    print("| first chunk | plain client TTFT p50 (ms) | harness TTFT p50 (ms) |")
    print("|---|---|---|")
    for label, (plain, harness) in results.items():
        print(f"| {label} | {plain:.2f} | {harness:.2f} |")
    added = results["2 MB"][1] - results["2 KB"][1]
    print(f"\n2 MB chunk adds {added:.2f} ms to the harness's TTFT over a 2 KB one (target < 5 ms)")
    return 0 if added < 5.0 else 1


if __name__ == "__main__":
    if "--serve" in sys.argv:
        server_main()
    else:
        os.environ.setdefault("PYTHONUNBUFFERED", "1")
        sys.exit(main())
