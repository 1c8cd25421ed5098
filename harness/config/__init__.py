"""Schemas for what users write (scenarios), loading them, and one-line `ConfigError`s."""

from harness.config.cost import Cost
from harness.config.dist import Dist, FixedDist, LognormalDist, NormalDist, UniformDist
from harness.config.endpoint import Endpoint, Retries, Timeouts
from harness.config.errors import ConfigError, from_validation_error
from harness.config.golden import GoldenConfig
from harness.config.load import (
    ConcurrencyProfile,
    LoadConfig,
    Profile,
    RampProfile,
    RateProfile,
    SpikeProfile,
    Step,
    StepsProfile,
)
from harness.config.publish import Exporter, Publish, Pushgateway
from harness.config.scenario import Scenario, load_scenario, scenario_to_yaml
from harness.config.server import ServerConfig
from harness.config.simulator import SimulatorOptions
from harness.config.slo import SLO
from harness.config.telemetry import GpuTelemetry, ServerMetrics, Telemetry
from harness.config.workload import (
    ChatMessage,
    InlineSource,
    JsonlSource,
    MessagesPrompt,
    ShareGPTSource,
    Source,
    SyntheticSource,
    TextPrompt,
    WorkloadConfig,
)
from harness.config.yaml_io import read_yaml

__all__ = [
    "SLO",
    "ChatMessage",
    "ConcurrencyProfile",
    "ConfigError",
    "Cost",
    "Dist",
    "Endpoint",
    "Exporter",
    "FixedDist",
    "GoldenConfig",
    "GpuTelemetry",
    "InlineSource",
    "JsonlSource",
    "LoadConfig",
    "LognormalDist",
    "MessagesPrompt",
    "NormalDist",
    "Profile",
    "Publish",
    "Pushgateway",
    "RampProfile",
    "RateProfile",
    "Retries",
    "Scenario",
    "ServerConfig",
    "ServerMetrics",
    "ShareGPTSource",
    "SimulatorOptions",
    "Source",
    "SpikeProfile",
    "Step",
    "StepsProfile",
    "SyntheticSource",
    "Telemetry",
    "TextPrompt",
    "Timeouts",
    "UniformDist",
    "WorkloadConfig",
    "from_validation_error",
    "load_scenario",
    "read_yaml",
    "scenario_to_yaml",
]
