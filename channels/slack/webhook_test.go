package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/channels/slack/slacktest"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func refusals(t *testing.T, e *kerneltest.Env, code string) int {
	t.Helper()
	n := 0
	for _, r := range e.Audit(t, "acme") {
		if r.Kind == "request_refused" && strings.Contains(r.Data, `"code":"`+code+`"`) && strings.Contains(r.Data, `"channel":"slack"`) {
			n++
		}
	}
	return n
}

// Webhooks with a missing, wrong or stale signature are 401 bad_signature
// and audited; malformed ones 400 bad_request; nothing reaches a turn.
func TestWebhookRefusals(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := newRig(t, e, rigOptions{mode: ModeEvents})
	srv := r.fake
	_, event := srv.EventJSON(slacktest.Message{User: "UALICE", Channel: "DUALICE", Text: "hosting.list_servers {}"})
	form := func(payload string) []byte { return []byte(url.Values{"payload": {payload}}.Encode()) }
	base := r.eventsBase
	now := time.Now()
	cases := []struct {
		name   string
		path   string
		body   []byte
		header func(h http.Header, body []byte)
		status int
		code   string
	}{
		{"missing signature", "/events", event, func(h http.Header, b []byte) {}, 401, session.CodeBadSignature},
		{"wrong signature", "/events", event, func(h http.Header, b []byte) {
			h.Set("X-Slack-Request-Timestamp", itoa(now.Unix()))
			h.Set("X-Slack-Signature", slacktest.Sign("another-secret", now, b))
		}, 401, session.CodeBadSignature},
		{"garbage signature", "/events", event, func(h http.Header, b []byte) {
			h.Set("X-Slack-Request-Timestamp", itoa(now.Unix()))
			h.Set("X-Slack-Signature", "v0=zz")
		}, 401, session.CodeBadSignature},
		{"stale timestamp", "/events", event, func(h http.Header, b []byte) { srv.SignHeader(h, now.Add(-6*time.Minute), b) }, 401, session.CodeBadSignature},
		{"future timestamp", "/events", event, func(h http.Header, b []byte) { srv.SignHeader(h, now.Add(6*time.Minute), b) }, 401, session.CodeBadSignature},
		{"body changed after signing", "/events", event, func(h http.Header, b []byte) { srv.SignHeader(h, now, append([]byte(" "), b...)) }, 401, session.CodeBadSignature},
		{"interaction unsigned", "/interactions", form(`{"type":"block_actions"}`), func(h http.Header, b []byte) {}, 401, session.CodeBadSignature},
		{"not json", "/events", []byte("hello"), sign(srv), 400, session.CodeBadRequest},
		{"no type", "/events", []byte(`{"event_id":"Ev1"}`), sign(srv), 400, session.CodeBadRequest},
		{"callback without event_id", "/events", []byte(`{"type":"event_callback","event":{"type":"message"}}`), sign(srv), 400, session.CodeBadRequest},
		{"callback without event", "/events", []byte(`{"type":"event_callback","event_id":"Ev2"}`), sign(srv), 400, session.CodeBadRequest},
		{"unreadable message event", "/events", []byte(`{"type":"event_callback","event_id":"Ev3","event":{"type":"message","text":7}}`), sign(srv), 400, session.CodeBadRequest},
		{"interaction without payload", "/interactions", []byte("a=b"), sign(srv), 400, session.CodeBadRequest},
		{"interaction payload not json", "/interactions", form("{"), sign(srv), 400, session.CodeBadRequest},
		{"block_actions without actions", "/interactions", form(`{"type":"block_actions","user":{"id":"UALICE"}}`), sign(srv), 400, session.CodeBadRequest},
		{"unknown path", "/other", event, sign(srv), 404, session.CodeNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := refusals(t, e, c.code)
			h := http.Header{"Content-Type": {"application/json"}}
			c.header(h, c.body)
			res, err := srv.Post(context.Background(), base+c.path, h, c.body)
			if err != nil {
				t.Fatal(err)
			}
			var eb errorBody
			if res.Status != c.status || json.Unmarshal([]byte(res.Body), &eb) != nil || eb.Error.Code != c.code || eb.Error.Message == "" {
				t.Fatalf("got %d %s, want %d %s", res.Status, res.Body, c.status, c.code)
			}
			if strings.Contains(res.Body, "goroutine") || strings.Contains(res.Body, ".go:") {
				t.Fatalf("internals in the answer: %s", res.Body)
			}
			if c.status != 404 && refusals(t, e, c.code) != before+1 {
				t.Fatalf("not audited as %s", c.code)
			}
		})
	}
	if n := len(r.fake.Calls()); n != 0 {
		t.Fatalf("the bot posted %d messages for refused requests", n)
	}
	if len(e.Script.Turns) != 0 {
		t.Fatalf("a refused request reached the router: %+v", e.Script.Turns)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func sign(srv *slacktest.Server) func(http.Header, []byte) {
	return func(h http.Header, b []byte) { srv.SignHeader(h, time.Now(), b) }
}

// Slack's URL check: the challenge comes back, signed requests only.
func TestURLVerification(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := newRig(t, e, rigOptions{mode: ModeEvents})
	body := []byte(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	h := http.Header{"Content-Type": {"application/json"}}
	r.fake.SignHeader(h, time.Now(), body)
	res, err := r.fake.Post(context.Background(), r.eventsBase+"/events", h, body)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if res.Status != 200 || json.Unmarshal([]byte(res.Body), &got) != nil || got["challenge"] != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Fatalf("challenge: %d %s", res.Status, res.Body)
	}
	// A GET is not Slack.
	resp, err := http.Get(r.eventsBase + "/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
}

// A signed body that names a member twice, or two that differ only in
// case, is refused: Slack's types match names case-insensitively, so
// either would let one value silently replace another.
func TestWebhookAmbiguousNames(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := newRig(t, e, rigOptions{mode: ModeEvents})
	form := func(payload string) []byte { return []byte(url.Values{"payload": {payload}}.Encode()) }
	for _, c := range []struct{ path, body string }{
		{"/events", `{"type":"event_callback","event_id":"Ev1","event":{"type":"message","user":"UALICE","channel":"DUALICE","text":"hi","text":"delete web-1"}}`},
		{"/events", `{"type":"event_callback","event_id":"Ev2","event":{"type":"message","user":"UALICE","channel":"DUALICE","text":"hi","Text":"delete web-1"}}`},
		{"/events", `{"type":"url_verification","challenge":"a","Challenge":"b"}`},
		{"/interactions", string(form(`{"type":"block_actions","user":{"id":"UALICE","ID":"UBOB"},"actions":[{"action_id":"a"}]}`))},
	} {
		before := refusals(t, e, session.CodeBadRequest)
		h := http.Header{"Content-Type": {"application/json"}}
		sign(r.fake)(h, []byte(c.body))
		res, err := r.fake.Post(context.Background(), r.eventsBase+c.path, h, []byte(c.body))
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != http.StatusBadRequest || refusals(t, e, session.CodeBadRequest) != before+1 {
			t.Errorf("%s: %d %s", c.body, res.Status, res.Body)
		}
	}
	if len(e.Script.Turns) != 0 {
		t.Fatalf("an ambiguous body reached the router: %+v", e.Script.Turns)
	}
}
