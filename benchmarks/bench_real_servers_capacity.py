"""A sweep and an SLO capacity search against real servers on this machine: vLLM (CPU build)
and llama.cpp's llama-server, both serving the tiny model the test setup builds.

For each server the harness launches it from the scenario's ``server:`` section, runs a sweep
(one user, a throughput probe, 4 open-loop rates) and then a capacity search, and stops it. The
table goes to stdout (recorded in docs/capacity.md); the sweep's latency curves are written as
``docs/images/capacity-<server>.png`` (headless Chromium, Debian package ``chromium``).

Usage: ``python benchmarks/bench_real_servers_capacity.py``
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.records.store import read_records  # noqa: E402
from harness.report.sections import stages as stages_section  # noqa: E402
from tests.support.llamacpp_env import llamacpp_spec  # noqa: E402
from tests.support.vllm_env import vllm_spec  # noqa: E402

IMAGES = ROOT / "docs" / "images"
SLO = {"ttft_ms": 1000, "e2e_ms": 2000}
WORKLOAD = {
    "source": {"type": "inline", "prompts": ["Tell me about the sea.", "Describe a busy market in spring."]},
    "max_tokens": 64,
    "ignore_eos": True,
}


def _server(kind: str) -> dict[str, Any]:
    """The server pinned to one core, so the load generator keeps the other: on two cores a
    server whose threads spin on both starves the client, and every stage says so."""
    spec = vllm_spec() if kind == "vllm" else llamacpp_spec()
    args, env = list(spec.args), dict(spec.env)
    if kind == "vllm":
        env["VLLM_CPU_OMP_THREADS_BIND"] = "0"
    else:
        args[args.index("--threads") + 1] = "1"
    return {
        "kind": spec.kind,
        "model": spec.model,
        "command": list(spec.command),
        "args": args,
        "env": env,
        "startup_timeout_s": 300,
    }


def _run(args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli.main", *args, "--quiet"], capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr[-3000:])
    run_dir = Path(done.stdout.strip().splitlines()[-1])
    return {"run_dir": run_dir, "summary": json.loads((run_dir / "summary.json").read_text())}


def _curves_png(run: dict[str, Any], out: Path) -> None:
    from plotly.offline import get_plotlyjs

    html = stages_section.render(run["run_dir"], run["summary"], read_records(run["run_dir"]))
    page = run["run_dir"] / "stages-only.html"
    page.write_text(
        f"<html><head><meta charset='utf-8'><script>{get_plotlyjs()}</script></head>"
        f"<body style='font-family:sans-serif;width:1150px'>{html}</body></html>"
    )
    chromium = shutil.which("chromium")
    if chromium is None:
        print("chromium not found: no image", file=sys.stderr)
        return
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--virtual-time-budget=10000", "--window-size=1200,900", f"--screenshot={out}", page.as_uri()],
        capture_output=True, check=False,
    )  # fmt: skip


def main() -> int:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("vllm", "llamacpp"):
            base = {"server": _server(kind), "workload": WORKLOAD, "slo": SLO}
            sweep_path = Path(tmp) / f"sweep-{kind}.yaml"
            sweep = {"name": f"sweep-{kind}", **base, "load": {"profile": {
                "type": "sweep", "rates": 4, "stage_s": 10, "stage_warmup_s": 2, "probe_users": 16,
            }}}  # fmt: skip
            sweep_path.write_text(yaml.safe_dump(sweep))
            swept = _run(["run", str(sweep_path), "--out", tmp])
            IMAGES.mkdir(parents=True, exist_ok=True)
            _curves_png(swept, IMAGES / f"capacity-{kind}.png")
            search_path = Path(tmp) / f"capacity-{kind}.yaml"
            search = {
                "name": f"capacity-{kind}",
                **base,
                "load": {"profile": {"type": "concurrency", "users": 1}, "duration_s": 10},
            }
            search_path.write_text(yaml.safe_dump(search))
            searched = _run(["capacity", str(search_path), "--stage-s", "10", "--stage-warmup-s", "2",
                             "--probe-users", "16", "--attainment", "0.95", "--out", tmp])  # fmt: skip
            rows.append((kind, swept["summary"], searched["summary"]))
    print(
        "| server | stage | load | delivered req/s | TTFT p50 / p99 (ms) | TPOT p50 (ms) | E2E p99 (ms) "
        "| SLO met | server queue (ms) | KV cache max |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for kind, swept, _ in rows:
        for s in swept["stages"]:
            t = s["target"]
            load = f"{t['rate_rps']:g} rps" if "rate_rps" in t else f"{t['users']:g} users"
            server = s.get("server") or {}
            queue = (server.get("queue_ms") or {}).get("mean_ms")
            kv = (server.get("kv_cache_usage_ratio") or {}).get("max")
            lat = s["latency"]
            print(
                f"| {kind} | {s['name']} | {load} | {_n(s['throughput']['requests_per_s'], 2)} | "
                f"{_n(lat['ttft_ms']['p50'])} / {_n(lat['ttft_ms']['p99'])} | {_n(lat['tpot_ms']['p50'])} | "
                f"{_n(lat['e2e_ms']['p99'])} | {_pct(s['goodput']['slo_attainment'])} | {_n(queue)} "
                f"| {_pct(kv)} |"
            )
    print()
    for kind, swept, searched in rows:
        c, knee = searched["capacity"], swept["sweep"]["knee"]
        print(
            f"- **{kind}**: sweep max {_n(swept['sweep']['max_rps'], 2)} req/s; knee "
            f"{(knee or {}).get('stage', 'none')}: {(knee or {}).get('diagnosis', '-')}. Capacity search "
            f"({_pct(c['slo_attainment_target'])} within TTFT 1 s and E2E 2 s): "
            f"slo_rps {_n(c['slo_rps'], 2)} req/s, "
            f"max_rps {_n(c['max_rps'], 2)}, limit {c['limit']}, {c['stages_run']} probes."
        )
    return 0


def _n(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


if __name__ == "__main__":
    sys.exit(main())
