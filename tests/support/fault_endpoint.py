"""An OpenAI-compatible endpoint that misbehaves on purpose, one way per prompt.

Each request's last user message names a behaviour (``BEHAVIOURS``); the server answers that
way over raw HTTP/1.1 (so it can cut a stream mid-line, reset a connection, send garbage or go
silent) and counts, per behaviour, the requests it received and those whose client went away
before the answer was complete. Whatever the prompt, a keep-alive connection that has carried
``STALE_AFTER`` answers is closed when the next request arrives, without an answer, as a server
does when an idle connection times out just as a request is sent: that request is not counted as
received, and ``stale_closed`` counts such closes. ``GET /stats`` returns the counts as JSON.

Run: ``python -m tests.support.fault_endpoint`` prints ``listening on http://127.0.0.1:PORT``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import sys
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

STALE_AFTER = 3
STALL_S = 4.0
SLOW_HEADERS_S = 0.2
REASONING_S = 0.05  # between the last reasoning chunk and the first answer chunk
HUGE_CHUNK_CHARS = 256 * 1024
TOKENS = ["alpha", " beta", " gamma", " delta", " epsilon", " zeta", " eta", " theta"]

# Behaviour -> the error kind the harness must record (None: a complete answer).
BEHAVIOURS: dict[str, str | None] = {
    "ok": None,
    "multi_token_chunks": None,
    "reasoning": None,
    "huge_chunk": None,
    "whole_json": None,
    "slow_headers": None,
    "finish_without_done": None,
    "connection_close": None,
    "slow_first_token": "timeout_first_token",
    "stall_midstream": "timeout_total",
    "end_without_done": "truncated",
    "cut_mid_line": "truncated",
    "close_mid_line": "truncated",
    "reset_midstream": "reset",
    "malformed_json": "malformed",
    "invalid_utf8": "malformed",
    "not_http": "malformed",
    "error_in_stream": "stream_error",
    "only_done": "empty",
    "http_500": "http_5xx",
    "http_503_retry_after": "http_5xx",
    "http_429": "http_429",
    "http_401": "auth",
    "http_403": "auth",
    "http_400": "http_4xx",
}


class Stats:
    def __init__(self) -> None:
        self.received: dict[str, int] = defaultdict(int)
        self.aborted: dict[str, int] = defaultdict(int)
        self.stale_closed = 0

    def as_dict(self) -> dict[str, Any]:
        return {"received": self.received, "aborted": self.aborted, "stale_closed": self.stale_closed}


STATS = Stats()


class Request:
    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        self.method, self.path, self.headers, self.body = method, path, headers, body
        self.json: dict[str, Any] = json.loads(body) if body else {}

    @property
    def behaviour(self) -> str:
        messages = self.json.get("messages") or [{"content": self.json.get("prompt", "")}]
        return str(messages[-1].get("content", "")).strip()

    @property
    def stream(self) -> bool:
        return bool(self.json.get("stream"))


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Request(method, path, headers, body)


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def event(obj: Any) -> bytes:
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


def delta(text: str, finish: str | None = None, field: str = "content") -> dict[str, Any]:
    choice = {"index": 0, "delta": {field: text}, "finish_reason": finish}
    return {"id": "c1", "object": "chat.completion.chunk", "choices": [choice]}


def usage(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "choices": [],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion},
    }


SSE_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
    b"Connection: keep-alive\r\n\r\n"
)
END = b"0\r\n\r\n"


def status_response(status: int, reason: str, message: str, extra: str = "") -> bytes:
    body = json.dumps({"error": {"message": message}}).encode()
    return (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n{extra}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def whole_answer(text: str, completion: int, close: bool = False) -> bytes:
    body = json.dumps(
        {
            "id": "c1",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": completion},
        }
    ).encode()
    connection = "close" if close else "keep-alive"
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: {connection}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


class Exchange:
    """One request's answer; ``send`` writes, ``pause`` waits and notices a client that left."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, req: Request) -> None:
        self.reader, self.writer, self.req = reader, writer, req
        self.client_left = False

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def pause(self, seconds: float) -> bool:
        """Wait; True (and stop) when the client closed the connection meanwhile."""
        try:
            data = await asyncio.wait_for(self.reader.read(1), seconds)
        except TimeoutError:
            return False
        self.client_left = data == b""
        return self.client_left

    async def stream(self, pieces: list[bytes], done: bool = True, n_tokens: int | None = None) -> None:
        await self.send(SSE_HEAD)
        for piece in pieces:
            await self.send(chunk(piece))
        if n_tokens is not None:
            await self.send(chunk(event(usage(3, n_tokens))))
        if done:
            await self.send(chunk(b"data: [DONE]\n\n"))
        await self.send(END)

    def reset(self) -> None:
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()


