# Steward — build and test.
#
#   make test        install what the tests need, then vet and run every test with -race
#   make build       build ./bin/steward
#   make fuzz        run each fuzz target for FUZZTIME (default 30s)
#   make bench       run the benchmarks
#   make bench-load  the load figures of docs/performance.md (steward bench; about 7 minutes)
#   make crash-test  SIGKILL the real binary at random points; check nothing is lost or run twice
#   make voice-quality  the whole spoken-decision corpus (docs/voice.md's figures; about 3 minutes)
#
# The tests need Go, the modules in go.mod, Debian's chromium (for the
# web page's browser test; `deps` installs it with apt-get) and axe-core
# (that test's accessibility audit: `deps` runs `npm ci`, which installs
# the exact version package-lock.json pins into node_modules). Later features
# (Redis) add their Debian packages to `deps`; the voice tests need
# espeak-ng, pocketsphinx, pocketsphinx-en-us and sox, which `deps` installs.
# A missing dependency fails the run (under CI=true too), never skips.

GO        ?= go
FUZZTIME  ?= 30s
PKGS      := ./...

.PHONY: all deps build test vet fmt-check fuzz bench bench-load clean crash-test voice-quality

all: build

deps:
	@command -v $(GO) >/dev/null || { echo "Go 1.26 is required"; exit 1; }
	$(GO) mod download
	$(GO) mod verify
	@# Headless Chromium for the web page's browser test (channels/web); never a downloaded browser.
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium) || \
		{ echo "deps: could not install chromium (apt-get install -y chromium); the browser test needs it" >&2; exit 1; }
	@command -v chromium >/dev/null || { echo "deps: chromium is still missing" >&2; exit 1; }
	@# axe-core for the same test's accessibility audit, as package-lock.json pins it; never fetched by the test.
	@command -v npm >/dev/null || (apt-get update && apt-get install -y npm) || \
		{ echo "deps: could not install npm (apt-get install -y npm); the browser test needs axe-core" >&2; exit 1; }
	npm ci --include=dev --ignore-scripts --no-audit --no-fund
	@# Offline speech for the voice tests (voice/...): espeak-ng (run as a process, never linked), pocketsphinx with its US English model, sox.
	@{ command -v espeak-ng && command -v pocketsphinx_batch && command -v sox && test -f /usr/share/pocketsphinx/model/en-us/en-us/mdef; } >/dev/null || \
		(apt-get update && apt-get install -y espeak-ng pocketsphinx pocketsphinx-en-us sox) || \
		{ echo "deps: could not install espeak-ng pocketsphinx pocketsphinx-en-us sox; the voice tests need them" >&2; exit 1; }

build:
	$(GO) build -o bin/steward ./cmd/steward

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

test: deps fmt-check vet
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

fuzz:
	$(GO) test ./kernel/manifest -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME)
	$(GO) test ./channels/api -run '^$$' -fuzz FuzzDecodeStrict -fuzztime $(FUZZTIME)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The figures of docs/performance.md: start-up, 10,000 idle sessions, the
# read mix at 64 actors against the bare echo baseline (with a CPU
# profile in bin/), the default mix. Loopback only; each run stops by itself.
BENCH_DURATION ?= 60s
BENCH_MIX_DURATION ?= 150s
bench-load: build
	./bin/steward bench --startup 11
	./bin/steward bench --embedded --idle 10000
	./bin/steward bench --embedded --concurrency 64 --mix read --duration $(BENCH_DURATION) --baseline --cpuprofile bin/read64.prof
	./bin/steward bench --embedded --concurrency 64 --duration $(BENCH_MIX_DURATION)

clean:
	rm -rf bin

# Kill the real binary with SIGKILL at random points (half of them in the
# middle of a level-1 write) and check that nothing accepted is lost and
# nothing that changes state runs twice: level-1 writes counted in the
# extension's own state, confirmed restarts in the fleet's counter. Scale
# with CRASH_KILLS / CRASH_TURNS; repeat a run with CRASH_SEED.
crash-test:
	CRASH_KILLS=$${CRASH_KILLS:-8} CRASH_TURNS=$${CRASH_TURNS:-30} $(GO) test -count=1 -run TestCrashRecovery -v ./cmd/steward/

# The decision-quality figures of docs/voice.md: every corpus line in every
# voice and rate (make test runs one voice and rate per line).
voice-quality: deps
	STEWARD_VOICE_QUALITY=full STEWARD_VOICE_REPORT=bin/voice-quality.txt $(GO) test -count=1 -run TestDecisionQuality -v -timeout 30m ./voice/offline/
	@cat bin/voice-quality.txt
