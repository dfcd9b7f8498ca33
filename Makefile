# Quick start: `make run` (suite against the embedded reference server) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UPSTREAM := tests/upstream

.PHONY: setup run test test-python test-upstream upstream-node clean

setup: $(STAMP) $(UPSTREAM)/node_modules/.installed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(UPSTREAM)/node_modules/.installed: $(UPSTREAM)/package.json $(UPSTREAM)/package-lock.json
	cd $(UPSTREAM) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: setup
	$(BIN)/dscheck run

# The upstream suite first, the project's own pytest run last (its summary closes the log).
test: setup test-upstream test-python

test-python: $(STAMP)
	$(BIN)/pytest -q

test-upstream: setup
	$(BIN)/python $(UPSTREAM)/run_upstream.py --target reference

# The same upstream suite against the upstream Node server, to see the harness itself work.
upstream-node: setup
	$(BIN)/python $(UPSTREAM)/run_upstream.py --target node

clean:
	rm -rf $(VENV) $(UPSTREAM)/node_modules reports/latest
