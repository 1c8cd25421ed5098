"""Real Prometheus and Pushgateway servers for the tests (Debian packages, loopback ports).

`ensure_installed` installs the packages with apt when they are missing (CI runs as root with
access to the Debian mirrors); the servers run as plain child processes on free ports and are
stopped when their context ends.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.support.cache import build_lock, run_step

BINARIES = ("prometheus", "prometheus-pushgateway", "promtool")
PACKAGES = ("prometheus", "prometheus-pushgateway")
REPO = Path(__file__).resolve().parent.parent
RULES_DIR = REPO / "dashboards" / "prometheus" / "rules"


def ensure_installed() -> None:
    """Install the Debian packages that provide `BINARIES` unless they are all on PATH."""
    if all(shutil.which(b) for b in BINARIES):
        return
    with build_lock("prometheus-apt"):
        if all(shutil.which(b) for b in BINARIES):
            return
        if os.geteuid() != 0:
            raise RuntimeError(
                "prometheus/prometheus-pushgateway are not installed and installing them needs root: "
                f"run `apt-get install -y {' '.join(PACKAGES)}`"
            )
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run_step("apt-get update", ["apt-get", "update"], env=env)
        run_step(
            "install prometheus", ["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES], env=env
        )
    missing = [b for b in BINARIES if not shutil.which(b)]
    if missing:
        raise RuntimeError(f"apt-get installed {PACKAGES} but {missing} are still not on PATH")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {timeout_s} s: {log.read_text()[-2000:]}")


@contextmanager
def _process(argv: list[str], ready_url: str, workdir: Path) -> Iterator[subprocess.Popen[bytes]]:
    log = workdir / f"{Path(argv[0]).name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=workdir)
    try:
        _wait_ready(ready_url, proc, log)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Pushgateway:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def metrics_text(self) -> str:
        return httpx.get(f"{self.url}/metrics", timeout=5).text


def harness_scrapes(exporter_port: int, gateway: Pushgateway) -> list[dict[str, Any]]:
    """Scrape configs for the harness's live exporter and a Pushgateway (its labels kept)."""
    return [
        scrape_config("slm_harness", f"127.0.0.1:{exporter_port}"),
        scrape_config("pushgateway", f"127.0.0.1:{gateway.port}", honor_labels=True),
    ]


@contextmanager
def pushgateway(workdir: Path) -> Iterator[Pushgateway]:
    ensure_installed()
    gw = Pushgateway(free_port())
    # Debian's build persists to /var/lib/prometheus by default: keep every test's pushes in memory.
    argv = ["prometheus-pushgateway", f"--web.listen-address=127.0.0.1:{gw.port}", "--persistence.file="]
    with _process(argv, f"{gw.url}/-/ready", workdir):
        yield gw


def scrape_config(
    job: str, target: str, honor_labels: bool = False, path: str = "/metrics"
) -> dict[str, Any]:
    return {
        "job_name": job,
        "honor_labels": honor_labels,
        "metrics_path": path,
        "static_configs": [{"targets": [target]}],
    }


class Prometheus:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def _api(self, path: str, params: dict[str, Any]) -> Any:
        response = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=30)
        body = response.json()
        if body.get("status") != "success":
            raise AssertionError(f"{path} {params}: {body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        """An instant query's result vector."""
        params: dict[str, Any] = {"query": expr}
        if at is not None:
            params["time"] = at
        return list(self._api("query", params)["result"])

    def query_range(self, expr: str, start: float, end: float, step: float = 1.0) -> list[dict[str, Any]]:
        """A range query's result matrix (one entry per series, each with its `values`)."""
        return list(
            self._api("query_range", {"query": expr, "start": start, "end": end, "step": step})["result"]
        )

    def label_values(self, label: str, selector: str) -> list[str]:
        """What Grafana's ``label_values(selector, label)`` variable query lists."""
        return list(self._api(f"label/{label}/values", {"match[]": selector}))

    def rules(self) -> list[dict[str, Any]]:
        return list(self._api("rules", {})["groups"])

    def wait_until_scraped(self, job: str, timeout_s: float = 30.0) -> None:
        """Wait for a successful scrape of ``job``: Prometheus applies new targets only every 5 s."""
        assert self.wait_for(f'up{{job="{job}"}} == 1', timeout_s), f"Prometheus never scraped {job}"

    def wait_for(self, expr: str, timeout_s: float = 30.0) -> list[dict[str, Any]]:
        """Poll an instant query until it returns at least one series."""
        deadline = time.monotonic() + timeout_s
        while True:
            result = self.query(expr)
            if result or time.monotonic() > deadline:
                return result
            time.sleep(0.25)


@contextmanager
def prometheus(
    workdir: Path, scrape_configs: list[dict[str, Any]], rule_files: list[Path] | None = None
) -> Iterator[Prometheus]:
    """Prometheus scraping `scrape_configs` every second, evaluating `rule_files` every second."""
    ensure_installed()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
        "scrape_configs": scrape_configs,
        "rule_files": [str(p) for p in rule_files or []],
    }
    config_file = workdir / "prometheus.yml"
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    server = Prometheus(free_port())
    argv = [
        "prometheus",
        f"--config.file={config_file}",
        f"--storage.tsdb.path={workdir / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{server.port}",
        "--log.level=warn",
    ]
    with _process(argv, f"{server.url}/-/ready", workdir):
        yield server


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run promtool; the result keeps stdout and stderr for assertion messages."""
    ensure_installed()
    return subprocess.run(["promtool", *map(str, args)], capture_output=True, text=True, timeout=60, cwd=REPO)
