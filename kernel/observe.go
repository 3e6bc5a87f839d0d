package kernel

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/steward-os/steward/internal/telemetry"
	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Telemetry is what the kernel reports to: metrics and a tracer
// (internal/telemetry). Deps.Telemetry nil reports nothing.
type Telemetry = telemetry.Obs

// Metrics is the metrics the kernel reports to (telemetry.Nop without
// Deps.Telemetry), for parts outside the kernel that count events of
// their own (alerts: Metrics().Alert(state)).
func (k *Kernel) Metrics() telemetry.Metrics {
	if k.obs == nil {
		return telemetry.Nop{}
	}
	return k.obs.M
}

// observeTurn runs one turn under the turn's span and counts it by
// channel and outcome.
func (k *Kernel) observeTurn(ctx context.Context, in session.Inbound, run func(context.Context) (session.Outbound, error)) (session.Outbound, error) {
	if k.obs == nil {
		return run(ctx)
	}
	ctx = telemetry.With(ctx, k.obs)
	ctx, end := telemetry.Stage(ctx, telemetry.StageTurn)
	out, err := run(ctx)
	end(err)
	outcome := outcomeOf(out, err)
	k.obs.M.Turn(string(in.From.Channel), outcome)
	k.rec.Logger().DebugContext(ctx, "turn finished", "turn", out.Turn, "channel", in.From.Channel, "outcome", outcome) // with its trace id
	return out, err
}

// outcomeOf is a turn's outcome label: its stable error code, "proposed"
// when it asks for a confirmation, else "ok".
func outcomeOf(out session.Outbound, err error) string {
	if err != nil {
		return session.CodeInternal
	}
	outcome := "ok"
	for _, p := range out.Parts {
		switch p := p.(type) {
		case *session.Error:
			return p.Code
		case *session.ProposalCard:
			outcome = "proposed"
		}
	}
	return outcome
}

// observedRouter times the route stage.
type observedRouter struct{ route.Router }

func (r observedRouter) Route(ctx context.Context, t route.Turn) (route.Intent, error) {
	ctx, end := telemetry.Stage(ctx, telemetry.StageRoute)
	in, err := r.Router.Route(ctx, t)
	end(err)
	return in, err
}

// observedPlanner times the plan stage.
type observedPlanner struct{ route.Planner }

func (p observedPlanner) Plan(ctx context.Context, t route.Turn, in route.Intent, surface []route.ToolSpec) (route.Plan, error) {
	ctx, end := telemetry.Stage(ctx, telemetry.StagePlan)
	pl, err := p.Planner.Plan(ctx, t, in, surface)
	end(err)
	return pl, err
}

// observedAppender times audit commits and puts the active trace id into
// each record it appends ("trace_id" in its data, under the chain's hash
// like the rest).
type observedAppender struct {
	next audit.Appender
	tap  *tap
}

func (a observedAppender) AppendAudit(ctx context.Context, entries ...store.AuditEntry) ([]store.AuditRow, error) {
	a.prepare(ctx, entries)
	ctx, end := telemetry.Stage(ctx, telemetry.StageAudit)
	rows, err := a.next.AppendAudit(ctx, entries...)
	end(err)
	return rows, err
}

func (a observedAppender) EnqueueAudit(ctx context.Context, entries ...store.AuditEntry) error {
	a.prepare(ctx, entries)
	return a.next.EnqueueAudit(ctx, entries...)
}

func (a observedAppender) prepare(ctx context.Context, entries []store.AuditEntry) {
	id := telemetry.TraceID(ctx)
	for i := range entries {
		if id != "" {
			entries[i].Data = withTrace(entries[i].Data, id)
		}
		a.tap.record(entries[i])
	}
}

// withTrace adds "trace_id" to a JSON object.
func withTrace(raw json.RawMessage, id string) json.RawMessage {
	if len(raw) < 2 || raw[0] != '{' {
		return raw
	}
	out := make(json.RawMessage, 0, len(raw)+len(id)+16)
	out = append(out, `{"trace_id":"`...)
	out = append(out, id...)
	out = append(out, '"')
	if len(raw) > 2 {
		out = append(out, ',')
	}
	return append(out, raw[1:]...)
}

