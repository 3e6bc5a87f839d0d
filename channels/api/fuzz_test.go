package api_test

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/api"
	"github.com/steward-os/steward/internal/fuzzcheck"
	"github.com/steward-os/steward/session"
)

const fuzzMaxBody = 1024

// fuzzAPI is the API over the fake core, served without a network.
func fuzzAPI() (http.Handler, *fakeTurns) {
	dir := session.NewStaticDirectory()
	dir.Add(session.Actor{ID: "alice", Tenant: "acme", Roles: []string{"admin"}}, "demo-alice")
	ft := &fakeTurns{}
	a := api.New(channels.Core{Turns: ft, Tasks: ft, Identity: ft, Deliveries: ft}, dir, api.Options{MaxBodyBytes: fuzzMaxBody})
	a.SetReady(true)
	return a, ft
}

// post sends one request and returns the status, the body, the inbound
// the core received (nil when none) and the refusals recorded.
func post(t *testing.T, h http.Handler, ft *fakeTurns, path, ct string, body []byte) (int, []byte, *session.Inbound, int) {
	t.Helper()
	ft.mu.Lock()
	nIn, nRef := len(ft.handled), len(ft.refused)
	ft.mu.Unlock()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer demo-alice")
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	ft.mu.Lock()
	defer ft.mu.Unlock()
	var in *session.Inbound
	switch len(ft.handled) - nIn {
	case 0:
	case 1:
		in = &ft.handled[nIn]
	default:
		t.Fatalf("one request made %d turns", len(ft.handled)-nIn)
	}
	return rec.Code, rec.Body.Bytes(), in, len(ft.refused) - nRef
}

// jsonMedia is the documented rule for Content-Type (docs/errors.md,
// unsupported_media_type): absent, or application/json in any case with
// no parameter but charset=utf-8.
func jsonMedia(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	charset, hasCharset := params["charset"]
	return ct == "" || (err == nil && mt == "application/json" &&
		len(params) <= 1 && (len(params) == 0 || hasCharset && strings.EqualFold(charset, "utf-8")))
}

// checkAnswer checks what every answer shares: a refusal is the error
// form with a stable code and a plain message, recorded once, and ran no
// turn; an accepted body is one JSON object, no name twice, only the
// request's own fields.
func checkAnswer(t *testing.T, status int, out []byte, in *session.Inbound, refused int, ct string, body []byte, fields ...string) map[string]any {
	t.Helper()
	if status != http.StatusOK {
		var env struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if err := json.Unmarshal(out, &env); err != nil {
			t.Fatalf("status %d with a body that is not the error form: %q", status, out)
		}
		fuzzcheck.Refusal(t, env.Error.Code, env.Error.Message, body)
		if in != nil || refused != 1 {
			t.Fatalf("a refused request (%s) ran a turn (%v) or was recorded %d times", env.Error.Code, in != nil, refused)
		}
		switch {
		case !jsonMedia(ct) && (status != http.StatusUnsupportedMediaType || env.Error.Code != session.CodeUnsupportedMedia):
			t.Fatalf("Content-Type %q answered %d %s, want 415", ct, status, env.Error.Code)
		case len(body) > fuzzMaxBody && jsonMedia(ct) && status != http.StatusRequestEntityTooLarge:
			t.Fatalf("a body of %d bytes answered %d", len(body), status)
		}
		return nil
	}
	if !jsonMedia(ct) || len(body) > fuzzMaxBody || in == nil {
		t.Fatalf("accepted: Content-Type %q, %d bytes, turn %v", ct, len(body), in != nil)
	}
	if !jsontext.Value(body).IsValid() {
		t.Fatalf("accepted a body with a name twice (or invalid UTF-8): %q", body)
	}
	var generic map[string]any
	if err := json.Unmarshal(body, &generic); err != nil || generic == nil {
		t.Fatalf("accepted a body that is not one object: %q", body)
	}
	for k := range generic {
		if !strings.Contains(" "+strings.Join(fields, " ")+" ", " "+k+" ") {
			t.Fatalf("accepted unknown field %q", k)
		}
	}
	return generic
}

