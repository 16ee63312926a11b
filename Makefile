# Cascade — set-up, build, run and test.
#
#   make run    installs libsundials-dev if missing, builds, runs the main job
#   make test   installs libsundials-dev if missing, builds, runs every test

SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RELEASE_BIN := .build/release

.PHONY: deps build run test bench example clean

# libsundials-dev (CVODE, KLU) from Debian's registry, only when its headers are missing.
deps:
	@if [ ! -f /usr/include/cvode/cvode.h ] || [ ! -f /usr/include/sunlinsol/sunlinsol_klu.h ]; then \
		echo "Installing libsundials-dev (CVODE, KLU)..."; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libsundials-dev >/dev/null; \
	fi

build: deps
	$(SWIFT) build -c release --product cascade

run: build
	$(SWIFT) build -c release --product DSLExample
	$(RELEASE_BIN)/DSLExample

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: deps
	$(SWIFT) build -c release --product CascadeBenchmarks
	$(RELEASE_BIN)/CascadeBenchmarks

example: deps
	$(SWIFT) run DSLExample

clean:
	rm -rf .build
