# Cascade — set-up, build, run and test.
#
#   make run    installs libsundials-dev if missing, builds, runs the main job
#   make test   installs libsundials-dev if missing, checks the layout (make lint), builds, runs every test
#   make lint   checks the layout of the Swift sources against .swift-format
#   make python-test   the Python package's tests (python/tests) in a venv under .build

SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RELEASE_BIN := .build/release

.PHONY: deps build run test bench example clean sbml-suite lint python-test

# libsundials-dev (CVODE, KLU) from Debian's registry, only when its headers are missing.
deps:
	@if [ ! -f /usr/include/cvode/cvode.h ] || [ ! -f /usr/include/sunlinsol/sunlinsol_klu.h ]; then \
		echo "Installing libsundials-dev (CVODE, KLU)..."; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libsundials-dev >/dev/null; \
	fi

build: deps
	$(SWIFT) build -c release --product cascade

# The main job: the knockout screen on the default ketamine model.
run: build
	$(RELEASE_BIN)/cascade knockouts

SBML_SUITE ?= ../shared/sbml-test-suite/cases

test: deps
	$(MAKE) lint
	$(MAKE) sbml-suite
	$(RELEASE_BIN)/cascade check
	# Tests/CascadeCLITests runs the debug cascade binary beside the test bundle; it fails
	# (never skips) when the binary is missing, so build it explicitly.
	$(SWIFT) build --product cascade
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-swift-testing
	$(MAKE) python-test

# The Python package (python/) over the release build above: a venv under .build with numpy,
# pandas and pytest from PyPI, ./python installed with the library already built (only CascadeC
# is compiled and linked on top of `make build`), then pytest, which compares with the release
# cascade. Skipped, saying why, only when python3 or its venv module is missing.
PYTHON ?= python3
PYTHON_VENV := .build/python-venv
python-test: build
	@if ! command -v $(PYTHON) >/dev/null 2>&1; then \
		echo "python-test: skipped: $(PYTHON) not found"; exit 0; fi; \
	if ! $(PYTHON) -c 'import venv, ensurepip' >/dev/null 2>&1; then \
		echo "python-test: skipped: $(PYTHON) has no venv/ensurepip (Debian: apt-get install python3-venv)"; exit 0; fi; \
	set -e; \
	$(SWIFT) build -c release --product CascadeC; \
	[ -x $(PYTHON_VENV)/bin/python ] || $(PYTHON) -m venv $(PYTHON_VENV); \
	$(PYTHON_VENV)/bin/python -m pip install -q --disable-pip-version-check numpy pandas pytest setuptools wheel; \
	CASCADE_LIBRARY=$(CURDIR)/$(RELEASE_BIN)/libCascadeC.so CASCADE_BUNDLE_LIBS=0 $(PYTHON_VENV)/bin/python -m pip install -q \
		--disable-pip-version-check --no-build-isolation --no-deps --force-reinstall ./python; \
	CASCADE_CLI=$(CURDIR)/$(RELEASE_BIN)/cascade $(PYTHON_VENV)/bin/python -m pytest -q python/tests

# Layout of every Swift file against .swift-format (4 spaces, 160 columns). Reports, changes nothing;
# `swift format format --in-place --recursive --parallel Sources Tests Benchmarks examples` applies it.
LINT_PATHS := Package.swift Sources Tests Benchmarks examples Fuzz/Package.swift Fuzz/Sources
lint:
	$(SWIFT) format lint --strict --recursive --parallel $(LINT_PATHS)

# The SBML Test Suite (when ../shared is present): fails when fewer cases pass than recorded
# in .ci/sbml-suite-minimum-pass.
sbml-suite: build
	@if [ -d "$(SBML_SUITE)" ]; then \
		$(RELEASE_BIN)/cascade sbml-suite "$(SBML_SUITE)" --minimum-pass $$(cat .ci/sbml-suite-minimum-pass); \
	else echo "sbml-suite: $(SBML_SUITE) not found, skipped"; fi

bench: deps
	$(SWIFT) build -c release --product CascadeBenchmarks
	$(RELEASE_BIN)/CascadeBenchmarks

example: deps
	$(SWIFT) run DSLExample

clean:
	rm -rf .build
