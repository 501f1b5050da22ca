# The two commands of README.rst (run, test), Odoo itself (odoo), and the
# checks CI runs. The lint tools come with tests/requirements.txt, installed
# into .venv/ by `make odoo`.
PYTHON ?= python3
BIN := $(if $(wildcard .venv/bin/ruff),.venv/bin/,)

.PHONY: odoo run test lint bench

odoo:
	$(PYTHON) tests/harness odoo

run:
	$(PYTHON) tests/harness run

test:
	$(PYTHON) tests/harness test

lint:
	$(BIN)ruff check .
	$(BIN)ruff format --check .
	$(BIN)pylint --rcfile=.pylintrc touch_plan lead_tracking loyalty_club loyalty_club_pos

bench:
	$(PYTHON) tests/harness bench
