"""Child server processes that never outlive the harness.

Three layers, because no single one covers every way the harness can end:
- each server runs in its own process group, so stopping it reaches the workers it forked;
- on Linux the kernel sends the server SIGTERM when the harness dies, even by SIGKILL
  (`PR_SET_PDEATHSIG`; it fires when the *thread* that started the child exits, so start servers
  from a long-lived thread such as the main one);
- an atexit hook and, where nobody else handles it, a SIGTERM handler stop whatever is still running.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import IO

_PR_SET_PDEATHSIG = 1
_live: set[subprocess.Popen[bytes]] = set()
_live_lock = threading.Lock()
_hooks_installed = False


def _die_with_parent(parent_pid: int) -> Callable[[], None]:
    """A `preexec_fn` that asks the kernel to SIGTERM the child when its parent dies."""
    libc = ctypes.CDLL(None, use_errno=True)

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        # The parent may have died between fork and prctl; then nobody would ever signal us.
        if os.getppid() != parent_pid:
            os._exit(1)

    return preexec


def spawn(argv: Sequence[str], env: Mapping[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    """Start `argv` in a new process group with stdout and stderr going to `log`."""
    _install_hooks()
    preexec = _die_with_parent(os.getpid()) if sys.platform == "linux" else None
    process = subprocess.Popen(
        list(argv),
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=preexec,
    )
    with _live_lock:
        _live.add(process)
    return process


def stop(process: subprocess.Popen[bytes], grace_s: float = 15.0) -> int:
    """SIGTERM the process group, SIGKILL it after `grace_s`; returns the leader's exit code."""
    group = process.pid  # start_new_session makes the leader's pid the group id
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    try:
        code = process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        code = process.wait()
    # Workers that ignored SIGTERM or were left behind by the leader go with the group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)
    with _live_lock:
        _live.discard(process)
    return code


def _stop_all() -> None:
    with _live_lock:
        processes = list(_live)
    for process in processes:
        stop(process, grace_s=5.0)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    _stop_all()
    # Die of the signal as if no handler had been installed, so the exit status stays honest.
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_stop_all)
    # Only take SIGTERM over when nobody else did (Locust, a CLI) and we may (main thread only).
    if (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    ):
        signal.signal(signal.SIGTERM, _on_sigterm)


def read_tail(path: Path, lines: int = 20) -> list[str]:
    """The last `lines` non-empty lines of a log file (undecodable bytes replaced)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 64 * 1024))
            text = handle.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return []
    return [line for line in text.splitlines() if line.strip()][-lines:]
