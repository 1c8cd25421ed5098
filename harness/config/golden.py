"""The `golden:` section: golden sets checked while the load runs."""

from __future__ import annotations

from pydantic import Field, PositiveFloat, PositiveInt

from harness.config._base import DataFile, StrictModel


class GoldenConfig(StrictModel):
    sets: list[DataFile] = Field(min_length=1)  # golden JSONL files
    interval_s: PositiveFloat = 5.0  # a new round of golden items every this many seconds
    concurrency: PositiveInt = 2  # golden requests in flight at once
