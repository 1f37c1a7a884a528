# ODOP Bazaar. `make run` and `make test` are all a fresh machine needs (see README.md).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run install install-dev setup-db test lint format bench bench-search bench-checkout soak clean node-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --editable .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --editable '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

setup-db: install
	mkdir -p var
	$(BIN)/odop db upgrade
	$(BIN)/odop seed reference
	$(BIN)/odop seed demo
	$(BIN)/odop search ensure

# In development the base URL (canonical and emailed links) follows HOST and PORT unless
# ODOP_BASE_URL is set. `odop search ensure` rebuilds the index only when it is out of date.
run: setup-db
	$(BIN)/odop serve --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app tests bench
	$(BIN)/lint-imports
	$(BIN)/djlint templates --lint

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/djlint templates --reformat

# axe-core (accessibility checks in the browser tests), pinned by package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

node-deps: node_modules/.installed

test: lint node-deps
	$(BIN)/python -m pytest -n auto

bench: install-dev
	$(BIN)/python -m bench.run $(ARGS)

bench-search: install-dev
	$(BIN)/python bench/search.py $(ARGS)

# Checkout-to-paid throughput on PostgreSQL (spread and hot listing) and 20 oversell rounds.
bench-checkout: install-dev
	$(BIN)/python -m bench.checkout $(ARGS)

# Minutes of long-tail load on PostgreSQL against one worker: crashes, 5xx, RSS (docs/soak.md).
soak: install-dev
	$(BIN)/python -m bench.soak $(ARGS)

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
