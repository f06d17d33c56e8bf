# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := wsgi:app

.PHONY: install run test test-unit test-e2e bench bench-mix load lint mutate clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The task worker (outbox delivery, periodic work; its queue is a file under instance/)
# runs beside the server; without SMTP_HOST it prints each email's links to this console
# and keeps the message in the Outbox page as "not sent".
run: $(STAMP)
	$(BIN)/flask db upgrade
	$(BIN)/flask demo-data --if-empty
	trap 'kill 0' EXIT; $(BIN)/flask tasks work & $(BIN)/flask run --host 127.0.0.1 --port 5000

test: $(STAMP)
	$(BIN)/python -m pytest tests e2e

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests

test-e2e: $(STAMP)
	$(BIN)/python -m pytest e2e

# Needs the PostgreSQL on 127.0.0.1:5432 and the Redis on 127.0.0.1:6379 for the gunicorn
# throughput ratio (the dashboard cache runs as in production).
bench: $(STAMP)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.pdf
	$(BIN)/python -m bench.links
	$(BIN)/python -m bench.polls
	$(BIN)/python -m bench.data_io
	$(BIN)/python -m bench.load --ratio-only

# The realistic mix (issue 14): 400 distinct portal contacts and 2 staff on PostgreSQL
# large (bench/databases.py builds it once), gunicorn with and without the page cache, the
# bare route before and after each; about two minutes. Writes its table into bench/results.md.
bench-mix: $(STAMP)
	$(BIN)/python -m bench.mix

# Needs the PostgreSQL on 127.0.0.1:5432 and the Redis on 127.0.0.1:6379; about three minutes.
load: $(STAMP)
	$(BIN)/python -m bench.load

# Mutation testing of the rule modules (tools/mutate.py), on SQLite; not part of test or
# CI. `make mutate MODULES="lockout money"` runs some of them; results in .mutmut/.
mutate: $(STAMP)
	$(BIN)/python tools/mutate.py $(MODULES)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) instance/*.db
