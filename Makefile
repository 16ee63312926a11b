# Cascade — set-up, build, run and test.
#
#   make run    installs libsundials-dev if missing, builds, runs the main job
#   make test   installs libsundials-dev if missing, checks the layout (make lint), builds, runs every test
#   make lint   checks the layout of the Swift sources against .swift-format

SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RELEASE_BIN := .build/release

.PHONY: deps build run test bench example clean sbml-suite lint

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