def tokens_events(n: int = len(TOKENS), finish: bool = True) -> list[bytes]:
    events = [event(delta(TOKENS[i % len(TOKENS)])) for i in range(n)]
    if finish:
        events.append(event(delta("", finish="stop")))
    return events


async def ok(x: Exchange) -> bool:
    if not x.req.stream:
        await x.send(whole_answer("".join(TOKENS), len(TOKENS)))
        return True
    await x.stream(tokens_events(), n_tokens=len(TOKENS))
    return True


async def multi_token_chunks(x: Exchange) -> bool:
    pieces = [event(delta("".join(TOKENS[i : i + 4]))) for i in range(0, len(TOKENS), 4)]
    await x.stream([*pieces, event(delta("", finish="stop"))], n_tokens=len(TOKENS))
    return True


async def reasoning(x: Exchange) -> bool:
    thoughts = [event(delta("hmm", field="reasoning_content")) for _ in range(3)]
    await x.send(SSE_HEAD + b"".join(chunk(e) for e in thoughts))
    if await x.pause(REASONING_S):
        return False
    answer = [*tokens_events(), event(usage(3, 3 + len(TOKENS))), b"data: [DONE]\n\n"]
    await x.send(b"".join(chunk(e) for e in answer) + END)
    return True


async def huge_chunk(x: Exchange) -> bool:
    await x.stream([event(delta("x" * HUGE_CHUNK_CHARS, finish="stop"))], n_tokens=HUGE_CHUNK_CHARS)
    return True


async def whole_json(x: Exchange) -> bool:
    await x.send(whole_answer("".join(TOKENS), len(TOKENS)))
    return True


async def slow_headers(x: Exchange) -> bool:
    if await x.pause(SLOW_HEADERS_S):
        return False
    return await ok(x)


async def finish_without_done(x: Exchange) -> bool:
    await x.stream(tokens_events(), done=False, n_tokens=len(TOKENS))
    return True


async def connection_close(x: Exchange) -> bool:
    await x.send(whole_answer("".join(TOKENS), len(TOKENS), close=True))
    x.writer.close()
    return True


async def slow_first_token(x: Exchange) -> bool:
    await x.send(SSE_HEAD)
    if await x.pause(STALL_S):
        return False
    await x.send(b"".join(chunk(e) for e in tokens_events()) + END)
    return True


async def stall_midstream(x: Exchange) -> bool:
    await x.send(SSE_HEAD + b"".join(chunk(e) for e in tokens_events(3, finish=False)))
    if await x.pause(STALL_S):
        return False
    await x.send(b"".join(chunk(e) for e in tokens_events()) + END)
    return True


async def end_without_done(x: Exchange) -> bool:
    await x.stream(tokens_events(4, finish=False), done=False)
    return True


async def cut_mid_line(x: Exchange) -> bool:
    cut = event(delta("beta"))[:20]
    await x.send(SSE_HEAD + b"".join(chunk(e) for e in tokens_events(3, finish=False)) + chunk(cut) + END)
    return True


