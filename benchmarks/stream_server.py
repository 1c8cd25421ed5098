"""A light OpenAI-compatible streaming server for load-generator benchmarks.

Every chat or completions request gets ``CHUNKS`` content chunks ``GAP_S`` apart, then at once
(as the last token's) a finish chunk, a usage chunk and ``[DONE]``, over raw asyncio streams (no
web framework), so that the server costs little CPU next to the load generators measured against
it. Chunk k is due ``k * GAP_S`` after the request arrived: a late wake-up does not push the
chunks after it back, so the answer takes (CHUNKS - 1) * GAP_S plus the loop's lateness on its
last chunk, not the sum of every sleep's lateness. ``/v1/models`` lists
one model; ``/stats`` counts the answers written in full and the seconds they took from the
request's arrival to the last write (``{"completed": N, "answer_s": S}``), the same count for
every load generator: streams / (S / N) is the most any client could get at that many streams.
Run: ``python benchmarks/stream_server.py [PORT]``; it prints the port.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

CHUNKS = 16
GAP_S = 0.001
MODEL = "bench-model"


def _event(obj: object) -> bytes:
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _delta(text: str, finish: str | None = None) -> dict[str, object]:
    return {
        "id": "cmpl-bench",
        "object": "chat.completion.chunk",
        "model": MODEL,
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}],
    }


TOKENS = [_chunk(_event(_delta(f" tok{i}"))) for i in range(CHUNKS)]
TAIL = _chunk(
    _event(_delta("", "length"))
    + _event({"id": "cmpl-bench", "object": "chat.completion.chunk", "model": MODEL, "choices": [],
              "usage": {"prompt_tokens": 8, "completion_tokens": CHUNKS, "total_tokens": CHUNKS + 8}})
    + b"data: [DONE]\n\n"
) + b"0\r\n\r\n"  # fmt: skip
HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
    b"Connection: keep-alive\r\n\r\n"
)
MODELS = json.dumps({"object": "list", "data": [{"id": MODEL, "object": "model"}]}).encode()
completed = 0
answer_s = 0.0


def _json(body: bytes) -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode() + b"\r\n\r\n" + body
    )  # fmt: skip


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    global completed, answer_s
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            arrived = time.monotonic()
            if head.startswith(b"GET /stats"):
                writer.write(_json(json.dumps({"completed": completed, "answer_s": answer_s}).encode()))
                continue
            if head.startswith(b"GET"):
                writer.write(_json(MODELS))
                continue
            writer.write(HEAD)
            for k, token in enumerate(TOKENS):
                if k:
                    await asyncio.sleep(arrived + k * GAP_S - time.monotonic())
                writer.write(token)
            writer.write(TAIL)
            await writer.drain()
            completed += 1
            answer_s += time.monotonic() - arrived
    except (asyncio.IncompleteReadError, ConnectionError, RuntimeError):
        pass  # the client went away (uvloop raises RuntimeError on a write to a closed transport)
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(_serve, "127.0.0.1", port, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
