// steward bench: a load tool that drives a gateway over the web channel's
// WebSocket protocol (docs/web.md) and reports turns/s, latency
// percentiles, errors by code, lost or misrouted replies and the server's
// memory; plus a bare echo baseline, idle-session memory and start-up time.
// See docs/performance.md for the commands and the figures.
//
// Everything it starts listens on 127.0.0.1 only, every loop is bounded by
// a turn count or a duration, and it stops by itself.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/steward-os/steward/configs"
	"github.com/steward-os/steward/internal/strict"
)

// The default workload mix, in percent of operations: the mix published for
// a production ICNLI deployment (79 % reads, 18.3 % writes, 2.6 %
// destructive; the 0.1 % left over goes to reads).
const (
	mixReadPct        = 79.0
	mixWritePct       = 18.3
	mixDestructivePct = 2.6
)

// benchOpts are the command's flags.
type benchOpts struct {
	embedded    bool
	addr        string
	pid         int
	baseline    bool
	jsonOut     bool
	concurrency int
	duration    time.Duration
	turns       int
	mix         string
	idle        int
	startup     int
	level4      bool
	tokens      string
	cpuprofile  string
	writeConfig string
	seed        uint64
	timeout     time.Duration
	inProcess   bool
	idleSettle  time.Duration
	memprofile  string

	mixR, mixW, mixD float64 // parsed --mix, fractions summing to 1
}

func benchFlagSet(o *benchOpts, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.embedded, "embedded", false, "start a gateway in this process on a loopback port with a fresh temporary data directory (one bench tenant per actor)")
	fs.StringVar(&o.addr, "addr", "", "drive a running gateway at HOST:PORT (loopback); its tenants must hold the demo world's resources")
	fs.IntVar(&o.pid, "pid", 0, "with --addr: the gateway's process id, to read its RSS from /proc")
	fs.BoolVar(&o.baseline, "baseline", false, "also run the same client loop against a bare gorilla/websocket echo server in this process and report the ratio")
	fs.BoolVar(&o.jsonOut, "json", false, "print the report as JSON")
	fs.IntVar(&o.concurrency, "concurrency", 16, "concurrent actors (one WebSocket each)")
	fs.DurationVar(&o.duration, "duration", 0, "how long to run (default 10s; with --turns, an upper bound of 30m)")
	fs.IntVar(&o.turns, "turns", 0, "stop after this many turns (round trips) in total")
	fs.StringVar(&o.mix, "mix", "default", "workload: default (79% read, 18.3% write, 2.6% destructive), read, write, destructive, or READ,WRITE,DESTRUCTIVE percentages")
	fs.IntVar(&o.idle, "idle", 0, "open this many idle authenticated sessions and report RSS per session (instead of the load run)")
	fs.IntVar(&o.startup, "startup", 0, "time this many start-ups of the real binary (process start to /readyz 200)")
	fs.BoolVar(&o.level4, "level4", false, "add one level-4 turn per actor (delete staging-1) with the real cooling period; the actor carries on while it cools")
	fs.StringVar(&o.tokens, "tokens", "", "with --addr: comma-separated tokens, one per actor in turn (default demo-bench1…N, see --write-config)")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the load phase to FILE (embedded: server and client)")
	fs.StringVar(&o.writeConfig, "write-config", "", "write the bench configuration and world for --concurrency actors to DIR, for steward serve --config DIR/steward.yaml, and exit")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the actors' random choices")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "how long a turn may take before its reply counts as lost")
	fs.StringVar(&o.memprofile, "memprofile", "", "write a heap profile to FILE at the memory reading (--idle --in-process, or the end of an embedded load)")
	fs.DurationVar(&o.idleSettle, "idle-settle", 2*time.Second, "with --idle: how long the sessions sit idle before the memory reading")
	fs.BoolVar(&o.inProcess, "in-process", false, "with --idle --embedded: keep the gateway in this process (RSS then includes the client's sockets; goroutines and Go heap are reported)")
	return fs
}

func parseMix(s string) (r, w, d float64, err error) {
	switch s {
	case "", "default":
		r, w, d = mixReadPct, mixWritePct, mixDestructivePct
	case "read":
		r = 100
	case "write":
		w = 100
	case "destructive":
		d = 100
	default:
		parts := strings.Split(s, ",")
		if len(parts) != 3 {
			return 0, 0, 0, fmt.Errorf("--mix %q: want default, read, write, destructive or READ,WRITE,DESTRUCTIVE percentages", s)
		}
		var v [3]float64
		for i, p := range parts {
			f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
				return 0, 0, 0, fmt.Errorf("--mix %q: %q is not a percentage", s, p)
			}
			v[i] = f
		}
		r, w, d = v[0], v[1], v[2]
	}
	sum := r + w + d
	if sum <= 0 {
		return 0, 0, 0, fmt.Errorf("--mix %q: the percentages add up to zero", s)
	}
	return r / sum, w / sum, d / sum, nil
}

// ---- the report ----

type benchReport struct {
	Machine  machineInfo     `json:"machine"`
	Load     *loadResult     `json:"load,omitempty"`
	Baseline *loadResult     `json:"baseline,omitempty"`
	Ratio    *float64        `json:"ratio_to_baseline,omitempty"`
	Idle     *idleResult     `json:"idle,omitempty"`
	Startup  *startupResult  `json:"startup,omitempty"`
	Profile  string          `json:"cpuprofile,omitempty"`
	Notes    []string        `json:"notes,omitempty"`
	Targets  []targetVerdict `json:"targets,omitempty"`
}

type machineInfo struct {
	CPUs   int    `json:"nproc"`
	Model  string `json:"cpu_model"`
	Go     string `json:"go"`
	OS     string `json:"os"`
	Kernel string `json:"kernel,omitempty"`
}

