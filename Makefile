# Set-up is part of both targets: a virtual environment in .venv with everything from pyproject.toml.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: serve test lint chromium

serve: $(STAMP)
	$(VENV)/bin/hotline serve

test: $(STAMP) chromium
	$(VENV)/bin/python -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

# The browser tests drive Debian's Chromium (no browser download), with CJK fonts for the
# screenshots; install them where missing.
BROWSER_PACKAGES := chromium fonts-noto-cjk
chromium:
	@{ test -x /usr/bin/chromium && test -d /usr/share/fonts/opentype/noto; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y -q $(BROWSER_PACKAGES) >/dev/null \
	    || { apt-get update -q >/dev/null && apt-get install -y -q $(BROWSER_PACKAGES) >/dev/null; }; \
	  else echo "browser tests need: sudo apt-get install $(BROWSER_PACKAGES)" >&2; fi; }

# torch is installed first and pinned, so that pip takes the CPU build instead of a CUDA one.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet torch==2.13.0
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $(STAMP)
