package bench

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/steward-os/steward/configs"
)

// The default workload mix, in percent of operations: the mix published for
// a production ICNLI deployment (79 % reads, 18.3 % writes, 2.6 %
// destructive; the 0.1 % left over goes to reads).
const (
	mixReadPct        = 79.0
	mixWritePct       = 18.3
	mixDestructivePct = 2.6
)

// options are the command's flags.
type options struct {
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
	state       int
	memprofile  string
	soak        bool // soak.go
	sessions    int
	turnsPerSes int

	mixR, mixW, mixD float64 // parsed --mix, fractions summing to 1
}

func newFlagSet(o *options, stderr io.Writer) *flag.FlagSet {
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
	fs.IntVar(&o.state, "state", 0, "the stored-state scenario: the first bench tenant (actor 1's) holds this many more tasks; its reads are timed as class read_stateful (per-turn cost must not grow with them)")
	fs.DurationVar(&o.idleSettle, "idle-settle", 2*time.Second, "with --idle: how long the sessions sit idle before the memory reading")
	fs.BoolVar(&o.soak, "soak", false, "with --embedded: the soak, --sessions sessions of --turns-per-session turns on --concurrency actors, memory and latency at each tenth (instead of the load run)")
	fs.IntVar(&o.sessions, "sessions", 1000, "with --soak: how many sessions (each a new socket)")
	fs.IntVar(&o.turnsPerSes, "turns-per-session", 100, "with --soak: the turns of each session")
	fs.BoolVar(&o.inProcess, "in-process", false, "with --idle --embedded: keep the gateway in this process (RSS then includes the client's sockets; goroutines and Go heap are reported)")
	return fs
}

// parseOptions parses and checks the flags that do not depend on the
// target.
func parseOptions(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := newFlagSet(o, stderr)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if o.mixR, o.mixW, o.mixD, err = parseMix(o.mix); err != nil {
		return nil, err
	}
	if o.concurrency < 1 || o.concurrency > 10000 {
		return nil, fmt.Errorf("--concurrency %d: want 1–10000", o.concurrency)
	}
	if o.turns < 0 || o.idle < 0 || o.startup < 0 || o.startup > 100 || o.duration < 0 {
		return nil, errors.New("--turns, --idle, --duration and --startup (≤ 100) must not be negative")
	}
	if o.soak && (o.sessions < 1 || o.turnsPerSes < 1 || o.idle > 0 || o.turns > 0) {
		return nil, errors.New("--soak needs --sessions and --turns-per-session of at least 1, and goes without --idle and --turns")
	}
	if o.timeout <= 0 {
		return nil, errors.New("--timeout must be positive")
	}
	return o, nil
}

// hasTarget reports whether a gateway is to be driven (--embedded or
// --addr).
func (o *options) hasTarget() bool { return o.embedded || o.addr != "" }

// checkTarget checks the target flags and fills in the default duration.
func (o *options) checkTarget() error {
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
	if !o.hasTarget() && !o.baseline && o.startup == 0 {
		return errors.New("nothing to do: give --embedded or --addr HOST:PORT (and/or --baseline, --idle N, --startup N); see docs/performance.md")
	}
	if o.idle > 0 && !o.hasTarget() {
		return errors.New("--idle needs --embedded or --addr")
	}
	if o.duration == 0 {
		if o.turns > 0 {
			o.duration = 30 * time.Minute
		} else {
			o.duration = 10 * time.Second
		}
	}
	return nil
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

func limitText(o *options) string {
	if o.turns > 0 {
		return fmt.Sprintf("%d turns (at most %s)", o.turns, o.duration)
	}
	return o.duration.String()
}
