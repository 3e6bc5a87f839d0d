package alerts

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/session"
)

// timedBus records when each notification step was first published.
type timedBus struct {
	*bus
	mu    sync.Mutex
	first map[string]time.Time // step → when
	dups  int
}

func (b *timedBus) publish(step string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, seen := b.first[step]; seen {
		b.dups++
		return
	}
	now := time.Now()
	b.first[step] = now
	alert, _, _ := strings.Cut(step, "/")
	if _, seen := b.first[alert]; !seen {
		b.first[alert] = now
	}
}

// BenchmarkAlertmanagerIngest posts Alertmanager batches (of 1 and of 10
// alerts, a third of them resends of alerts already posted) through the
// receiver into the real store, and reports alerts ingested per second,
// the p99 from the POST to the first page of a new alert, and the pages
// delivered twice (the target is 0).
func BenchmarkAlertmanagerIngest(b *testing.B) {
	for _, size := range []int{1, 10} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) { benchIngest(b, size) })
	}
}

func benchIngest(b *testing.B, size int) {
	t := &testing.T{}
	h := newHarness(t, testConfig())
	h.svc.p.Clock = time.Now
	tb := &timedBus{bus: h.bus, first: map[string]time.Time{}}
	h.svc.p.Bus = publishFunc(func(c *session.AlertCard) {
		if c.Step != "" {
			tb.publish(c.Step)
		}
	})
	api := NewHTTP(h.svc, map[session.TenantID]string{"acme": "am"}, &refusals{})
	var lat []time.Duration
	sent := 0
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		var alerts []string
		var fresh []string
		for j := range size {
			fp := fmt.Sprintf("fp-%d-%d", i, j)
			if (j%3 == 2 || (size == 1 && i%3 == 2)) && i > 0 { // a resend of the previous batch's alert
				fp = fmt.Sprintf("fp-%d-%d", i-1, j)
			} else {
				fresh = append(fresh, fp)
			}
			alerts = append(alerts, fmt.Sprintf(`{"status":"firing","labels":{"alertname":"A","instance":%q,"severity":"critical"},"annotations":{},"startsAt":"2026-03-02T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":%q}`, fp, fp))
		}
		body := `{"version":"4","groupKey":"g","status":"firing","receiver":"r","alerts":[` + strings.Join(alerts, ",") + `]}`
		posted := time.Now()
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/acme", strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer am")
		r.Header.Set("Content-Type", "application/json")
		api.Alertmanager(w, r)
		if w.Code != 200 {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
		sent += size
		tb.mu.Lock()
		for _, fp := range fresh {
			e, _ := h.st.LatestEpisode(r.Context(), "acme", "alertmanager", fp)
			if at, ok := tb.first[string(e.ID)]; ok {
				lat = append(lat, at.Sub(posted))
			}
		}
		tb.mu.Unlock()
	}
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-first-page-ms")
	}
	b.ReportMetric(float64(sent)/elapsed.Seconds(), "alerts/s")
	b.ReportMetric(float64(tb.dups), "duplicate-pages")
}

// publishFunc is a Publisher that hands each card to a function.
type publishFunc func(*session.AlertCard)

func (f publishFunc) Publish(_ context.Context, _ session.SessionID, out session.Outbound) {
	for _, p := range out.Parts {
		if c, ok := p.(*session.AlertCard); ok && !c.Edit {
			f(c)
		}
	}
}
