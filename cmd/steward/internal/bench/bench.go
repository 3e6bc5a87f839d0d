// Package bench is `steward bench`: a load tool that drives a gateway over
// the web channel's WebSocket protocol (docs/web.md) and reports turns/s,
// latency percentiles, errors by code, lost or misrouted replies and the
// server's memory; plus a bare echo baseline, idle-session memory and
// start-up time. See docs/performance.md for the commands and the figures.
//
// Contract. Run takes the command's arguments and prints one report on
// stdout, a table or (--json) one JSON object, with progress on stderr
// unless --json; flags, output and report keys are those of the command.
// It needs the command's serve function, injected by the caller, to start
// a gateway in this process (--embedded, and start-up timing when this
// binary is not steward); the real binary it runs as a child is
// os.Executable() with `serve`. Everything it starts listens on 127.0.0.1
// only, it drives loopback gateways only, every loop is bounded by a turn
// count or a duration, and it stops by itself: it never leaves a gateway,
// a child process or a temporary directory behind, and outside its
// temporary directories it writes only where --write-config, --cpuprofile
// or --memprofile say.
package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// ServeFunc is `steward serve`: it runs a gateway with the command's
// arguments (--config, --addr, --data), writes its log to logs, and returns
// once ctx ends and the gateway has shut down.
type ServeFunc func(ctx context.Context, args []string, logs io.Writer) error

// Run is `steward bench ARGS…`; serve starts the in-process gateways.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, serve ServeFunc) error {
	if serve == nil {
		return errors.New("bench: no serve function")
	}
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	if o.writeConfig != "" {
		p, err := writeBenchFiles(o.writeConfig, o.concurrency, o.state)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s (%d bench tenants); run: steward serve --config %s --data DIR\n", p, o.concurrency, p)
		return nil
	}
	if err := o.checkTarget(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := measure(ctx, o, serve, stderr)
	if err != nil {
		return err
	}
	if o.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printReport(stdout, rep)
	return nil
}

// measure runs what the options ask for, in this order: start-ups, idle
// sessions or the load, then the baseline, and compares the figures with
// the targets.
func measure(ctx context.Context, o *options, serve ServeFunc, stderr io.Writer) (*report, error) {
	progress := func(format string, a ...any) {
		if !o.jsonOut {
			fmt.Fprintf(stderr, "bench: "+format+"\n", a...)
		}
	}
	rep := &report{Machine: machine()}
	if o.startup > 0 {
		progress("timing %d start-ups of the real binary", o.startup)
		r, err := runStartup(ctx, serve, o.startup)
		if err != nil {
			return nil, err
		}
		rep.Startup = r
	}
	if o.idle > 0 {
		progress("opening %d idle sessions", o.idle)
		r, err := runIdle(ctx, o, serve)
		if err != nil {
			return nil, err
		}
		rep.Idle = r
	}
	if o.soak {
		progress("soak: %d sessions × %d turns on %d actors, mix %s", o.sessions, o.turnsPerSes, o.concurrency, o.mix)
		r, err := runSoak(ctx, o, serve, stderr)
		if err != nil && r == nil {
			return nil, err
		}
		if err != nil { // interrupted: report the tenths read so far
			rep.Notes = append(rep.Notes, err.Error())
		}
		rep.Soak = r
	}
	if o.hasTarget() && o.idle == 0 && !o.soak {
		progress("load: %d actors, mix %s, %s", o.concurrency, o.mix, limitText(o))
		r, notes, err := runGatewayLoad(ctx, o, serve, stderr)
		if err != nil {
			return nil, err
		}
		rep.Load = r
		rep.Notes = append(rep.Notes, notes...)
		rep.Profile = o.cpuprofile
	}
	// The baseline runs after the load, so that its garbage is not in the
	// gateway's memory figures.
	if o.baseline {
		progress("baseline: %d actors against a bare echo server", o.concurrency)
		r, err := runBaseline(ctx, o)
		if err != nil {
			return nil, err
		}
		rep.Baseline = r
		if rep.Load != nil && r.TurnsPerSec > 0 {
			ratio := rep.Load.TurnsPerSec / r.TurnsPerSec
			rep.Ratio = &ratio
		}
	}
	rep.Targets = append(verdicts(rep), soakVerdicts(rep.Soak)...)
	return rep, nil
}