type latencyStats struct {
	Count int     `json:"count"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P95   float64 `json:"p95_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

type errorCounts struct {
	Expected   map[string]int `json:"expected"`
	Unexpected map[string]int `json:"unexpected"`
}

type procSnapshot struct {
	RSSBytes   int64 `json:"rss_bytes"`
	Goroutines int64 `json:"goroutines"` // -1: not available
	HeapBytes  int64 `json:"heap_bytes"` // -1: not available
	Threads    int64 `json:"threads"`
}

type serverMemory struct {
	Source string        `json:"source"` // "in-process", "/proc/<pid>/status" or "n/a"
	Before *procSnapshot `json:"before,omitempty"`
	Loaded *procSnapshot `json:"loaded,omitempty"` // at the end of the load, clients still connected
	After  *procSnapshot `json:"after,omitempty"`  // clients gone, after a short settle
	Note   string        `json:"note,omitempty"`
}

type loadResult struct {
	Target      string                  `json:"target"` // "embedded", "addr HOST:PORT", "echo baseline"
	Mix         string                  `json:"mix"`
	MixPct      [3]float64              `json:"mix_percent"` // read, write, destructive
	Concurrency int                     `json:"concurrency"`
	Seconds     float64                 `json:"seconds"`
	Turns       int64                   `json:"turns"`
	Ops         map[string]int64        `json:"ops"`
	TurnsPerSec float64                 `json:"turns_per_s"`
	OpsPerSec   float64                 `json:"ops_per_s"`
	Latency     latencyStats            `json:"latency"`
	ByClass     map[string]latencyStats `json:"latency_by_class"`
	Errors      errorCounts             `json:"errors"`
	Lost        int64                   `json:"lost"`
	Misrouted   int64                   `json:"misrouted"`
	Duplicates  int64                   `json:"duplicates"`
	OddReplies  int64                   `json:"unexpected_replies"`
	OddSamples  []string                `json:"unexpected_reply_samples,omitempty"`
	Events      int64                   `json:"events"`
	Reconnects  int64                   `json:"reconnects"`
	DrainTurns  int64                   `json:"untimed_turns"` // state probes before, clean-up after the measured phase
	ReadyMS     float64                 `json:"gateway_ready_ms,omitempty"`
	Server      *serverMemory           `json:"server,omitempty"`
}

type idleResult struct {
	Requested   int      `json:"requested"`
	Open        int      `json:"open"`
	StillOpen   int      `json:"still_open"`
	Mode        string   `json:"mode"`
	RSSBefore   int64    `json:"rss_before_bytes"`
	RSSAfter    int64    `json:"rss_after_bytes"`
	PerSession  float64  `json:"rss_per_session_bytes"`
	Goroutines  [2]int64 `json:"goroutines_before_after"` // -1 when not available
	Threads     [2]int64 `json:"threads_before_after"`
	Heap        [2]int64 `json:"heap_bytes_before_after"` // -1 when not available
	OpenSeconds float64  `json:"open_seconds"`
	NoFile      uint64   `json:"rlimit_nofile"`
	FirstError  string   `json:"first_error,omitempty"`
	Failures    int      `json:"failures"`
	Note        string   `json:"note,omitempty"`
}

type startupResult struct {
	Mode     string    `json:"mode"`
	Fresh    []float64 `json:"fresh_ms"` // empty data directory: creates the store, seeds the world
	Warm     []float64 `json:"warm_ms"`  // the same data directory again
	FreshMed float64   `json:"fresh_median_ms"`
	WarmMed  float64   `json:"warm_median_ms"`
}

type targetVerdict struct {
	Target string `json:"target"`
	Value  string `json:"value"`
	Met    bool   `json:"met"`
}

// ---- the command ----

func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o benchOpts
	fs := benchFlagSet(&o, stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if o.mixR, o.mixW, o.mixD, err = parseMix(o.mix); err != nil {
		return err
	}
	if o.concurrency < 1 || o.concurrency > 10000 {
		return fmt.Errorf("--concurrency %d: want 1–10000", o.concurrency)
	}
	if o.turns < 0 || o.idle < 0 || o.startup < 0 || o.startup > 100 || o.duration < 0 {
		return errors.New("--turns, --idle, --duration and --startup (≤ 100) must not be negative")
	}
	if o.timeout <= 0 {
		return errors.New("--timeout must be positive")
	}
	if o.writeConfig != "" {
		p, err := writeBenchFiles(o.writeConfig, o.concurrency)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s (%d bench tenants); run: steward serve --config %s --data DIR\n", p, o.concurrency, p)
		return nil
	}
	if o.embedded && o.addr != "" {
		return errors.New("--embedded and --addr exclude each other")
	}
	if o.addr != "" {
		if !configs.DemoTokensAllowed(o.addr) {
			return fmt.Errorf("--addr %s: the bench drives loopback gateways only (127.0.0.1, ::1, localhost)", o.addr)
		}
	}
	if o.pid != 0 && o.addr == "" {
		return errors.New("--pid goes with --addr")
	}
	hasTarget := o.embedded || o.addr != ""
	if !hasTarget && !o.baseline && o.startup == 0 {
		return errors.New("nothing to do: give --embedded or --addr HOST:PORT (and/or --baseline, --idle N, --startup N); see docs/performance.md")
	}
	if o.idle > 0 && !hasTarget {
		return errors.New("--idle needs --embedded or --addr")
	}
	if o.duration == 0 {
		if o.turns > 0 {
			o.duration = 30 * time.Minute
		} else {
			o.duration = 10 * time.Second
		}
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	progress := func(format string, a ...any) {
		if !o.jsonOut {
			fmt.Fprintf(stderr, "bench: "+format+"\n", a...)
		}
	}

	rep := benchReport{Machine: machine()}
	if o.startup > 0 {
		progress("timing %d start-ups of the real binary", o.startup)
		r, err := runStartup(ctx, o.startup)
		if err != nil {
			return err
		}
		rep.Startup = r
	}
	if o.idle > 0 {
		progress("opening %d idle sessions", o.idle)
		r, err := runIdle(ctx, &o)
		if err != nil {
			return err
		}
		rep.Idle = r
	}
	if hasTarget && o.idle == 0 {
		progress("load: %d actors, mix %s, %s", o.concurrency, o.mix, limitText(&o))
		r, notes, err := runGatewayLoad(ctx, &o, stderr)
		if err != nil {
			return err
		}
		rep.Load = r
		rep.Notes = append(rep.Notes, notes...)
		rep.Profile = o.cpuprofile
	}
	// The baseline runs after the load, so that its garbage is not in the
	// gateway's memory figures.
	if o.baseline {
		progress("baseline: %d actors against a bare echo server", o.concurrency)
		r, err := runBaseline(ctx, &o)
		if err != nil {
			return err
		}
		rep.Baseline = r
		if rep.Load != nil && r.TurnsPerSec > 0 {
			ratio := rep.Load.TurnsPerSec / r.TurnsPerSec
			rep.Ratio = &ratio
		}
	}
	rep.Targets = verdicts(&rep)
	if o.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printReport(stdout, &rep)
	return nil
}

func limitText(o *benchOpts) string {
	if o.turns > 0 {
		return fmt.Sprintf("%d turns (at most %s)", o.turns, o.duration)
	}
	return o.duration.String()
}

// ---- machine and process figures ----

func machine() machineInfo {
	m := machineInfo{CPUs: runtime.NumCPU(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH, Model: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.Model = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// readProc reads VmRSS and Threads from /proc/<pid>/status ("self" for
// this process).
func readProc(pid string) (rss, threads int64, err error) {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			rss = n * 1024
		case "Threads":
			threads = n
		}
	}
	return rss, threads, nil
}

// selfSnapshot is this process: RSS from /proc/self/status, goroutines and
// live heap from runtime/metrics.
func selfSnapshot() *procSnapshot {
	s := []metrics.Sample{{Name: "/sched/goroutines:goroutines"}, {Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	p := &procSnapshot{Goroutines: -1, HeapBytes: -1}
	if s[0].Value.Kind() == metrics.KindUint64 {
		p.Goroutines = int64(s[0].Value.Uint64())
	}
	if s[1].Value.Kind() == metrics.KindUint64 {
		p.HeapBytes = int64(s[1].Value.Uint64())
	}
	p.RSSBytes, p.Threads, _ = readProc("self")
	return p
}

func pidSnapshot(pid int) *procSnapshot {
	rss, th, err := readProc(strconv.Itoa(pid))
	if err != nil {
		return nil
	}
	return &procSnapshot{RSSBytes: rss, Threads: th, Goroutines: -1, HeapBytes: -1}
}

// settle lets the runtime return what it can before a memory reading.
func settle(d time.Duration) {
	runtime.GC()
	time.Sleep(d)
}

// raiseNoFile lifts RLIMIT_NOFILE to at least want (the hard limit too,
// when the process may), and returns the soft limit in force.
func raiseNoFile(want uint64) uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	if rl.Cur >= want {
		return rl.Cur
	}
	if rl.Max < want {
		try := syscall.Rlimit{Cur: want, Max: want}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &try) == nil {
			return want
		}
	}
	rl.Cur = min(want, rl.Max)
	_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
	return rl.Cur
}

// ---- the bench configuration ----

// benchTenant and benchUser name actor i's tenant and user (1-based); the
// user's demo token is "demo-" + benchUser(i).
func benchTenant(i int) string { return fmt.Sprintf("bench-%d", i) }
func benchUser(i int) string   { return fmt.Sprintf("bench%d", i) }

// benchConfig is the embedded default plus tenants bench-1…n, each with one
// admin and the acme tenant's demo world. confirm_level1 makes every write
// a confirmed one; the quota is raised so that it never throttles the run.
func benchConfig(n int, world string) (*configs.Config, error) {
	cfg, err := configs.Load("", nil, []string{"log.level=warn"})
	if err != nil {
		return nil, err
	}
	for i := 1; i <= n; i++ {
		cfg.Tenants[benchTenant(i)] = configs.Tenant{
			ConfirmLevel1: true, TurnsPerMinute: 6_000_000,
			Users: map[string]configs.User{benchUser(i): {Roles: []string{"admin"}}},
		}
	}
	cfg.World = world
	cfg.Warnings = nil
	return cfg, cfg.Validate()
}

// benchWorld is the embedded demo world with bench-1…n copied from acme.
func benchWorld(n int) ([]byte, error) {
	g, err := strict.Generic(configs.World)
	if err != nil {
		return nil, err
	}
	root, _ := g.(map[string]any)
	tenants, _ := root["tenants"].(map[string]any)
	acme, ok := tenants["acme"]
	if !ok {
		return nil, errors.New("the embedded world has no acme tenant to copy")
	}
	for i := 1; i <= n; i++ {
		tenants[benchTenant(i)] = acme
	}
	return json.MarshalIndent(root, "", " ")
}

// writeBenchFiles writes dir/world.json and dir/steward.yaml (JSON, which
// is YAML) for n bench tenants, and returns the configuration's path.
func writeBenchFiles(dir string, n int) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	world, err := benchWorld(n)
	if err != nil {
		return "", err
	}
	wp, err := filepath.Abs(filepath.Join(dir, "world.json"))
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(wp, world, 0o600); err != nil {
		return "", err
	}
	cfg, err := benchConfig(n, wp)
	if err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(cfg, "", " ")
	if err != nil {
		return "", err
	}
	cp := filepath.Join(dir, "steward.yaml")
	hdr := "# Written by `steward bench --write-config`: the embedded default plus bench-1…N\n# (one admin each, the acme demo world, confirm_level1, a quota that never throttles).\n"
	return cp, os.WriteFile(cp, append([]byte(hdr), b...), 0o600)
}

// ---- an embedded gateway: `steward serve` itself, in this process ----

type embeddedGW struct {
	addr   string
	dir    string
	cancel context.CancelFunc
	done   chan error
	logs   *tailBuffer
	ready  time.Duration
}

// tailBuffer keeps the last 16 KiB written to it (the gateway's log).
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	t.b = append(t.b, p...)
	if len(t.b) > 16<<10 {
		t.b = append(t.b[:0], t.b[len(t.b)-16<<10:]...)
	}
	t.mu.Unlock()
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// freeAddr asks the kernel for a free loopback port. Another process could
// take it before the gateway binds it; callers retry.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}

// waitReady polls GET /readyz until it answers 200.
func waitReady(ctx context.Context, addr string, done <-chan error, limit time.Duration) error {
	cl := &http.Client{Timeout: 500 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/readyz", nil)
		if resp, err := cl.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-done:
			if err == nil {
				err = errors.New("exited")
			}
			return fmt.Errorf("gateway stopped before it was ready: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	return fmt.Errorf("gateway not ready after %s", limit)
}

// startEmbedded runs `steward serve` (the same function the command runs)
// in this process with a bench configuration for n actors and a fresh data
// directory, and waits for /readyz.
func startEmbedded(ctx context.Context, n int) (*embeddedGW, error) {
	dir, err := os.MkdirTemp("", "steward-bench-")
	if err != nil {
		return nil, err
	}
	cfgPath, err := writeBenchFiles(dir, n)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	var last error
	for attempt := 0; attempt < 3; attempt++ {
		addr, err := freeAddr()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		g := &embeddedGW{addr: addr, dir: dir, done: make(chan error, 1), logs: &tailBuffer{}}
		sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		g.cancel = cancel
		began := time.Now()
		go func() {
			g.done <- serve(sctx, []string{"--config", cfgPath, "--addr", addr, "--data", filepath.Join(dir, "data")}, g.logs)
		}()
		if err := waitReady(ctx, addr, g.done, 2*time.Minute); err != nil {
			cancel()
			last = fmt.Errorf("%w\n%s", err, g.logs)
			if strings.Contains(g.logs.String()+err.Error(), "address already in use") {
				continue
			}
			break
		}
		g.ready = time.Since(began)
		return g, nil
	}
	os.RemoveAll(dir)
	return nil, last
}

// stop shuts the gateway down as SIGTERM would and removes its data.
func (g *embeddedGW) stop() error {
	g.cancel()
	var err error
	select {
	case err = <-g.done:
	case <-time.After(60 * time.Second):
		err = errors.New("the embedded gateway did not stop within 60s")
	}
	os.RemoveAll(g.dir)
	return err
}

// ---- the WebSocket client ----

// inFrame is any server frame.
type inFrame struct {
	Type      string            `json:"type"`
	InReplyTo string            `json:"in_reply_to"`
	TurnID    string            `json:"turn_id"`
	Replies   []json.RawMessage `json:"replies"`
	Code      string            `json:"code"`
	Message   string            `json:"message"`
	Actor     string            `json:"actor"`
	Tenant    string            `json:"tenant"`
}

// inPart is a reply part (session.MarshalPart).
type inPart struct {
	Type        string `json:"type"`
	Text        string `json:"text"`
	Code        string `json:"code"`
	Message     string `json:"message"`
	ProposalID  string `json:"proposal_id"`
	Tool        string `json:"tool"`
	SafetyLevel int    `json:"safety_level"`
	Impact      struct {
		Targets []json.RawMessage `json:"targets"`
		Backup  string            `json:"backup"`
		Summary string            `json:"summary"`
	} `json:"impact"`
	DangerPhraseRequired bool       `json:"danger_phrase_required"`
	CoolingUntil         *time.Time `json:"cooling_until"`
}

type msgFrame struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Text string `json:"text"`
}

type decisionFrame struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	ProposalID string `json:"proposal_id"`
	Decision   string `json:"decision"`
	Phrase     string `json:"phrase,omitempty"`
}

// dialSession opens /ws, authenticates and waits for ready.
func dialSession(ctx context.Context, addr, token string, timeout time.Duration) (*websocket.Conn, *inFrame, error) {
	d := websocket.Dialer{HandshakeTimeout: timeout, ReadBufferSize: 4096, WriteBufferSize: 4096}
	ws, resp, err := d.DialContext(ctx, "ws://"+addr+"/ws", http.Header{"Origin": {"http://" + addr}})
	if err != nil {
		if resp != nil {
			return nil, nil, fmt.Errorf("dial: %w (HTTP %d)", err, resp.StatusCode)
		}
		return nil, nil, fmt.Errorf("dial: %w", err)
	}
	_ = ws.SetWriteDeadline(time.Now().Add(timeout))
	if err := ws.WriteJSON(map[string]string{"type": "auth", "token": token}); err != nil {
		ws.Close()
		return nil, nil, fmt.Errorf("auth: %w", err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(timeout))
	var f inFrame
	if err := ws.ReadJSON(&f); err != nil {
		ws.Close()
		return nil, nil, fmt.Errorf("auth: %w", err)
	}
	if f.Type != "ready" {
		ws.Close()
		return nil, nil, fmt.Errorf("auth refused: %s %s", f.Code, f.Message)
	}
	_ = ws.SetReadDeadline(time.Time{})
	_ = ws.SetWriteDeadline(time.Time{})
	return ws, &f, nil
}

// ---- the load run ----

// Operation classes; the latency of each round trip is kept per class.
const (
	clsRead        = "read"
	clsWrite       = "write"
	clsDestructive = "destructive"
	clsLevel4      = "level4"
)

// read requests the offline router understands (checked with `steward
// classify`), with a piece of the narration each reply must contain.
var benchReads = []struct{ text, want string }{
	{"list my servers", "server(s):"},
	{"show web-1", "web-1 is"},
	{"cpu usage of web-1", "CPU"},
	{"list the sites", "site(s):"},
	{"list the databases", "database(s):"},
	{"list dns records for acme.test", "record(s) in acme.test"},
	{"list certificates", "certificate(s):"},
	{"what is the status of db-1", "db-1 is"},
	{"which websites run on web-2", "site(s):"},
	{"metrics for web-2", "web-2"},
	{"list tasks", "task(s)"},
}

// shared is what the actors of one run share.
type shared struct {
	o      *benchOpts
	addr   string
	echo   bool // the echo baseline: every request is a read
	run    string
	budget atomic.Int64 // turns left when --turns is set
	oddMu  sync.Mutex
	odd    []string

	// turn_id → in_reply_to (as 64-bit hashes, to stay small), to catch one
	// turn answering two requests.
	turnMu  sync.Mutex
	turnIDs map[uint64]uint64
}

// sameTurn records a turn id and reports whether it already answered
// another request.
func (sh *shared) sameTurn(turn, id string) bool {
	if sh.echo {
		return false
	}
	t, i := hash64(turn), hash64(id)
	sh.turnMu.Lock()
	defer sh.turnMu.Unlock()
	if prev, ok := sh.turnIDs[t]; ok {
		return prev != i
	}
	sh.turnIDs[t] = i
	return false
}

func hash64(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

// actorStats are one actor's figures (no locking: merged at the end).
type actorStats struct {
	lat        map[string][]time.Duration
	ops        map[string]int64
	expected   map[string]int
	unexpected map[string]int
	turns      int64
	lost       int64
	misrouted  int64
	duplicates int64
	odd        int64
	events     int64
	reconnects int64
	drain      int64
}

type actor struct {
	sh      *shared
	n       int // 1-based
	token   string
	ws      *websocket.Conn
	rng     *rand.Rand
	seq     int
	st      actorStats
	measure bool // false in the drain phase

	// The actor's view of its tenant's world.
	web2Stopped bool
	web1Large   bool
	record      string // a DNS record it added and has not deleted yet
	writeSeq    int
	destSeq     int
	l4          *pendingL4
	l4Done      bool
	dead        error
}

type pendingL4 struct {
	id    string
	until time.Time
}

func newActor(sh *shared, n int, token string) *actor {
	return &actor{
		sh: sh, n: n, token: token, measure: true,
		rng: rand.New(rand.NewPCG(sh.o.seed, uint64(n))),
		st: actorStats{lat: map[string][]time.Duration{}, ops: map[string]int64{},
			expected: map[string]int{}, unexpected: map[string]int{}},
	}
}

func (a *actor) connect(ctx context.Context) error {
	if a.ws != nil {
		a.ws.Close()
		a.ws = nil
		a.st.reconnects++
	}
	ws, _, err := dialSession(ctx, a.sh.addr, a.token, a.sh.o.timeout)
	if err != nil {
		return err
	}
	a.ws = ws
	return nil
}

// answered reports whether id is one of this actor's earlier requests (a
// second reply to it is a duplicate, not a misrouted reply): ids are
// RUN-aN-SEQ[d].
func (a *actor) answered(id string) bool {
	prefix := fmt.Sprintf("%s-a%d-", a.sh.run, a.n)
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok {
		return false
	}
	seq, err := strconv.Atoi(strings.TrimSuffix(rest, "d"))
	return err == nil && seq < a.seq
}

func (a *actor) nextID(suffix string) string {
	a.seq++
	return fmt.Sprintf("%s-a%d-%d%s", a.sh.run, a.n, a.seq, suffix)
}

// errBroken is a turn whose reply did not come: counted as lost.
var errBroken = errors.New("no reply")

// roundTrip sends one frame and waits for the turn (or error frame) that
// answers its id. Replies for other ids are misrouted (or duplicates of
// ones already answered); event frames are counted and skipped.
func (a *actor) roundTrip(cls, id string, frame any) (*inFrame, error) {
	b, err := json.Marshal(frame)
	if err != nil {
		return nil, err
	}
	began := time.Now()
	deadline := began.Add(a.sh.o.timeout)
	_ = a.ws.SetWriteDeadline(deadline)
	if err := a.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		a.st.lost++
		return nil, errBroken
	}
	if a.measure {
		a.st.turns++
	} else {
		a.st.drain++
	}
	_ = a.ws.SetReadDeadline(deadline)
	for {
		_, data, err := a.ws.ReadMessage()
		if err != nil {
			a.st.lost++
			return nil, errBroken
		}
		var f inFrame
		if err := json.Unmarshal(data, &f); err != nil {
			a.st.unexpected["bench:bad_frame"]++
			continue
		}
		switch f.Type {
		case "event":
			a.st.events++
			continue
		case "turn", "error":
		default:
			a.st.unexpected["bench:frame_"+f.Type]++
			continue
		}
		if f.InReplyTo != id {
			switch {
			case f.Type == "error" && f.InReplyTo == "":
				a.st.unexpected[f.Code]++ // a refusal not tied to a frame
			case a.answered(f.InReplyTo):
				a.st.duplicates++
			default:
				a.st.misrouted++
			}
			continue
		}
		if a.measure {
			a.st.lat[cls] = append(a.st.lat[cls], time.Since(began))
		}
		if f.Type == "turn" && a.sh.sameTurn(f.TurnID, id) {
			a.st.misrouted++ // one turn id answering two requests
		}
		return &f, nil
	}
}

func parts(f *inFrame) []inPart {
	out := make([]inPart, 0, len(f.Replies))
	for _, r := range f.Replies {
		var p inPart
		if json.Unmarshal(r, &p) == nil {
			out = append(out, p)
		}
	}
	return out
}

// errorOf returns the first error code of a reply ("" when none): an error
// frame's code or an error part's.
func replyError(f *inFrame, ps []inPart) string {
	if f.Type == "error" {
		return f.Code
	}
	for _, p := range ps {
		if p.Type == "error" {
			return p.Code
		}
	}
	return ""
}

func (a *actor) oddReply(what string, ps []inPart) {
	a.st.odd++
	a.sh.oddMu.Lock()
	defer a.sh.oddMu.Unlock()
	if len(a.sh.odd) < 5 {
		b, _ := json.Marshal(ps)
		a.sh.odd = append(a.sh.odd, fmt.Sprintf("actor %d, %s: %.300s", a.n, what, b))
	}
}

// countOp counts an operation of the measured phase.
func (a *actor) countOp(cls string) {
	if a.measure {
		a.st.ops[cls]++
	}
}

// say sends a text message and returns the reply's parts, or ok=false when
// the turn failed (counted).
func (a *actor) say(cls, text string) ([]inPart, bool) {
	id := a.nextID("")
	f, err := a.roundTrip(cls, id, msgFrame{Type: "message", ID: id, Text: text})
	if err != nil {
		a.dead = err
		return nil, false
	}
	ps := parts(f)
	if code := replyError(f, ps); code != "" {
		a.st.unexpected[code]++
		return ps, false
	}
	return ps, true
}

// decide sends a decision; expect is an error code the turn is expected to
// answer with ("" for success).
func (a *actor) decide(cls, proposal, phrase, expect string) ([]inPart, bool) {
	id := a.nextID("d")
	f, err := a.roundTrip(cls, id, decisionFrame{Type: "decision", ID: id, ProposalID: proposal, Decision: "accept", Phrase: phrase})
	if err != nil {
		a.dead = err
		return nil, false
	}
	ps := parts(f)
	code := replyError(f, ps)
	switch {
	case code == expect && code != "":
		a.st.expected[code]++
		return ps, true
	case code != "":
		a.st.unexpected[code]++
		return ps, false
	case expect != "":
		a.oddReply("expected "+expect+" after accepting", ps)
		return ps, false
	}
	return ps, true
}

// read runs one read and checks its narration.
func (a *actor) read() {
	r := benchReads[a.rng.IntN(len(benchReads))]
	if a.sh.echo {
		r.want = ""
	}
	a.countOp(clsRead)
	ps, ok := a.say(clsRead, r.text)
	if !ok || r.want == "" {
		return
	}
	for _, p := range ps {
		if p.Type == "text" && strings.Contains(p.Text, r.want) {
			return
		}
	}
	a.oddReply(fmt.Sprintf("%q", r.text), ps)
}

// change asks for a change, checks the proposal (tool, level, impact:
// the decision is made after seeing it) and accepts it.
func (a *actor) change(cls, text, tool string, level int) bool {
	a.countOp(cls)
	ps, ok := a.say(cls, text)
	if !ok {
		return false
	}
	var card *inPart
	for i := range ps {
		if ps[i].Type == "proposal" {
			card = &ps[i]
		}
	}
	if card == nil || !strings.HasSuffix(card.Tool, tool) || card.SafetyLevel != level ||
		len(card.Impact.Targets) == 0 || card.Impact.Summary == "" || (level >= 3 && card.Impact.Backup == "") {
		a.oddReply(fmt.Sprintf("%q (want a level-%d proposal of %s with its impact)", text, level, tool), ps)
		return false
	}
	ps, ok = a.decide(cls, card.ProposalID, "", "")
	if !ok {
		return false
	}
	for _, p := range ps {
		if p.Type == "text" {
			return true
		}
	}
	a.oddReply(fmt.Sprintf("accepting %q", text), ps)
	return false
}

// probe reads the actor's servers so that a run against a gateway a
// previous run left changed starts from what is there (outside the
// figures).
func (a *actor) probe() {
	m := a.measure
	a.measure = false
	defer func() { a.measure = m }()
	if ps, ok := a.say(clsRead, "show web-2"); ok {
		for _, p := range ps {
			if p.Type == "text" && strings.HasPrefix(p.Text, "web-2 is ") {
				a.web2Stopped = strings.HasPrefix(p.Text, "web-2 is stopped")
			}
		}
	}
	if ps, ok := a.say(clsRead, "show web-1"); ok {
		for _, p := range ps {
			if p.Type == "text" && strings.HasPrefix(p.Text, "web-1 is ") {
				a.web1Large = strings.Contains(p.Text, "size l.")
			}
		}
	}
}

// write is a confirmed level 1–2 change that keeps the world valid: a
// stopped web-2 is started first; otherwise restart web-1, resize it back
// and forth, or add a DNS record (deleted later by a destructive turn).
func (a *actor) write() {
	if a.web2Stopped {
		if a.change(clsWrite, "start web-2", "start_server", 1) {
			a.web2Stopped = false
		} else {
			a.probe()
		}
		return
	}
	a.writeSeq++
	switch a.writeSeq % 3 {
	case 1:
		if !a.change(clsWrite, "restart web-1", "restart_server", 2) {
			a.probe()
		}
	case 2:
		size := "l"
		if a.web1Large {
			size = "m"
		}
		if a.change(clsWrite, "resize web-1 to "+size, "resize_server", 2) {
			a.web1Large = !a.web1Large
		} else {
			a.probe()
		}
	default:
		if a.record != "" {
			a.change(clsWrite, "restart web-1", "restart_server", 2)
			return
		}
		name := fmt.Sprintf("bench%d", a.seq+1)
		if a.change(clsWrite, fmt.Sprintf("add an A record named %s to acme.test pointing at 203.0.113.%d", name, 1+a.seq%250), "add_dns_record", 1) {
			a.record = name
		}
	}
}

// destructive is a confirmed level-3 change, accepted after its impact
// (targets, cascade, the backup that runs first) was shown: stop web-2
// (started again by the next write), delete the record a write added, or
// restore a database from its first backup.
func (a *actor) destructive() {
	a.destSeq++
	switch {
	case a.destSeq%2 == 1 && !a.web2Stopped:
		if a.change(clsDestructive, "stop web-2", "stop_server", 3) {
			a.web2Stopped = true
		} else {
			a.probe()
		}
	case a.record != "":
		a.change(clsDestructive, "delete the "+a.record+" record from acme.test", "delete_dns_record", 3)
		a.record = "" // deleted, or not there to delete
	default:
		a.change(clsDestructive, "restore orders from backup orders-1", "restore_database", 3)
	}
}

// level4Propose asks to delete staging-1 (level 4), checks the card (danger
// phrase, cooling period), and accepts at once, which must be refused with
// cooling_period; the accept with the phrase comes once the cooling is over.
func (a *actor) level4Propose() {
	a.l4Done = true
	a.countOp(clsLevel4)
	ps, ok := a.say(clsLevel4, "delete staging-1")
	if !ok {
		return
	}
	var card *inPart
	for i := range ps {
		if ps[i].Type == "proposal" {
			card = &ps[i]
		}
	}
	if card == nil || card.SafetyLevel != 4 || !card.DangerPhraseRequired || card.CoolingUntil == nil || len(card.Impact.Targets) == 0 {
		a.oddReply("delete staging-1 (want a level-4 card with a cooling period)", ps)
		return
	}
	if _, ok := a.decide(clsLevel4, card.ProposalID, "staging-1", "cooling_period"); !ok && a.dead != nil {
		return
	}
	a.l4 = &pendingL4{id: card.ProposalID, until: *card.CoolingUntil}
}

func (a *actor) level4Accept() {
	ps, ok := a.decide(clsLevel4, a.l4.id, "staging-1", "")
	a.l4 = nil
	if ok && !slices.ContainsFunc(ps, func(p inPart) bool { return p.Type == "text" && strings.Contains(p.Text, "deleted") }) {
		a.oddReply("accepting delete staging-1", ps)
	}
}

// reserve takes n turns from the --turns budget, all or nothing.
func (a *actor) reserve(n int64) bool {
	if a.sh.o.turns == 0 {
		return true
	}
	for {
		cur := a.sh.budget.Load()
		if cur < n {
			return false
		}
		if a.sh.budget.CompareAndSwap(cur, cur-n) {
			return true
		}
	}
}

// loop runs operations until ctx ends or the budget is spent.
func (a *actor) loop(ctx context.Context) {
	o := a.sh.o
	for ctx.Err() == nil {
		if a.dead != nil {
			// The reply was lost (counted): a new socket, as a page would
			// open, and a fresh look at the world.
			if err := a.connect(ctx); err != nil {
				return
			}
			a.dead = nil
			if !a.sh.echo {
				a.probe()
			}
			continue
		}
		if a.l4 != nil && time.Now().After(a.l4.until.Add(100*time.Millisecond)) {
			if !a.reserve(1) {
				return
			}
			a.level4Accept()
			continue
		}
		if o.level4 && !a.l4Done && !a.sh.echo && a.reserve(2) {
			a.level4Propose()
			continue
		}
		x := a.rng.Float64()
		switch {
		case !a.sh.echo && x >= o.mixR && x < o.mixR+o.mixW && a.reserve(2):
			a.write()
		case !a.sh.echo && x >= o.mixR+o.mixW && a.reserve(2):
			a.destructive()
		case a.reserve(1):
			// A read, or the last turn of the budget (a change takes two).
			a.read()
		default:
			return
		}
	}
}

// drain puts the world back (a stopped web-2 started, an added record
// deleted) and settles a level-4 proposal once its cooling is over; these
// turns are checked but not timed.
func (a *actor) drain(ctx context.Context) {
	if a.dead != nil || a.sh.echo {
		return
	}
	a.measure = false
	if a.web2Stopped {
		if a.change(clsWrite, "start web-2", "start_server", 1) {
			a.web2Stopped = false
		}
	}
	if a.record != "" && a.dead == nil {
		a.change(clsDestructive, "delete the "+a.record+" record from acme.test", "delete_dns_record", 3)
		a.record = ""
	}
	if a.l4 != nil && a.dead == nil {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(a.l4.until.Add(100 * time.Millisecond))):
		}
		a.level4Accept()
	}
}

// runLoad runs the actors against addr and gathers their figures. The
// actors' sockets are still open when it returns; closeActors closes them.
func runLoad(ctx context.Context, o *benchOpts, addr string, tokens []string, echo bool) (*loadResult, []*actor, error) {
	sh := &shared{o: o, addr: addr, echo: echo, run: fmt.Sprintf("b%x", time.Now().UnixNano()&0xffffffffff), turnIDs: map[uint64]uint64{}}
	sh.budget.Store(int64(o.turns))
	if n := uint64(o.concurrency)*2 + 256; n > 1024 {
		raiseNoFile(n)
	}
	actors := make([]*actor, o.concurrency)
	var wg sync.WaitGroup
	errs := make(chan error, o.concurrency)
	for i := range actors {
		a := newActor(sh, i+1, tokens[i%len(tokens)])
		actors[i] = a
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.connect(ctx); err != nil {
				errs <- fmt.Errorf("actor %d: %w", a.n, err)
				return
			}
			if !echo && o.mixR < 1 {
				a.probe()
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		closeActors(actors)
		return nil, nil, err
	}
	lctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	began := time.Now()
	for _, a := range actors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.loop(lctx)
		}()
	}
	wg.Wait()
	elapsed := time.Since(began)
	// Put the world back, bounded by the level-4 cooling period.
	dctx, dcancel := context.WithTimeout(ctx, 90*time.Second)
	defer dcancel()
	for _, a := range actors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.drain(dctx)
		}()
	}
	wg.Wait()
	res := merge(actors, elapsed)
	res.Concurrency = o.concurrency
	res.Mix = o.mix
	res.MixPct = [3]float64{round2(o.mixR * 100), round2(o.mixW * 100), round2(o.mixD * 100)}
	if echo {
		res.Mix, res.MixPct = "read", [3]float64{100, 0, 0}
	}
	res.OddSamples = sh.odd
	return res, actors, nil
}

