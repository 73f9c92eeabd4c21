# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export SMSREPLY_CONFIG ?= config/smsreply.toml

.PHONY: run test lint format install init bench faults clean system-deps

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

init: $(STAMP)
	$(BIN)/smsreply init --if-needed

run: init
	@echo "smsreply: gunicorn listens on server.bind (default 127.0.0.1:8080, this machine only)." \
	     "Never expose it to the internet without deploy/nginx.conf in front (docs/deployment.md)."
	$(BIN)/gunicorn -c config/gunicorn.conf.py app:app

system-deps:
	bash tests/system-deps.sh

test: $(STAMP) system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

# Not part of `make test`: minutes of load on this machine. BENCH_ARGS=--quick for a smoke run.
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m bench --history 0,1000000 $(BENCH_ARGS)
	$(BIN)/python -m bench.campaign $(CAMPAIGN_ARGS)

faults: $(STAMP)
	$(BIN)/python -m bench.faults $(FAULTS_ARGS)
	SMSREPLY_FAULT_EXAMPLES=10000 $(BIN)/python -m pytest -q tests/test_faults.py -k hostile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache
