"""A load run over several named targets: resolving them, routing the load, and the compare block.

Targets with a ``base_url`` are used as they are; the others get an embedded simulator each
(with their own ``simulator:`` settings, answering the ``compare.golden`` items). The primary
(shadow mode) or first target comes first: it is the reference every other one is compared with.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from harness.config.scenario import Scenario
from harness.config.targets import TargetEndpoint, primary_of
from harness.jobs.endpoint import Target, embedded_simulator, endpoint_headers
from harness.load.context import LoadContext
from harness.load.targets import Route, TargetPlan


def ordered(scenario: Scenario) -> list[TargetEndpoint]:
    """The scenario's targets, reference (primary) first; none for a single-endpoint scenario."""
    targets = list(scenario.targets or [])
    if not targets:
        return []
    first = primary_of(targets, scenario.compare)
    return sorted(targets, key=lambda t: t.name != first)


def target_names(scenario: Scenario) -> list[str]:
    return [t.name for t in ordered(scenario)]


def target_keys(scenario: Scenario) -> dict[str, str | None]:
    """Every target's API key, read now, so a missing one stops the run before anything starts."""
    return {t.name: t.api_key() for t in ordered(scenario)}


def as_single(scenario: Scenario) -> Scenario:
    """The scenario as the single-endpoint load path reads it: the reference target's request
    settings (api, timeouts, retries, stream, tokenizer) in the endpoint section."""
    if not scenario.targets:
        return scenario
    return scenario.model_copy(update={"endpoint": ordered(scenario)[0], "targets": None})


@contextlib.contextmanager
def named_targets(scenario: Scenario, keys: dict[str, str | None]) -> Iterator[list[Target]]:
    """The running targets, reference first; embedded simulators stop when the block ends."""
    golden = tuple(str(p) for p in scenario.compare.golden)
    with contextlib.ExitStack() as stack:
        resolved: list[Target] = []
        for spec in ordered(scenario):
            headers = endpoint_headers(spec, keys.get(spec.name))
            if spec.base_url is not None:
                target = Target(base_url=spec.base_url, name=spec.name, model=spec.model, headers=headers)
            else:
                options = spec.simulator.model_dump() if spec.simulator is not None else {}
                options["golden_files"] = golden
                target = stack.enter_context(embedded_simulator(options))
                target.name, target.headers = spec.name, headers
                target.model = spec.model or target.model
            resolved.append(target)
        yield resolved


def plan_targets(ctx: LoadContext, scenario: Scenario, targets: list[Target]) -> None:
    """Route the context's requests to every target, as the scenario's compare section says."""
    compare = scenario.compare
    ctx.targets = TargetPlan(
        routes=[Route(t.name, t.base_url, t.model or "", dict(t.headers)) for t in targets],
        mode=compare.mode,
        fanout=compare.fanout,
        shadow_max_in_flight=compare.shadow_max_in_flight,
        seed=ctx.seed,
    )
    ctx.target = targets[0].name


def compare_blocks(
    scenario: Scenario, run_dir: Path, ctx: LoadContext, targets: list[Target]
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """What a multi-target run adds to its summary: each target's cost, and ``compare``."""

    def blocks(summary: dict[str, Any]) -> dict[str, Any]:
        from harness.compare.within import run_comparison

        plan = ctx.targets
        assert plan is not None
        specs = {t.name: t for t in ordered(scenario)}
        models = {t.name: t.model or "" for t in targets}
        return run_comparison(summary, run_dir, scenario, specs, models, plan.stats())

    return blocks
