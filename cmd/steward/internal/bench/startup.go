package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// runStartup times process start → /readyz 200 for the real binary with the
// embedded default configuration: on a fresh data directory (store created,
// world seeded) and again on the same directory.
func runStartup(ctx context.Context, serve ServeFunc, runs int) (*startupResult, error) {
	res := &startupResult{Fresh: []float64{}, Warm: []float64{}}
	exe, err := os.Executable()
	if err != nil || strings.HasSuffix(exe, ".test") {
		// Not the steward binary (a test): time `serve` in this process.
		res.Mode = "in-process: serve() with the embedded default configuration, to /readyz 200 (this binary is not steward)"
		for i := 0; i < runs; i++ {
			ms, err := inProcessStartup(ctx, serve)
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

func inProcessStartup(ctx context.Context, serve ServeFunc) (float64, error) {
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
