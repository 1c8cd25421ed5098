"""gpu_summary and cost_summary against hand computations from known samples and prices."""

from __future__ import annotations

import json

import pytest

from harness.analysis.cost import cost_summary
from harness.analysis.energy import gpu_summary
from harness.telemetry.sample import throttle_names
from tests._telemetry_fixtures import GIB
from tests._telemetry_fixtures import known_gpu_samples as samples


def test_energy_is_the_counter_interpolated_at_the_window_bounds() -> None:
    summary = gpu_summary(samples(), 101.5, 104.25, output_tokens=2125)
    json.dumps(summary, allow_nan=False)
    gpu0, gpu1 = summary["gpus"]
    # GPU 0: E(101.5) = (1250 + 1500) / 2 = 1375, E(104.25) = 2100 + 0.25 * 250 = 2162.5.
    assert gpu0["energy_j"] == pytest.approx(787.5)
    # GPU 1: E(101.5) = 650, E(104.25) = 925.
    assert gpu1["energy_j"] == pytest.approx(275.0)
    total = summary["total"]
    assert total["energy_j"] == pytest.approx(1062.5)
    assert total["j_per_output_token"] == pytest.approx(0.5)
    assert total["output_tokens_per_j"] == pytest.approx(2.0)
    assert total["energy_mean_power_w"] == pytest.approx(1062.5 / 2.75)
    assert total["energy_reason"] is None


def test_statistics_use_the_samples_inside_the_window() -> None:
    summary = gpu_summary(samples(), 101.5, 104.25, output_tokens=2125)
    gpu0, gpu1 = summary["gpus"]
    # Inside: t = 102, 103, 104.
    assert gpu0["samples"] == 3
    assert gpu0["util_mean_ratio"] == pytest.approx(0.8)
    assert gpu0["util_max_ratio"] == pytest.approx(1.0)
    assert gpu0["mem_used_peak_bytes"] == 30 * GIB
    assert gpu0["mem_total_bytes"] == 48 * GIB
    assert gpu0["power_mean_w"] == pytest.approx(850.0 / 3)
    assert gpu0["power_max_w"] == 300.0
    assert gpu0["temperature_max_c"] == 54.0
    assert gpu0["throttle_reasons"] == ["sw_power_cap", "hw_thermal_slowdown"]
    assert gpu1["throttle_reasons"] == []
    assert (gpu0["gpu"], gpu0["uuid"], gpu0["name"]) == ("0", "GPU-0", "NVIDIA L4")
    total = summary["total"]
    assert total["gpus"] == 2
    assert total["util_mean_ratio"] == pytest.approx((0.8 + 0.3) / 2)
    assert total["util_max_ratio"] == pytest.approx(1.0)
    assert total["mem_used_peak_bytes"] == 34 * GIB
    assert total["power_mean_w"] == pytest.approx(850.0 / 3 + 100.0)
    # Summed per tick: 400, 400, 350.
    assert total["power_max_w"] == 400.0
    assert summary["source"] == "dcgm"


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        (99.0, 104.0, "the first energy sample is 1.0 s after the window starts"),
        (101.0, 106.5, "the last energy sample is 1.5 s before the window ends"),
    ],
)
def test_samples_not_bracketing_the_window_give_no_energy(start: float, end: float, reason: str) -> None:
    total = gpu_summary(samples(), start, end, output_tokens=100)["total"]
    assert total["energy_j"] is None
    assert total["j_per_output_token"] is None and total["output_tokens_per_j"] is None
    assert total["energy_reason"] == f"GPU 0: {reason}"


def test_a_counter_that_goes_back_gives_no_energy() -> None:
    summary = gpu_summary(samples(gpu1_energy=[500.0, 600.0, 5.0, 105.0, 205.0, 305.0]), 101.5, 104.0, 100)
    assert summary["gpus"][0]["energy_j"] == pytest.approx(2100.0 - 1375.0)
    assert summary["gpus"][1]["energy_j"] is None
    assert summary["total"]["energy_reason"] == (
        "GPU 1: the energy counter went back during the window (driver reloaded?)"
    )


def test_no_output_tokens_gives_no_per_token_energy() -> None:
    total = gpu_summary(samples(), 101.5, 104.25, output_tokens=0)["total"]
    assert total["energy_j"] == pytest.approx(1062.5)
    assert total["j_per_output_token"] is None
    assert total["output_tokens_per_j"] == 0.0


