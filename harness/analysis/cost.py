"""``cost_summary``: a run's window, counts and energy priced with the scenario's ``cost:`` section.

The basis is chosen from the prices given, in this order:

- ``accelerator`` (a self-hosted endpoint): total = accelerator_usd_per_hour × accelerators ×
  window hours. The accelerator is paid for the whole window, busy or not.
- ``tokens`` (a paid API): total = N_in × usd_per_1m_input_tokens / 1e6 + N_out ×
  usd_per_1m_output_tokens / 1e6; a price left out adds nothing.
- ``energy`` (only usd_per_kwh given): total = the GPU energy of the window in kWh × usd_per_kwh.

Then cost per query = total / completed requests, cost per 1M output tokens = total / N_out ×
1e6, cost per golden item = total / golden items. With an accelerator or token basis the energy
cost is reported beside the total, not added to it: an hourly accelerator price usually
includes power. Every figure that cannot be computed is None, never 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SECONDS_PER_HOUR = 3600.0
JOULES_PER_KWH = 3.6e6
PER_MILLION = 1e6
PRICE_FIELDS: tuple[str, ...] = (
    "accelerator_usd_per_hour",
    "accelerators",
    "usd_per_1m_input_tokens",
    "usd_per_1m_output_tokens",
    "usd_per_kwh",
)


def cost_summary(
    cost_cfg: Mapping[str, Any] | None,
    window_seconds: float,
    completed: int,
    output_tokens: int,
    input_tokens: int,
    energy_j: float | None,
    golden_items: int | None = None,
) -> dict[str, Any]:
    """The ``cost`` part of ``summary.json``; ``cost_cfg`` is the scenario's ``cost:`` mapping
    (None when it has none). Keys: ``available``, ``reason``, ``basis``, ``prices``,
    ``total_usd``, ``cost_per_query_usd``, ``cost_per_1m_output_tokens_usd``,
    ``cost_per_golden_item_usd``, ``energy_kwh``, ``energy_cost_usd``."""
    prices = {name: (cost_cfg or {}).get(name) for name in PRICE_FIELDS}
    kwh_price = prices["usd_per_kwh"]
    energy_kwh = energy_j / JOULES_PER_KWH if energy_j is not None else None
    energy_cost = energy_kwh * kwh_price if energy_kwh is not None and kwh_price is not None else None
    basis, total, reason = _total(prices, window_seconds, output_tokens, input_tokens, energy_cost)
    return {
        "available": total is not None,
        "reason": reason,
        "basis": basis,
        "prices": prices,
        "total_usd": total,
        "cost_per_query_usd": _per(total, completed),
        "cost_per_1m_output_tokens_usd": _per(total, output_tokens / PER_MILLION),
        "cost_per_golden_item_usd": _per(total, golden_items),
        "energy_kwh": energy_kwh,
        "energy_cost_usd": energy_cost,
    }


def _total(
    prices: dict[str, Any], seconds: float, output_tokens: int, input_tokens: int, energy_cost: float | None
) -> tuple[str | None, float | None, str | None]:
    """(basis, total USD, reason when there is no total)."""
    hourly = prices["accelerator_usd_per_hour"]
    if hourly is not None:
        accelerators = prices["accelerators"] if prices["accelerators"] is not None else 1
        return "accelerator", float(hourly) * accelerators * seconds / SECONDS_PER_HOUR, None
    per_in, per_out = prices["usd_per_1m_input_tokens"], prices["usd_per_1m_output_tokens"]
    if per_in is not None or per_out is not None:
        total = (input_tokens * (per_in or 0.0) + output_tokens * (per_out or 0.0)) / PER_MILLION
        return "tokens", float(total), None
    if prices["usd_per_kwh"] is not None:
        if energy_cost is None:
            return "energy", None, "usd_per_kwh is the only price and no GPU energy was measured"
        return "energy", float(energy_cost), None
    return None, None, "no price given: add a cost: section to the scenario"


def _per(total: float | None, units: float | None) -> float | None:
    return total / units if total is not None and units else None
