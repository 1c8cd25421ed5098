"""A locustfile for the plain ``locust`` command, with its web UI or headless.

    locust -f "$(slm-harness locustfile)" --scenario scenarios/chat-short.yaml [--host URL]

It runs the harness's own user classes and load shape for the scenario, and writes the same
run directory as ``slm-harness run`` (records, summary, report) when the test stops. The
scenario must name an endpoint (or Locust's ``--host`` gives one): the plain command does
not start the built-in simulator.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import gevent
from locust import events
from locust.env import Environment

from harness.config.scenario import load_scenario, scenario_to_yaml
from harness.jobs.endpoint import Target, discover_model, endpoint_headers
from harness.jobs.finish import RunFacts, finish_run
from harness.jobs.plan import build_context, users_at
from harness.load import context, shapes
from harness.load.users import ArrivalUser, LLMUser
from harness.records import rundir
from harness.records.store import RecordWriter

__all__ = ["ArrivalUser", "LLMUser", "ScenarioShape"]

_state: dict[str, Any] = {}


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument("--scenario", type=str, required=True, help="slm-harness scenario YAML")
    parser.add_argument("--runs-dir", type=str, default=None, help="where run directories go")


class ScenarioShape(shapes.ProfileShape):
    """The scenario's load profile (set up when Locust starts)."""

    def __init__(self) -> None:
        scenario = _scenario()
        super().__init__(users_at(scenario), scenario.load.duration_s, scenario.load.spawn_rate)


def _scenario() -> Any:
    if "scenario" not in _state:
        from locust.argument_parser import parse_options

        options = parse_options()
        _state["options"] = options
        _state["scenario"] = load_scenario(Path(options.scenario))
    return _state["scenario"]


@events.test_start.add_listener
def _start(environment: Environment, **_: Any) -> None:
    scenario = _scenario()
    ep = scenario.endpoint
    base_url = environment.host or (str(ep.base_url) if ep is not None and ep.base_url else None)
    if not base_url:
        raise SystemExit("the scenario names no endpoint: give one with --host")
    headers = endpoint_headers(ep, ep.api_key() if ep is not None else None)
    model = ep.model if ep is not None and ep.model else discover_model(base_url, headers, True, 10.0)
    runs = _state["options"].runs_dir
    run_dir = rundir.new_run_dir(Path(runs) if runs else None, scenario.name)
    (run_dir / rundir.SCENARIO_FILE).write_text(scenario_to_yaml(scenario))
    writer = RecordWriter(run_dir)
    target = Target(
        base_url=base_url, name=ep.name if ep is not None else "default", model=model, headers=headers
    )
    ctx = build_context(scenario, target, [writer.append])
    ctx.run_start = time.time()
    context.install(ctx)
    _state.update(run_dir=run_dir, writer=writer, model=model, started=ctx.run_start)
    _state["flusher"] = gevent.spawn(_flush_forever, writer)


def _flush_forever(writer: RecordWriter) -> None:
    while True:
        gevent.sleep(0.5)
        writer.flush()


@events.test_stop.add_listener
def _stop(environment: Environment, **_: Any) -> None:
    if "writer" not in _state:
        return
    _state.pop("flusher").kill()
    writer: RecordWriter = _state.pop("writer")
    writer.close()
    scenario = _scenario()
    facts = RunFacts(
        model=_state["model"],
        endpoint=scenario.endpoint.name if scenario.endpoint is not None else "default",
        run_start=_state["started"],
        ended_at=time.time(),
    )
    finish_run(_state["run_dir"], scenario, facts)
    print(f"slm-harness run directory: {_state['run_dir']}")
