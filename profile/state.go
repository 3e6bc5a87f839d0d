package profile

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/steward-os/steward/kernel"
	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
)

// ChannelProbe is the channel probe calls come from (audit records,
// dedupe keys).
const ChannelProbe session.ChannelID = "profile"

// maxOutbox bounds the findings waiting for a Sink that fails.
const maxOutbox = 1000

// tenantState is what the refresher knows of one tenant.
type tenantState struct {
	tracks map[key]*track
	facts  map[int64]session.Fact // the facts some track's points rest on
	probes map[session.ToolID]*probeState
	open   map[string]Finding // by fingerprint
	outbox []Finding          // raised, not yet taken by the Sink
	pass   time.Time          // the last pass
	seq    int
}

// probeState is one probe's schedule in one tenant.
type probeState struct {
	fails   int
	next    time.Time // not before (interval or back-off)
	last    time.Time // last success
	lastErr string
}

// state returns the tenant's state, created on first use (held under r.mu).
func (r *Refresher) state(tn session.TenantID) *tenantState {
	st := r.tenants[tn]
	if st == nil {
		st = &tenantState{tracks: map[key]*track{}, facts: map[int64]session.Fact{}, probes: map[session.ToolID]*probeState{}, open: map[string]Finding{}}
		r.tenants[tn] = st
	}
	return st
}

// probe returns a probe's schedule, created on first use (held under r.mu).
func (st *tenantState) probe(id session.ToolID) *probeState {
	ps := st.probes[id]
	if ps == nil {
		ps = &probeState{}
		st.probes[id] = ps
	}
	return ps
}

// due reports whether a probe may run now in the tenant.
func (r *Refresher) due(tn session.TenantID, id session.ToolID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	ps := r.state(tn).probes[id]
	return ps == nil || !r.d.Clock.Now().Before(ps.next)
}

// backoff is the wait after n consecutive failures: cfg.Backoff doubled
// n-1 times, at most cfg.MaxBackoff.
func (r *Refresher) backoff(n int) time.Duration {
	d := r.cfg.Backoff.D()
	for i := 1; i < n && d < r.cfg.MaxBackoff.D(); i++ {
		d *= 2
	}
	return min(d, r.cfg.MaxBackoff.D())
}

// failed records a probe's failure and schedules its next try.
func (r *Refresher) failed(tn session.TenantID, id session.ToolID, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ps := r.state(tn).probe(id)
	ps.fails++
	ps.lastErr = err.Error()
	ps.next = r.d.Clock.Now().Add(r.backoff(ps.fails))
}

// probe runs one probe as a structured call of the tenant's probe actor
// and folds its recorded observations into the tenant's series.
func (r *Refresher) probe(ctx context.Context, a session.Actor, id session.ToolID) error {
	now := r.d.Clock.Now()
	r.mu.Lock()
	st := r.state(a.Tenant)
	st.seq++
	in := session.Inbound{ID: fmt.Sprintf("probe:%s:%d:%d", id, now.UnixNano(), st.seq), From: session.Address{Channel: ChannelProbe},
		Call: &session.Call{Tool: id, Args: json.RawMessage(`{}`)}, At: now}
	r.mu.Unlock()
	out, err := r.d.Kernel.Handle(ctx, a, in)
	if err != nil {
		return fmt.Errorf("probe %s: %w", id, err)
	}
	for _, p := range out.Parts {
		if e, ok := p.(*session.Error); ok {
			return fmt.Errorf("probe %s: %s: %s", id, e.Code, e.Message)
		}
	}
	f, err := r.fact(ctx, a, out.Turn, id)
	if err != nil {
		return err
	}
	var res sdk.Observations
	if err := json.Unmarshal(f.Output, &res); err != nil {
		return fmt.Errorf("probe %s: output: %w", id, err)
	}
	r.ingest(a.Tenant, id, f, res.Observations)
	return nil
}

// fact finds the fact a probe's turn recorded.
func (r *Refresher) fact(ctx context.Context, a session.Actor, turn session.TurnID, id session.ToolID) (session.Fact, error) {
	fs, err := r.d.Kernel.Surface().Facts(ctx, a, 100)
	if err != nil {
		return session.Fact{}, fmt.Errorf("probe %s: facts: %w", id, err)
	}
	for _, f := range fs {
		if f.Turn == turn && f.Tool == id && f.OK {
			return f, nil
		}
	}
	return session.Fact{}, fmt.Errorf("probe %s: no fact recorded for turn %s", id, turn)
}

// ingest adds a probe's observations to the tenant's series.
func (r *Refresher) ingest(tn session.TenantID, id session.ToolID, f session.Fact, obs []sdk.Observation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.state(tn)
	ps := st.probe(id)
	now := r.d.Clock.Now()
	ps.fails, ps.lastErr, ps.last = 0, "", now
	ps.next = now.Add(r.interval(id))
	st.facts[f.ID] = f
	for _, o := range obs {
		k := key{Tenant: tn, Series: o.Series, Resource: o.Resource}
		t := st.tracks[k]
		if t == nil {
			t = &track{key: k, limit: r.cfg.History, tool: id}
			st.tracks[k] = t
		}
		t.unit, t.labels = o.Unit, o.Labels
		t.observe(point{Value: o.Value, At: o.At, Fact: f.ID}, r.cfg.Baseline)
		t.seen = now
	}
}

