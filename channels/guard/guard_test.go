package guard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/api"
	"github.com/steward-os/steward/channels/guard"
	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/channels/web"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// rig is a gateway as serve builds one: the API, the web page and a
// bot's webhook behind the door, their refusals through the guard, over
// a real kernel whose clock the test sets.
type rig struct {
	e   *kerneltest.Env
	g   *guard.Guard
	srv *httptest.Server
}

func newRig(t *testing.T, opt guard.Options) *rig {
	e := kerneltest.New(t, kerneltest.Options{})
	opt.Now = e.Clock.Now
	g := guard.New(e.K, opt)
	core := channels.CoreOf(e.K)
	core.Turns = g.Turns(core.Turns)
	bot := chatkit.New(core, chatkit.Options{Channel: "telegram", Platform: "Telegram", Tenant: "acme"})
	hook := &chatkit.Webhook{Body: "Telegram update", Refusal: "Not from Telegram.", Secret: func(h http.Header) string {
		if h.Get("X-Secret") != "s3cret" {
			return "wrong secret"
		}
		return ""
	}}
	w := web.New(core, e.Dir, web.Options{Hosts: opt.Hosts})
	mux := http.NewServeMux()
	mux.Handle("/v1/", api.New(core, e.Dir, api.Options{}))
	mux.Handle("/ws", w)
	mux.HandleFunc("/hooks/telegram/default", func(rw http.ResponseWriter, r *http.Request) {
		r.URL.Path = "/"
		if _, ok := chatkit.Decode(bot, rw, r, hook, func(*struct{}) bool { return true }); ok {
			rw.WriteHeader(http.StatusOK)
		}
	})
	door := func(r *http.Request) (session.ChannelID, bool) {
		switch {
		case r.URL.Path == "/healthz":
			return "api", true
		case strings.HasPrefix(r.URL.Path, "/hooks/"):
			return "telegram", false
		case r.URL.Path == "/ws":
			return "web", false
		}
		return "api", false
	}
	mux.HandleFunc("/healthz", func(rw http.ResponseWriter, _ *http.Request) { rw.WriteHeader(http.StatusOK) })
	srv := httptest.NewServer(g.Wrap(mux, door))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = w.Shutdown(ctx)
		srv.Close()
	})
	return &rig{e: e, g: g, srv: srv}
}

func (r *rig) post(t *testing.T, path, token string, h http.Header) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("POST", r.srv.URL+path, strings.NewReader(`{"text":"hi"}`))
	for k, v := range h {
		req.Header[k] = v
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b struct{ Error session.Error }
	_ = json.NewDecoder(resp.Body).Decode(&b)
	return resp.StatusCode, b.Error.Code, resp.Header
}

// signIn opens a socket and signs in with a bad token; it returns the
// HTTP status of a refused upgrade, or 101 and the close code.
func (r *rig) signIn(t *testing.T) (int, int) {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(r.srv.URL, "http")+"/ws", http.Header{"Origin": {r.srv.URL}})
	if err != nil {
		if resp == nil {
			t.Fatal(err)
		}
		return resp.StatusCode, 0
	}
	defer ws.Close()
	_ = ws.WriteJSON(map[string]string{"type": "auth", "token": "demo-mallory"})
	for {
		if _, _, err := ws.ReadMessage(); err != nil {
			ce, _ := err.(*websocket.CloseError)
			if ce == nil {
				t.Fatalf("no close frame: %v", err)
			}
			return http.StatusSwitchingProtocols, ce.Code
		}
	}
}

// records counts a tenant's refusal records and the refusals they stand
// for, per channel.
func records(t *testing.T, e *kerneltest.Env, tenant session.TenantID) (recs, refusals map[string]int) {
	t.Helper()
	recs, refusals = map[string]int{}, map[string]int{}
	for _, row := range e.Audit(t, tenant) {
		var d struct {
			Channel string         `json:"channel"`
			From    string         `json:"from"`
			Count   int            `json:"count"`
			Codes   map[string]int `json:"codes"`
			Summary string         `json:"summary"`
		}
		_ = json.Unmarshal([]byte(row.Data), &d)
		switch row.Kind {
		case "request_refused":
			recs[d.Channel]++
			refusals[d.Channel]++
		case "refusal_summary":
			sum := 0
			for _, n := range d.Codes {
				sum += n
			}
			if sum != d.Count || d.From != "127.0.0.1" || !strings.HasPrefix(d.Summary, fmt.Sprintf("%d refused from 127.0.0.1 between ", d.Count)) {
				t.Fatalf("summary %s", row.Data)
			}
			recs[d.Channel]++
			refusals[d.Channel] += d.Count
		}
	}
	return recs, refusals
}

