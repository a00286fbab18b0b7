# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Each default can also be set as SEARCHSVC_SEEDS / SEARCHSVC_INDEX / SEARCHSVC_BIND.
SEEDS  ?= $(or $(SEARCHSVC_SEEDS),seeds)
INDEX  ?= $(or $(SEARCHSVC_INDEX),index)
BIND   ?= $(or $(SEARCHSVC_BIND),127.0.0.1:8000)

.PHONY: run test index lint format bench-extraction bench-ranking clean opensearch-up opensearch-down

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

## Build the index when missing or stale, then serve on http://$(BIND)
run: $(VENV)/.installed
	$(BIN)/searchsvc index --seeds $(SEEDS) --index $(INDEX) --if-stale
	$(BIN)/searchsvc serve --index $(INDEX) --seeds $(SEEDS) --bind $(BIND)

## (Re)build the index incrementally
index: $(VENV)/.installed
	$(BIN)/searchsvc index --seeds $(SEEDS) --index $(INDEX)

## Run the whole test suite
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check searchsvc tests benchmarks opensearch
	$(BIN)/ruff format --check searchsvc tests benchmarks opensearch

format: $(VENV)/.installed-test
	$(BIN)/ruff format searchsvc tests benchmarks opensearch
	$(BIN)/ruff check --fix searchsvc tests benchmarks opensearch

bench-extraction: $(VENV)/.installed-test

	$(BIN)/python benchmarks/extraction.py

bench-ranking: $(VENV)/.installed-test
	$(BIN)/python benchmarks/ranking.py

clean:
	rm -rf $(VENV) build *.egg-info
	find $(INDEX) -mindepth 1 ! -name .gitkeep -exec rm -rf {} +

## Local OpenSearch cluster (see opensearch/README.md); OPENSEARCH_NODES, OPENSEARCH_PORT,
## OPENSEARCH_DIR are read from the environment (or `make opensearch-up OPENSEARCH_NODES=1`)
opensearch-up:
	$(PYTHON) opensearch/cluster.py up

opensearch-down:
	$(PYTHON) opensearch/cluster.py down
