package chatkit_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/session"
)

// refusals is a core that only records what is refused.
type refusals struct {
	channels.Turns
	got []string
}

func (r *refusals) Refuse(_ context.Context, x session.Refusal) {
	r.got = append(r.got, x.Code+": "+x.Detail)
}

// Every webhook request meets the same checks, in one order, and is
// refused in one form; a refusal of the sender is audited.
func TestAcceptAndDecode(t *testing.T) {
	type update struct {
		ID int `json:"id"`
	}
	hook := &chatkit.Webhook{
		Body: "Test update",
		Secret: func(h http.Header) string {
			if h.Get("X-Secret") != "s" {
				return "no secret"
			}
			return ""
		},
		Signed: func(_ *http.Request, body []byte) string {
			if strings.Contains(string(body), "forged") {
				return "unsigned"
			}
			return ""
		},
		Refusal: "Not from the platform.",
	}
	off := *hook
	off.Off = "This bot polls."
	for _, c := range []struct {
		name, method, path, secret, body string
		hook                             *chatkit.Webhook
		status                           int
		code, audited                    string
	}{
		{"off", "POST", "/", "s", `{"id":1}`, &off, 404, session.CodeNotFound, ""},
		{"other path", "POST", "/x", "s", `{"id":1}`, hook, 404, session.CodeNotFound, ""},
		{"not a POST", "GET", "/", "s", "", hook, 405, session.CodeMethodNotAllowed, ""},
		{"no secret", "POST", "/", "", strings.Repeat("x", chatkit.MaxWebhookBody+1), hook, 401, session.CodeBadSignature, "bad_signature: no secret"},
		{"too large", "POST", "/", "s", strings.Repeat("x", chatkit.MaxWebhookBody+1), hook, 413, session.CodeBodyTooLarge, "body_too_large: webhook body over 1 MiB"},
		{"forged", "POST", "/", "s", `{"id":1,"forged":1}`, hook, 401, session.CodeBadSignature, "bad_signature: unsigned"},
		{"not JSON", "POST", "/", "s", `{"id":`, hook, 400, session.CodeBadRequest, "bad_request: malformed Test update"},
		{"not valid", "POST", "/", "s", `{"id":0}`, hook, 400, session.CodeBadRequest, "bad_request: malformed Test update"},
		{"taken", "POST", "", "s", `{"id":7}`, hook, 200, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			core := &refusals{}
			b := chatkit.New(channels.Core{Turns: core}, chatkit.Options{Channel: "test", Platform: "Test", Tenant: "acme"})
			req := httptest.NewRequest(c.method, "http://x"+c.path, strings.NewReader(c.body))
			req.Header.Set("X-Secret", c.secret)
			rec := httptest.NewRecorder()
			u, ok := chatkit.Decode(b, rec, req, c.hook, func(u *update) bool { return u.ID != 0 })
			if c.status == 200 {
				if !ok || u.ID != 7 || len(core.got) != 0 {
					t.Fatalf("not taken: %v %+v %v", ok, u, core.got)
				}
				return
			}
			var e struct{ Error session.Error }
			if ok || rec.Code != c.status || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error.Code != c.code || e.Error.Message == "" {
				t.Fatalf("%v %d %s", ok, rec.Code, rec.Body)
			}
			if got := strings.Join(core.got, "|"); got != c.audited {
				t.Fatalf("audited %q, want %q", got, c.audited)
			}
			if c.status == 405 && rec.Header().Get("Allow") != "POST" {
				t.Fatal("no Allow header")
			}
		})
	}
}

// A reply's text parts between cards share messages; each card is its
// own; nothing is lost, and every message fits once escaped.
func TestRenderAndFit(t *testing.T) {
	double := strings.NewReplacer("_", `\_`)
	length := func(s string) int { return len([]rune(s)) }
	text := strings.Repeat("snake_case ", 300) // 3300 runes, 6000 escaped
	pieces := chatkit.Fit(text, 1000, double.Replace, length)
	var back strings.Builder
	for _, p := range pieces {
		if n := length(p); n > 1000 || n == 0 {
			t.Fatalf("piece of %d", n)
		}
		back.WriteString(strings.ReplaceAll(p, `\_`, "_"))
	}
	if squash := func(s string) string { return strings.ReplaceAll(s, " ", "") }; squash(back.String()) != squash(text) {
		t.Fatal("text lost")
	}
	if len(pieces) > 7 {
		t.Fatalf("%d pieces for 6000 escaped characters at 1000", len(pieces))
	}

	card := &session.ProposalCard{ID: "p_1", Summary: "Restart web-1", SafetyLevel: 2}
	parts := []session.Part{&session.Text{Text: "one"}, &session.Text{Text: " "}, &session.Error{Code: "x", Message: "two"}, card, &session.Text{Text: "three"}}
	got := chatkit.Render(parts, time.Now(), func(s string) []string { return []string{s} }, func(s string) string { return s },
		func(c *session.ProposalCard) []string { return []string{"card " + string(c.ID)} })
	if len(got) != 3 || !strings.HasPrefix(got[0], "one\n\n") || !strings.Contains(got[0], "two") || got[1] != "card p_1" || got[2] != "three" {
		t.Fatalf("%q", got)
	}
}

// A platform body holding a member name twice, or two names that differ
// only in case, is ambiguous: refused 400 bad_request and audited, at any
// depth. Names the decoder does not know may still vary.
func TestDecodeRefusesAmbiguousNames(t *testing.T) {
	type update struct {
		ID   int `json:"id"`
		Chat struct {
			Name string `json:"name"`
		} `json:"chat"`
	}
	hook := &chatkit.Webhook{Body: "Test update"}
	for _, c := range []struct {
		body string
		ok   bool
	}{
		{`{"id":1,"chat":{"name":"a"},"extra":{"Other":1,"other2":2}}`, true},
		{`{"id":1,"id":2}`, false},
		{`{"id":1,"ID":2}`, false},
		{`{"id":1,"chat":{"name":"a","Name":"b"}}`, false},
		{`{"id":1,"chat":{"name":"a","name":"b"}}`, false},
		{`{"id":1,"list":[{"k":1,"K":2}]}`, false},
		{`{"id":1,"x":{"ſ":1,"S":2}}`, false}, // Unicode case folding, as encoding/json matches
	} {
		t.Run(c.body, func(t *testing.T) {
			core := &refusals{}
			b := chatkit.New(channels.Core{Turns: core}, chatkit.Options{Channel: "test", Platform: "Test", Tenant: "acme"})
			rec := httptest.NewRecorder()
			u, ok := chatkit.Decode(b, rec, httptest.NewRequest("POST", "http://x/", strings.NewReader(c.body)), hook, func(u *update) bool { return u.ID != 0 })
			if ok != c.ok {
				t.Fatalf("taken %v (%+v), want %v; %d %s", ok, u, c.ok, rec.Code, rec.Body)
			}
			if !c.ok && (rec.Code != http.StatusBadRequest || len(core.got) != 1 || !strings.HasPrefix(core.got[0], "bad_request: ")) {
				t.Fatalf("%d %s %v", rec.Code, rec.Body, core.got)
			}
		})
	}
}
