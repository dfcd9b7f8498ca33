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
	# `npm install` honours the lock file; `npm ci` rejects it over lmdb's optional
	# platform packages (an npm lock-file bug), so it is not used here.
	cd $(UPSTREAM) && npm install --no-audit --no-fund --loglevel=error
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

# The report writers and matrix (docs/reports.md); the browser check skips without Chromium.
.PHONY: test-reporting
test-reporting: $(STAMP)
	$(BIN)/pytest -q tests/reporting

# The scenario engine (loader, executor, runner, pytest plugin; docs/scenario-format.md).
.PHONY: test-engine run-node
test-engine: $(STAMP)
	$(BIN)/pytest -q tests/engine

# The scenarios against the upstream Node server alone (`make compat` runs every server).
run-node: setup
	$(BIN)/python scripts/compat.py --servers node

# Conformance matrix: the suite against reference, upstream Node 0.3.7 and rakaia 0.9.0
# (rakaia installed into .scratch); reports in reports/compat/<server>/ and reports/compat/matrix.*
.PHONY: compat coverage
compat: setup
	$(BIN)/python scripts/compat.py

# Requirement coverage of the scenarios; fails if an observable MUST has no scenario.
coverage: $(STAMP)
	$(BIN)/dscheck coverage --fail-on-gaps

# Load benchmarks (docs/loadtest.md): the Locust profiles against reference, upstream Node
# and rakaia in one session (about 9 minutes); writes reports/bench/load.{json,md}.
# `make test-load` runs the load tests' own tests (bounded, under a minute).
.PHONY: bench test-load
bench: setup
	$(BIN)/python -m loadtest.bench

test-load: $(STAMP)
	$(BIN)/pytest -q tests/loadtest

# The reference server's own tests and benchmark (writes reports/bench/reference_impl.json).
.PHONY: test-reference bench-reference
test-reference: $(STAMP)
	$(BIN)/pytest -q tests/reference_impl

bench-reference: $(STAMP)
	$(BIN)/python -m reference_impl.bench

# Headless Chromium for tests/reporting/test_html_browser.py: shipped inside the npm package
# @sparticuz/chromium (tests/browser), extracted here once; nothing downloads at run time.
BROWSER := tests/browser
.PHONY: clean-browser
setup: $(BROWSER)/node_modules/.installed

$(BROWSER)/node_modules/.installed: $(BROWSER)/package.json $(BROWSER)/package-lock.json
	cd $(BROWSER) && npm ci --no-audit --no-fund --loglevel=error
	node $(BROWSER)/chromium_path.mjs
	touch $@

clean: clean-browser
clean-browser:
	rm -rf $(BROWSER)/node_modules

# Stateful model testing and hostile-input fuzzing (docs/explore-fuzz.md). `explore`/`fuzz`
# run against the embedded reference server; `explore-node`/`fuzz-node` against upstream Node.
# Reproducers and findings go to reports/latest/{explore,fuzz}/.
.PHONY: test-explore explore fuzz explore-node fuzz-node
test-explore: $(STAMP)
	$(BIN)/pytest -q tests/explore

explore: $(STAMP)
	$(BIN)/dscheck explore --examples 200 --seed 1

fuzz: $(STAMP)
	$(BIN)/dscheck fuzz --budget 500 --seed 1

explore-node: setup
	$(BIN)/python -m conformance.explore.against node explore --examples 200 --seed 1

fuzz-node: setup
	$(BIN)/python -m conformance.explore.against node fuzz --budget 500 --seed 1
