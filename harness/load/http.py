"""HTTP/1.1 connections of the load generator, on gevent sockets.

The harness owns its sockets so that every failure is blamed on the right party:
- a request's clocks start when its bytes are written, never while it waits for a connection;
- a request that times out or is abandoned closes its connection at once, so the server sees
  the disconnect and aborts the generation (vLLM frees its KV cache), and the next request
  gets a fresh connection;
- a request that fails on a reused keep-alive connection before any response byte arrived
  never reached the server (it closed the idle connection): the caller sends it again on a
  fresh connection instead of recording an endpoint error.
Responses are parsed by geventhttpclient's llhttp parser, which undoes chunked encoding.

On Linux the kernel stamps every packet a plain (not TLS) connection receives, and a read
returns when its bytes arrived, not when the event loop got round to reading them: a first
token that waits behind other requests' work in a busy load process is still timed right.
"""

from __future__ import annotations

import contextlib
import errno
import select
import socket
import ssl
import struct
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import gevent
from geventhttpclient.response import HTTPParseError, HTTPResponse

from harness import __version__
from harness.protocol import errors as kinds
from harness.protocol import join_url

RECV_BYTES = 65536
# SO_TIMESTAMPNS (= its control message type), which Python's socket module does not name; a
# timespec of two 64-bit integers.
_SO_TIMESTAMPNS = 35 if sys.platform == "linux" and struct.calcsize("l") == 8 else None
_TIMESPEC = struct.Struct("qq")
_ANCILLARY = socket.CMSG_SPACE(_TIMESPEC.size) if hasattr(socket, "CMSG_SPACE") else 0


