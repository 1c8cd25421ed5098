"""Worker processes on this host, so that one run uses every core of the load machine.

The run's own process becomes the master of a distributed run on the loopback interface and
starts the workers as child processes (``slm-harness worker``); they send their records to it
every half second and the master merges them exactly as it does for workers on other hosts.
The workers never outlive the run (process group and parent-death signal, see
``harness.launch.process``).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from harness.launch import process
from harness.launch.spec import free_port
from harness.load.driver import MasterOptions

# A local server or the simulator needs a core of its own.
LOCAL_TARGETS = frozenset({"simulator", "vllm", "llamacpp"})


def default_processes(target_kind: str, base_url: str = "") -> int:
    """Load processes for this host: its cores, less one when the server runs here too (one the
    harness started, or any on a loopback address)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    local = target_kind in LOCAL_TARGETS or _loopback(base_url)
    return max(1, cores - (1 if local else 0))


def _loopback(base_url: str) -> bool:
    host = urlsplit(base_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextlib.contextmanager
def local_workers(count: int, log_dir: Path) -> Iterator[MasterOptions]:
    """Start ``count`` workers for a master on a free loopback port; stop them on exit."""
    options = MasterOptions(
        bind_host="127.0.0.1", bind_port=free_port(), expect_workers=count, wait_timeout_s=60
    )
    argv = [sys.executable, "-m", "harness.cli.main", "worker", "--master-host", "127.0.0.1",
            "--master-port", str(options.bind_port)]  # fmt: skip
    children = []
    with contextlib.ExitStack() as logs:
        try:
            for index in range(count):
                log = logs.enter_context((log_dir / f"worker-{index}.log").open("wb"))
                children.append(process.spawn(argv, os.environ, log))
            yield options
        finally:
            for child in children:
                process.stop(child, grace_s=10.0)
