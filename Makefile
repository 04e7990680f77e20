# The book's commands. Every target creates .venv and installs requirements.txt on first use.
#   make book   execute the chapters and build the HTML book into _build/html
#   make test   lint, unit tests, notebook checks (nbval) and the warning-free book build
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
READY := $(VENV)/.requirements-installed
SANITIZE := tests/nbval_sanitize.cfg
CHAPTERS := $(sort $(wildcard book/*.ipynb))
# The Jupyter Book flags have one definition, JB_FLAGS in tools/book_build.py (shared with the
# student edition, the tests and the benchmarks); read when a recipe uses them.
JB_FLAGS = $(or $(shell $(BIN)/python tools/book_build.py --flags),\
	$(error could not read the flags: $(BIN)/python tools/book_build.py --flags))
# One BLAS thread everywhere: outputs do not depend on the machine's core count (nbval compares
# them), and the book's small problems run faster than with oversubscribed threads.
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
# One OpenBLAS kernel everywhere: OpenBLAS picks its kernels by CPU, and kernels for other
# vector units (AVX-512, say) round differently, so committed outputs would match a fresh run
# only on machines like the one that made them. Haswell's kernels (AVX2) run on every x86-64
# CPU of the last decade and are what OpenBLAS uses on AMD Zen; elsewhere the variable is ignored.
export OPENBLAS_CORETYPE := Haswell
# Browser assets the book serves itself (MathJax, RequireJS, widget manager; package-lock.json).
NPM ?= npm
NODE_READY := node_modules/.package-lock.json
ASSETS := _assets/.stamp

.PHONY: help book book-student assignments test lint unit notebooks lab execute bench clean \
	distclean assets browser

help:
	@echo "make book      build the HTML book into _build/html (executes every chapter)"
	@echo "make test      ruff, unit tests, nbval over every chapter, book build with -W -n"
	@echo "make lab       open JupyterLab on the chapters"
	@echo "make execute   re-execute every chapter in place (refresh committed outputs)"
	@echo "make bench     print the benchmarks' speed ratios"
	@echo "make clean     remove build artefacts (distclean also removes .venv)"
	@echo "make assets    install (npm ci) and stage the book's offline browser assets"
	@echo "make browser   optional: install Debian's chromium for the browser tests (root)"
	@echo "make book-student  the student edition, without solutions, into _build/student"
	@echo "make assignments   student notebooks and autograders into _build/assignments"

$(READY): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(READY)

$(NODE_READY): package.json package-lock.json
	$(NPM) ci --ignore-scripts --no-audit --no-fund --loglevel=error

$(ASSETS): $(NODE_READY) tools/offline_assets.py
	$(PYTHON) tools/offline_assets.py

assets: $(ASSETS)

# Optional: the browser tests (tests/test_browser.py) use any installed Chromium (or the one
# named by CHROMIUM=/path/to/chrome) and are skipped without one, except in CI (.ci/run).
browser:
	@if [ -x /usr/bin/chromium ]; then echo "/usr/bin/chromium is installed"; else \
	echo "Installing Debian's chromium (needs root and the Debian archive)"; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -qq --no-install-recommends chromium; fi

book: $(READY) $(ASSETS)
	$(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo "The book is at file://$(CURDIR)/_build/html/index.html"

# Course use (book/08-teaching-with-this-book.md). The student edition renders the committed
# outputs with every solution removed; the assignments are built with otter-grader (offline).
book-student: $(READY) $(ASSETS)
	$(BIN)/python tools/student_edition.py --output _build/student

assignments: $(READY)
	$(BIN)/python tools/assignments.py build --output _build/assignments

test: lint unit notebooks

lint: $(READY)
	$(BIN)/ruff check .

# Unit tests, doctests, the book build test (tests/test_book_build.py) and the browser checks
# of that build (tests/test_browser.py, screenshots in _build/screenshots/; skipped without an
# installed Chromium, see `make browser`). The quick loop: pytest -m "not integration".
unit: $(READY) $(ASSETS)
	$(BIN)/python -m pytest --doctest-modules emse tests

# Strict nbval: every committed output must match a fresh run (volatile text is sanitised).
notebooks: $(READY)
	$(BIN)/python -m pytest --nbval --nbval-current-env --nbval-sanitize-with $(SANITIZE) \
		--nbval-cell-timeout=300 -p no:cacheprovider $(CHAPTERS)

lab: $(READY)
	$(BIN)/jupyter lab book/

execute: $(READY)
	MPLBACKEND=module://matplotlib_inline.backend_inline \
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=600 --ExecutePreprocessor.record_timing=False $(CHAPTERS)

# tools/ is on the benchmarks' import path (bench_book.py uses tools/book_build.py).
bench: $(READY) $(ASSETS)
	PYTHONPATH=tools $(BIN)/python bench/bench_core.py
	PYTHONPATH=tools $(BIN)/python bench/bench_book.py
	PYTHONPATH=tools $(BIN)/python bench/bench_removal.py

clean:
	rm -rf _build _assets .pytest_cache .hypothesis .ruff_cache
	find . -name __pycache__ -type d -prune -not -path "./$(VENV)/*" -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) *.egg-info node_modules