def test_no_samples_is_unavailable_with_the_reason() -> None:
    summary = gpu_summary(None, 0.0, 1.0, 10, reason="GPU telemetry disabled in the scenario")
    assert summary["available"] is False
    assert summary["reason"] == "GPU telemetry disabled in the scenario"
    assert summary["total"] is None and summary["gpus"] == []
    assert gpu_summary(samples().iloc[:0], 0.0, 1.0, 10)["reason"] == "no GPU samples were recorded"


def test_throttle_names_keep_unknown_bits() -> None:
    assert throttle_names(0x1004) == ["sw_power_cap", "0x1000"]
    assert throttle_names(0) == []


def test_accelerator_cost_per_query_token_and_golden_item() -> None:
    cost = cost_summary(
        {"accelerator_usd_per_hour": 2.5, "accelerators": 2, "usd_per_kwh": 0.12},
        window_seconds=600.0,
        completed=400,
        output_tokens=120_000,
        input_tokens=50_000,
        energy_j=1.8e6,
        golden_items=50,
    )
    json.dumps(cost, allow_nan=False)
    # 2.5 $/h x 2 accelerators x 600 s / 3600 s/h.
    total = 2.5 * 2 * 600 / 3600
    assert cost["available"] and cost["basis"] == "accelerator" and cost["reason"] is None
    assert cost["total_usd"] == pytest.approx(total)
    assert cost["cost_per_query_usd"] == pytest.approx(total / 400)
    assert cost["cost_per_1m_output_tokens_usd"] == pytest.approx(total / 120_000 * 1e6)
    assert cost["cost_per_golden_item_usd"] == pytest.approx(total / 50)
    # 1.8e6 J = 0.5 kWh at 0.12 $/kWh, reported beside the total.
    assert cost["energy_kwh"] == pytest.approx(0.5)
    assert cost["energy_cost_usd"] == pytest.approx(0.06)
    assert cost["prices"]["accelerators"] == 2


def test_token_priced_api() -> None:
    cost = cost_summary(
        {"usd_per_1m_input_tokens": 0.15, "usd_per_1m_output_tokens": 0.60},
        window_seconds=60.0,
        completed=10,
        output_tokens=3400,
        input_tokens=1200,
        energy_j=None,
    )
    total = 1200 * 0.15 / 1e6 + 3400 * 0.60 / 1e6
    assert cost["basis"] == "tokens"
    assert cost["total_usd"] == pytest.approx(0.00222)
    assert cost["cost_per_query_usd"] == pytest.approx(total / 10)
    assert cost["cost_per_1m_output_tokens_usd"] == pytest.approx(total / 3400 * 1e6)
    assert cost["cost_per_golden_item_usd"] is None
    assert cost["energy_cost_usd"] is None and cost["energy_kwh"] is None


def test_energy_price_alone_prices_the_measured_energy() -> None:
    cost = cost_summary({"usd_per_kwh": 0.30}, 120.0, 8, 800, 400, energy_j=36_000.0)
    assert cost["basis"] == "energy"
    assert cost["total_usd"] == pytest.approx(0.003)
    assert cost["cost_per_query_usd"] == pytest.approx(0.003 / 8)
    missing = cost_summary({"usd_per_kwh": 0.30}, 120.0, 8, 800, 400, energy_j=None)
    assert missing["available"] is False and missing["total_usd"] is None
    assert missing["reason"] == "usd_per_kwh is the only price and no GPU energy was measured"


def test_no_prices_and_no_requests_give_none_not_zero() -> None:
    none = cost_summary(None, 60.0, 10, 100, 100, energy_j=50.0)
    assert none["available"] is False and none["basis"] is None
    assert none["reason"] == "no price given: add a cost: section to the scenario"
    assert none["cost_per_query_usd"] is None
    idle = cost_summary({"accelerator_usd_per_hour": 1.0}, 3600.0, 0, 0, 0, energy_j=None, golden_items=0)
    assert idle["total_usd"] == pytest.approx(1.0)
    assert idle["cost_per_query_usd"] is None
    assert idle["cost_per_1m_output_tokens_usd"] is None
    assert idle["cost_per_golden_item_usd"] is None