func closeActors(actors []*actor) {
	for _, a := range actors {
		if a.ws != nil {
			_ = a.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			a.ws.Close()
		}
	}
}

func merge(actors []*actor, elapsed time.Duration) *loadResult {
	r := &loadResult{Ops: map[string]int64{}, ByClass: map[string]latencyStats{},
		Errors: errorCounts{Expected: map[string]int{}, Unexpected: map[string]int{}}, Seconds: round2(elapsed.Seconds())}
	all := []time.Duration{}
	byClass := map[string][]time.Duration{}
	for _, a := range actors {
		s := &a.st
		for c, l := range s.lat {
			byClass[c] = append(byClass[c], l...)
			all = append(all, l...)
		}
		for c, n := range s.ops {
			r.Ops[c] += n
		}
		for c, n := range s.expected {
			r.Errors.Expected[c] += n
		}
		for c, n := range s.unexpected {
			r.Errors.Unexpected[c] += n
		}
		if a.dead != nil {
			r.Errors.Unexpected["bench:actor_stopped"]++ // its socket could not be reopened
		}
		r.Turns += s.turns
		r.Lost += s.lost
		r.Misrouted += s.misrouted
		r.Duplicates += s.duplicates
		r.OddReplies += s.odd
		r.Events += s.events
		r.Reconnects += s.reconnects
		r.DrainTurns += s.drain
	}
	r.Latency = stats(all)
	for c, l := range byClass {
		r.ByClass[c] = stats(l)
	}
	var ops int64
	for _, n := range r.Ops {
		ops += n
	}
	if elapsed > 0 {
		r.TurnsPerSec = round2(float64(r.Turns) / elapsed.Seconds())
		r.OpsPerSec = round2(float64(ops) / elapsed.Seconds())
	}
	return r
}

