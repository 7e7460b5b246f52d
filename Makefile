# Minigrid: `make run` serves the API, `make test` runs the suite, `make bench` measures, `make soak` injects faults.
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
LEDGER_PORT ?= 8545
MQTT_PORT ?= 1884
TEST_WORKERS ?= 2
DEMO ?= 1
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test bench soak openapi lint clean chromium screenshots

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

node_modules/.bin/anvil: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(STAMP) node_modules/.bin/anvil

run: install
	$(BIN)/python -m api.devserver --host $(HOST) --port $(PORT) --ledger-port $(LEDGER_PORT) --mqtt-port $(MQTT_PORT) $(if $(filter 0,$(DEMO)),--no-demo)

# Debian's chromium and chromium-driver for the dashboard's browser tests, installed with apt-get
# only when missing (as root, e.g. on CI); without root they are left out and those tests skip
# (except under CI, where they fail).
chromium:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	else echo "chromium or chromedriver missing (apt-get needs root): the browser tests will skip"; fi

# TEST_WORKERS pytest-xdist processes share the test files (each worker its own databases, ports
# and tmp dirs; a file stays on one worker, so the browser tests start one devserver and a
# module's fixtures are made once); TEST_WORKERS=0 runs them all in this process
test: install chromium
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile; status=$$?; [ $$status -eq 5 ] && status=0; exit $$status

# README's dashboard screenshots (docs/dashboard/*.png), from a seeded devserver
screenshots: install chromium
	$(BIN)/python -m tests.dashboard.screenshots

bench: install chromium
	$(BIN)/python -m tests.bench.run

soak: install
	$(BIN)/python -m tests.soak.run

openapi: $(STAMP)
	$(BIN)/python -m api.openapi_doc write

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

clean:
	rm -rf $(VENV) node_modules var
