// Package conformance is `steward conformance`: one black-box check per
// row of docs/conformance.md against a live gateway with the demo world,
// a table of pass / fail / n/a by requirement id and level, and an error
// when a MUST at the claimed level fails.
//
// Contract. Without --addr it runs the real gateway in this process
// (`serve`, injected by cmd/steward) on a fresh temporary data directory
// with the embedded default configuration, metrics on a free loopback
// port, JSON logs at debug level and spans exported to a receiver of its
// own; after the live checks it stops the gateway and reads the data
// directory (audit trail, ledger) for the checks that need it. With
// --addr it checks a running gateway over HTTP only (it must serve the
// demo world with demo tokens); checks that need the log, the spans or
// the data directory are then not applicable. It removes what it created.
package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// ServeFunc is `steward serve`, run in this process until ctx ends.
type ServeFunc func(ctx context.Context, args []string, logs io.Writer) error

// Result of one row.
type Result struct {
	ID     string `json:"id"`
	Level  int    `json:"level"`
	Must   bool   `json:"must"`
	Text   string `json:"requirement"`
	Status string `json:"status"` // pass, fail, n/a
	Detail string `json:"detail,omitempty"`
}

// runner holds one run's gateway and shared state.
type runner struct {
	c       *client
	metrics string      // HOST:PORT of /metrics, "" when unknown
	logs    *syncBuffer // the in-process gateway's log
	col     *collector  // the in-process gateway's span receiver
	dir     string      // the in-process gateway's data directory
	pending []func(*audited) error
	l4      *reply
	l4At    time.Time
}

// offline defers a check of the data directory until the gateway stops;
// against --addr it is not applicable.
func (r *runner) offline(fn func(*audited) error) error {
	if r.dir == "" {
		return fmt.Errorf("%w: needs the data directory (run without --addr)", errNA)
	}
	r.pending = append(r.pending, fn)
	return nil
}

// Run runs the command; claimed is the conformance level the kernel claims.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, serve ServeFunc, claimed int) error {
	fs := flag.NewFlagSet("conformance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "", "check a running gateway at HOST:PORT (default: start one in this process)")
	metrics := fs.String("metrics", "", "with --addr: the gateway's metrics listener HOST:PORT")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r := &runner{c: &client{http: &http.Client{Timeout: 30 * time.Second}}, metrics: *metrics}
	stop := func() error { return nil }
	if *addr == "" {
		var err error
		if stop, err = r.start(ctx, serve); err != nil {
			return err
		}
	} else {
		r.c.base = "http://" + *addr
	}
	results := r.run(ctx, stop)
	if r.dir != "" {
		os.RemoveAll(r.dir)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"claimed_level": claimed, "results": results}); err != nil {
			return err
		}
	} else {
		print(stdout, results, claimed)
	}
	var failed []string
	for _, res := range results {
		if res.Status == "fail" && res.Must && res.Level <= claimed {
			failed = append(failed, res.ID)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d MUST requirement(s) at level %d failed: %s", len(failed), claimed, strings.Join(failed, ", "))
	}
	return nil
}

// run runs every row's check (SAFE-07, which waits out a cooling period,
// last), stops the gateway, then the checks of the data directory.
func (r *runner) run(ctx context.Context, stop func() error) []Result {
	rs := rows()
	results := make([]Result, len(rs))
	owner := map[int]int{} // pending index → row
	order := make([]int, 0, len(rs))
	late := -1
	for i, rw := range rs {
		if rw.ID == "SAFE-07" {
			late = i
			continue
		}
		order = append(order, i)
	}
	if late >= 0 {
		order = append(order, late)
	}
	for _, i := range order {
		rw := rs[i]
		results[i] = Result{ID: rw.ID, Level: rw.Level, Must: rw.Must, Text: rw.Text, Status: "n/a", Detail: rw.na}
		if rw.check == nil {
			continue
		}
		before := len(r.pending)
		err := rw.check(ctx, r)
		for p := before; p < len(r.pending); p++ {
			owner[p] = i
		}
		results[i].Status, results[i].Detail = verdict(err)
	}
	if err := stop(); err != nil {
		results = append(results, Result{ID: "gateway", Status: "fail", Must: true, Detail: "stop: " + err.Error()})
	}
	if len(r.pending) == 0 {
		return results
	}
	a, err := readAudit(ctx, filepath.Join(r.dir, "data"))
	for p, fn := range r.pending {
		i := owner[p]
		if results[i].Status != "pass" {
			continue
		}
		e := err
		if e == nil {
			e = fn(a)
		}
		results[i].Status, results[i].Detail = verdict(e)
	}
	if a != nil {
		a.st.Close()
	}
	return results
}

func verdict(err error) (string, string) {
	switch {
	case err == nil:
		return "pass", ""
	case errors.Is(err, errNA):
		return "n/a", strings.TrimPrefix(err.Error(), errNA.Error()+": ")
	}
	return "fail", err.Error()
}

var reMetrics = regexp.MustCompile(`"metrics":"(127\.0\.0\.1:\d+)"`)

// start runs the gateway in this process and returns what stops it and
// removes its directory.
func (r *runner) start(ctx context.Context, serve ServeFunc) (func() error, error) {
	dir, err := os.MkdirTemp("", "steward-conformance-")
	if err != nil {
		return nil, err
	}
	col, err := startCollector()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	r.dir, r.col, r.logs, r.c.base = dir, col, &syncBuffer{}, "http://"+addr
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() {
		done <- serve(sctx, []string{"--addr", addr, "--data", filepath.Join(dir, "data"),
			"--set", "metrics.addr=127.0.0.1:0", "--set", "log.format=json", "--set", "log.level=debug",
			"--set", "tracing.exporter=otlp-http", "--set", "tracing.endpoint=" + col.addr}, r.logs)
	}()
	stop := func() error {
		cancel()
		var err error
		select {
		case err = <-done:
		case <-time.After(60 * time.Second):
			err = errors.New("the gateway did not stop within 60 s")
		}
		_ = col.srv.Close()
		return err
	}
	if err := r.waitReady(ctx, done); err != nil {
		_ = stop()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%w\n%s", err, r.logs.String())
	}
	if m := reMetrics.FindStringSubmatch(r.logs.String()); m != nil {
		r.metrics = m[1]
	}
	return stop, nil
}

func (r *runner) waitReady(ctx context.Context, done <-chan error) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			return fmt.Errorf("the gateway exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if st, _, err := r.c.get(ctx, r.c.base+"/readyz"); err == nil && st == 200 && reMetrics.MatchString(r.logs.String()) {
			return nil
		}
	}
	return errors.New("the gateway was not ready within 2 minutes")
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// print writes the results as a table.
func print(w io.Writer, results []Result, claimed int) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLEVEL\tKIND\tSTATUS\tREQUIREMENT\tDETAIL")
	count := map[string]int{}
	for _, r := range results {
		kind := "SHOULD"
		if r.Must {
			kind = "MUST"
		}
		count[r.Status]++
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", r.ID, r.Level, kind, r.Status, r.Text, r.Detail)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nclaimed level %d: %d pass, %d fail, %d not applicable\n", claimed, count["pass"], count["fail"], count["n/a"])
}

// syncBuffer is a log the gateway writes while the checks read it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
