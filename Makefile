# The two commands of README.rst, plus the checks CI runs.
PYTHON ?= python3

.PHONY: run test lint bench wheels

run:
	$(PYTHON) tests/harness run

test:
	$(PYTHON) tests/harness test

lint:
	ruff check .
	ruff format --check .
	pylint --rcfile=.pylintrc touch_plan lead_tracking loyalty_club

bench:
	$(PYTHON) tests/harness bench
