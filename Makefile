# The two commands a newcomer needs:
#   make book   create .venv if missing, install requirements.txt, execute the notebooks, build _build/html
#   make test   the same set-up, then lint, unit/property tests, nbval, the PDF, the book build (-W) and browser tests
# and, once per machine, as root: make system-deps   (Debian packages: Chromium, npm, TeX Live for the PDF)
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MATHJAX_VERSION := 3.2.2
MATHJAX := vendor_static/mathjax/tex-mml-chtml.js
AXE_VERSION := 4.14.1
AXE := vendor/axe-core/axe.min.js
# One BLAS thread: on a 2-core machine the default threading makes the small matrix
# products of training several times slower when anything else is running.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
# The same floating-point kernels on every x86 machine, so that re-executed notebooks
# reproduce their committed outputs bit for bit (nbval): on a CPU with AVX-512, NumPy's
# and OpenBLAS's AVX-512 paths round differently from the AVX2 paths, and training runs
# (L-BFGS on a non-convex loss) amplify a last-bit difference into a different network.
export NPY_DISABLE_CPU_FEATURES ?= X86_V4 AVX512_ICL AVX512_SPR
ifeq ($(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && echo yes),yes)
export OPENBLAS_CORETYPE ?= Haswell
endif
NBVAL := --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-current-env --nbval-cell-timeout=300

.PHONY: book pdf pdf-committed execute test lint unit nbval run verify page vendor system-deps clean help

help:
	@echo "make book    build the HTML book into _build/html (executes the notebooks, cached)"
	@echo "make pdf     build the PDF book into _build/latex/raetut.pdf (xelatex; see system-deps)"
	@echo "make execute only execute the chapters (one per core) into the build's cache"
	@echo "make test    lint, unit and property tests, nbval, book build with -W, browser tests"
	@echo "make unit    only the raetut tests"
	@echo "make nbval   only the notebook validation (NB=notebooks/NN_name.ipynb for one)"
	@echo "make run NB=notebooks/NN_name.ipynb    execute one chapter in place (commit it so)"
	@echo "make verify  python -m raetut verify: every claim as a table"
	@echo "make page NB=notebooks/NN_name.ipynb   render one chapter into _build/page"
	@echo "make system-deps   as root: install the Debian packages the tests and the PDF need"
	@echo "make clean   remove _build"

# Debian packages besides Python: Chromium (browser tests), npm (vendored MathJax and
# axe-core), make, TeX Live with xelatex and its fonts (the PDF), poppler-utils (the PDF's
# test reads it with pdftotext and pdfimages). As root this installs the missing ones;
# otherwise it prints the one command to run and fails.
SYSTEM_PACKAGES := chromium npm make texlive-latex-recommended texlive-latex-extra \
	texlive-fonts-recommended texlive-xetex latexmk tex-gyre fonts-freefont-otf poppler-utils

system-deps:
	@missing=""; \
	for p in $(SYSTEM_PACKAGES); do \
	  case $$p in \
	    chromium) test -x /usr/bin/chromium && continue ;; \
	    npm|make|latexmk) command -v $$p >/dev/null && continue ;; \
	  esac; \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q ' installed$$' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "system packages: all installed"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "installing system packages:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
	  echo "missing system packages:$$missing"; \
	  echo "run this once as root, then make again:"; \
	  echo "  sudo sh -c 'apt-get update && apt-get install -y --no-install-recommends$$missing'"; \
	  exit 1; \
	fi

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

# A local copy of MathJax 3 from the npm registry, so that math renders offline.
$(MATHJAX):
	@command -v npm >/dev/null || { echo "npm is needed to fetch MathJax (apt-get install npm)"; exit 1; }
	rm -rf vendor_static/mathjax _build/mathjax-pkg && mkdir -p _build/mathjax-pkg vendor_static
	cd _build/mathjax-pkg && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null && tar xzf mathjax-$(MATHJAX_VERSION).tgz
	mv _build/mathjax-pkg/package/es5 vendor_static/mathjax && rm -rf _build/mathjax-pkg

