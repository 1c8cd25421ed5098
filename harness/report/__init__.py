"""HTML report (plots) and console tables."""

from harness.report.console import render_summary
from harness.report.html import SECTIONS, ReportError, Section, write_report

__all__ = ["SECTIONS", "ReportError", "Section", "render_summary", "write_report"]
