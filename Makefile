# The two commands a new user needs are `make run` and `make test`; both install libevent first
# when pkg-config cannot find it (apt-get on Debian/Ubuntu, Homebrew on macOS).
SWIFT ?= swift

.PHONY: deps build run test consumer bench-echo clean

deps:
	@scripts/ensure-libevent.sh

build: deps
	$(SWIFT) build

# The main job. Until file-server exists, the echo server on port 7007.
run: deps
	$(SWIFT) build -c release --product echo-server
	.build/release/echo-server --port 7007

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test
	$(MAKE) consumer

# A separate package that depends on this one by path, built and run as an app would.
consumer: deps
	cd Examples/Consumer && $(SWIFT) build && $(SWIFT) run Consumer

# Echo overhead: Swift echo-server beside the C bufferevent echo, pinned to separate cores.
bench-echo: deps
	Benchmarks/echo/run.sh

clean:
	rm -rf .build Examples/Consumer/.build Benchmarks/bin
