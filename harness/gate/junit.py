"""``gate.xml``: the gate report as JUnit XML, one test case per gate rule.

A failed gate is a ``<failure>``, a gate whose data was missing a ``<skipped>``; every case's
``<system-out>`` holds its numbers. Items that newly fail appear in the accuracy cases.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from harness.gate.result import GateReport, GateResult, ItemChange

SUITE_NAME = "slm-harness gate"
ITEMS_LISTED = 50


def junit_xml(report: GateReport) -> bytes:
    suites = ET.Element("testsuites", name=SUITE_NAME)
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=SUITE_NAME,
        tests=str(len(report.results)),
        failures=str(sum(r.status == "fail" for r in report.results)),
        errors="0",
        skipped=str(sum(r.status == "skip" for r in report.results)),
        time="0",
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("baseline", report.baseline),
        ("candidate", report.candidate),
        ("confidence", f"{report.confidence:g}"),
        ("model", report.model),
        ("endpoint", report.endpoint),
    ):
        ET.SubElement(props, "property", name=name, value=value)
    for result in report.results:
        suite.append(_case(result, report))
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)


def _case(result: GateResult, report: GateReport) -> ET.Element:
    case = ET.Element("testcase", classname=f"gate.{result.kind}", name=result.name, time="0")
    if result.status == "fail":
        failure = ET.SubElement(case, "failure", message=result.message, type="GateFailed")
        failure.text = _details(result, report)
    elif result.status == "skip":
        ET.SubElement(case, "skipped", message=result.message)
    out = ET.SubElement(case, "system-out")
    out.text = _details(result, report)
    return case


def _details(result: GateResult, report: GateReport) -> str:
    lines = [f"metric: {result.metric}", f"threshold: {result.threshold}"]
    if result.estimate is not None:
        unit = " points (drop)" if result.metric.startswith("golden") else " (ratio candidate / baseline)"
        lines.append(f"effect: {result.estimate:.4g}{unit}")
    if result.ci_low is not None and result.ci_high is not None:
        lines.append(f"interval ({report.confidence:.0%}): {result.ci_low:.4g} to {result.ci_high:.4g}")
    if result.p_value is not None:
        lines.append(f"p-value: {result.p_value:.3g}")
    if result.kind == "relative":
        floor = "not calibrated" if result.noise_floor is None else f"{result.noise_floor:.2f}%"
        lines.append(f"noise floor: {'not applicable' if result.metric.startswith('golden') else floor}")
    if result.covers:
        lines.append(f"interval covers: {result.covers}")
    if result.baseline_runs or result.candidate_runs:
        lines.append(f"runs: baseline {result.baseline_runs}, candidate {result.candidate_runs}")
    lines.append(f"result: {result.message}")
    if result.method:
        lines.append(f"method: {result.method}")
    if result.metric.startswith("golden"):
        lines += _items("newly failing", report.newly_failing)
        lines += _items("newly passing", report.newly_passing)
    return "\n".join(lines)


def _items(title: str, items: list[ItemChange]) -> list[str]:
    if not items:
        return []
    lines = [f"{title} items ({len(items)}):"]
    lines += [
        f"  {i.set_name}::{i.item_id} expected {i.expected} — baseline {i.baseline_output!r}, candidate"
        f" {i.candidate_output!r}"
        for i in items[:ITEMS_LISTED]
    ]
    if len(items) > ITEMS_LISTED:
        lines.append(f"  … and {len(items) - ITEMS_LISTED} more (see gate.json)")
    return lines


def write_junit(report: GateReport, path: Path) -> Path:
    path.write_bytes(junit_xml(report))
    return path