func stats(l []time.Duration) latencyStats {
	if len(l) == 0 {
		return latencyStats{}
	}
	slices.Sort(l)
	ms := func(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }
	q := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(l)))) - 1
		return ms(l[max(0, min(i, len(l)-1))])
	}
	var sum time.Duration
	for _, d := range l {
		sum += d
	}
	return latencyStats{Count: len(l), Mean: ms(sum / time.Duration(len(l))), P50: q(0.50), P95: q(0.95), P99: q(0.99), Max: ms(l[len(l)-1])}
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }
func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// runGatewayLoad runs the load against the embedded gateway or --addr.
func runGatewayLoad(ctx context.Context, o *benchOpts, stderr io.Writer) (*loadResult, []string, error) {
	var notes []string
	addr := o.addr
	mem := &serverMemory{Source: "n/a"}
	var snap func() *procSnapshot
	var gw *embeddedGW
	tokens := make([]string, o.concurrency)
	for i := range tokens {
		tokens[i] = "demo-" + benchUser(i+1)
	}
	if o.embedded {
		var err error
		if gw, err = startEmbedded(ctx, o.concurrency); err != nil {
			return nil, nil, err
		}
		defer func() {
			if err := gw.stop(); err != nil {
				fmt.Fprintf(stderr, "bench: stopping the embedded gateway: %v\n", err)
			}
		}()
		addr = gw.addr
		mem.Source = "in-process (runtime/metrics, /proc/self/status)"
		mem.Note = "the gateway shares this process with the bench client: figures include the client's sockets and goroutines (one per actor)"
		snap = selfSnapshot
	} else {
		if o.tokens != "" {
			tokens = strings.Split(o.tokens, ",")
		}
		if o.pid > 0 {
			mem.Source = fmt.Sprintf("/proc/%d/status", o.pid)
			mem.Note = "goroutines and heap: n/a for another process"
			snap = func() *procSnapshot { return pidSnapshot(o.pid) }
		} else {
			mem.Note = "give --pid to read the gateway's RSS"
		}
	}
	if snap != nil {
		settle(100 * time.Millisecond)
		mem.Before = snap()
	}
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return nil, nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, nil, err
		}
	}
	res, err := runLoadSnap(ctx, o, addr, tokens, snap, mem)
	if o.cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return nil, nil, err
	}
	if snap != nil {
		settle(500 * time.Millisecond)
		mem.After = snap()
	}
	res.Server = mem
	if gw != nil {
		res.Target = "embedded"
		res.ReadyMS = round2(float64(gw.ready) / float64(time.Millisecond))
		notes = append(notes, fmt.Sprintf("embedded gateway: `steward serve` in this process with %d bench tenants, ready in %.0f ms (includes seeding them)", o.concurrency, res.ReadyMS))
	} else {
		res.Target = "addr " + addr
	}
	if res.DrainTurns > 0 {
		notes = append(notes, fmt.Sprintf("%d turns outside the measured phase (state probes before it; after it, start web-2, delete added records, level-4 accepts) are checked but not timed", res.DrainTurns))
	}
	return res, notes, nil
}

