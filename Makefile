# Everything runs from a local virtual environment that is (re)built only when pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test lint format demo run sandbox bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# Four workers: the tests mostly wait on loopback servers, so two cores keep four busy.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -n 4 --cov --cov-report=term

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

demo: $(STAMP)
	$(BIN)/python -m bot.demo

run: $(STAMP)
	@test -f .env || test -n "$$TELEGRAM_BOT_TOKEN" || \
		{ echo "no .env: run 'cp .env.example .env' and fill it in" >&2; exit 2; }
	$(BIN)/python -m bot

bench: $(STAMP)
	$(BIN)/python bench/bench_client.py
	$(BIN)/python bench/bench_bot.py
	$(BIN)/python bench/bench_redaction.py
	$(BIN)/python bench/bench_follow_up.py
	$(BIN)/python bench/bench_paging.py
	$(BIN)/python bench/bench_throughput.py

sandbox: $(STAMP)
	$(BIN)/python -m kavenegar.sandbox

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