// tap turns the audit records the kernel writes into counters: the
// records are already the one account of what happened (proposals and
// their outcomes, tool results, tasks, model calls), so the parts need
// no counting code of their own.
type tap struct {
	m      telemetry.Metrics
	mu     sync.Mutex
	levels map[string]int // proposal → level, for the records that do not repeat it
}

// tapData is the part of a record's data the counters read.
type tapData struct {
	Proposal   string `json:"proposal"`
	Level      *int   `json:"level"`
	Tool       string `json:"tool"`
	OK         *bool  `json:"ok"`
	Code       string `json:"code"`
	State      string `json:"state"`
	Provider   string `json:"provider"`
	Outcome    string `json:"outcome"`
	Stage      string `json:"stage"`
	Prompt     int    `json:"prompt_tokens"`
	Completion int    `json:"completion_tokens"`
}

// counted are the kinds the tap reads.
var counted = map[string]bool{
	audit.KindProposed: true, audit.KindConfirmed: true, audit.KindRejected: true, audit.KindExpired: true,
	audit.KindConfirmError: true, audit.KindResult: true, audit.KindPromoted: true, audit.KindTaskDone: true,
	audit.KindTaskCancel: true, audit.KindModelCompletion: true, audit.KindModelFallback: true,
}

func (t *tap) record(e store.AuditEntry) {
	if t == nil || !counted[e.Kind] {
		return
	}
	var d tapData
	if json.Unmarshal(e.Data, &d) != nil {
		return
	}
	switch e.Kind {
	case audit.KindResult:
		result := "failed"
		if d.OK != nil && *d.OK {
			result = "ok"
		}
		t.m.ToolCall(d.Tool, result)
	case audit.KindPromoted:
		t.m.Task("running")
	case audit.KindTaskDone:
		t.m.Task(d.State)
	case audit.KindTaskCancel:
		t.m.Task("cancel_requested")
	case audit.KindModelCompletion:
		t.m.ModelCall(d.Provider, d.Outcome)
		t.m.ModelTokens(d.Provider, "prompt", d.Prompt)
		t.m.ModelTokens(d.Provider, "completion", d.Completion)
	case audit.KindModelFallback:
		t.m.Failover(d.Stage)
	default:
		t.m.Proposal(t.level(d), proposalOutcome(e.Kind, d.Code))
	}
}

// level is a proposal's level: from its record, or remembered from its
// "proposed" record (-1 when this process never saw it).
func (t *tap) level(d tapData) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if d.Level != nil {
		if len(t.levels) >= 4096 { // bounded: a level forgotten is counted as "other"
			clear(t.levels)
		}
		t.levels[d.Proposal] = *d.Level
		return *d.Level
	}
	if lv, ok := t.levels[d.Proposal]; ok {
		return lv
	}
	return -1
}

func proposalOutcome(kind, code string) string {
	switch kind {
	case audit.KindProposed:
		return "proposed"
	case audit.KindConfirmed:
		return "accepted"
	case audit.KindRejected:
		return "rejected"
	case audit.KindExpired:
		return "expired"
	}
	switch code {
	case session.CodeCoolingPeriod:
		return "cooling"
	case session.CodeWrongDangerPhrase:
		return "wrong_phrase"
	case session.CodeProposalExpired:
		return "late" // the "expired" record counts the expiry itself
	}
	return "refused"
}

// newRecorder is the kernel's audit recorder; with telemetry, every record
// passes the tap and carries the active trace id.
func newRecorder(d Deps) *kit.Recorder {
	if d.Telemetry == nil {
		return kit.NewRecorder(audit.New(d.Store, d.Masker, d.Clock), d.Log)
	}
	t := &tap{m: d.Telemetry.M, levels: map[string]int{}}
	rec := kit.NewRecorder(audit.New(observedAppender{next: d.Store, tap: t}, d.Masker, d.Clock), d.Log)
	rec.Tap(t.record)
	return rec
}
