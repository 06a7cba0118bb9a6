# Two entry points for a fresh machine (see README):
#   make run   — installs the runtime virtualenv and runs the dashboard on the embedded demo data
#   make test  — installs everything (virtualenv + Debian's chromium) and runs ruff, mypy and every test
#   make test-fast — the same without the browser tests (the inner loop)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
REPLICAS ?= 2
# pytest-xdist processes for `make test` / `test-fast`: each test file runs whole in one process (its module
# fixtures, servers and browser once); 2 = the cores of the CI machine. `make test TEST_WORKERS=0`: one process.
TEST_WORKERS ?= 2

.PHONY: run serve test test-fast install install-dev browser lint data bench bench-edge load clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# Debian packages the tests, the bench and `make serve` use: chromium (browser tests, PNG exports; never
# `playwright install`: it downloads and fails offline) and haproxy (replicas behind a load balancer).
browser:
	@missing=""; for p in chromium haproxy; do command -v $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "paquets manquants :$$missing (sudo apt-get install -y$$missing)"; exit 1; fi; fi

run: install
	$(BIN)/python -m observatoire init --if-needed
	@echo "Tableau de bord : http://localhost:$(PORT)  (Ctrl+C pour arrêter)"
	$(BIN)/python -m components.server_guard run dashboard.py --server.port $(PORT)

# Several Streamlit replicas (ports 8601…) behind HAProxy on $(PORT): the séminaire, when the room opens the link.
serve: install browser
	$(BIN)/python scripts/serve.py --replicas $(REPLICAS) --port $(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: install-dev browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# The inner loop: ruff, mypy and every test but the browser ones (tests/e2e). Chromium is still needed (kaleido PNGs).
test-fast: install-dev browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not e2e and not slow"

# Rebuild the shipped data from its sources (not needed to run or test).
data: install
	$(BIN)/python scripts/build_geodata.py
	$(BIN)/python scripts/generate_demo_data.py
	$(BIN)/python -m observatoire check

bench: install-dev browser
	$(BIN)/python bench/run.py
	$(BIN)/python bench/validation.py
	$(BIN)/python bench/versions.py
	$(BIN)/python bench/exports.py
	$(BIN)/python bench/map_paint.py
	$(BIN)/python bench/memory.py
	$(BIN)/python bench/national.py --reuse

# The server's edge (issue 19): a foreign-origin upgrade loop (network namespace + strace: run as root), anonymous
# uploads and the memory after the session, the probe's reproductions before / after (≈ 15 min).
bench-edge: install-dev browser
	$(BIN)/python bench/origin_stall.py
	$(BIN)/python bench/upload_memory.py
	$(BIN)/python bench/issue19_repro.py

load: install-dev browser
	$(BIN)/python bench/seminaire.py --sessions 150 --ramp 30 --replicas 1,2 --browsers 3
	$(BIN)/python bench/load.py

clean:
	rm -rf var .pytest_cache .mypy_cache artifacts
