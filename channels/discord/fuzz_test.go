package discord

import (
	"net/http"
	"testing"

	"github.com/steward-os/steward/channels/internal/httpjson"
	"github.com/steward-os/steward/internal/fuzzcheck"
	"github.com/steward-os/steward/kernel/kerneltest"
)

// FuzzDiscordInteraction: any interaction body Discord could post
// (signed with the application's key and a fresh timestamp, so the body
// is what is tested) through the running adapter over a real kernel. The
// answer is 200 (a PONG, a press answered, or "no commands"), 400
// bad_request or 503 unavailable; a refusal is plain and stable; a body
// naming a member twice or two differing only in case is never handled.
func FuzzDiscordInteraction(f *testing.F) {
	e := kerneltest.New(f, kerneltest.Options{})
	h := start(f, e, setup{})
	h.link(f, alice, kerneltest.Alice)
	for _, s := range []string{
		`{"id":"i-1","type":3,"application_id":"app","token":"t","version":1,"channel_id":"d1","message":{"id":"m1","channel_id":"d1"},"user":{"id":"100000000000000001","username":"alice"},"data":{"custom_id":"r:p_abc234","component_type":2}}`,
		`{"id":"i-2","type":1,"application_id":"app","token":"t","version":1}`,
		`{"id":"i-3","type":2,"data":{"name":"steward"}}`,
		`{"id":"i-4","type":3,"channel_id":"c1","data":{"custom_id":"a:p_abc234","component_type":2}}`,
		`{"id":"i-5","type":1,"Type":3}`, `{"id":"i-6","id":"i-7","type":1}`,
		`{"id":"","type":1}`, `{"type":1}`, `{"id":"x","type":"one"}`, `[]`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		hd := h.fake.Sign(body, e.Clock.Now())
		hd.Set("Content-Type", "application/json")
		status, out := fuzzcheck.Post(t, h.hook.URL+"/", hd, body)
		code := fuzzcheck.Answer(t, status, out, body, http.StatusOK, http.StatusBadRequest, http.StatusServiceUnavailable)
		if code == "" && httpjson.CheckNames(body) != nil {
			t.Fatalf("a body with a name twice or two differing only in case was handled: %q", body)
		}
	})
}
