# The book's commands. Every target creates .venv and installs requirements.txt on first use,
# with $(PYTHON) (python3 unless named: make PYTHON=python3.12 book), which must be at least the
# requires-python of pyproject.toml (tools/check_python.py refuses an older one).
#   make book   execute the chapters and build the HTML book into _build/html
#   make test   lint, unit tests, notebook checks (nbval) and the warning-free book build
PYTHON ?= python3
PYTHON_MIN := $(shell sed -n 's/^requires-python = ">=\(.*\)"$$/\1/p' pyproject.toml)
VENV ?= .venv
BIN := $(VENV)/bin
READY := $(VENV)/.requirements-installed
PIP_FLAGS := --disable-pip-version-check -r requirements.txt
# Jupyter configuration installed into the environment (tools/jupyter/): the kernels' (no
# unencrypted-TCP warning from every kernel) and JupyterLab's (widget state is not saved).
KERNEL_CONFIG := $(VENV)/etc/ipython/ipython_kernel_config.py
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
SETUP := $(READY) $(KERNEL_CONFIG)
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
	distclean assets browser pdf tex lite lite-check lite-chapters-1 lite-chapters-2

help:
	@echo "make book      build the HTML book into _build/html (executes every chapter)"
	@echo "make test      ruff, unit tests, nbval over every chapter, book build with -W -n"
	@echo "make lab       open JupyterLab on the chapters"
	@echo "make execute   re-execute every chapter in place (refresh committed outputs)"
	@echo "make bench     print the benchmarks' speed ratios"
	@echo "make clean     remove build artefacts (distclean also removes .venv)"
	@echo "make assets    install (npm ci) and stage the book's offline browser assets"
	@echo "make browser   optional: install Debian's chromium for the browser tests (root)"
	@echo "make lite      the in-browser edition (JupyterLite, Pyodide) into _build/html/lite"
	@echo "make lite-check  run every chapter in the in-browser edition, headless (about 8 min)"
	@echo "make pdf       the print edition, one PDF: _build/latex/emse-book.pdf (runs make tex)"
	@echo "make tex       install Debian's TeX packages for make pdf and its test (root)"
	@echo "make book-student  the student edition, without solutions, into _build/student"
	@echo "make assignments   student notebooks and autograders into _build/assignments"
	@echo "Needs Python $(PYTHON_MIN) or newer (choose one: make PYTHON=/path/to/python3 ...);"
	@echo "make book, make test and make assets also need Node.js and npm."

# The first install shows pip's progress (a line per package); an update of an existing
# environment (requirements.txt or pyproject.toml changed) is quiet. An environment made by an
# older Python is refused (tools/check_python.py --venv).
$(READY): requirements.txt pyproject.toml
	@if [ -x $(BIN)/python ]; then $(BIN)/python tools/check_python.py --venv && \
	echo "Updating $(VENV) to the pins of requirements.txt (quiet; only what changed is \
	downloaded)..." && $(BIN)/python -m pip install --quiet $(PIP_FLAGS); else \
	command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) was not found. This book \
	needs Python $(PYTHON_MIN) or newer: install it, or name it with make PYTHON=/path/to/python3" >&2; \
	exit 1; }; \
	$(PYTHON) tools/check_python.py && echo "Creating the environment $(VENV) with \
	$$($(PYTHON) tools/check_python.py --report)" && $(PYTHON) -m venv $(VENV) && \
	echo "Installing the pinned packages of requirements.txt into $(VENV): first run only, a few \
	minutes (about 180 packages, 1 GB)..." && $(BIN)/python -m pip install $(PIP_FLAGS); fi
	@touch $(READY)
	@echo "$(VENV) is ready."

$(KERNEL_CONFIG): tools/jupyter/ipython_kernel_config.py | $(READY)
	@mkdir -p $(@D) && cp $< $@

$(LAB_SETTINGS): tools/jupyter/overrides.json | $(READY)
	@mkdir -p $(@D) && cp $< $@

$(NODE_READY): package.json package-lock.json
	@command -v $(NPM) >/dev/null 2>&1 || { echo "error: $(NPM) was not found. The book serves \
	MathJax, RequireJS and the widgets' HTML manager itself (package.json), installed with npm: \
	install Node.js and npm (Debian: apt-get install npm), or name npm with make NPM=/path/to/npm" >&2; \
	exit 1; }
	@echo "Installing the book's browser assets with npm (package-lock.json)..."
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

# The print edition (tools/print_edition.py): the whole book as one PDF from the committed
# outputs, with Jupyter Book's LaTeX builder and xelatex, into _build/latex/emse-book.pdf; it
# then checks the PDF (no warning, no "??", no raw markup, every chapter title). The TeX system
# is Debian's: `make tex` installs it when xelatex, latexmk, pdftotext or a font is missing
# (root and the Debian archive; about 110 MB to download, 350 MB installed, a minute or two).
TEX_PACKAGES := latexmk texlive-xetex texlive-fonts-recommended fonts-freefont-otf \
	fonts-dejavu-core fontconfig poppler-utils
tex:
	@if command -v xelatex >/dev/null && command -v latexmk >/dev/null && \
	command -v pdftotext >/dev/null && fc-list -q FreeSerif 2>/dev/null && \
	fc-list -q "DejaVu Sans Mono"; then echo "Debian's TeX packages are installed"; else \
	echo "Installing Debian's TeX packages for the PDF (needs root and the Debian archive)"; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -qq --no-install-recommends $(TEX_PACKAGES) >/dev/null; fi

