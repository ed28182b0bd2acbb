# Zoufang: `make demo` serves the demo district on 127.0.0.1:8000; `make test` runs every check.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test install lint contracts types pytest pytest-replica serve clean vendor bench-install

$(PY):
	@echo "==> Creating virtualenv in $(VENV)"
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(PY)
	@echo "==> Installing pinned dependencies (requirements.txt)"
	$(PY) -m pip install --disable-pip-version-check --progress-bar on -r requirements.txt
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(PY) manage.py demo

# ruff: lint, format, and C901 (no function more complex than 15); sizes are tests/structure.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# import-linter: the layers config > dashboard > visits > issues > campaign, each app's doors, no cycles (pyproject).
contracts: install
	$(VENV)/bin/lint-imports

# mypy's django-stubs plugin imports the settings, so it runs with the test run's throwaway keys too (below).
types: install
	$(TEST_ENV) $(VENV)/bin/mypy .

# pytest exits 5 when it collected no tests: that is a failure here, never a silent pass.
# With DATABASE_URL set a run counts as a deployment (config/settings.py), so the test run alone gets throwaway keys
# (new each run, never written anywhere) and plain HTTP; the worker tests' Celery subprocess inherits them.
TEST_ENV = SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	PII_KEYS="$$($(PY) -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
	PLAIN_HTTP=1
# The suite runs without the read replica's router (DATABASE_REPLICA_URL unset for it); tests/replica runs on its own
# with it, against the replica scripts/replica.sh made (.ci/run), or is skipped, saying so, when none is configured.
pytest: install
	$(TEST_ENV) env -u DATABASE_REPLICA_URL $(PY) -m pytest --ignore=tests/replica $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

pytest-replica: install
	@if [ -z "$$DATABASE_REPLICA_URL" ]; then echo "==> tests/replica skipped: DATABASE_REPLICA_URL is not set (scripts/replica.sh)"; \
	else echo "==> tests/replica against $$DATABASE_REPLICA_URL"; $(TEST_ENV) $(PY) -m pytest tests/replica; fi

test: lint contracts types pytest pytest-replica

vendor:
	bash static/vendor/update.sh

# The benchmarks' load generator (locust, for bench/load.py and bench/visits_upload.py): not needed by `make test`.
bench-install: install
	$(PY) -m pip install --disable-pip-version-check -r bench/requirements.txt

clean:
	rm -rf $(VENV) var
