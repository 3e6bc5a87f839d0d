package main

import (
	"cmp"
	"database/sql"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// request sends one request with a chosen Host header (the listener's
// own when empty) and returns the status, the error code and the
// Retry-After header.
func (g *proc) request(method, path, host, token, body string) (int, string, string) {
	g.t.Helper()
	req, _ := http.NewRequest(method, g.base+path, strings.NewReader(body))
	req.Header = http.Header{"Content-Type": {"application/json"}}
	if token != "" {
		req.Header["Authorization"] = []string{"Bearer " + token}
	}
	req.Host = cmp.Or(host, req.Host)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	return resp.StatusCode, e.Error.Code, resp.Header.Get("Retry-After")
}

// DNS rebinding: with demo tokens on, a request whose Host is not a
// loopback name or address (or in server.allowed_hosts) is refused before
// anything else reads it — the API, the page and its socket alike.
func TestHostHeaderChecked(t *testing.T) {
	g := start(t, t.TempDir())
	port := g.base[strings.LastIndexByte(g.base, ':')+1:]
	for _, c := range []struct {
		host   string
		status int
	}{
		{"127.0.0.1:" + port, 200},
		{"localhost:" + port, 200},
		{"LOCALHOST", 200},
		{"127.9.8.7", 200},
		{"[::1]:" + port, 200},
		{"evil.example:" + port, 421},
		{"evil.example", 421},
		{"localhost.evil.example:" + port, 421},
		{"127.0.0.1.nip.io:" + port, 421},
		{"10.0.0.1:" + port, 421},
	} {
		status, code, _ := g.request("POST", "/v1/messages", c.host, "demo-alice", `{"text":"list my servers"}`)
		if status != c.status || (c.status == 421 && code != "host_not_allowed") {
			t.Errorf("Host %q: %d %s, want %d", c.host, status, code, c.status)
		}
	}
	if status, code, _ := g.request("GET", "/", "evil.example:"+port, "", ""); status != 421 || code != "host_not_allowed" {
		t.Errorf("page: %d %s", status, code)
	}
	// Health probes answer whatever the Host.
	if status, _, _ := g.request("GET", "/healthz", "evil.example", "", ""); status != 200 {
		t.Errorf("healthz: %d", status)
	}
	// The socket of a rebound page: its Host and Origin are the attacker's.
	ws := "ws" + strings.TrimPrefix(g.base, "http") + "/ws"
	h := http.Header{"Host": {"evil.example:" + port}, "Origin": {"http://evil.example:" + port}}
	if c, resp, err := websocket.DefaultDialer.Dial(ws, h); err == nil {
		c.Close()
		t.Error("a rebound page opened a socket")
	} else if resp == nil || resp.StatusCode != 421 {
		t.Errorf("rebound socket: %v %v", resp, err)
	}
	// A loopback Host with a foreign Origin: the origin check refuses it.
	h = http.Header{"Origin": {"http://evil.example:" + port}}
	if c, resp, err := websocket.DefaultDialer.Dial(ws, h); err == nil {
		c.Close()
		t.Error("a foreign origin opened a socket")
	} else if resp == nil || resp.StatusCode != 403 {
		t.Errorf("foreign origin: %v %v", resp, err)
	}
}

// server.allowed_hosts adds names: their requests and their own origins
// are accepted, nothing else.
func TestAllowedHosts(t *testing.T) {
	g := startArgs(t, t.TempDir(), "--set", "server.allowed_hosts=chat.example.com")
	if status, _, _ := g.request("POST", "/v1/messages", "chat.example.com", "demo-alice", `{"text":"list my servers"}`); status != 200 {
		t.Fatalf("listed host: %d", status)
	}
	if status, code, _ := g.request("POST", "/v1/messages", "other.example.com", "demo-alice", `{"text":"hi"}`); status != 421 || code != "host_not_allowed" {
		t.Fatalf("unlisted host: %d %s", status, code)
	}
	ws := "ws" + strings.TrimPrefix(g.base, "http") + "/ws"
	c, _, err := websocket.DefaultDialer.Dial(ws, http.Header{"Host": {"chat.example.com"}, "Origin": {"https://chat.example.com"}})
	if err != nil {
		t.Fatalf("the listed host's own origin: %v", err)
	}
	c.Close()
}

// An address that keeps being refused is answered 429 before it is
// authenticated, and its refusals leave a bounded number of audit
// records whose counts add up to every refused request.
func TestRefusalFlood(t *testing.T) {
	data := t.TempDir()
	g := start(t, data)
	const n = 400
	limited := 0
	for i := range n {
		status, code, retry := g.request("POST", "/v1/messages", "", "demo-mallory-"+strconv.Itoa(i), `{"text":"hi"}`)
		switch {
		case status == 401 && code == "unauthenticated":
		case status == 429 && code == "rate_limited":
			limited++
			if s, err := strconv.Atoi(retry); err != nil || s < 1 {
				t.Fatalf("429 with Retry-After %q", retry)
			}
		default:
			t.Fatalf("request %d: %d %s", i, status, code)
		}
	}
	if limited < n/2 {
		t.Fatalf("only %d of %d refused requests were rate limited", limited, n)
	}
	// A good token from the same address is refused too, unread.
	if status, code, _ := g.request("POST", "/v1/messages", "", "demo-alice", `{"text":"hi"}`); status != 429 || code != "rate_limited" {
		t.Fatalf("good token while limited: %d %s", status, code)
	}
	g.stop() // the open window's summary is written at shutdown
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "steward.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT kind, data FROM audit WHERE tenant = '_system' AND kind IN ('request_refused', 'refusal_summary')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	records, total := 0, 0
	for rows.Next() {
		var kind, raw string
		if err := rows.Scan(&kind, &raw); err != nil {
			t.Fatal(err)
		}
		records++
		if kind == "request_refused" {
			total++
			continue
		}
		var s struct {
			From  string         `json:"from"`
			Count int            `json:"count"`
			Codes map[string]int `json:"codes"`
		}
		if err := json.Unmarshal([]byte(raw), &s); err != nil || s.From != "127.0.0.1" {
			t.Fatalf("summary %s: %v", raw, err)
		}
		sum := 0
		for _, v := range s.Codes {
			sum += v
		}
		if sum != s.Count {
			t.Fatalf("summary codes %v do not add up to %d", s.Codes, s.Count)
		}
		total += s.Count
	}
	if records > 4 {
		t.Fatalf("%d audit records for %d refusals from one address", records, n+1)
	}
	if total != n+1 {
		t.Fatalf("the records count %d refusals, want %d", total, n+1)
	}
}