// runLoadSnap is runLoad with a memory reading (and, if asked, a heap
// profile) while the clients are still connected.
func runLoadSnap(ctx context.Context, o *benchOpts, addr string, tokens []string, snap func() *procSnapshot, mem *serverMemory) (*loadResult, error) {
	res, actors, err := runLoad(ctx, o, addr, tokens, false)
	if err != nil {
		return nil, err
	}
	defer closeActors(actors)
	if snap != nil {
		mem.Loaded = snap()
	}
	if o.memprofile != "" && o.embedded {
		if err := writeHeapProfile(o.memprofile); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	runtime.GC()
	return pprof.Lookup("heap").WriteTo(f, 0)
}

// ---- the echo baseline ----

// echoServer is a bare gorilla/websocket server that answers the protocol
// with no work: ready for auth, a one-part turn for every message.
type echoServer struct {
	srv   *http.Server
	addr  string
	mu    sync.Mutex
	conns map[*websocket.Conn]struct{}
}

func startEcho() (*echoServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e := &echoServer{addr: ln.Addr().String(), conns: map[*websocket.Conn]struct{}{}}
	up := websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 4096, CheckOrigin: func(*http.Request) bool { return true }}
	var turn atomic.Int64
	e.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		e.mu.Lock()
		e.conns[ws] = struct{}{}
		e.mu.Unlock()
		defer func() {
			e.mu.Lock()
			delete(e.conns, ws)
			e.mu.Unlock()
			ws.Close()
		}()
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var f struct {
				Type string `json:"type"`
				ID   string `json:"id"`
			}
			if json.Unmarshal(b, &f) != nil {
				return
			}
			var out []byte
			switch f.Type {
			case "auth":
				out, _ = json.Marshal(map[string]any{"type": "ready", "actor": "echo", "tenant": "echo"})
			case "message", "decision":
				out, _ = json.Marshal(map[string]any{"type": "turn", "in_reply_to": f.ID,
					"turn_id": "t_" + strconv.FormatInt(turn.Add(1), 36), "replies": []map[string]string{{"type": "text", "text": "echo"}}})
			default:
				continue
			}
			if ws.WriteMessage(websocket.TextMessage, out) != nil {
				return
			}
		}
	})}
	go func() { _ = e.srv.Serve(ln) }()
	return e, nil
}

