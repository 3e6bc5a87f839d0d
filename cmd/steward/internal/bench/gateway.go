package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

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

// startEmbedded runs serve (`steward serve`, the same function the command
// runs) in this process with a bench configuration for n actors and a fresh
// data directory, and waits for /readyz.
func startEmbedded(ctx context.Context, serve ServeFunc, n, state int) (*embeddedGW, error) {
	dir, err := os.MkdirTemp("", "steward-bench-")
	if err != nil {
		return nil, err
	}
	cfgPath, err := writeBenchFiles(dir, n, state)
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
		if err := waitReady(ctx, addr, g.done, 2*time.Minute+time.Duration(n*state)*time.Millisecond); err != nil {
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
