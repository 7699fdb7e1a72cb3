# Two entry points: `make demo` and `make test`. Each creates .venv with pinned dependencies on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_OUT ?= demo-output
# Test processes (pytest-xdist): two keep both cores of a small machine busy while one waits on a browser, a Spark
# job or a subprocess; `make test TEST_WORKERS=0` runs the suite in one process.
TEST_WORKERS ?= 2

.PHONY: demo test venv clean bench

$(BIN)/.installed: requirements.lock requirements-dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

venv: $(BIN)/.installed

demo: venv
	$(BIN)/virkning demo --out $(DEMO_OUT)

test: venv
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

bench: venv
	$(BIN)/python benchmarks/bench_panel.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache
