"""GPU, energy and cost: NVML telemetry during runs, and the latest runs' energy and cost per unit."""

from __future__ import annotations

from harness.dashboards.grafana import Dashboard, Panel, Query, Row, Variable
from harness.dashboards.load import RUN_VARIABLES
from harness.dashboards.promql import by_variables, latest, rate, sel, sum_rate
from harness.publish import catalogue as c

GPU = Variable("gpu", "GPU", c.GPU_UTILIZATION.name)
RUN = by_variables(*RUN_VARIABLES)
ON_GPU = by_variables(*RUN_VARIABLES, GPU)
PER_GPU = "GPU {{gpu}} {{scenario}}"


def _gauge_panel(
    title: str, spec: c.MetricSpec, unit: str, description: str, limits: tuple[float, float] | None = None
) -> Panel:
    low, high = limits or (None, None)
    return Panel(title, [Query(sel(spec.name, ON_GPU), PER_GPU)], description, unit=unit, min=low, max=high)


def _latest_run(spec: c.MetricSpec) -> str:
    return latest(sel(spec.name, RUN), sel(c.RUN_TIMESTAMP.name, RUN), c.RUN_LABELS)


def _gpu() -> Row:
    used, total = sel(c.GPU_MEMORY_USED.name, ON_GPU), sel(c.GPU_MEMORY_TOTAL.name, ON_GPU)
    return Row(
        "GPU (NVML, sampled during runs)",
        [
            _gauge_panel(
                "Utilization",
                c.GPU_UTILIZATION,
                "percentunit",
                "Share of time the GPU was busy.",
                (0, 1),
            ),
            Panel(
                "Memory",
                [Query(used, f"used {PER_GPU}"), Query(total, f"total {PER_GPU}")],
                "GPU memory in use and installed.",
                unit="bytes",
            ),
            Panel(
                "Memory used ratio",
                [Query(f"{used} / {total}", PER_GPU)],
                "Used / total; the SLMGPUMemoryNearlyFull alert fires above 95 %.",
                unit="percentunit",
                min=0,
                max=1,
            ),
            _gauge_panel("Power", c.GPU_POWER, "watt", "Board power draw."),
            Panel(
                "Energy rate",
                [Query(rate(sel(c.GPU_ENERGY.name, ON_GPU)), PER_GPU)],
                "Rate of the NVML total-energy counter: average power over the rate window.",
                unit="watt",
            ),
            _gauge_panel("Temperature", c.GPU_TEMPERATURE, "celsius", "GPU core temperature."),
            Panel(
                "Clocks",
                [
                    Query(sel(c.GPU_SM_CLOCK.name, ON_GPU), f"SM {PER_GPU}"),
                    Query(sel(c.GPU_MEM_CLOCK.name, ON_GPU), f"memory {PER_GPU}"),
                ],
                "Streaming-multiprocessor and memory clocks (throttling shows here first).",
                unit="hertz",
            ),
            Panel(
                "Energy per output token (live)",
                [
                    Query(
                        f"{sum_rate(sel(c.GPU_ENERGY.name, ON_GPU), ('scenario',))}"
                        f" / {sum_rate(sel(c.OUTPUT_TOKENS.name, RUN), ('scenario',))}",
                        "{{scenario}}",
                    )
                ],
                "Energy counter rate over output-token rate, per scenario.",
                unit="joule",
            ),
        ],
    )


def _cost() -> Row:
    return Row(
        "Energy and cost of the latest pushed run per scenario",
        [
            Panel(
                "Energy per output token",
                [Query(_latest_run(c.ENERGY_PER_OUTPUT_TOKEN), "{{scenario}}")],
                "Δ NVML energy counter / Σ output tokens over the measured window.",
                type="stat",
                unit="joule",
            ),
            Panel(
                "Cost per query",
                [Query(_latest_run(c.COST_PER_QUERY), "{{scenario}}")],
                "Accelerator $/h × accelerators × window hours / completed requests (or API token prices).",
                type="stat",
                unit="currencyUSD",
            ),
            Panel(
                "Cost per 1M output tokens",
                [Query(_latest_run(c.COST_PER_1M_OUTPUT_TOKENS), "{{scenario}}")],
                "Run cost / output tokens × 10⁶.",
                type="stat",
                unit="currencyUSD",
            ),
        ],
    )


DASHBOARD = Dashboard(
    uid="slm-gpu-cost",
    title="SLM harness · GPU, energy and cost",
    description="GPU telemetry sampled during runs, energy per token and cost per query / per 1M tokens.",
    variables=(*RUN_VARIABLES, GPU),
    rows=[_gpu(), _cost()],
)
