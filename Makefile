# slm-harness: one entry point for setting up, running and testing.
#   make demo   set up, then run the smoke scenario against the built-in simulator
#   make test   set up, then lint, type-check and run the whole test suite

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

.PHONY: setup system-deps demo test lint typecheck pytest bench dashboards clean

setup: $(STAMP) system-deps

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed")'
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

# Prometheus and Pushgateway servers (Debian packages) for the publishing tests.
system-deps:
	@if ! command -v prometheus >/dev/null || ! command -v prometheus-pushgateway >/dev/null; then \
		echo "installing prometheus and prometheus-pushgateway (Debian packages)"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq prometheus prometheus-pushgateway >/dev/null; \
	fi

demo: $(STAMP)
	$(BIN)/slm-harness run scenarios/smoke.yaml

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: setup
	$(BIN)/python -m pytest -q -ra

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

dashboards: $(STAMP)
	$(BIN)/slm-harness dashboards build

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache reports/runs
