"""slm-harness: benchmarking and drift monitoring for small language model endpoints."""

__version__ = "0.1.0"
