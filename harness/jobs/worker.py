"""The worker job: a Locust worker that takes its run setup from the master.

The master sends the scenario (as run, secrets removed), the target URL and model, and the
run clock; the worker builds the same workload and sends its records back through Locust's
worker reports. The API key, if any, is read from this worker's own environment.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import gevent
from locust.env import Environment

from harness.config.scenario import load_scenario
from harness.jobs.endpoint import Target, endpoint_headers
from harness.load import context, distributed
from harness.load.context import LoadContext
from harness.load.cpu import CpuMonitor
from harness.load.driver import freeze_startup_objects
from harness.load.users import ArrivalUser, LLMUser

log = logging.getLogger("harness.worker")


def run_worker(master_host: str, master_port: int, grace_s: float = 10.0) -> int:
    """Serve as a worker until the master quits; returns the exit code."""
    from harness.jobs.plan import build_context

    env = Environment(user_classes=[LLMUser, ArrivalUser])
    runner = env.create_worker_runner(master_host, master_port)
    freeze_startup_objects()
    outbox = distributed.RecordOutbox()
    state: dict[str, LoadContext] = {}

    cpu = CpuMonitor()

    def batch() -> dict[str, Any]:
        return {distributed.REPORT_KEY: outbox.drain(), distributed.CPU_KEY: cpu.seconds()}

    def send_records() -> None:
        while True:
            gevent.sleep(distributed.RECORDS_EVERY_S)
            runner.send_message(distributed.MSG_RECORDS, batch())

    def on_setup(environment: Environment, msg: Any) -> None:
        data = msg.data
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{data['scenario_name']}.yaml"
            path.write_text(data["scenario"])
            scenario = load_scenario(path)
        ep = scenario.endpoint
        headers = endpoint_headers(ep, ep.api_key() if ep is not None else None)
        target = Target(
            base_url=data["base_url"], name=data["endpoint_name"], model=data["model"], headers=headers
        )
        previous = state.get("ctx")
        # Each worker draws its own prompt order.
        ctx = build_context(scenario, target, [outbox], seed_offset=1 + max(runner.worker_index, 0))
        ctx.worker = runner.client_id
        ctx.run_start = float(data["run_start"])
        ctx.max_requests = data.get("max_requests")
        if previous is not None:
            ctx.worker_index, ctx.worker_count = previous.worker_index, previous.worker_count
        state["ctx"] = ctx
        context.install(ctx)
        log.info("setup received: scenario %s against %s", scenario.name, target.base_url)

    def on_share(environment: Environment, msg: Any) -> None:
        ctx = state.get("ctx")
        if ctx is not None:
            ctx.worker_index, ctx.worker_count = int(msg.data["index"]), int(msg.data["count"])

    def on_flush(environment: Environment, msg: Any) -> None:
        ctx = state.get("ctx")
        if ctx is not None:
            ctx.stopping = True
            deadline = time.time() + grace_s
            while ctx.in_flight > 0 and time.time() < deadline:
                gevent.sleep(0.05)
            ctx.pending.kill(block=True, timeout=5)  # what outlived the grace period is recorded as cancelled
        runner.send_message(distributed.MSG_FLUSHED, batch())

    runner.register_message(distributed.MSG_SETUP, on_setup)
    runner.register_message(distributed.MSG_SHARE, on_share)
    runner.register_message(distributed.MSG_FLUSH, on_flush, concurrent=True)
    sender = gevent.spawn(send_records)
    runner.greenlet.join()
    sender.kill()
    return 0
