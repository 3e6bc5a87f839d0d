# Steward — build and test.
#
#   make test        install what the tests need, then vet and run every test with -race
#   make build       build ./bin/steward
#   make fuzz        run each fuzz target of FUZZ_TARGETS for FUZZTIME (default 20s)
#   make soak        1,000 sessions × 100 turns against the embedded gateway (docs/performance.md#soak)
#   make bench       run the benchmarks
#   make bench-load  the load figures of docs/performance.md (steward bench; about 7 minutes)
#   make bench-check fail when a stage benchmark regressed (testdata/bench/baseline.txt; about 5 minutes)
#   make crash-test  SIGKILL the real binary at random points; check nothing is lost or run twice
#   make voice-quality  the whole spoken-decision corpus (docs/voice.md's figures; about 3 minutes)
#
# The tests need Go, the modules in go.mod, Debian's chromium (for the
# web page's browser test; `deps` installs it with apt-get) and axe-core
# (that test's accessibility audit: `deps` runs `npm ci`, which installs
# the exact version package-lock.json pins into node_modules). The Redis
# store's tests need redis-server and the voice tests espeak-ng,
# pocketsphinx, pocketsphinx-en-us and sox, which `deps` installs.
# A missing dependency fails the run (under CI=true too), never skips.

GO        ?= go
FUZZTIME  ?= 20s
PKGS      := ./...

.PHONY: all deps build test vet fmt-check fuzz soak bench bench-load bench-check bench-baseline clean crash-test voice-quality

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
	@# redis-server for the Redis store's tests (session/store/redis, the scale-out tests); each test starts its own.
	@command -v redis-server >/dev/null || (apt-get update && apt-get install -y redis-server) || \
		{ echo "deps: could not install redis-server (apt-get install -y redis-server); the Redis store's tests need it" >&2; exit 1; }

build:
	$(GO) build -o bin/steward ./cmd/steward

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

test: deps fmt-check vet
	$(GO) test -race -count=1 -timeout 20m $(PKGS)
	@# Allocation counts are exact only without the race detector.
	$(GO) test -count=1 -run 'AllocationFree' ./kernel/internal/redact

# Every fuzz target of the tree, as PACKAGE:FUNCTION (go test -fuzz takes
# one target per run). internal/fuzzcheck's TestMakefileListsEveryTarget
# fails when a Fuzz function of a _test.go file is missing here. Their
# seeds (f.Add, testdata/fuzz/) run in plain `go test`, so in `make test`.
FUZZ_TARGETS := \
	./kernel/manifest:FuzzManifest \
	./channels/api:FuzzMessageBody \
	./channels/api:FuzzDecisionBody \
	./channels/web:FuzzFrame \
	./channels/telegram:FuzzTelegramUpdate \
	./channels/slack:FuzzSlackEvent \
	./channels/slack:FuzzSlackInteraction \
	./channels/discord:FuzzDiscordInteraction \
	./kernel/internal/plan:FuzzPlan \
	./kernel/internal/plan:FuzzRef \
	./configs:FuzzConfig \
	./kernel/mcpext:FuzzOverlay \
	./voice/twilio:FuzzStreamFrame \
	./kernel/internal/llm:FuzzModelAnswer \
	./kernel/internal/ground:FuzzCheck \
	./kernel/internal/offline:FuzzRoutePlan \
	./kernel/internal/offline:FuzzChainPlan

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; echo "fuzz: $$fn in $$pkg for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

# The soak of docs/performance.md: sessions one after another on 16
# actors, memory and latency at each tenth. Not part of `make test` (a
# short one is: TestSoakShort in cmd/steward).
SOAK_SESSIONS ?= 1000
SOAK_TURNS ?= 100
soak: build
	./bin/steward bench --embedded --soak --sessions $(SOAK_SESSIONS) --turns-per-session $(SOAK_TURNS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# The stage benchmarks (docs/performance.md, "Stage benchmarks"): fail when
# a stage's allocs/op, or its CPU time per op as a ratio to
# BenchmarkReference of the same run, grew more than 25 % over
# testdata/bench/baseline.txt. bench-baseline measures that file anew.
STAGE_BENCH = $(GO) test -run '^$$' -bench '^Benchmark(Stage|Reference)' -benchmem -count $(BENCH_COUNT) ./kernel/ ./kernel/audit/ ./session/store/sqlite/
BENCH_COUNT ?= 5
bench-check:
	@mkdir -p bin
	$(STAGE_BENCH) > bin/bench-stages.txt || { cat bin/bench-stages.txt; exit 1; }
	$(GO) run ./internal/benchcheck/cmd/benchcheck -baseline testdata/bench/baseline.txt bin/bench-stages.txt

bench-baseline:
	@mkdir -p testdata/bench
	$(STAGE_BENCH) > testdata/bench/baseline.txt

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
# with CRASH_KILLS / CRASH_TURNS; repeat a run with CRASH_SEED. The same
# pattern runs the Redis mode too (TestCrashRecoveryRedis: the gateway on
# its own redis-server, which is itself SIGKILLed and restarted once).
crash-test:
	CRASH_KILLS=$${CRASH_KILLS:-8} CRASH_TURNS=$${CRASH_TURNS:-30} $(GO) test -count=1 -run TestCrashRecovery -v ./cmd/steward/

# The decision-quality figures of docs/voice.md: every corpus line in every
# voice and rate (make test runs one voice and rate per line).
voice-quality: deps
	STEWARD_VOICE_QUALITY=full STEWARD_VOICE_REPORT=bin/voice-quality.txt $(GO) test -count=1 -run TestDecisionQuality -v -timeout 30m ./voice/offline/
	@cat bin/voice-quality.txt
