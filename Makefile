# Two commands do everything on a fresh machine with Python 3.11 and make:
#   make run    the main job on the embedded default (SQLite in ~/.local/share/dondoc or $DONDOC_DATA_DIR, .eml outbox, no server)
#   make test   the whole test suite
#   make bench  the national benchmark (34 provinces, ~1M occurrences, SQLite and PostgreSQL; 20-25 min)
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test bench venv clean

venv: $(STAMP)

# Reinstall only when the dependency set changes; the lock pins every package.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip>=24"
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/dondoc demo

test: $(STAMP)
	$(BIN)/pytest -q $(PYTEST_ARGS)

# BENCH_ARGS="--provinces 2 --db sqlite" for a quick run; writes its section of BENCHMARKS.md.
bench: $(STAMP)
	$(BIN)/python -m bench.national --write BENCHMARKS.md $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
