"""Gates: thresholds and statistics deciding whether a candidate regressed against a baseline.

Entry points: `load_side` (resolve run directories, group directories, summary files or
baseline names into the runs of one side), `evaluate` (rules -> `GateReport`),
`write_outputs` (gate.xml, gate.md, gate.json), `gate_metrics` / `push_gate` (Prometheus),
`promote` / `list_baselines` (named baselines), `calibrate` / `write_noise` (noise floors).
"""

from harness.gate.baselines import Baseline, list_baselines, promote
from harness.gate.calibration import calibrate
from harness.gate.evaluate import evaluate
from harness.gate.inputs import DEFAULT_BASELINES_DIR, RunData, Side, load_side
from harness.gate.metrics import gate_metrics, push_gate
from harness.gate.noise import NoiseFloors, read_noise, write_noise
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
    "NoiseFloors",
    "RunData",
    "Side",
    "calibrate",
    "evaluate",
    "gate_metrics",
    "list_baselines",
    "load_side",
    "promote",
    "push_gate",
    "read_noise",
    "write_noise",
    "write_outputs",
]