var fuzzTypes = []string{"", "application/json", "application/json; charset=utf-8", "APPLICATION/JSON; Charset=UTF-8", "application/jsonfoo", "text/plain", "application/json; charset=latin1", "application/json;;", "multipart/form-data; boundary=x"}

// FuzzMessageBody: POST /v1/messages (the turn body) with any
// Content-Type and body. A refusal has a stable code, a plain message
// and runs nothing; an accepted body is one object of text and id, and
// the turn gets exactly its text and id.
func FuzzMessageBody(f *testing.F) {
	for _, s := range []string{`{"text":"hi"}`, `{"text":"hi","id":"x"}`, `{"text":`, `[]`, `{"text":"a"}{}`, `{"TEXT":"a"}`, "\x00", `{"text":"\ud800"}`,
		`{"text":"a","text":"b"}`, `{"text":"a","Text":"b"}`, `{"text":5}`, `{"text":"  "}`, `{"text":"restart web-1","id":"m-1"}`, `null`, `{"text":"a","extra":{"x":[1,2]}}`} {
		for _, ct := range fuzzTypes[:2] {
			f.Add(ct, []byte(s))
		}
	}
	for _, ct := range fuzzTypes {
		f.Add(ct, []byte(`{"text":"hi"}`))
	}
	h, ft := fuzzAPI()
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		status, out, in, refused := post(t, h, ft, "/v1/messages", ct, body)
		g := checkAnswer(t, status, out, in, refused, ct, body, "text", "id")
		if g == nil {
			return
		}
		text, _ := g["text"].(string)
		id, _ := g["id"].(string)
		if strings.TrimSpace(text) == "" || in.Text != text || in.ID != id || in.Action != nil {
			t.Fatalf("body %q became inbound %+v", body, in)
		}
	})
}

// FuzzDecisionBody: POST /v1/proposals/{id} (the decision body). As
// FuzzMessageBody, and an accepted body is "accept" or "reject", which
// the turn gets as its action on the proposal of the path, with the
// body's phrase and id.
func FuzzDecisionBody(f *testing.F) {
	for _, s := range []string{`{"decision":"accept"}`, `{"decision":"reject","id":"d-1"}`, `{"decision":"accept","phrase":"staging-1"}`,
		`{"decision":"reject","decision":"accept"}`, `{"decision":"accept","Decision":"reject"}`, `{"decision":"maybe"}`, `{"decision":1}`,
		`{"decision":"accept","confirmed":true}`, `{}`, `{"decision":"accept"} {}`, `"accept"`} {
		f.Add("p_abc234", "application/json", []byte(s))
	}
	f.Add("p_missing", "", []byte(`{"decision":"accept"}`))
	h, ft := fuzzAPI()
	f.Fuzz(func(t *testing.T, proposal, ct string, body []byte) {
		if proposal == "" || url.PathEscape(proposal) != proposal || len(proposal) > 64 {
			return // not one path segment: another route
		}
		status, out, in, refused := post(t, h, ft, "/v1/proposals/"+proposal, ct, body)
		if in != nil && in.Action != nil && in.Action.Proposal == "p_missing" {
			// The fake core answers proposal_not_found for this one.
			if status != http.StatusNotFound {
				t.Fatalf("proposal_not_found answered %d", status)
			}
			return
		}
		g := checkAnswer(t, status, out, in, refused, ct, body, "decision", "phrase", "id")
		if g == nil {
			return
		}
		d, _ := g["decision"].(string)
		phrase, _ := g["phrase"].(string)
		id, _ := g["id"].(string)
		if (d != "accept" && d != "reject") || in.Action == nil || string(in.Action.Kind) != d ||
			string(in.Action.Proposal) != proposal || in.Action.Phrase != phrase || in.ID != id || in.Text != "" {
			t.Fatalf("body %q became inbound %+v", body, in)
		}
	})
}