class ConnectFailed(Exception):
    """No connection could be made; ``kind`` is ``connect`` or ``timeout_connect``."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class Origin:
    """Where requests go: scheme, host, port and the path prefix of the base URL."""

    base_url: str
    host: str
    port: int
    tls: bool
    connect_timeout_s: float
    verify_tls: bool = True

    @classmethod
    def from_url(cls, base_url: str, connect_timeout_s: float, verify_tls: bool = True) -> Origin:
        parts = urlsplit(base_url)
        tls = parts.scheme == "https"
        port = parts.port or (443 if tls else 80)
        return cls(
            base_url=base_url,
            host=parts.hostname or "localhost",
            port=port,
            tls=tls,
            connect_timeout_s=connect_timeout_s,
            verify_tls=verify_tls,
        )

    @property
    def host_header(self) -> str:
        default = 443 if self.tls else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"

    def request_head(self, path: str, headers: dict[str, str], body_length: int) -> bytes:
        """The request line and headers of a POST to an API ``path`` (``/v1/...``) under the base URL."""
        target = urlsplit(join_url(self.base_url, path)).path
        lines = [
            f"POST {target} HTTP/1.1",
            f"Host: {self.host_header}",
            f"User-Agent: slm-harness/{__version__}",
            f"Content-Length: {body_length}",
            *(f"{name}: {value}" for name, value in headers.items()),
            "",
            "",
        ]
        return "\r\n".join(lines).encode("latin-1")


class Connection:
    """One socket; ``uses`` counts the responses it has carried (0: fresh)."""

    __slots__ = ("sock", "stamped", "uses")

    def __init__(self, sock: socket.socket, stamped: bool = False) -> None:
        self.sock = sock
        self.stamped = stamped  # the kernel stamps the packets it receives
        self.uses = 0

    def receive(self) -> tuple[bytes, float]:
        """What the socket has (b"" at its end) and when it arrived, in ``time.perf_counter``
        seconds: the kernel's receive time when it stamps packets, else now."""
        if not self.stamped:
            return self.sock.recv(RECV_BYTES), time.perf_counter()
        data, ancillary, _, _ = self.sock.recvmsg(RECV_BYTES, _ANCILLARY)
        now, wall = time.perf_counter(), time.time()
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS and len(payload) >= _TIMESPEC.size:
                seconds, nanoseconds = _TIMESPEC.unpack_from(payload)
                return data, min(now, now - (wall - (seconds + nanoseconds * 1e-9)))
        return data, now

    @property
    def reused(self) -> bool:
        return self.uses > 0

    def idle_and_open(self) -> bool:
        """An idle keep-alive socket that is readable has been closed by the server (or is dirty)."""
        try:
            if self.sock.fileno() < 0:
                return False
            readable, _, _ = select.select([self.sock], [], [], 0.0)
            return not readable
        except (OSError, ValueError):
            return False

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def connect(origin: Origin) -> Connection:
    """A new connection, or ``ConnectFailed`` classified as ``connect`` or ``timeout_connect``."""
    try:
        with gevent.Timeout(origin.connect_timeout_s, TimeoutError):
            sock = socket.create_connection((origin.host, origin.port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if origin.tls:
                sock = _tls_context(origin.verify_tls).wrap_socket(sock, server_hostname=origin.host)
    except TimeoutError:
        raise ConnectFailed(
            kinds.TIMEOUT_CONNECT, f"no connection within {origin.connect_timeout_s:g}s"
        ) from None
    except ConnectionRefusedError:
        raise ConnectFailed(kinds.CONNECT, "connection refused") from None
    except socket.gaierror as e:
        raise ConnectFailed(kinds.CONNECT, f"name resolution failed: {e}") from None
    except ssl.SSLError as e:
        raise ConnectFailed(kinds.CONNECT, f"TLS handshake failed: {e}") from None
    except OSError as e:
        raise ConnectFailed(kinds.CONNECT, f"{type(e).__name__}: {e}") from None
    return Connection(sock, stamped=not origin.tls and _stamp_packets(sock))


def _stamp_packets(sock: socket.socket) -> bool:
    """Ask the kernel to stamp received packets; False where it cannot."""
    if _SO_TIMESTAMPNS is None or not _ANCILLARY:
        return False
    try:
        sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
    except OSError:
        return False
    return True


def _tls_context(verify: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class ConnectionPool:
    """Idle keep-alive connections of one user, reused newest first."""

    def __init__(self, origin: Origin, max_idle: int) -> None:
        self.origin = origin
        self.max_idle = max(max_idle, 1)
        self._idle: list[Connection] = []

    def acquire(self, fresh: bool = False) -> Connection:
        """An idle connection the server has not closed, else a new one (``ConnectFailed``)."""
        while self._idle and not fresh:
            conn = self._idle.pop()
            if conn.idle_and_open():
                return conn
            conn.close()
        return connect(self.origin)

    def release(self, conn: Connection, reusable: bool) -> None:
        if reusable and len(self._idle) < self.max_idle:
            conn.uses += 1
            self._idle.append(conn)
        else:
            conn.close()

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()


class ConnectionLost(Exception):
    """The connection ended before the response was complete."""

    def __init__(self, reset: bool, received: int) -> None:
        super().__init__("connection reset" if reset else "connection closed early")
        self.reset = reset
        self.received = received  # response bytes that had arrived


class ProtocolError(Exception):
    """The bytes the server sent are not an HTTP response."""


class Response(HTTPResponse):
    """An HTTP response read piece by piece; ``body()`` takes the body bytes parsed so far."""

    def __init__(self) -> None:
        super().__init__(method="POST")
        self._pieces: list[bytes] = []
        self.received = 0

    def _on_body(self, buf: bytearray) -> None:
        self._pieces.append(bytes(buf))

    def body(self) -> bytes:
        pieces, self._pieces = self._pieces, []
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def header(self, name: str) -> str:
        value = self.get(name)
        if isinstance(value, list):
            return value[-1]
        return value or ""

    def reusable(self) -> bool:
        return not self.should_close()

    def read_some(self, conn: Connection) -> float:
        """Receive what the connection has and parse it; returns when it arrived
        (``time.perf_counter`` seconds). Raises ConnectionLost at an early end."""
        try:
            data, arrived = conn.receive()
        except OSError as e:
            raise ConnectionLost(e.errno in (errno.ECONNRESET, errno.EPIPE), self.received) from e
        if not data:
            with contextlib.suppress(HTTPParseError):
                self.feed(b"")  # end of input completes a body delimited by the connection close
            if not self.message_complete:
                raise ConnectionLost(False, self.received)
            return arrived
        self.received += len(data)
        try:
            self.feed(data)
        except HTTPParseError as e:
            raise ProtocolError(f"invalid HTTP response: {e.args[0] if e.args else e}") from e
        return arrived
