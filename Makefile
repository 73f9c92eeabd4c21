# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CATALOGUES := $(wildcard smsreply/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)
export SMSREPLY_CONFIG ?= config/smsreply.toml

.PHONY: run test test-sqlite test-postgresql lint format install init bench faults fuzz clean system-deps messages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The manager's compiled catalogues (.mo) are built, never committed: from the .po here,
# and by setup.py when a wheel is built.
%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

install: $(STAMP) $(COMPILED)

# After changing the manager's words: extract them, merge them into each .po (then
# translate what is new or marked fuzzy; `make test` fails until every entry is done).
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location --sort-output \
		--project smsreply -o smsreply/translations/messages.pot .
	$(BIN)/pybabel update -i smsreply/translations/messages.pot -d smsreply/translations \
		--ignore-obsolete --ignore-pot-creation-date -w 100
	$(MAKE) $(COMPILED)

init: install
	$(BIN)/smsreply init --if-needed

run: init
	@echo "smsreply: gunicorn listens on server.bind (default 127.0.0.1:8080, this machine only)." \
	     "Never expose it to the internet without deploy/nginx.conf in front (docs/deployment.md)."
	$(BIN)/gunicorn -c config/gunicorn.conf.py app:app

system-deps:
	bash tests/system-deps.sh

# The suite on both databases at once (the runs mostly wait on servers and subprocesses, so
# two cores suffice): SQLite in the foreground, PostgreSQL (a private server the tests start)
# into var/test-postgresql.log, shown at the end; the tests about PostgreSQL itself (marked
# `postgres`) run in the latter only. One backend: `make test-sqlite` or `make test-postgresql`.
test: install system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@mkdir -p var
	@SMSREPLY_TEST_DATABASE=postgresql $(BIN)/python -m pytest -q -p no:cacheprovider \
		> var/test-postgresql.log 2>&1 & postgresql=$$!; \
	echo "== SQLite (PostgreSQL runs alongside: var/test-postgresql.log)"; \
	$(BIN)/python -m pytest -q -m "not postgres"; sqlite=$$?; \
	wait $$postgresql; pg=$$?; \
	echo "== PostgreSQL"; \
	if [ $$pg -eq 0 ]; then tail -n 4 var/test-postgresql.log; else cat var/test-postgresql.log; fi; \
	test $$sqlite -eq 0 -a $$pg -eq 0

test-sqlite: $(STAMP) system-deps
	$(BIN)/python -m pytest -q

test-postgresql: $(STAMP) system-deps
	SMSREPLY_TEST_DATABASE=postgresql $(BIN)/python -m pytest -q

# Not part of `make test`: minutes of load on this machine. BENCH_ARGS=--quick for a smoke run.
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m bench --history 0,1000000 $(BENCH_ARGS)
	$(BIN)/python -m bench.campaign $(CAMPAIGN_ARGS)

faults: install
	$(BIN)/python -m bench.faults $(FAULTS_ARGS)
	SMSREPLY_FAULT_EXAMPLES=10000 $(BIN)/python -m pytest -q tests/test_faults.py -k hostile

# Schemathesis longer than `make test` does (tests/test_schemathesis.py runs 25 examples per
# operation): FUZZ_EXAMPLES per operation, on SQLite then PostgreSQL.
FUZZ_EXAMPLES ?= 500
fuzz: install
	SMSREPLY_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q tests/test_schemathesis.py
	SMSREPLY_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) SMSREPLY_TEST_DATABASE=postgresql \
		$(BIN)/python -m pytest -q tests/test_schemathesis.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache
