package bench

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// runIdle opens o.idle idle authenticated sessions and reports the
// gateway's RSS per session. With --embedded the gateway is the real
// binary in a child process (embedded default configuration, fresh data
// directory), so that the client's own sockets are not counted; when this
// process is not the steward binary (a test), it is this process.
func runIdle(ctx context.Context, o *options, serve ServeFunc) (*idleResult, error) {
	res := &idleResult{Requested: o.idle, Goroutines: [2]int64{-1, -1}, Heap: [2]int64{-1, -1}}
	tokens := []string{"demo-alice", "demo-bob", "demo-carol", "demo-dave"}
	if o.tokens != "" {
		tokens = strings.Split(o.tokens, ",")
	}
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
	t, err := idleGateway(ctx, o, serve, exe, child, res)
	if err != nil {
		return nil, err
	}
	defer t.stop()
	var before *procSnapshot
	if t.snap != nil {
		before = t.before(ctx, tokens[0], o.timeout)
	}
	p := &idlePool{}
	began := time.Now()
	p.open(ctx, t.addr, tokens, o.idle, o.timeout)
	res.OpenSeconds = round2(time.Since(began).Seconds())
	res.Open = len(p.conns)
	res.Failures = int(p.fails.Load())
	if e := p.first.Load(); e != nil {
		res.FirstError = *e
	}
	if t.snap != nil {
		if err := t.after(o, before, res); err != nil {
			return nil, err
		}
	}
	res.StillOpen = res.Open - int(p.closed.Load())
	p.closeAll()
	if res.Open < o.idle && res.Note == "" {
		res.Note = fmt.Sprintf("only %d of %d sessions opened", res.Open, o.idle)
	}
	return res, nil
}

// idleTarget is the gateway the idle sessions go to.
type idleTarget struct {
	addr  string
	child bool                 // a child process: no GC of ours helps it settle
	snap  func() *procSnapshot // nil: its memory cannot be read
	stop  func()
}

// idleGateway starts the gateway for runIdle (a child process, or serve in
// this process) or takes --addr, and sets res.Mode.
func idleGateway(ctx context.Context, o *options, serve ServeFunc, exe string, child bool, res *idleResult) (*idleTarget, error) {
	switch {
	case child:
		dir, err := os.MkdirTemp("", "steward-bench-idle-")
		if err != nil {
			return nil, err
		}
		p, err := startChild(ctx, exe, filepath.Join(dir, "data"))
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		pid := p.cmd.Process.Pid
		res.Mode = "child process: the real binary, `steward serve` with the embedded default configuration (client sockets not counted)"
		return &idleTarget{addr: p.addr, child: true, snap: func() *procSnapshot { return pidSnapshot(pid) },
			stop: func() { p.stop(); os.RemoveAll(dir) }}, nil
	case o.embedded:
		gw, err := startEmbedded(ctx, serve, 1, 0)
		if err != nil {
			return nil, err
		}
		res.Mode = "in-process: RSS, goroutines and heap include the client's sockets (one reader goroutine per session)"
		return &idleTarget{addr: gw.addr, snap: selfSnapshot, stop: func() { _ = gw.stop() }}, nil
	}
	t := &idleTarget{addr: o.addr, stop: func() {}}
	res.Mode = "addr " + o.addr
	if o.pid > 0 {
		t.snap = func() *procSnapshot { return pidSnapshot(o.pid) }
	} else {
		res.Note = strings.TrimSpace(res.Note + " RSS n/a: give --pid")
	}
	return t, nil
}

// wait lets the gateway settle for d (after a GC when it is this process).
func (t *idleTarget) wait(d time.Duration) {
	if t.child {
		time.Sleep(d)
	} else {
		settle(d)
	}
}

// before is the memory reading before the sessions open. One session
// comes first, so that one-off costs (the first socket's buffers, lazily
// built tables) are not charged to the N.
func (t *idleTarget) before(ctx context.Context, token string, timeout time.Duration) *procSnapshot {
	if ws, _, err := dialSession(ctx, t.addr, token, timeout); err == nil {
		ws.Close()
	}
	t.wait(500 * time.Millisecond)
	return t.snap()
}

// after is the memory reading once the sessions have sat idle for
// --idle-settle (and, if asked, the heap profile); it fills in res.
func (t *idleTarget) after(o *options, before *procSnapshot, res *idleResult) error {
	t.wait(o.idleSettle)
	after := t.snap()
	if o.memprofile != "" && !t.child && o.addr == "" {
		if err := writeHeapProfile(o.memprofile); err != nil {
			return err
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
	return nil
}

// idlePool is the idle sessions: each has a reader that answers the
// server's pings, as a page does.
type idlePool struct {
	mu     sync.Mutex
	conns  []*websocket.Conn
	closed atomic.Int64 // sessions the server closed
	next   atomic.Int64
	fails  atomic.Int64
	first  atomic.Pointer[string] // the first dial error
	rd     sync.WaitGroup
}

// open dials n sessions, 32 at a time, round-robin over tokens.
func (p *idlePool) open(ctx context.Context, addr string, tokens []string, n int, timeout time.Duration) {
	var wg sync.WaitGroup
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.dial(ctx, addr, tokens, n, timeout)
		}()
	}
	wg.Wait()
}

func (p *idlePool) dial(ctx context.Context, addr string, tokens []string, n int, timeout time.Duration) {
	for ctx.Err() == nil {
		i := p.next.Add(1)
		if i > int64(n) {
			return
		}
		ws, _, err := dialSession(ctx, addr, tokens[int(i)%len(tokens)], timeout)
		if err != nil {
			p.fails.Add(1)
			msg := err.Error()
			p.first.CompareAndSwap(nil, &msg)
			if p.fails.Load() > 100 {
				return // the limit is reached; stop trying
			}
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, ws)
		p.mu.Unlock()
		p.rd.Add(1)
		go p.read(ws)
	}
}

// read reads ws (answering pings) until it is closed.
func (p *idlePool) read(ws *websocket.Conn) {
	defer p.rd.Done()
	for {
		if _, _, err := ws.NextReader(); err != nil {
			p.closed.Add(1)
			return
		}
	}
}

// closeAll closes the sessions and waits for their readers.
func (p *idlePool) closeAll() {
	for _, c := range p.conns {
		c.Close()
	}
	p.rd.Wait()
}
