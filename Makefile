# The two commands the README promises: `make docs` and `make test`.
# Both work on a fresh machine with only python3 (3.11+) and make.

PYTHON ?= python3
VENV := .venv
ORACLE := .venv-oracle
ORACLE_VERSION := 24.0.24
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ORACLE_STAMP := $(ORACLE)/.installed

.PHONY: docs test bench serve clean lint venv oracle

venv: $(STAMP)
oracle: $(ORACLE_STAMP)

# Reinstall when the project's metadata changes.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[docs,test]'
	touch $@

# The official wheel, the oracle of the conformance tests; never imported
# into the same process as our modules.
$(ORACLE_STAMP):
	test -x $(ORACLE)/bin/python || $(PYTHON) -m venv $(ORACLE)
	$(ORACLE)/bin/python -m pip install --quiet 'htcondor==$(ORACLE_VERSION)'
	touch $@

docs: $(STAMP)
	$(VENV)/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

test: $(STAMP) $(ORACLE_STAMP)
	$(PY) -m pytest

bench: $(STAMP) $(ORACLE_STAMP)
	$(PY) benchmarks/run.py

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks docs/conf.py

serve: docs
	$(PY) -m http.server --bind 127.0.0.1 --directory docs/_build/html 8000

clean:
	rm -rf docs/_build docs/jupyter_execute build dist src/*.egg-info .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
