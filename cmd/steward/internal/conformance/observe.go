package conformance

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/session/store"
	"github.com/steward-os/steward/session/store/sqlite"
)

// collector is a minimal OTLP/HTTP trace receiver: it keeps the names
// and trace ids of the spans it is sent.
type collector struct {
	srv   *http.Server
	addr  string
	mu    sync.Mutex
	spans map[string][]string // span name → trace ids (hex)
}

func startCollector() (*collector, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &collector{addr: ln.Addr().String(), spans: map[string][]string{}}
	c.srv = &http.Server{Handler: http.HandlerFunc(c.receive)}
	go func() { _ = c.srv.Serve(ln) }()
	return c, nil
}

func (c *collector) receive(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	var req coltrace.ExportTraceServiceRequest
	if err != nil || proto.Unmarshal(b, &req) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				c.spans[s.GetName()] = append(c.spans[s.GetName()], fmt.Sprintf("%x", s.GetTraceId()))
			}
		}
	}
	c.mu.Unlock()
	out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func checkTraces(_ context.Context, r *runner) error {
	if r.col == nil {
		return fmt.Errorf("%w: the gateway's collector is not this tool's", errNA)
	}
	return r.offline(func(*audited) error { // the spans are all exported by the gateway's shutdown
		r.col.mu.Lock()
		defer r.col.mu.Unlock()
		turns := map[string]bool{}
		for _, id := range r.col.spans["steward.turn"] {
			turns[id] = true
		}
		for _, n := range []string{"route", "plan", "gate", "dispatch", "narrate", "audit_commit"} {
			ids := r.col.spans["steward."+n]
			if len(ids) == 0 {
				return fmt.Errorf("no %s span was exported", n)
			}
			if !turns[ids[0]] {
				return fmt.Errorf("the %s span is not in a turn's trace", n)
			}
		}
		return nil
	})
}

func checkLogs(_ context.Context, r *runner) error {
	if r.logs == nil {
		return fmt.Errorf("%w: the gateway's log is not this tool's", errNA)
	}
	traced := false
	sc := bufio.NewScanner(strings.NewReader(r.logs.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return fmt.Errorf("a log line is not JSON: %s", clip(sc.Text()))
		}
		if id, _ := line["trace_id"].(string); id != "" && line["turn"] != nil {
			traced = true
		}
	}
	if !traced {
		return errors.New("no log line of a turn carries its trace id")
	}
	return nil
}

var (
	reSeries = regexp.MustCompile(`^(steward_\w+)\{(.*)\} `)
	reLabel  = regexp.MustCompile(`(\w+)="((?:[^"\\]|\\.)*)"`)
	reIdent  = regexp.MustCompile(`^[a-z0-9_.:-]{1,64}$`)
)

// series scrapes /metrics: every steward_ series's name and labels.
func (r *runner) series(ctx context.Context) ([]string, [][2]string, error) {
	if r.metrics == "" {
		return nil, nil, fmt.Errorf("%w: no metrics address (--metrics)", errNA)
	}
	st, body, err := r.c.get(ctx, "http://"+r.metrics+"/metrics")
	if err != nil || st != 200 {
		return nil, nil, fmt.Errorf("scrape: %d %v", st, err)
	}
	var names []string
	var labels [][2]string
	for _, l := range strings.Split(body, "\n") {
		m := reSeries.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		names = append(names, m[1]+"{"+m[2]+"}")
		for _, lm := range reLabel.FindAllStringSubmatch(m[2], -1) {
			labels = append(labels, [2]string{lm[1], lm[2]})
		}
	}
	return names, labels, nil
}

func checkMetrics(ctx context.Context, r *runner) error {
	names, _, err := r.series(ctx)
	if err != nil {
		return err
	}
	all := strings.Join(names, "\n")
	for _, want := range []string{`steward_turns_total{channel="api"`, `steward_proposals_total{level="2",outcome="accepted"}`,
		`steward_proposals_total{level="2",outcome="proposed"}`, `steward_tool_calls_total{result="ok",tool=`, `steward_stage_duration_seconds_bucket{stage="route"`} {
		if !strings.Contains(all, want) {
			return fmt.Errorf("no series %s…", want)
		}
	}
	return nil
}

func checkLabels(ctx context.Context, r *runner) error {
	_, labels, err := r.series(ctx)
	if err != nil {
		return err
	}
	for _, l := range labels {
		if l[0] == "le" || l[0] == "quantile" {
			continue
		}
		if !reIdent.MatchString(l[1]) {
			return fmt.Errorf("label %s=%q is not an identifier", l[0], l[1])
		}
		for _, pii := range []string{"alice", "bob", "carol", "dave", "erin", "acme", "globex", "web-1", "web-2", "staging-1", "gx-web-1"} {
			if strings.Contains(l[1], pii) {
				return fmt.Errorf("label %s=%q holds %q", l[0], l[1], pii)
			}
		}
	}
	return nil
}

// audited is the audit trail read after the gateway stopped.
type audited struct {
	rows []store.AuditRow
	all  string
	st   *sqlite.Store
}

func (a *audited) count(kind string) int {
	n := 0
	for _, r := range a.rows {
		if r.Kind == kind {
			n++
		}
	}
	return n
}

func readAudit(ctx context.Context, dir string) (*audited, error) {
	st, err := sqlite.Open(ctx, dir, nil)
	if err != nil {
		return nil, err
	}
	a := &audited{st: st}
	tenants, err := st.AuditTenants(ctx)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	for _, t := range tenants {
		err := st.AuditChain(ctx, t, func(r store.AuditRow) error {
			a.rows = append(a.rows, r)
			b.WriteString(r.Kind + " " + string(r.Data) + "\n")
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	a.all = b.String()
	return a, nil
}

func checkDispatchAudited(_ context.Context, r *runner) error {
	return r.offline(func(a *audited) error {
		if d, res := a.count(audit.KindDispatch), a.count(audit.KindResult); d == 0 || d < res {
			return fmt.Errorf("%d dispatch records for %d results", d, res)
		}
		return nil
	})
}

func checkStepAudit(_ context.Context, r *runner) error {
	return r.offline(func(a *audited) error {
		for _, k := range []string{audit.KindAsked, audit.KindClassified, audit.KindPlanned, audit.KindProposed, audit.KindConfirmed, audit.KindDispatch, audit.KindResult, audit.KindReplied} {
			if a.count(k) == 0 {
				return fmt.Errorf("no %s record", k)
			}
		}
		return nil
	})
}

func checkExtensionAudit(_ context.Context, r *runner) error {
	return r.offline(func(a *audited) error {
		if a.count(audit.KindExtension) == 0 {
			return errors.New("no extension record")
		}
		return nil
	})
}

func checkVerify(_ context.Context, r *runner) error {
	return r.offline(func(a *audited) error {
		reps, err := audit.Verify(context.Background(), a.st)
		if err != nil {
			return err
		}
		for _, rep := range reps {
			if !rep.OK {
				return fmt.Errorf("tenant %s: %s", rep.Tenant, rep.Reason)
			}
		}
		return nil
	})
}

func checkLedger(_ context.Context, r *runner) error {
	return r.offline(func(a *audited) error {
		rep, err := audit.VerifyLedger(context.Background(), a.st, a.st)
		if err != nil {
			return err
		}
		if !rep.OK || rep.Checked == 0 {
			return fmt.Errorf("ledger: %d checked, %s", rep.Checked, rep.Reason)
		}
		return nil
	})
}
