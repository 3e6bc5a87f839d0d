package alerts

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/steward-os/steward/session"
)

type refusals struct {
	mu    sync.Mutex
	codes []string
}

func (r *refusals) Refuse(_ context.Context, x session.Refusal) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.codes = append(r.codes, x.Code)
}

const amBody = `{"version":"4","groupKey":"{}:{alertname=\"HostDown\"}","status":"firing","receiver":"steward",
"groupLabels":{"alertname":"HostDown"},"commonLabels":{"alertname":"HostDown"},"commonAnnotations":{},"externalURL":"http://am",
"alerts":[{"status":"firing","labels":{"alertname":"HostDown","instance":"web-2","severity":"critical"},
"annotations":{"summary":"web-2 is not answering"},"startsAt":"2026-03-02T09:59:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"a1b2"}]}`

func post(h http.HandlerFunc, path, token, ctype, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	r.Header.Set("Content-Type", ctype)
	w := httptest.NewRecorder()
	h(w, r)
	return w
}

func errCode(w *httptest.ResponseRecorder) string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &e)
	return e.Error.Code
}

// Bad input to the receiver gets a stable code, is audited, and changes
// nothing.
func TestAlertmanagerRefusals(t *testing.T) {
	h := newHarness(t, testConfig())
	h.svc.cfg.MaxBodyBytes = 4096
	ref := &refusals{}
	api := NewHTTP(h.svc, map[session.TenantID]string{"acme": "am-secret"}, ref)
	json := "application/json"
	for _, c := range []struct {
		name, path, token, ctype, body string
		status                         int
		code                           string
	}{
		{"no token", "/acme", "", json, amBody, 401, session.CodeUnauthenticated},
		{"wrong token", "/acme", "nope", json, amBody, 401, session.CodeUnauthenticated},
		{"unknown tenant", "/globex", "am-secret", json, amBody, 401, session.CodeUnauthenticated},
		{"malformed", "/acme", "am-secret", json, `{"version":`, 400, session.CodeBadRequest},
		{"unknown version", "/acme", "am-secret", json, strings.Replace(amBody, `"4"`, `"3"`, 1), 400, session.CodeUnsupportedVersion},
		{"oversize", "/acme", "am-secret", json, amBody + strings.Repeat(" ", 5000), 413, session.CodeBodyTooLarge},
		{"not json", "/acme", "am-secret", "text/plain", amBody, 415, session.CodeUnsupportedMedia},
		{"bad status", "/acme", "am-secret", json, strings.Replace(amBody, `"status":"firing","labels"`, `"status":"burning","labels"`, 1), 400, session.CodeBadRequest},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := post(api.Alertmanager, c.path, c.token, c.ctype, c.body)
			if w.Code != c.status || errCode(w) != c.code {
				t.Fatalf("%d %s, want %d %s (%s)", w.Code, errCode(w), c.status, c.code, w.Body)
			}
		})
	}
	if len(ref.codes) != 8 {
		t.Fatalf("%d refusals audited, want 8", len(ref.codes))
	}
	if eps, _ := h.st.Episodes(context.Background(), "acme", false, 0); len(eps) != 0 || len(h.bus.pages()) != 0 {
		t.Fatalf("refused requests changed something: %d episodes", len(eps))
	}
}

// A good payload pages; its resend changes nothing; its resolution
// resolves the episode.
func TestAlertmanagerIdempotent(t *testing.T) {
	h := newHarness(t, testConfig())
	api := NewHTTP(h.svc, map[session.TenantID]string{"acme": "am-secret"}, &refusals{})
	for range 3 {
		if w := post(api.Alertmanager, "/acme", "am-secret", "application/json", amBody); w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	}
	wantPages(t, h, "alice@slack")
	e, err := h.st.LatestEpisode(context.Background(), "acme", "alertmanager", "a1b2")
	if err != nil || e.Count != 1 || e.Title != "HostDown on web-2" || e.Severity != "critical" {
		t.Fatalf("episode %+v, %v", e, err)
	}
	resolved := strings.ReplaceAll(amBody, `"status":"firing"`, `"status":"resolved"`)
	post(api.Alertmanager, "/acme", "am-secret", "application/json", resolved)
	if e, _ = h.st.Episode(context.Background(), e.ID); e.State != session.AlertResolved {
		t.Fatalf("after resolution: %s", e.State)
	}
}

// POST /v1/alerts reports an alert for the caller's tenant; acts go to
// /v1/alerts/<id>/<act>.
func TestAPIReportAndAct(t *testing.T) {
	h := newHarness(t, testConfig())
	api := NewHTTP(h.svc, nil, &refusals{})
	body := `{"fingerprint":"cert-blog","severity":"warning","title":"certificate expires in 5 days","id":"r1"}`
	w := post(api.API, "/", "tok-bob", "application/json", body)
	var out struct {
		Alerts []Outcome `json:"alerts"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || w.Code != 200 || len(out.Alerts) != 1 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if w := post(api.API, "/", "tok-bob", "application/json", body); !strings.Contains(w.Body.String(), `"duplicate":true`) {
		t.Fatalf("resend: %s", w.Body)
	}
	if w := post(api.API, "/", "tok-bob", "application/json", `{"fingerprint":"x","title":"y","colour":"red"}`); errCode(w) != session.CodeBadRequest {
		t.Fatalf("unknown field: %d %s", w.Code, w.Body)
	}
	if w := post(api.API, "/", "bad", "application/json", body); w.Code != 401 {
		t.Fatalf("bad token: %d", w.Code)
	}
	id := string(out.Alerts[0].Alert)
	if w := post(api.API, "/"+id+"/snooze", "tok-bob", "application/json", `{"for":"30m"}`); w.Code != 200 || !strings.Contains(w.Body.String(), `"state":"snoozed"`) {
		t.Fatalf("snooze: %d %s", w.Code, w.Body)
	}
	if w := post(api.API, "/"+id+"/ack", "tok-bob", "application/json", ``); w.Code != 200 || !strings.Contains(w.Body.String(), `"acked_by":"bob"`) {
		t.Fatalf("ack: %d %s", w.Code, w.Body)
	}
	if w := post(api.API, "/"+id+"/ack", "tok-bob", "application/json", `{}`); w.Code != 409 || errCode(w) != session.CodeAlertClosed {
		t.Fatalf("second ack: %d %s", w.Code, w.Body)
	}
	if w := post(api.API, "/al_nope/ack", "tok-bob", "application/json", `{}`); w.Code != 404 {
		t.Fatalf("unknown alert: %d %s", w.Code, w.Body)
	}
}
