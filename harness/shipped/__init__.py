"""What ships with the harness (scenarios, golden sets, dashboards, CI workflows): finding it by
name, and `init`, which copies it into a new project."""

from harness.shipped.init import init_project
from harness.shipped.locate import find_golden_set, find_scenario, shipped_root

__all__ = ["find_golden_set", "find_scenario", "init_project", "shipped_root"]