async def close_mid_line(x: Exchange) -> bool:
    cut = event(delta("beta"))[:20]
    await x.send(SSE_HEAD + b"".join(chunk(e) for e in tokens_events(3, finish=False)) + chunk(cut))
    x.writer.close()
    return True


async def reset_midstream(x: Exchange) -> bool:
    await x.send(SSE_HEAD + b"".join(chunk(e) for e in tokens_events(3, finish=False)))
    await asyncio.sleep(0.01)
    x.reset()
    return True


async def malformed_json(x: Exchange) -> bool:
    await x.stream([*tokens_events(2, finish=False), b"data: {not json}\n\n", *tokens_events()])
    return True


async def invalid_utf8(x: Exchange) -> bool:
    await x.stream([*tokens_events(2, finish=False), b'data: {"x": "\xff\xfe"}\n\n', *tokens_events()])
    return True


async def not_http(x: Exchange) -> bool:
    await x.send(b"THIS IS NOT HTTP\r\n\r\n")
    x.writer.close()
    return True


async def error_in_stream(x: Exchange) -> bool:
    error = {"object": "error", "message": "the model fell over", "code": 500}
    await x.stream([*tokens_events(2, finish=False), event(error)])
    return True


async def only_done(x: Exchange) -> bool:
    await x.stream([event(delta("", finish="stop"))], n_tokens=0)
    return True


def status(code: int, reason: str, message: str, extra: str = "") -> Callable[[Exchange], Awaitable[bool]]:
    async def answer(x: Exchange) -> bool:
        await x.send(status_response(code, reason, message, extra))
        return True

    return answer


HANDLERS: dict[str, Callable[[Exchange], Awaitable[bool]]] = {
    "ok": ok,
    "multi_token_chunks": multi_token_chunks,
    "reasoning": reasoning,
    "huge_chunk": huge_chunk,
    "whole_json": whole_json,
    "slow_headers": slow_headers,
    "finish_without_done": finish_without_done,
    "connection_close": connection_close,
    "slow_first_token": slow_first_token,
    "stall_midstream": stall_midstream,
    "end_without_done": end_without_done,
    "cut_mid_line": cut_mid_line,
    "close_mid_line": close_mid_line,
    "reset_midstream": reset_midstream,
    "malformed_json": malformed_json,
    "invalid_utf8": invalid_utf8,
    "not_http": not_http,
    "error_in_stream": error_in_stream,
    "only_done": only_done,
    "http_500": status(500, "Internal Server Error", "boom"),
    "http_503_retry_after": status(503, "Service Unavailable", "busy", "Retry-After: 1\r\n"),
    "http_429": status(429, "Too Many Requests", "slow down", "Retry-After: 1\r\n"),
    "http_401": status(401, "Unauthorized", "bad key"),
    "http_403": status(403, "Forbidden", "not yours"),
    "http_400": status(400, "Bad Request", "bad request"),
}
assert set(HANDLERS) == set(BEHAVIOURS)


async def serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    served = 0
    try:
        while True:
            req = await read_request(reader)
            if req is None:
                return
            if req.method == "GET" and req.path == "/stats":
                body = json.dumps(STATS.as_dict()).encode()
                head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n"
                writer.write(head.encode() + body)
                await writer.drain()
                continue
            if served >= STALE_AFTER:
                STATS.stale_closed += 1
                return
            behaviour = req.behaviour
            handler = HANDLERS.get(behaviour)
            if handler is None:
                writer.write(status_response(404, "Not Found", f"unknown behaviour {behaviour!r}"))
                await writer.drain()
                continue
            STATS.received[behaviour] += 1
            x = Exchange(reader, writer, req)
            try:
                keep = await handler(x)
            except ConnectionError:
                keep, x.client_left = False, True
            if x.client_left:
                STATS.aborted[behaviour] += 1
            if not keep or writer.is_closing():
                return
            served += 1
    finally:
        if not writer.is_closing():
            writer.close()


async def main() -> None:
    server = await asyncio.start_server(serve_connection, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
