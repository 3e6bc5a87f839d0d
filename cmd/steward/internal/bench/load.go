package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// runLoad runs the actors against addr and gathers their figures. The
// actors' sockets are still open when it returns; closeActors closes them.
func runLoad(ctx context.Context, o *options, addr string, tokens []string, echo bool) (*loadResult, []*actor, error) {
	sh := &shared{o: o, addr: addr, echo: echo, run: fmt.Sprintf("b%x", time.Now().UnixNano()&0xffffffffff), turnIDs: map[uint64]uint64{}}
	sh.budget.Store(int64(o.turns))
	if n := uint64(o.concurrency)*2 + 256; n > 1024 {
		raiseNoFile(n)
	}
	actors := make([]*actor, o.concurrency)
	for i := range actors {
		actors[i] = newActor(sh, i+1, tokens[i%len(tokens)])
	}
	errs := make(chan error, o.concurrency)
	eachActor(actors, func(a *actor) {
		if err := a.connect(ctx); err != nil {
			errs <- fmt.Errorf("actor %d: %w", a.n, err)
			return
		}
		if !echo && o.mixR < 1 {
			a.probe()
		}
	})
	close(errs)
	if err := <-errs; err != nil {
		closeActors(actors)
		return nil, nil, err
	}
	lctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	began := time.Now()
	eachActor(actors, func(a *actor) { a.loop(lctx) })
	elapsed := time.Since(began)
	// Put the world back, bounded by the level-4 cooling period.
	dctx, dcancel := context.WithTimeout(ctx, 90*time.Second)
	defer dcancel()
	eachActor(actors, func(a *actor) { a.drain(dctx) })
	res := merge(actors, elapsed)
	res.Concurrency, res.State = o.concurrency, o.state
	res.Mix = o.mix
	res.MixPct = [3]float64{round2(o.mixR * 100), round2(o.mixW * 100), round2(o.mixD * 100)}
	if echo {
		res.Mix, res.MixPct = "read", [3]float64{100, 0, 0}
	}
	res.OddSamples = sh.odd
	return res, actors, nil
}

// eachActor runs f for every actor at once and waits until all return.
func eachActor(actors []*actor, f func(*actor)) {
	var wg sync.WaitGroup
	for _, a := range actors {
		wg.Go(func() { f(a) })
	}
	wg.Wait()
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
		r.Errors.add(a)
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
func runGatewayLoad(ctx context.Context, o *options, serve ServeFunc, stderr io.Writer) (*loadResult, []string, error) {
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
		if gw, err = startEmbedded(ctx, serve, o.concurrency, o.state); err != nil {
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
func runLoadSnap(ctx context.Context, o *options, addr string, tokens []string, snap func() *procSnapshot, mem *serverMemory) (*loadResult, error) {
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
