"""Summary statistics from request records (vectorised; knows nothing of HTTP)."""

from harness.analysis.meta import RunMeta
from harness.analysis.summary import SCHEMA_VERSION, summarize
from harness.analysis.timeseries import per_second

__all__ = ["SCHEMA_VERSION", "RunMeta", "per_second", "summarize"]
