"""The peer load generators, each in its own venv under the shared cache (``peers/``).

`vllm bench serve` comes from the cached vLLM CPU venv the tests build; AIPerf and guidellm get
venvs of their own here, built once (a marker after a finished build, a lock across processes).
The CPU torch is installed first in each: left to resolve on their own, both pull CUDA wheels.

Usage: ``python benchmarks/peers_env.py`` builds them all and prints where they are.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.cache import build_lock, cache_dir, progress, read_marker, run_step, write_marker  # noqa: E402
from tests.support.vllm_env import ensure_tiny_model, ensure_vllm_venv  # noqa: E402

TORCH = "torch==2.13.0"
# Install steps per peer: each list is one pip call, in order.
PEERS = {
    "aiperf": [[TORCH], ["aiperf==0.13.0"]],
    "guidellm": [[TORCH], ["guidellm==0.8.1"]],
}


def peer_dir(name: str) -> Path:
    return cache_dir() / "peers" / name


def ensure_peer(name: str) -> Path:
    """Create (once) the venv of peer ``name``; returns its bin directory."""
    venv, steps = peer_dir(name), PEERS[name]
    with build_lock(f"peer-{name}"):
        marker = read_marker(venv)
        if marker is not None and marker.get("steps") == steps:
            return venv / "bin"
        started = time.monotonic()
        progress(f"building the {name} venv in {venv}")
        venv.parent.mkdir(parents=True, exist_ok=True)
        run_step("venv", [sys.executable, "-m", "venv", "--clear", venv])
        pip: list[str | Path] = [venv / "bin" / "python", "-m", "pip", "--disable-pip-version-check"]
        for step in steps:
            run_step(f"install {' '.join(step)}", [*pip, "install", "--progress-bar", "off", *step])
        write_marker(venv, {"steps": steps, "build_s": round(time.monotonic() - started)})
        return venv / "bin"


def ensure_all() -> dict[str, str]:
    """Every peer's venv and the tokenizer directory they share (the tests' tiny model)."""
    where = {"vllm": str(ensure_vllm_venv().parent)}
    where.update({name: str(ensure_peer(name)) for name in PEERS})
    where["tokenizer"] = str(ensure_tiny_model())
    return where


if __name__ == "__main__":
    print(json.dumps(ensure_all(), indent=2))