func (e *echoServer) close() {
	_ = e.srv.Close()
	e.mu.Lock()
	for c := range e.conns {
		c.Close()
	}
	e.mu.Unlock()
}

func runBaseline(ctx context.Context, o *benchOpts) (*loadResult, error) {
	e, err := startEcho()
	if err != nil {
		return nil, err
	}
	defer e.close()
	res, actors, err := runLoad(ctx, o, e.addr, []string{"echo"}, true)
	if err != nil {
		return nil, err
	}
	closeActors(actors)
	res.Target = "echo baseline (bare gorilla/websocket in this process)"
	return res, nil
}

// ---- idle sessions ----

// runIdle opens o.idle idle authenticated sessions and reports the
// gateway's RSS per session. With --embedded the gateway is the real
// binary in a child process (embedded default configuration, fresh data
// directory), so that the client's own sockets are not counted; when this
// process is not the steward binary (a test), it is this process.
func runIdle(ctx context.Context, o *benchOpts) (*idleResult, error) {
	res := &idleResult{Requested: o.idle, Goroutines: [2]int64{-1, -1}, Heap: [2]int64{-1, -1}}
	tokens := []string{"demo-alice", "demo-bob", "demo-carol", "demo-dave"}
	if o.tokens != "" {
		tokens = strings.Split(o.tokens, ",")
	}
	var snap func() *procSnapshot
	addr := o.addr
	exe, _ := os.Executable()
	child := o.embedded && !o.inProcess && exe != "" && !strings.HasSuffix(exe, ".test")
	// The client holds one descriptor per session; an in-process gateway
	// one more.
	want := uint64(o.idle) + 512
	if o.embedded && !child {
		want += uint64(o.idle)
	}
	res.NoFile = raiseNoFile(want)
	if res.NoFile < want {
		res.Note = fmt.Sprintf("RLIMIT_NOFILE is %d, below the %d descriptors %d sessions need", res.NoFile, want, o.idle)
	}
	switch {
	case child:
		dir, err := os.MkdirTemp("", "steward-bench-idle-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		p, err := startChild(ctx, exe, filepath.Join(dir, "data"))
		if err != nil {
			return nil, err
		}
		defer p.stop()
		addr = p.addr
		pid := p.cmd.Process.Pid
		snap = func() *procSnapshot { return pidSnapshot(pid) }
		res.Mode = "child process: the real binary, `steward serve` with the embedded default configuration (client sockets not counted)"
	case o.embedded:
		gw, err := startEmbedded(ctx, 1)
		if err != nil {
			return nil, err
		}
		defer gw.stop()
		addr = gw.addr
		snap = selfSnapshot
		res.Mode = "in-process: RSS, goroutines and heap include the client's sockets (one reader goroutine per session)"
	default:
		res.Mode = "addr " + addr
		if o.pid > 0 {
			snap = func() *procSnapshot { return pidSnapshot(o.pid) }
		} else {
			res.Note = strings.TrimSpace(res.Note + " RSS n/a: give --pid")
		}
	}
	var before *procSnapshot
	if snap != nil {
		// One session first, so that one-off costs (the first socket's
		// buffers, lazily built tables) are not charged to the N.
		if ws, _, err := dialSession(ctx, addr, tokens[0], o.timeout); err == nil {
			ws.Close()
		}
		if !child {
			settle(500 * time.Millisecond)
		} else {
			time.Sleep(500 * time.Millisecond)
		}
		before = snap()
	}
	var (
		mu     sync.Mutex
		conns  []*websocket.Conn
		closed atomic.Int64
		next   atomic.Int64
		fails  atomic.Int64
		first  atomic.Pointer[string]
		wg     sync.WaitGroup
		rd     sync.WaitGroup
	)
	began := time.Now()
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1)
				if i > int64(o.idle) {
					return
				}
				ws, _, err := dialSession(ctx, addr, tokens[int(i)%len(tokens)], o.timeout)
				if err != nil {
					fails.Add(1)
					msg := err.Error()
					first.CompareAndSwap(nil, &msg)
					if fails.Load() > 100 {
						return // the limit is reached; stop trying
					}
					continue
				}
				mu.Lock()
				conns = append(conns, ws)
				mu.Unlock()
				// A reader per socket answers the server's pings, as a page does.
				rd.Add(1)
				go func() {
					defer rd.Done()
					for {
						if _, _, err := ws.NextReader(); err != nil {
							closed.Add(1)
							return
						}
					}
				}()
			}
		}()
	}
	wg.Wait()
	res.OpenSeconds = round2(time.Since(began).Seconds())
	res.Open = len(conns)
	res.Failures = int(fails.Load())
	if p := first.Load(); p != nil {
		res.FirstError = *p
	}
	if snap != nil {
		if child {
			time.Sleep(o.idleSettle)
		} else {
			settle(o.idleSettle)
		}
		after := snap()
		if o.memprofile != "" && !child && o.addr == "" {
			if err := writeHeapProfile(o.memprofile); err != nil {
				return nil, err
			}
		}
		if before != nil && after != nil {
			res.RSSBefore, res.RSSAfter = before.RSSBytes, after.RSSBytes
			res.Goroutines = [2]int64{before.Goroutines, after.Goroutines}
			res.Threads = [2]int64{before.Threads, after.Threads}
			res.Heap = [2]int64{before.HeapBytes, after.HeapBytes}
			if res.Open > 0 {
				res.PerSession = math.Round(float64(after.RSSBytes-before.RSSBytes) / float64(res.Open))
			}
		}
	}
	res.StillOpen = res.Open - int(closed.Load())
	for _, c := range conns {
		c.Close()
	}
	rd.Wait()
	if res.Open < o.idle && res.Note == "" {
		res.Note = fmt.Sprintf("only %d of %d sessions opened", res.Open, o.idle)
	}
	return res, nil
}

