package bench

// The soak: many sessions, one after another on each actor, each a fresh
// WebSocket that signs in, runs its turns of the mix, puts its world back
// and closes; memory and latency read at every tenth of the sessions.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// soakPoint is one reading: the sessions finished so far, and the turns
// of the sessions finished since the previous reading.
type soakPoint struct {
	Sessions    int64        `json:"sessions_done"`
	Turns       int64        `json:"turns"`
	Seconds     float64      `json:"seconds"`
	TurnsPerSec float64      `json:"turns_per_s"`
	Latency     latencyStats `json:"latency"`
	RSSBytes    int64        `json:"rss_bytes"`
	HeapLive    int64        `json:"heap_live_bytes"` // live heap after the last GC
	Goroutines  int64        `json:"goroutines"`
}

type soakResult struct {
	Sessions        int          `json:"sessions"`
	TurnsPerSession int          `json:"turns_per_session"`
	Concurrency     int          `json:"concurrency"`
	Mix             string       `json:"mix"`
	Done            int64        `json:"sessions_done"`
	Seconds         float64      `json:"seconds"`
	Turns           int64        `json:"turns"`
	TurnsPerSec     float64      `json:"turns_per_s"`
	Latency         latencyStats `json:"latency"`
	Errors          errorCounts  `json:"errors"`
	Lost            int64        `json:"lost"`
	Misrouted       int64        `json:"misrouted"`
	Duplicates      int64        `json:"duplicates"`
	OddReplies      int64        `json:"unexpected_replies"`
	OddSamples      []string     `json:"unexpected_reply_samples,omitempty"`
	Reconnects      int64        `json:"reconnects"`
	Before          soakPoint    `json:"before"`
	Points          []soakPoint  `json:"points"` // one per tenth of the sessions
	Start           *soakPoint   `json:"start"`  // the first tenth
	Middle          *soakPoint   `json:"middle"` // the fifth
	End             *soakPoint   `json:"end"`    // the last
	RSSGrowth       float64      `json:"rss_growth_percent"`
	HeapGrowth      float64      `json:"heap_live_growth_percent"`
	Note            string       `json:"note"`
	Failed          string       `json:"first_failure,omitempty"`
}

// soakRun is the state the soak's workers share.
type soakRun struct {
	o       *options
	addr    string
	base    string
	next    atomic.Int64 // sessions started
	mu      sync.Mutex
	res     *soakResult
	lat     []time.Duration // this tenth's
	all     []time.Duration
	segTurn int64
	segAt   time.Time
	every   int64
	stderr  io.Writer
}

// add counts an actor's errors, expected and not, and an actor that
// stopped because its socket could not be reopened.
func (e errorCounts) add(a *actor) {
	for c, n := range a.st.expected {
		e.Expected[c] += n
	}
	for c, n := range a.st.unexpected {
		e.Unexpected[c] += n
	}
	if a.dead != nil {
		e.Unexpected["bench:actor_stopped"]++
	}
}

// soakReading reads this process's memory (the gateway and the client).
func soakReading() soakPoint {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/sched/goroutines:goroutines"}}
	metrics.Read(s)
	p := soakPoint{}
	if s[0].Value.Kind() == metrics.KindUint64 {
		p.HeapLive = int64(s[0].Value.Uint64())
	}
	if s[1].Value.Kind() == metrics.KindUint64 {
		p.Goroutines = int64(s[1].Value.Uint64())
	}
	p.RSSBytes, _, _ = readProc("self")
	return p
}

// runSoak runs o.sessions sessions of o.turnsPerSes turns each on
// o.concurrency actors against an embedded gateway.
func runSoak(ctx context.Context, o *options, serve ServeFunc, stderr io.Writer) (*soakResult, error) {
	if !o.embedded {
		return nil, errors.New("--soak runs against the embedded gateway: give --embedded")
	}
	gw, err := startEmbedded(ctx, serve, o.concurrency, o.state)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := gw.stop(); err != nil {
			fmt.Fprintf(stderr, "bench: stopping the embedded gateway: %v\n", err)
		}
	}()
	raiseNoFile(uint64(o.concurrency)*4 + 256)
	res := &soakResult{Sessions: o.sessions, TurnsPerSession: o.turnsPerSes, Concurrency: o.concurrency, Mix: o.mix,
		Errors: errorCounts{Expected: map[string]int{}, Unexpected: map[string]int{}},
		Note:   "the gateway shares this process with the bench client: memory includes the client's sockets and goroutines"}
	settle(100 * time.Millisecond)
	res.Before = soakReading()
	sr := &soakRun{o: o, addr: gw.addr, base: fmt.Sprintf("s%x", time.Now().UnixNano()&0xffffffffff), res: res,
		every: max(1, int64(o.sessions)/10), segAt: time.Now(), stderr: stderr}
	began := time.Now()
	var wg sync.WaitGroup
	for w := 1; w <= o.concurrency; w++ {
		wg.Go(func() { sr.worker(ctx, w) })
	}
	wg.Wait()
	res.Seconds = round2(time.Since(began).Seconds())
	if len(sr.lat) > 0 || res.Done%sr.every != 0 {
		sr.point() // the sessions after the last full tenth
	}
	res.Latency = stats(sr.all)
	if res.Seconds > 0 {
		res.TurnsPerSec = round2(float64(res.Turns) / res.Seconds)
	}
	res.summarise()
	if err := ctx.Err(); err != nil && res.Done < int64(o.sessions) {
		return res, fmt.Errorf("soak stopped after %d of %d sessions: %w", res.Done, o.sessions, err)
	}
	return res, nil
}

