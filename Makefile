# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install browser demo test bench clean

# (re)install when the project's dependencies change; constraints.txt pins what the tests last
# passed with (and the CPU build of torch)
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/tastemaker demo

# the web app's end-to-end tests drive Debian's Chromium (Playwright never downloads its own)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$(command -v sudo >/dev/null 2>&1 && [ "$$(id -u)" != 0 ] && echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

# a test skipped because data, Java or Chromium is missing fails here (TASTEMAKER_STRICT_SKIPS)
test: install browser
	TASTEMAKER_STRICT_SKIPS=1 $(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/bench_quality.py
	$(BIN)/python benchmarks/bench_als.py
	$(BIN)/python benchmarks/bench_als.py --memory
	$(BIN)/python benchmarks/bench_serve.py

clean:
	rm -rf $(VENV) reports .pytest_cache
