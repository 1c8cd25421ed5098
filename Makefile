# slm-harness: one entry point for setting up, running and testing.
#   make demo   set up, then run the smoke scenario against the built-in simulator
#   make test   set up, then lint, type-check and run the whole test suite

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS_STAMP := $(VENV)/.installed-extras
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

.PHONY: setup system-deps real-servers demo test lint typecheck pytest bench dashboards clean

setup: $(STAMP) $(EXTRAS_STAMP) system-deps

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed")'
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

# The optional embeddings extra (sentence-embedding drift), so its tests run too. torch first, as
# the CPU build: left to resolve on its own, the extra would pull the CUDA build (several GB).
$(EXTRAS_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q "torch==2.13.0"
	$(BIN)/python -m pip install -q -e '.[dev,embeddings]'
	@touch $(EXTRAS_STAMP)

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

# The real servers the tests run (cached in ~/.cache/slm-harness): vLLM's CPU build in its own
# venv with a tiny model made locally (~2 min the first time), and llama.cpp's llama-server (~5 min).
real-servers: $(STAMP)
	$(BIN)/python tests/support/vllm_env.py
	$(BIN)/python tests/support/llamacpp_env.py

pytest: setup real-servers
	$(BIN)/python -m pytest -q -ra

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

dashboards: $(STAMP)
	$(BIN)/slm-harness dashboards build

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache reports/runs
