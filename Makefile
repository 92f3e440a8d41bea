# The two commands a new user needs are `make run` and `make test`; both install libevent first
# when pkg-config cannot find it (apt-get on Debian/Ubuntu, Homebrew on macOS).
SWIFT ?= swift

.PHONY: deps build run test consumer docs bench-echo clean

deps:
	@scripts/ensure-libevent.sh

build: deps
	$(SWIFT) build

# The main job: the file server on its bundled sample site, http://127.0.0.1:8080/ (PORT=... to change).
PORT ?= 8080
run: deps
	$(SWIFT) build -c release --product file-server
	.build/release/file-server --port $(PORT) --access-log

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test
	$(MAKE) consumer

# A separate package that depends on this one by path, built and run as an app would.
consumer: deps
	cd Examples/Consumer && $(SWIFT) build && $(SWIFT) run Consumer

# The DocC catalog rendered as a static site in .build/docs-site.
docs: deps
	$(SWIFT) package --allow-writing-to-directory .build/docs-site generate-documentation --target Libevent \
		--disable-indexing --transform-for-static-hosting --output-path .build/docs-site
	@echo "serve it: python3 -m http.server -d .build/docs-site 8000; open http://127.0.0.1:8000/documentation/libevent/"

# Echo overhead: Swift echo-server beside the C bufferevent echo, pinned to separate cores.
bench-echo: deps
	Benchmarks/echo/run.sh

clean:
	rm -rf .build Examples/Consumer/.build Benchmarks/bin