// summarise names the start, middle and end readings and the growth
// from the first tenth to the end.
func (r *soakResult) summarise() {
	if len(r.Points) == 0 {
		return
	}
	r.Start, r.End = &r.Points[0], &r.Points[len(r.Points)-1]
	r.Middle = &r.Points[(len(r.Points)-1)/2]
	if r.Start.RSSBytes > 0 {
		r.RSSGrowth = round2(100 * float64(r.End.RSSBytes-r.Start.RSSBytes) / float64(r.Start.RSSBytes))
	}
	if r.Start.HeapLive > 0 {
		r.HeapGrowth = round2(100 * float64(r.End.HeapLive-r.Start.HeapLive) / float64(r.Start.HeapLive))
	}
}

// worker runs sessions until all are started, each as actor n.
func (sr *soakRun) worker(ctx context.Context, n int) {
	token := "demo-" + benchUser(n)
	for ctx.Err() == nil {
		i := sr.next.Add(1)
		if i > int64(sr.o.sessions) {
			return
		}
		a, err := sr.session(ctx, n, token, i)
		sr.finish(a, err)
	}
}

// session runs one session: a new socket, a look at the world, its turns,
// the world put back, the socket closed.
func (sr *soakRun) session(ctx context.Context, n int, token string, i int64) (*actor, error) {
	so := *sr.o
	so.turns, so.seed, so.level4 = sr.o.turnsPerSes, sr.o.seed+uint64(i), false
	so.duration = 10 * time.Minute // an upper bound: a session ends when its turns are done
	sh := &shared{o: &so, addr: sr.addr, run: fmt.Sprintf("%s-%d", sr.base, i), turnIDs: map[uint64]uint64{}}
	sh.budget.Store(int64(so.turns))
	a := newActor(sh, n, token)
	if err := a.connect(ctx); err != nil {
		return a, fmt.Errorf("session %d: %w", i, err)
	}
	defer closeActors([]*actor{a})
	if so.mixR < 1 {
		a.probe()
	}
	lctx, cancel := context.WithTimeout(ctx, so.duration)
	defer cancel()
	a.loop(lctx)
	dctx, dcancel := context.WithTimeout(ctx, 90*time.Second)
	defer dcancel()
	a.drain(dctx)
	if a.sh.budget.Load() > 0 && ctx.Err() == nil {
		return a, fmt.Errorf("session %d: stopped with %d turns left", i, a.sh.budget.Load())
	}
	return a, nil
}

// finish adds a session's figures and takes a reading at each tenth.
func (sr *soakRun) finish(a *actor, err error) {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	r := sr.res
	if err != nil && r.Failed == "" {
		r.Failed = err.Error()
	}
	if a == nil {
		return
	}
	s := &a.st
	for _, l := range s.lat {
		sr.lat = append(sr.lat, l...)
	}
	r.Errors.add(a)
	r.Turns += s.turns
	sr.segTurn += s.turns
	r.Lost += s.lost
	r.Misrouted += s.misrouted
	r.Duplicates += s.duplicates
	r.OddReplies += s.odd
	r.Reconnects += s.reconnects
	if len(r.OddSamples) < 5 {
		r.OddSamples = append(r.OddSamples, a.sh.odd...)
	}
	if err == nil {
		r.Done++
		if r.Done%sr.every == 0 {
			sr.point()
		}
	}
}

