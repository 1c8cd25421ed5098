"""A real llama.cpp `llama-server` for the tests, and the tiny model converted to GGUF.

Run `python tests/support/llamacpp_env.py` to build both once (cached under `$SLM_HARNESS_CACHE`).
The C++ sources come from the `llama-cpp-python` sdist on PyPI, which vendors llama.cpp; only the
`llama-server` target is built (~6 min on 2 cores). The Python `llama_cpp.server` is not used: it
serialises requests and drops `stream_options`, so it cannot stand in for a server under load.
"""

from __future__ import annotations

import json
import shutil
import sys
import tarfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from harness.launch.spec import ServerSpec
from tests.support.cache import build_lock, cache_dir, progress, read_marker, run_step, write_marker
from tests.support.vllm_env import ensure_tiny_model, ensure_vllm_venv

LLAMA_CPP_PYTHON_VERSION = "0.3.36"
# No web UI (it would be fetched from the internet), no HTTPS, static so the binary is self-contained.
CMAKE_OPTIONS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DBUILD_SHARED_LIBS=OFF",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
)
GGUF_VERSION = 1


def llama_cpp_dir() -> Path:
    return cache_dir() / "llama-cpp"


def llama_server_binary() -> Path:
    return llama_cpp_dir() / "bin" / "llama-server"


def llama_cpp_source() -> Path:
    return llama_cpp_dir() / "src"


def tiny_gguf_path() -> Path:
    return cache_dir() / "tiny-gguf" / "tiny-model-f32.gguf"


def _fetch_sources(root: Path) -> Path:
    """Download the pinned sdist and unpack its vendored llama.cpp as `root/src`."""
    download = root / "download"
    download.mkdir(parents=True, exist_ok=True)
    run_step(
        "download llama.cpp sources",
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-binary",
            ":all:",
            "--no-deps",
            "-d",
            download,
            f"llama-cpp-python=={LLAMA_CPP_PYTHON_VERSION}",
        ],
    )
    sdist = download / f"llama_cpp_python-{LLAMA_CPP_PYTHON_VERSION}.tar.gz"
    prefix = f"llama_cpp_python-{LLAMA_CPP_PYTHON_VERSION}/vendor/llama.cpp/"
    unpacked = root / "unpacked"
    shutil.rmtree(unpacked, ignore_errors=True)
    with tarfile.open(sdist) as archive:
        members = [m for m in archive.getmembers() if m.name.startswith(prefix)]
        archive.extractall(unpacked, members=members, filter="data")
    source = llama_cpp_source()
    shutil.rmtree(source, ignore_errors=True)
    (unpacked / prefix).rename(source)
    shutil.rmtree(unpacked)
    shutil.rmtree(download)
    return source


def ensure_llama_server() -> Path:
    """Build (once) `llama-server`; returns the binary's path."""
    root = llama_cpp_dir()
    with build_lock("llama-cpp"):
        marker = read_marker(root)
        if marker is not None and marker.get("llama_cpp_python") == LLAMA_CPP_PYTHON_VERSION:
            return llama_server_binary()
        started = time.monotonic()
        progress(f"building llama-server from llama-cpp-python {LLAMA_CPP_PYTHON_VERSION} (~6 min)")
        source = _fetch_sources(root)
        build = root / "build"
        shutil.rmtree(build, ignore_errors=True)
        run_step("configure llama.cpp", ["cmake", "-S", source, "-B", build, "-G", "Ninja", *CMAKE_OPTIONS])
        run_step("build llama-server", ["cmake", "--build", build, "--target", "llama-server", "-j2"])
        binary = llama_server_binary()
        binary.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(build / "bin" / "llama-server", binary)
        shutil.rmtree(build)
        seconds = round(time.monotonic() - started)
        write_marker(root, {"llama_cpp_python": LLAMA_CPP_PYTHON_VERSION, "build_s": seconds})
        progress(f"llama-server ready in {seconds} s")
        return binary


def ensure_tiny_gguf() -> Path:
    """Convert (once) the tiny model to an f32 GGUF with llama.cpp's own converter; returns the file."""
    model = ensure_tiny_model()
    python = ensure_vllm_venv()
    ensure_llama_server()
    out = tiny_gguf_path()
    with build_lock("tiny-gguf"):
        marker = read_marker(out.parent)
        if marker is not None and marker.get("version") == GGUF_VERSION and out.is_file():
            return out
        out.parent.mkdir(parents=True, exist_ok=True)
        source = llama_cpp_source()
        # The converter needs the `gguf` package of the same llama.cpp revision: install the vendored one.
        run_step(
            "install gguf-py", [python, "-m", "pip", "install", "--progress-bar", "off", source / "gguf-py"]
        )
        seconds = run_step(
            "convert to GGUF",
            [python, source / "convert_hf_to_gguf.py", model, "--outtype", "f32", "--outfile", out],
        )
        write_marker(out.parent, {"version": GGUF_VERSION, "build_s": round(seconds)})
        return out


def llamacpp_spec(*, startup_timeout_s: float = 60.0) -> ServerSpec:
    """A launcher spec for the cached llama-server serving the tiny GGUF with `/metrics` on."""
    gguf = ensure_tiny_gguf()
    return ServerSpec(
        kind="llamacpp",
        model=str(gguf),
        command=[str(llama_server_binary())],
        # 4 slots so concurrent streams batch; n_ctx is split across slots.
        args=["--metrics", "--parallel", "4", "--ctx-size", "2048", "--threads", "2"],
        startup_timeout_s=startup_timeout_s,
    )


def main() -> int:
    started = time.monotonic()
    binary = ensure_llama_server()
    gguf = ensure_tiny_gguf()
    progress(f"llama.cpp environment ready in {time.monotonic() - started:.0f} s")
    print(
        json.dumps({"llama_server": str(binary), "gguf": str(gguf), **(read_marker(llama_cpp_dir()) or {})})
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
