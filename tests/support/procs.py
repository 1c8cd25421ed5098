"""Process inspection for the launcher tests, read straight from /proc (Linux)."""

from __future__ import annotations

import time
from pathlib import Path


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, process group) of `pid`, None when it no longer exists."""
    try:
        text = (Path("/proc") / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name is in parentheses and may contain spaces: split after the last ')'.
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[2])


def running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie (a zombie has exited, it only awaits reaping)."""
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"


def group_members(pgid: int) -> list[int]:
    """The live (non-zombie) processes in process group `pgid`."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and stat[0] != "Z" and stat[1] == pgid:
                members.append(int(entry.name))
    return sorted(members)


def wait_until_gone(pids: list[int], timeout_s: float) -> list[int]:
    """Wait until none of `pids` runs; returns those still running at the timeout."""
    deadline = time.monotonic() + timeout_s
    alive = [p for p in pids if running(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [p for p in alive if running(p)]
    return alive