// The probe's flood: unauthenticated requests to the API, sign-ins on the
// socket and unsigned webhooks from one address. After Burst refusals the
// address is answered 429 before anything reads its requests; the audit
// trail holds at most two records per requester and window, and their
// counts add up to every refused request, the 429s included.
func TestFloodIsLimitedAndSummarised(t *testing.T) {
	r := newRig(t, guard.Options{Burst: 10, PerMinute: 60, Window: time.Minute})
	const apiN, wsN, hookN = 300, 40, 60
	got := map[int]int{}
	for range apiN {
		status, code, h := r.post(t, "/v1/messages", "demo-mallory", nil)
		got[status]++
		if status == http.StatusTooManyRequests && (code != session.CodeRateLimited || h.Get("Retry-After") != "1") {
			t.Fatalf("429 %s Retry-After %q", code, h.Get("Retry-After"))
		}
	}
	if got[http.StatusUnauthorized] != 10 || got[http.StatusTooManyRequests] != apiN-10 {
		t.Fatalf("API statuses %v", got)
	}
	for range wsN {
		if status, _ := r.signIn(t); status != http.StatusTooManyRequests {
			t.Fatalf("sign-in while limited: %d", status)
		}
	}
	for range hookN {
		if status, code, _ := r.post(t, "/hooks/telegram/default", "", nil); status != http.StatusTooManyRequests || code != session.CodeRateLimited {
			t.Fatalf("webhook while limited: %d %s", status, code)
		}
	}
	// A good token from the limited address is not even read.
	if status, _, _ := r.post(t, "/v1/messages", "demo-alice", nil); status != http.StatusTooManyRequests {
		t.Fatalf("good token while limited: %d", status)
	}
	// Health probes pass.
	if resp, err := http.Get(r.srv.URL + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	r.g.Flush(context.Background())
	recs, n := records(t, r.e, "_system")
	if n["api"] != apiN+1 || n["web"] != wsN || n["telegram"] != hookN {
		t.Fatalf("refusals counted %v, want api %d web %d telegram %d", n, apiN+1, wsN, hookN)
	}
	for ch, k := range recs {
		if k > 2 {
			t.Errorf("%d records for channel %s in one window", k, ch)
		}
	}
	if len(r.e.Script.Turns) != 0 {
		t.Fatal("a refused request reached the router")
	}
}

// Every channel's refusals spend the allowance: sign-ins on the socket
// and unsigned webhooks alone reach the limit too, and the webhook's are
// recorded in the bot's tenant.
func TestSocketAndWebhookRefusalsCount(t *testing.T) {
	r := newRig(t, guard.Options{Burst: 6, PerMinute: 60, Window: time.Minute})
	for i := range 3 {
		if status, closed := r.signIn(t); status != http.StatusSwitchingProtocols || closed != web.CloseUnauthenticated {
			t.Fatalf("sign-in %d: %d %d", i, status, closed)
		}
	}
	for i := range 3 {
		if status, code, _ := r.post(t, "/hooks/telegram/default", "", nil); status != http.StatusUnauthorized || code != session.CodeBadSignature {
			t.Fatalf("webhook %d: %d %s", i, status, code)
		}
	}
	if status, _ := r.signIn(t); status != http.StatusTooManyRequests {
		t.Fatalf("seventh: %d", status)
	}
	r.g.Flush(context.Background())
	recs, n := records(t, r.e, "acme")
	if n["telegram"] != 3 || recs["telegram"] != 2 {
		t.Fatalf("bot tenant: %v records for %v", recs, n)
	}
	recs, n = records(t, r.e, "_system")
	if n["web"] != 4 || recs["web"] != 2 {
		t.Fatalf("_system: %v records for %v", recs, n)
	}
}

// A window ends on the clock: its summary is written by Sweep, the next
// refusal opens a new window (recorded at once), and the allowance
// refills at PerMinute.
func TestWindowsAndRefill(t *testing.T) {
	r := newRig(t, guard.Options{Burst: 2, PerMinute: 30, Window: time.Minute})
	for range 5 {
		r.post(t, "/v1/messages", "demo-mallory", nil)
	}
	if status, _, h := r.post(t, "/v1/messages", "demo-mallory", nil); status != 429 || h.Get("Retry-After") != "2" {
		t.Fatalf("%d Retry-After %q", status, h.Get("Retry-After"))
	}
	r.g.Sweep(context.Background())
	if recs, _ := records(t, r.e, "_system"); recs["api"] != 1 {
		t.Fatalf("a window was summarised before it ended: %v", recs)
	}
	r.e.Clock.Advance(time.Minute)
	r.g.Sweep(context.Background())
	if recs, n := records(t, r.e, "_system"); recs["api"] != 2 || n["api"] != 6 {
		t.Fatalf("after the window: %v records for %v", recs, n)
	}
	// A minute at 30 a minute refilled the allowance (up to its burst).
	if status, code, _ := r.post(t, "/v1/messages", "demo-mallory", nil); status != 401 || code != session.CodeUnauthenticated {
		t.Fatalf("after the refill: %d %s", status, code)
	}
	if recs, n := records(t, r.e, "_system"); recs["api"] != 3 || n["api"] != 7 {
		t.Fatalf("the new window's first: %v records for %v", recs, n)
	}
}

// With Hosts checked, another Host is refused before anything reads the
// request, and counted like any refusal.
func TestHostRefused(t *testing.T) {
	hosts, err := guard.NewHosts([]string{"chat.example.com"}, true)
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, guard.Options{Hosts: hosts})
	for host, want := range map[string]int{"evil.example": 421, "chat.example.com": 200, "CHAT.example.com:8080": 200, "localhost": 200} {
		req, _ := http.NewRequest("POST", r.srv.URL+"/v1/messages", strings.NewReader(`{"text":"list my servers"}`))
		req.Host = host
		req.Header.Set("Authorization", "Bearer demo-alice")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var b struct{ Error session.Error }
		_ = json.NewDecoder(resp.Body).Decode(&b)
		resp.Body.Close()
		if resp.StatusCode != want || (want == 421 && b.Error.Code != guard.CodeHostNotAllowed) {
			t.Errorf("Host %q: %d %s, want %d", host, resp.StatusCode, b.Error.Code, want)
		}
	}
	r.g.Flush(context.Background())
	if _, n := records(t, r.e, "_system"); n["api"] != 1 {
		t.Fatalf("refusals %v", n)
	}
}
