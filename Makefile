# geomatch — the two commands: `make demo` and `make test`.
# Both create .venv if missing and install the package (editable) with what they need.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.geomatch-installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test bench lint data venv system clean bytecode

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,bench]'
	@touch $(STAMP)

# Byte-compile the package as an installed wheel is (an editable install under
# PYTHONDONTWRITEBYTECODE would compile every module at every start of the command),
# and the pricing's numba kernels (cached on disk; about 10 s once).
bytecode: $(STAMP)
	@$(PY) -m compileall -q geomatch
	@$(PY) -c "from geomatch.candidates.hubsearch import compile_kernels; compile_kernels()"

venv: $(STAMP)

# System packages the browser and PostGIS tests need (idempotent; skipped when present).
system:
	@bash scripts/setup-system.sh

demo: bytecode system
	$(VENV)/bin/geomatch demo --out runs/demo --maps maps

test: $(STAMP) system
	$(PY) -m pytest -q

bench: bytecode
	$(PY) -m pytest -q -m slow
	$(VENV)/bin/geomatch bench gap
	$(VENV)/bin/geomatch bench assign
	$(VENV)/bin/geomatch bench national
	$(VENV)/bin/geomatch bench vrptw
	$(VENV)/bin/geomatch bench service
	$(PY) solvers/bench/run_folder.py

lint: $(STAMP)
	$(VENV)/bin/ruff check geomatch solvers/bench tests
	$(VENV)/bin/ruff format --check geomatch solvers/bench tests
	$(VENV)/bin/mypy

data: $(STAMP)
	$(PY) -m pip install -q -e '.[databuild]'
	$(VENV)/bin/geomatch data build

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache
