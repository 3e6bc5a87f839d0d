package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/api"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// Duplicate member names and case variants of a field are refused, with
// the stable codes and a message naming the field; nothing reaches the
// kernel (ISO-04).
func TestDuplicateAndCaseVariantNames(t *testing.T) {
	srv, ft := server(t)
	for _, c := range []struct {
		name, path, body string
		code, names      string
	}{
		{"duplicate decision", "/v1/proposals/p_x", `{"decision":"reject","decision":"accept"}`, session.CodeBadRequest, `"decision"`},
		{"duplicate text", "/v1/messages", `{"text":"list my servers","text":"delete web-1"}`, session.CodeBadRequest, `"text"`},
		{"case variant beside the field", "/v1/messages", `{"text":"hi","Text":"delete web-1"}`, session.CodeUnknownField, `"Text"`},
		{"case variant alone", "/v1/proposals/p_x", `{"DECISION":"accept"}`, session.CodeUnknownField, `"DECISION"`},
		{"duplicate unknown", "/v1/messages", `{"text":"hi","x":1,"x":2}`, session.CodeUnknownField, `"x"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(ft.handled)
			status, body := do(t, srv, "POST", c.path, "demo-alice", c.body)
			e, _ := body["error"].(map[string]any)
			msg, _ := e["message"].(string)
			if status != http.StatusBadRequest || e["code"] != c.code || !strings.Contains(msg, c.names) {
				t.Fatalf("%d %v, want 400 %s naming %s", status, body, c.code, c.names)
			}
			if len(ft.handled) != before {
				t.Fatal("the request reached the kernel")
			}
		})
	}
}

// The example over a real kernel: a decision body holding
// "reject" then "accept" executed the proposal; it must run nothing.
func TestDuplicateDecisionRunsNothing(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	h := api.New(channels.CoreOf(e.K), e.Dir, api.Options{})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	card := kerneltest.Card(t, e.Say(t, kerneltest.Alice, `hosting.restart_server {"server":"web-1"}`))
	status, body := do(t, srv, "POST", "/v1/proposals/"+string(card.ID), "demo-alice", `{"decision":"reject","decision":"accept"}`)
	if status != http.StatusBadRequest {
		t.Fatalf("%d %v", status, body)
	}
	for _, r := range e.Audit(t, "acme") {
		if r.Kind == "confirmed" || r.Kind == "rejected" || r.Kind == "dispatch" && strings.Contains(r.Data, "restart_server") {
			t.Fatalf("the ambiguous decision was acted on: %s %s", r.Kind, r.Data)
		}
	}
	// The proposal is still pending: a plain accept runs it once.
	status, body = do(t, srv, "POST", "/v1/proposals/"+string(card.ID), "demo-alice", `{"decision":"accept"}`)
	if status != http.StatusOK {
		t.Fatalf("accept after the refused body: %d %v", status, body)
	}
}

// Content-Type is a media type, parsed: application/json in any case and
// with parameters (charset utf-8 only); anything else is 415.
func TestContentType(t *testing.T) {
	srv, ft := server(t)
	for _, c := range []struct {
		ctype  string
		status int
	}{
		{"application/json", 200},
		{"APPLICATION/JSON", 200},
		{"Application/Json; charset=UTF-8", 200},
		{"application/json;charset=utf-8", 200},
		{"", 200}, // no declared type: the body is still strict JSON
		{"application/jsonfoo", 415},
		{"application/json-patch+json", 415},
		{"application/json; charset=latin1", 415},
		{"application/json; charset=utf-8; charset=latin1", 415},
		{"application/json; foo", 415},
		{"application/json; boundary=x", 415},
		{"text/plain", 415},
		{"application/x-www-form-urlencoded", 415},
		{"application/json;", 200},
		{"json", 415},
	} {
		t.Run(c.ctype, func(t *testing.T) {
			before := len(ft.refused)
			h := http.Header{"Authorization": {"Bearer demo-alice"}}
			if c.ctype != "" {
				h["Content-Type"] = []string{c.ctype}
			}
			resp, b := postWith(t, srv.URL+"/v1/messages", h, `{"text":"hi"}`)
			if resp.StatusCode != c.status {
				t.Fatalf("%d %s, want %d", resp.StatusCode, b, c.status)
			}
			if c.status == 415 && (!strings.Contains(string(b), `"unsupported_media_type"`) || len(ft.refused) != before+1) {
				t.Fatalf("%s; refusals %v", b, ft.refused)
			}
		})
	}
}

// postWith posts body with exactly the headers h and reads the answer.
func postWith(t *testing.T, url string, h http.Header, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}
