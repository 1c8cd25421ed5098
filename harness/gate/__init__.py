"""Gates: thresholds and statistics deciding whether a candidate run regressed against a baseline.

Entry points: `load_run_data` (resolve a run directory, summary file or baseline name),
`evaluate` (rules -> `GateReport`), `write_outputs` (gate.xml, gate.md, gate.json),
`gate_metrics` / `push_gate` (Prometheus), `promote` / `list_baselines` (named baselines).
"""

from harness.gate.baselines import Baseline, list_baselines, promote
from harness.gate.evaluate import evaluate
from harness.gate.inputs import DEFAULT_BASELINES_DIR, RunData, load_run_data
from harness.gate.metrics import gate_metrics, push_gate
from harness.gate.outputs import write_outputs
from harness.gate.result import EXIT_FAIL, EXIT_PASS, GateReport, GateResult, ItemChange

__all__ = [
    "DEFAULT_BASELINES_DIR",
    "EXIT_FAIL",
    "EXIT_PASS",
    "Baseline",
    "GateReport",
    "GateResult",
    "ItemChange",
    "RunData",
    "evaluate",
    "gate_metrics",
    "list_baselines",
    "load_run_data",
    "promote",
    "push_gate",
    "write_outputs",
]