// point takes a reading (sr.mu held) and starts the next tenth.
func (sr *soakRun) point() {
	p := soakReading()
	p.Sessions, p.Turns = sr.res.Done, sr.segTurn
	p.Seconds = round2(time.Since(sr.segAt).Seconds())
	if p.Seconds > 0 {
		p.TurnsPerSec = round2(float64(p.Turns) / p.Seconds)
	}
	p.Latency = stats(sr.lat)
	sr.res.Points = append(sr.res.Points, p)
	sr.all = append(sr.all, sr.lat...)
	sr.lat, sr.segTurn, sr.segAt = nil, 0, time.Now()
	if !sr.o.jsonOut {
		fmt.Fprintf(sr.stderr, "bench: soak %d/%d sessions, %.1f turns/s, p50 %.1f ms, p99 %.1f ms, RSS %s, live heap %s\n",
			p.Sessions, sr.o.sessions, p.TurnsPerSec, p.Latency.P50, p.Latency.P99, mb(p.RSSBytes), mb(p.HeapLive))
	}
}

// soakVerdicts: crash-free (every session finished; nothing lost,
// misrouted, duplicated or unexpected) and memory bounded (RSS and live
// heap at the end within 50 % of the first tenth's).
func soakVerdicts(r *soakResult) []targetVerdict {
	if r == nil {
		return nil
	}
	unexpected := 0
	for _, n := range r.Errors.Unexpected {
		unexpected += n
	}
	out := []targetVerdict{{Target: "soak: every session finished, no lost, misrouted or duplicate replies, no unexpected errors",
		Value: fmt.Sprintf("%d of %d sessions, %d turns; %d lost, %d misrouted, %d duplicate, %d unexpected errors, %d unexpected replies",
			r.Done, r.Sessions, r.Turns, r.Lost, r.Misrouted, r.Duplicates, unexpected, r.OddReplies),
		Met: r.Done == int64(r.Sessions) && r.Lost == 0 && r.Misrouted == 0 && r.Duplicates == 0 && unexpected == 0 && r.OddReplies == 0 && r.Failed == ""}}
	if r.Start != nil {
		out = append(out, targetVerdict{Target: "soak: RSS and live heap at the end within 50 % of the first tenth's",
			Value: fmt.Sprintf("RSS %s → %s (%+.1f %%), live heap %s → %s (%+.1f %%)", mb(r.Start.RSSBytes), mb(r.End.RSSBytes), r.RSSGrowth,
				mb(r.Start.HeapLive), mb(r.End.HeapLive), r.HeapGrowth),
			Met: r.RSSGrowth <= 50 && r.HeapGrowth <= 50})
	}
	return out
}

// printSoak writes the soak as a table: one row per tenth.
func printSoak(w io.Writer, r *soakResult) {
	fmt.Fprintf(w, "soak: embedded, mix %s, %d actors, %d of %d sessions × %d turns, %d turns in %.1f s (%.1f turns/s)\n",
		r.Mix, r.Concurrency, r.Done, r.Sessions, r.TurnsPerSession, r.Turns, r.Seconds, r.TurnsPerSec)
	fmt.Fprintf(w, "  %-8s %9s %8s %10s %9s %9s %10s %10s %10s\n", "", "sessions", "turns", "turns/s", "p50 ms", "p99 ms", "RSS", "live heap", "goroutines")
	row := func(name string, p soakPoint) {
		fmt.Fprintf(w, "  %-8s %9d %8d %10.1f %9.2f %9.2f %10s %10s %10d\n", name, p.Sessions, p.Turns, p.TurnsPerSec, p.Latency.P50, p.Latency.P99, mb(p.RSSBytes), mb(p.HeapLive), p.Goroutines)
	}
	row("before", r.Before)
	for i, p := range r.Points {
		name := ""
		switch {
		case i == 0:
			name = "start"
		case i == len(r.Points)-1:
			name = "end"
		case i == (len(r.Points)-1)/2:
			name = "middle"
		}
		row(name, p)
	}
	fmt.Fprintf(w, "  %-16s %s\n", "latency (all)", latText(r.Latency))
	fmt.Fprintf(w, "  %-16s expected: %s; unexpected: %s\n", "errors", countsText(r.Errors.Expected), countsText(r.Errors.Unexpected))
	fmt.Fprintf(w, "  %-16s lost %d, misrouted %d, duplicate %d, unexpected replies %d, reconnects %d\n", "replies", r.Lost, r.Misrouted, r.Duplicates, r.OddReplies, r.Reconnects)
	fmt.Fprintf(w, "  %-16s RSS %+.1f %%, live heap %+.1f %% (first tenth → end)\n", "growth", r.RSSGrowth, r.HeapGrowth)
	for _, s := range r.OddSamples {
		fmt.Fprintf(w, "  %-16s %s\n", "  sample", s)
	}
	if r.Failed != "" {
		fmt.Fprintf(w, "  %-16s %s\n", "first failure", r.Failed)
	}
	fmt.Fprintf(w, "  note: %s\n", r.Note)
}
