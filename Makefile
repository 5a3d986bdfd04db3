# clvbot: `make test` and `make demo` work on a fresh machine with python3 and make.
# Both install the dev extra, which includes the demo extra (the sandbox's SMTP outbox): a
# production install is `pip install clvbot`, the demo needs `pip install 'clvbot[demo]'`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo walkthrough lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

demo: $(STAMP)
	$(BIN)/clvbot demo

walkthrough: $(STAMP)
	$(BIN)/clvbot walkthrough

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis clvbot-demo.db* \
		clvbot-walkthrough.db*