pdf: $(SETUP) tex
	$(BIN)/python tools/print_edition.py

# The in-browser edition (tools/lite_edition.py): a JupyterLite site beside the HTML book in which
# every chapter runs on Pyodide with nothing installed and nothing fetched from another host.
# The registry packages it ships are downloaded once into $(LITE_CACHE) (about 80 MB); the build
# itself needs no network (a few seconds). tests/test_lite.py runs every chapter in it: make test
# in two halves of about equal time beside its other jobs, make lite-check all at once.
LITE_CACHE := $(VENV)/lite-cache
LITE := _build/html/lite/jupyter-lite.json
LITE_SOURCES := tools/lite_edition.py $(wildcard tools/lite/*/*.py) $(wildcard book/0*.ipynb) \
	$(wildcard emse/*.py) pyproject.toml package-lock.json

$(LITE_CACHE)/.stamp: tools/lite_edition.py | $(READY)
	$(BIN)/python tools/lite_edition.py download --cache $(LITE_CACHE)
	@touch $@

$(LITE): $(SETUP) $(NODE_READY) $(LITE_CACHE)/.stamp $(LITE_SOURCES)
	$(BIN)/python tools/lite_edition.py build --cache $(LITE_CACHE) --output $(@D)

lite: $(LITE)

lite-check: $(SETUP) $(ASSETS) $(LITE)
	EMSE_LITE_CHAPTERS=all $(BIN)/python -m pytest -s tests/test_lite.py

# The chapters (by number, in the order they run) in the two halves make test runs, each about
# four and a half minutes in the browser on this project's 2-core machine. The first half starts
# with the longest chapter, beside nbval (one process) rather than beside the unit tests, whose
# browser tests and parallel grading load both cores.
LITE_HALVES := 05,04,02,01 06,07,03

lite-chapters-1 lite-chapters-2: lite-chapters-%: $(SETUP) $(LITE)
	EMSE_LITE_CHAPTERS=$(word $*,$(LITE_HALVES)) $(BIN)/python -m pytest -p no:cacheprovider \
		tests/test_lite.py -k chapter_runs_in_browser

book: $(SETUP) $(ASSETS)
	@echo "Building the book into _build/html: every chapter changed since the last build is \
	executed first ($(words $(CHAPTERS)) chapters, a few minutes from scratch on 2 cores)..."
	$(BIN)/jupyter-book build . $(JB_FLAGS)
	@echo "The book is at file://$(CURDIR)/_build/html/index.html"

# Course use (book/08-teaching-with-this-book.md). The student edition renders the committed
# outputs with every solution removed; the assignments are built with otter-grader (offline).
book-student: $(SETUP) $(ASSETS)
	$(BIN)/python tools/student_edition.py --output _build/student

assignments: $(SETUP)
	$(BIN)/python tools/assignments.py build --output _build/assignments

# unit, notebooks and the two halves of the chapters in the browser are independent: two at a
# time on two cores, in this order (their output interleaves).
# nbval runs at a lower priority there: its cells have no time budget, the chapters in the
# browser do (the first half starts beside it).
test: lint
	$(MAKE) -j2 notebooks lite-chapters-1 unit lite-chapters-2 NOTEBOOKS_NICE="nice -n 10"

lint: $(SETUP)
	$(BIN)/ruff check .

# Unit tests, doctests, the book build test (tests/test_book_build.py) and the browser checks
# of that build (tests/test_browser.py, screenshots in _build/screenshots/; skipped without an
# installed Chromium, see `make browser`), and the build of the in-browser edition
# (tests/test_lite.py, on the `make lite` site; its chapters run in lite-chapters-1 and -2).
# The quick loop: pytest -m "not integration".
unit: $(SETUP) $(ASSETS) $(LITE)
	EMSE_LITE_CHAPTERS=none $(BIN)/python -m pytest --doctest-modules emse tests

# Strict nbval: every committed output must match a fresh run (volatile text is sanitised).
notebooks: $(SETUP)
	$(NOTEBOOKS_NICE) $(BIN)/python -m pytest --nbval --nbval-current-env --nbval-sanitize-with $(SANITIZE) \
		--nbval-cell-timeout=300 -p no:cacheprovider $(CHAPTERS)

# --allow-root where make runs as root (containers): JupyterLab refuses root without it.
lab: $(SETUP) $(LAB_SETTINGS)
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) book/

# One chapter: make execute CHAPTERS=book/02-deriving-emse.ipynb. Then tools/notebook_format.py
# writes each chapter as JupyterLab saves it, so opening and saving it there changes nothing.
execute: $(SETUP)
	@echo "Re-executing $(words $(CHAPTERS)) chapter(s) in place, one after the other, each from \
	a fresh kernel (up to 90 s a chapter)..."
	MPLBACKEND=module://matplotlib_inline.backend_inline \
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=600 --ExecutePreprocessor.record_timing=False $(CHAPTERS)
	$(BIN)/python tools/notebook_format.py $(CHAPTERS)

# tools/ is on the benchmarks' import path (bench_book.py uses tools/book_build.py).
bench: $(SETUP) $(ASSETS)
	PYTHONPATH=tools $(BIN)/python bench/bench_core.py
	PYTHONPATH=tools $(BIN)/python bench/bench_book.py
	PYTHONPATH=tools $(BIN)/python bench/bench_removal.py
	$(BIN)/python bench/bench_softmax.py

clean:
	rm -rf _build _assets .pytest_cache .hypothesis .ruff_cache
	find . -name __pycache__ -type d -prune -not -path "./$(VENV)/*" -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) *.egg-info node_modules