// ---- start-up ----

// childGW is `steward serve` run as a child process.
type childGW struct {
	cmd  *exec.Cmd
	addr string
	logs *tailBuffer
	done chan error
}

func childEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STEWARD_") {
			out = append(out, kv)
		}
	}
	return out
}

// startChild starts `exe serve` on a free loopback port with the embedded
// default configuration and waits until /readyz answers 200.
func startChild(ctx context.Context, exe, data string) (*childGW, error) {
	var last error
	for attempt := 0; attempt < 3; attempt++ {
		p, err := spawnChild(exe, data)
		if err != nil {
			return nil, err
		}
		if err := waitReady(ctx, p.addr, p.done, time.Minute); err != nil {
			p.stop()
			last = fmt.Errorf("%w\n%s", err, p.logs)
			if strings.Contains(p.logs.String(), "address already in use") {
				continue
			}
			return nil, last
		}
		return p, nil
	}
	return nil, last
}

func spawnChild(exe, data string) (*childGW, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	p := &childGW{addr: addr, logs: &tailBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(exe, "serve", "--addr", addr, "--data", data)
	p.cmd.Env = childEnv()
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.done <- p.cmd.Wait() }()
	return p, nil
}

// stop sends SIGTERM and waits (SIGKILL after 30 s).
func (p *childGW) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	p.done <- nil // later stops return at once
}

// runStartup times process start → /readyz 200 for the real binary with the
// embedded default configuration: on a fresh data directory (store created,
// world seeded) and again on the same directory.
func runStartup(ctx context.Context, runs int) (*startupResult, error) {
	res := &startupResult{Fresh: []float64{}, Warm: []float64{}}
	exe, err := os.Executable()
	if err != nil || strings.HasSuffix(exe, ".test") {
		// Not the steward binary (a test): time `serve` in this process.
		res.Mode = "in-process: serve() with the embedded default configuration, to /readyz 200 (this binary is not steward)"
		for i := 0; i < runs; i++ {
			ms, err := inProcessStartup(ctx)
			if err != nil {
				return nil, err
			}
			res.Fresh = append(res.Fresh, ms)
		}
		res.FreshMed = median(res.Fresh)
		return res, nil
	}
	res.Mode = "child process: `" + filepath.Base(exe) + " serve --addr 127.0.0.1:PORT --data DIR` (embedded default configuration), from fork/exec to the first /readyz 200, polled every 1 ms"
	for i := 0; i < runs; i++ {
		dir, err := os.MkdirTemp("", "steward-bench-start-")
		if err != nil {
			return nil, err
		}
		for _, warm := range []bool{false, true} {
			ms, err := timeChild(ctx, exe, filepath.Join(dir, "data"))
			if err != nil {
				os.RemoveAll(dir)
				return nil, err
			}
			if warm {
				res.Warm = append(res.Warm, ms)
			} else {
				res.Fresh = append(res.Fresh, ms)
			}
		}
		os.RemoveAll(dir)
	}
	res.FreshMed, res.WarmMed = median(res.Fresh), median(res.Warm)
	return res, nil
}

func timeChild(ctx context.Context, exe, data string) (float64, error) {
	for attempt := 0; ; attempt++ {
		began := time.Now()
		p, err := spawnChild(exe, data)
		if err != nil {
			return 0, err
		}
		err = waitReady(ctx, p.addr, p.done, time.Minute)
		d := time.Since(began)
		p.stop()
		if err == nil {
			return round2(float64(d) / float64(time.Millisecond)), nil
		}
		if attempt < 2 && strings.Contains(p.logs.String(), "address already in use") {
			continue
		}
		return 0, fmt.Errorf("%w\n%s", err, p.logs)
	}
}