// judge runs the detectors over the tenant's series and hands what
// changed to the Sink: a new finding, a changed severity, a resolution.
// A series no probe has reported for three schedule periods is stale: its
// findings resolve.
func (r *Refresher) judge(ctx context.Context, tn session.TenantID) {
	r.mu.Lock()
	st := r.state(tn)
	now := r.d.Clock.Now()
	st.pass = now
	seen := map[string]bool{}
	for _, k := range sortedKeys(st.tracks) {
		t := st.tracks[k]
		if now.Sub(t.seen) > r.stale(t.tool) {
			continue
		}
		for _, v := range r.det.judge(t) {
			if v.severity == "" {
				continue
			}
			fp := fingerprint(v.detector, k)
			seen[fp] = true
			if old, ok := st.open[fp]; ok && old.Severity == v.severity {
				continue
			}
			f := r.finding(tn, fp, t, v, st.facts, now)
			st.open[fp] = f
			st.outbox = append(st.outbox, f)
		}
	}
	for fp, f := range st.open {
		if !seen[fp] {
			delete(st.open, fp)
			f.Resolved, f.At = true, now
			st.outbox = append(st.outbox, f)
		}
	}
	r.prune(st)
	out := st.outbox
	st.outbox = nil
	r.mu.Unlock()
	r.deliver(ctx, tn, out)
}

// stale is how long a series may go unreported before it is stale.
func (r *Refresher) stale(id session.ToolID) time.Duration {
	every := max(r.cfg.Every.D()+r.cfg.Jitter.D(), r.interval(id))
	return 3*every + r.backoff(3)
}

// interval is a probe's own least time between runs (0 when it declares
// none).
func (r *Refresher) interval(id session.ToolID) time.Duration {
	for _, m := range r.d.Kernel.Manifests() {
		for _, p := range m.Probes {
			if session.ToolID(m.ID+"."+p.Name) == id {
				return p.IntervalOf()
			}
		}
	}
	return 0
}

// deliver hands findings to the Sink in order; what it refuses waits
// for the next pass.
func (r *Refresher) deliver(ctx context.Context, tn session.TenantID, fs []Finding) {
	if r.d.Sink == nil || len(fs) == 0 {
		return
	}
	for i, f := range fs {
		if err := r.d.Sink.Raise(ctx, f); err != nil {
			r.d.Log.Warn("profile: sink refused a finding", "tenant", tn, "fingerprint", f.Fingerprint, "err", err)
			r.mu.Lock()
			st := r.state(tn)
			st.outbox = append(fs[i:len(fs):len(fs)], st.outbox...)
			if len(st.outbox) > maxOutbox {
				st.outbox = st.outbox[len(st.outbox)-maxOutbox:]
			}
			r.mu.Unlock()
			return
		}
	}
}

// finding builds a Finding from a verdict, its summary narrated through
// the kernel's narration seam and grounded in the evidence facts.
func (r *Refresher) finding(tn session.TenantID, fp string, t *track, v verdict, facts map[int64]session.Fact, now time.Time) Finding {
	var ids []int64
	var evidence []session.Fact
	for _, p := range v.evidence {
		if len(ids) > 0 && ids[len(ids)-1] == p.Fact {
			continue
		}
		ids = append(ids, p.Fact)
		if f, ok := facts[p.Fact]; ok {
			evidence = append(evidence, f)
		}
	}
	n := kernel.Narrate(v.tpl, v.data, evidence)
	if !n.Grounded {
		r.d.Log.Warn("profile: a finding's summary was not grounded; its evidence is listed instead", "fingerprint", fp, "violations", n.Violations)
	}
	return Finding{Tenant: tn, Fingerprint: fp, Detector: v.detector, Severity: v.severity, Resource: t.key.Resource,
		Summary: n.Text, Evidence: ids, Fix: r.fix(t), At: now}
}

// fix is the configured remedy for the track's series, when its tool is
// loaded.
func (r *Refresher) fix(t *track) *Fix {
	rule, ok := r.cfg.Fixes[t.key.Series]
	if !ok {
		return nil
	}
	for _, m := range r.d.Kernel.Manifests() {
		for _, tl := range m.Tools {
			if m.ID+"."+tl.Name == rule.Tool {
				args, _ := json.Marshal(map[string]string{rule.Param: t.key.Resource})
				return &Fix{Tool: session.ToolID(rule.Tool), Args: args}
			}
		}
	}
	return nil
}

// prune forgets facts no point refers to any more.
func (r *Refresher) prune(st *tenantState) {
	used := map[int64]bool{}
	for _, t := range st.tracks {
		for _, p := range t.points {
			used[p.Fact] = true
		}
	}
	for id := range st.facts {
		if !used[id] {
			delete(st.facts, id)
		}
	}
}

func sortedKeys(m map[key]*track) []key {
	out := make([]key, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.Series+"\x00"+a.Resource < b.Series+"\x00"+b.Resource
	})
	return out
}
