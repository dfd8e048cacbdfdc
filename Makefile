# The two commands a newcomer needs:  make run  (console bot)   make test  (the test suite)
# Both create .venv on first use and are safe to repeat.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
RAY_STAMP := $(VENV)/.installed-ray
# CPU build for tests and CI (installs from local disk here; no multi-GB CUDA download).
# GPU owners: make setup TORCH="torch --index-url https://download.pytorch.org/whl/cu128"
TORCH ?= torch==2.13.0
# The gan extra (4x upscaler, for its tests too) goes in without its torchvision requirement:
# PyPI has no torchvision for this CPU torch, and pip would replace torch to get one.
GAN := "spandrel>=0.4,<0.5" "einops>=0.7"

.PHONY: setup run test lint bench clean

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e ".[dev,translate]"
	$(PY) -m pip install --quiet --no-deps $(GAN)
	touch $(STAMP)

# Ray (MJ_ENGINE=ray) is an optional extra: the tests install it, `make run` does not need it.
$(RAY_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[ray]"
	touch $(RAY_STAMP)

setup: $(STAMP)

run: setup
	$(VENV)/bin/mjbot console

# The layering contract first (pyproject.toml, [tool.importlinter]): seconds, and it names
# the offending import.
test: setup $(RAY_STAMP)
	$(VENV)/bin/lint-imports
	OMP_WAIT_POLICY=PASSIVE HF_HUB_OFFLINE=1 $(PY) -m pytest -p no:cacheprovider

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: setup $(RAY_STAMP)
	for script in bench/*.py; do $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