# A local copy of axe-core (accessibility rules) for the browser tests; not part of the site.
$(AXE):
	@command -v npm >/dev/null || { echo "npm is needed to fetch axe-core (apt-get install npm)"; exit 1; }
	rm -rf vendor/axe-core _build/axe-pkg && mkdir -p _build/axe-pkg vendor/axe-core
	cd _build/axe-pkg && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && tar xzf axe-core-$(AXE_VERSION).tgz
	mv _build/axe-pkg/package/axe.min.js _build/axe-pkg/package/LICENSE vendor/axe-core/ && rm -rf _build/axe-pkg

vendor: $(MATHJAX) $(AXE)

# The execution cache is keyed on the notebooks' code only; the notebooks also depend on
# raetut, so a change to the package invalidates the cache.
CACHE_STAMP := _build/.raetut-cache-stamp
$(CACHE_STAMP): $(wildcard raetut/*.py raetut/checks/*.py)
	rm -rf _build/.jupyter_cache
	@mkdir -p _build && touch $(CACHE_STAMP)

# Jupyter Book executes notebooks one after another; this executes the chapters side by
# side, one per core, into the cache that the build then reads.
execute: $(STAMP) $(CACHE_STAMP)
	$(PY) tools/execute_notebooks.py

book: $(STAMP) $(MATHJAX) execute
	$(VENV)/bin/jupyter-book build . --keep-going

# The PDF: Sphinx's LaTeX writer through xelatex (_config.yml, tools/latex_book.py), from
# the execution cache; every interactive figure prints as a grid of its frames.
PDF := _build/latex/raetut.pdf
define build_pdf
	@command -v xelatex >/dev/null && command -v latexmk >/dev/null || \
	  { echo "xelatex and latexmk are needed for the PDF: make system-deps"; exit 1; }
	rm -f $(PDF)
	@start=$$(date +%s); \
	$(VENV)/bin/jupyter-book build . --builder pdflatex --keep-going $(1); \
	test -f $(PDF); \
	echo "$(PDF): $$(pdfinfo $(PDF) 2>/dev/null | awk '/^Pages:/ {print $$2}') pages," \
	  "$$(( $$(stat -c %s $(PDF)) / 1024 )) KiB, built in $$(( $$(date +%s) - start )) s"
endef
pdf: $(STAMP) execute
	$(call build_pdf,)

# make test renders the notebooks' committed outputs (nbval, in the same run, shows that
# re-executing reproduces them), so the notebooks are executed once per test run.
COMMITTED_CONFIG := _build/config-committed.yml
$(COMMITTED_CONFIG): _config.yml tools/committed_config.py $(STAMP)
	$(PY) tools/committed_config.py $@ >/dev/null

pdf-committed: $(STAMP) $(COMMITTED_CONFIG) $(CACHE_STAMP)
	$(call build_pdf,--config $(COMMITTED_CONFIG))

lint: $(STAMP)
	$(VENV)/bin/ruff check raetut tests benchmarks tools notebooks

unit: $(STAMP)
	$(PY) -m pytest tests -m "not book and not browser"

nbval: $(STAMP)
	$(PY) -m pytest $(NBVAL) $(if $(NB),$(NB),notebooks)

run: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make run NB=notebooks/NN_name.ipynb"; exit 2; }
	$(VENV)/bin/jupyter execute --inplace --timeout=600 $(NB)

# One test run executes each notebook once (nbval); pytest-xdist runs the test files on
# both cores, a notebook's cells always in one worker (--dist loadfile).
test: system-deps $(STAMP) $(MATHJAX) $(AXE) lint pdf-committed
	$(PY) -m pytest -n 2 --dist loadfile tests notebooks $(NBVAL)

verify: $(STAMP)
	$(PY) -m raetut verify

page: $(STAMP) $(MATHJAX) $(CACHE_STAMP)
	@test -n "$(NB)" || { echo "usage: make page NB=notebooks/NN_name.ipynb"; exit 2; }
	@mkdir -p _build/page
	@printf 'format: jb-book\nroot: %s\n' "$(basename $(NB))" > _build/page/_toc.yml
	$(VENV)/bin/jupyter-book build . --toc _build/page/_toc.yml --path-output _build/page --keep-going

clean:
	rm -rf _build
