# The two commands a new user needs are `make run` and `make test`; both install libevent first
# when pkg-config cannot find it (apt-get on Debian/Ubuntu, Homebrew on macOS).
SWIFT ?= swift
SHELL := /bin/bash

.PHONY: deps build run test test-release test-asan test-tsan fuzz fuzz-smoke leaks soak consumer docs bench bench-echo bench-instructions bench-http bench-memory bench-startup clean

deps:
	@scripts/ensure-libevent.sh

build: deps
	$(SWIFT) build

# The main job: the file server on its bundled sample site, http://127.0.0.1:8080/ (PORT=... to change).
# Release builds use cross-module optimisation, as the benchmarks do (since the completion port's
# code is inlinable, a plain release build is within 1% of it).
PORT ?= 8080
RELEASE = -c release -Xswiftc -cross-module-optimization
run: deps
	$(SWIFT) build $(RELEASE) --product file-server
	.build/release/file-server --port $(PORT) --access-log

# Swift Testing starts more test cases at once than the machine has cores, and starts each one's
# time limit before the concurrency pool (one thread per core) has a thread for it. Our tests block
# their thread on sockets and child processes, so on a loaded machine a test could wait for a thread
# past its own time limit. One test case per core keeps every time limit about the test itself,
# and costs no wall time (48 s either way on 2 cores).
CORES := $(shell getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH = $(CORES)

# The whole suite: the tests, the tests again in an optimised build, the consumer package, the tests
# again under AddressSanitizer, and a one-minute fuzz smoke per parser.
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test
	$(MAKE) test-release
	$(MAKE) consumer
	$(MAKE) test-asan
	$(MAKE) fuzz-smoke

# The test suite in a release build. The library calls some objects borrowed, without a retain
# (`_withUnsafeGuaranteedRef`: the socket beneath a connection, a port's handler), which only an
# optimised build actually does; a debug build keeps the retain, so only this run tests that what
# they rely on holds (a handler replaced while it runs, for example, must outlive its call).
test-release: deps
	$(SWIFT) build -c release --build-tests --scratch-path .build-release
	$(SWIFT) test -c release --skip-build --scratch-path .build-release

# The test suite under AddressSanitizer (memory errors; leaks are checked by `make leaks`, because
# the test runner and ArgumentParser's exit paths keep memory that LeakSanitizer would report), in
# a release build: what the library calls borrowed (see test-release) is freed early only there,
# so only there does ASan see a use after free. (With the deferred release of a socket closed
# inside its own callback removed, this run reports one; a debug build under ASan passes.)
SANITIZER_ENV = SWIFT_BACKTRACE=enable=no
test-asan: deps
	set -o pipefail; $(SWIFT) build -c release --build-tests --sanitize=address --scratch-path .build-asan 2>&1 \
		| { grep -v "Cannot export local symbol" || true; }
	$(SANITIZER_ENV) ASAN_OPTIONS=detect_leaks=0:suppressions=$(CURDIR)/Tests/asan-suppressions.txt \
		$(SWIFT) test -c release --sanitize=address --scratch-path .build-asan --skip-build

# The test suite under ThreadSanitizer.
test-tsan: deps
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	$(SANITIZER_ENV) TSAN_OPTIONS=halt_on_error=1 $(SWIFT) test --sanitize=thread --scratch-path .build-tsan --skip-build

# libFuzzer on the HTTP parsers: FUZZ_SECONDS per target (FUZZ_RUNS=N to stop after N executions).
FUZZ_SECONDS ?= 600
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz-smoke:
	scripts/fuzz.sh 60

# valgrind memcheck on each server through a short mixed load and SIGTERM: 0 bytes definitely lost.
leaks: deps
	scripts/leak-check.sh 20

# SOAK_SECONDS of mixed echo and HTTP load with resets: no wrong byte, no server error, flat RSS.
SOAK_SECONDS ?= 600
soak: deps
	scripts/soak.sh $(SOAK_SECONDS)

# A separate package that depends on this one by path, built and run as an app would; it also
# builds the complete programs the documents quote (README, the DocC articles).
consumer: deps
	cd Examples/Consumer && $(SWIFT) build && $(SWIFT) run Consumer

# The DocC catalog rendered as a static site in .build/docs-site.
docs: deps
	$(SWIFT) package --allow-writing-to-directory .build/docs-site generate-documentation --target Libevent \
		--disable-indexing --transform-for-static-hosting --output-path .build/docs-site
	@echo "serve it: python3 -m http.server -d .build/docs-site 8000; open http://127.0.0.1:8000/documentation/libevent/"

# Benchmarks beside their peers (see BENCHMARKS.md).
bench: bench-echo bench-instructions bench-http bench-memory bench-startup

# Echo: both Swift models beside C on raw libevent events and on bufferevents, pinned to separate
# cores, interleaved, 9 x 3 s per cell, four cells (about 21 minutes).
bench-echo: deps
	Benchmarks/echo/run.sh

# User-space instructions per echo message under valgrind, the same servers at the same load: a
# figure the machine's noise does not move (installs valgrind when missing, on Linux).
bench-instructions: deps
	scripts/ensure-bench-tools.sh
	Benchmarks/echo/instructions.sh

# HTTP: wrk -t1 against file-server, nginx (one worker; also with its open-file cache), evhttp and a
# SwiftNIO file server; installs wrk and nginx when missing.
bench-http: deps
	scripts/ensure-bench-tools.sh
	Benchmarks/http/run.sh

# RSS idle and with 5,000 idle connections, per server.
bench-memory: deps
	scripts/ensure-bench-tools.sh
	Benchmarks/memory/run.sh

# Exec to the first `listening on` line and to the first accepted connection, every example server
# beside the echo and HTTP peers, 7 starts each.
bench-startup: deps
	scripts/ensure-bench-tools.sh
	Benchmarks/startup/run.sh

clean:
	rm -rf .build .build-asan .build-tsan .build-fuzz Examples/Consumer/.build Benchmarks/bin