func inProcessStartup(ctx context.Context) (float64, error) {
	dir, err := os.MkdirTemp("", "steward-bench-start-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	addr, err := freeAddr()
	if err != nil {
		return 0, err
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	began := time.Now()
	go func() {
		done <- serve(sctx, []string{"--addr", addr, "--data", filepath.Join(dir, "data")}, io.Discard)
	}()
	err = waitReady(ctx, addr, done, time.Minute)
	d := time.Since(began)
	cancel()
	if err == nil {
		<-done
	}
	return round2(float64(d) / float64(time.Millisecond)), err
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return round2((s[len(s)/2-1] + s[len(s)/2]) / 2)
}

// ---- targets and output ----

// verdicts compares the run with the targets (on the 2-core
// machine): read mix ≥ 20 % of the echo baseline with p99 ≤ 10 ms; no lost
// or misrouted replies and no unexpected errors; 10,000 idle sessions in
// ≤ 300 MB; ready in ≤ 200 ms.
func verdicts(r *benchReport) []targetVerdict {
	var out []targetVerdict
	if l := r.Load; l != nil {
		if l.Mix == "read" && r.Ratio != nil {
			out = append(out, targetVerdict{Target: "read mix ≥ 20 % of the echo baseline", Value: fmt.Sprintf("%.2f %%", *r.Ratio*100), Met: *r.Ratio >= 0.20})
		}
		if l.Mix == "read" {
			out = append(out, targetVerdict{Target: "read mix p99 ≤ 10 ms", Value: fmt.Sprintf("%.1f ms", l.Latency.P99), Met: l.Latency.P99 <= 10})
		}
		unexpected := 0
		for _, n := range l.Errors.Unexpected {
			unexpected += n
		}
		out = append(out, targetVerdict{Target: "no lost or misrouted replies, no unexpected errors",
			Value: fmt.Sprintf("%d lost, %d misrouted, %d duplicate, %d unexpected errors, %d unexpected replies over %d turns", l.Lost, l.Misrouted, l.Duplicates, unexpected, l.OddReplies, l.Turns),
			Met:   l.Lost == 0 && l.Misrouted == 0 && l.Duplicates == 0 && unexpected == 0 && l.OddReplies == 0})
		if l.Mix != "read" {
			out = append(out, targetVerdict{Target: "the default mix over 100,000 turns", Value: fmt.Sprintf("%d turns", l.Turns), Met: l.Turns >= 100000})
		}
	}
	if i := r.Idle; i != nil && i.RSSAfter > 0 {
		proj := i.PerSession * 10000 / (1 << 20)
		out = append(out, targetVerdict{Target: "10,000 idle sessions in ≤ 300 MB RSS",
			Value: fmt.Sprintf("%d open, %.1f KiB/session, %.0f MB total RSS", i.Open, i.PerSession/1024, float64(i.RSSAfter)/(1<<20)),
			Met:   i.Open >= 10000 && float64(i.RSSAfter) <= 300*(1<<20) && proj <= 300})
	}
	if s := r.Startup; s != nil && len(s.Fresh) > 0 {
		out = append(out, targetVerdict{Target: "ready in ≤ 200 ms (embedded default)", Value: fmt.Sprintf("fresh median %.0f ms, warm median %.0f ms", s.FreshMed, s.WarmMed), Met: s.FreshMed <= 200})
	}
	return out
}

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

func snapText(p *procSnapshot) string {
	if p == nil {
		return "n/a"
	}
	s := "RSS " + mb(p.RSSBytes)
	if p.Goroutines >= 0 {
		s += fmt.Sprintf(", %d goroutines", p.Goroutines)
	}
	if p.HeapBytes >= 0 {
		s += ", heap " + mb(p.HeapBytes)
	}
	return s + fmt.Sprintf(", %d threads", p.Threads)
}

func countsText(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", k, m[k])
	}
	return b.String()
}

func latText(l latencyStats) string {
	return fmt.Sprintf("p50 %.2f ms  p95 %.2f ms  p99 %.2f ms  max %.2f ms  (mean %.2f, n %d)", l.P50, l.P95, l.P99, l.Max, l.Mean, l.Count)
}

func printLoad(w io.Writer, name string, l *loadResult) {
	fmt.Fprintf(w, "%s: %s, mix %s (%.1f/%.1f/%.1f %% read/write/destructive), %d actors, %.1f s\n", name, l.Target, l.Mix, l.MixPct[0], l.MixPct[1], l.MixPct[2], l.Concurrency, l.Seconds)
	fmt.Fprintf(w, "  %-16s %d turns, %.1f turns/s; ops %s (%.1f ops/s)\n", "throughput", l.Turns, l.TurnsPerSec, countsText(intMap(l.Ops)), l.OpsPerSec)
	fmt.Fprintf(w, "  %-16s %s\n", "latency", latText(l.Latency))
	classes := make([]string, 0, len(l.ByClass))
	for c := range l.ByClass {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	for _, c := range classes {
		fmt.Fprintf(w, "  %-16s %s\n", "  "+c, latText(l.ByClass[c]))
	}
	fmt.Fprintf(w, "  %-16s expected: %s; unexpected: %s\n", "errors", countsText(l.Errors.Expected), countsText(l.Errors.Unexpected))
	fmt.Fprintf(w, "  %-16s lost %d, misrouted %d, duplicate %d, unexpected replies %d, events %d, reconnects %d\n", "replies", l.Lost, l.Misrouted, l.Duplicates, l.OddReplies, l.Events, l.Reconnects)
	for _, s := range l.OddSamples {
		fmt.Fprintf(w, "  %-16s %s\n", "  sample", s)
	}
	if m := l.Server; m != nil {
		fmt.Fprintf(w, "  %-16s %s\n", "server memory", m.Source)
		fmt.Fprintf(w, "  %-16s %s\n", "  before", snapText(m.Before))
		fmt.Fprintf(w, "  %-16s %s\n", "  loaded", snapText(m.Loaded))
		fmt.Fprintf(w, "  %-16s %s\n", "  after", snapText(m.After))
		if m.Note != "" {
			fmt.Fprintf(w, "  %-16s %s\n", "", m.Note)
		}
	}
}

func intMap(m map[string]int64) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = int(v)
	}
	return out
}

func printReport(w io.Writer, r *benchReport) {
	var b bytes.Buffer
	m := r.Machine
	fmt.Fprintf(&b, "steward bench — %d × %s, %s %s\n", m.CPUs, m.Model, m.Go, m.OS)
	if r.Startup != nil {
		s := r.Startup
		fmt.Fprintf(&b, "start-up: %s\n", s.Mode)
		fmt.Fprintf(&b, "  fresh data dir   median %.1f ms  %v\n", s.FreshMed, s.Fresh)
		if len(s.Warm) > 0 {
			fmt.Fprintf(&b, "  same data dir    median %.1f ms  %v\n", s.WarmMed, s.Warm)
		}
	}
	if i := r.Idle; i != nil {
		fmt.Fprintf(&b, "idle sessions: %s\n", i.Mode)
		fmt.Fprintf(&b, "  %d of %d open in %.1f s (%d still open at the reading; %d failures; RLIMIT_NOFILE %d)\n", i.Open, i.Requested, i.OpenSeconds, i.StillOpen, i.Failures, i.NoFile)
		if i.RSSAfter > 0 {
			fmt.Fprintf(&b, "  RSS %s → %s: %.1f KiB per session; threads %d → %d\n", mb(i.RSSBefore), mb(i.RSSAfter), i.PerSession/1024, i.Threads[0], i.Threads[1])
			if i.Goroutines[0] >= 0 {
				fmt.Fprintf(&b, "  goroutines %d → %d, Go heap %s → %s\n", i.Goroutines[0], i.Goroutines[1], mb(i.Heap[0]), mb(i.Heap[1]))
			}
		}
		if i.FirstError != "" {
			fmt.Fprintf(&b, "  first error: %s\n", i.FirstError)
		}
		if i.Note != "" {
			fmt.Fprintf(&b, "  note: %s\n", i.Note)
		}
	}
	if r.Baseline != nil {
		printLoad(&b, "baseline", r.Baseline)
	}
	if r.Load != nil {
		printLoad(&b, "load", r.Load)
	}
	if r.Ratio != nil {
		fmt.Fprintf(&b, "ratio to the echo baseline: %.2f %% (%.1f / %.1f turns/s)\n", *r.Ratio*100, r.Load.TurnsPerSec, r.Baseline.TurnsPerSec)
	}
	if r.Profile != "" {
		fmt.Fprintf(&b, "cpu profile: %s (go tool pprof -top %s)\n", r.Profile, r.Profile)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	if len(r.Targets) > 0 {
		fmt.Fprintln(&b, "targets:")
		for _, t := range r.Targets {
			mark := "NOT MET"
			if t.Met {
				mark = "met"
			}
			fmt.Fprintf(&b, "  %-8s %s: %s\n", mark, t.Target, t.Value)
		}
	}
	_, _ = w.Write(b.Bytes())
}
