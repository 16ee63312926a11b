# Cascade — set-up, build, run and test.
#
#   make run    installs libsundials-dev if missing, builds, runs the main job
#   make test   installs libsundials-dev if missing, builds, runs every test

SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RELEASE_BIN := .build/release

.PHONY: deps build run test bench example clean sbml-suite

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
	$(MAKE) sbml-suite
	$(RELEASE_BIN)/cascade check
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-swift-testing

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
