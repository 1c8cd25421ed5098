"""A read is timed when its bytes arrived, not when a busy load process got round to it."""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Iterator

import gevent
import pytest

from harness.load import http

BUSY_S = 0.08


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, http.Origin]]:
    """A listening loopback socket and the origin that reaches it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    yield server, http.Origin.from_url(f"http://127.0.0.1:{server.getsockname()[1]}", 5.0)
    server.close()


def _busy(seconds: float) -> None:
    """Hold the process without yielding to the event loop, as other requests' work does."""
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        pass


def _sent_then_read(server: socket.socket, conn: http.Connection) -> tuple[float, float, float]:
    accepted, _ = server.accept()
    with accepted:
        # The kernel switches stamping on for the system a moment after the first socket asks
        # (deferred work): until then packets come unstamped and reads are timed when read.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            accepted.sendall(b"x")
            before = time.perf_counter()
            gevent.sleep(0.01)
            _, arrived = conn.receive()
            if arrived < before or not conn.stamped:
                break
        sent = time.perf_counter()
        accepted.sendall(b"data: first token\n\n")  # on loopback the kernel has it at once
        _busy(BUSY_S)
        read_at = time.perf_counter()
        data, arrived = conn.receive()
        assert data == b"data: first token\n\n"
    return sent, read_at, arrived


@pytest.mark.skipif(sys.platform != "linux", reason="kernel receive timestamps are Linux's")
def test_a_read_returns_the_kernels_arrival_time(pair: tuple[socket.socket, http.Origin]) -> None:
    server, origin = pair
    conn = http.connect(origin)
    assert conn.stamped
    sent, read_at, arrived = _sent_then_read(server, conn)
    conn.close()
    # It arrived right after it was sent, BUSY_S before the process read it.
    assert sent <= arrived + 0.001 and arrived < sent + 0.02
    assert read_at - arrived >= BUSY_S - 0.001


def test_without_stamps_a_read_is_timed_when_read(
    pair: tuple[socket.socket, http.Origin], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http, "_SO_TIMESTAMPNS", None)  # as on other systems, and over TLS
    server, origin = pair
    conn = http.connect(origin)
    assert not conn.stamped
    _, read_at, arrived = _sent_then_read(server, conn)
    conn.close()
    assert arrived >= read_at
