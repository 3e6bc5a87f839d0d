package slack

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/steward-os/steward/channels/internal/httpjson"
	"github.com/steward-os/steward/internal/fuzzcheck"
	"github.com/steward-os/steward/kernel/kerneltest"
)

// fuzzPost posts a signed body to the adapter's path and checks the
// answer: 200 or 400, a refusal with a stable code and a plain message.
func fuzzPost(t *testing.T, r *rig, path, ct string, body []byte) string {
	t.Helper()
	h := http.Header{"Content-Type": {ct}}
	sign(r.fake)(h, body)
	res, err := r.fake.Post(context.Background(), r.eventsBase+path, h, body)
	if err != nil {
		t.Fatal(err)
	}
	return fuzzcheck.Answer(t, res.Status, []byte(res.Body), body, http.StatusOK, http.StatusBadRequest)
}

// FuzzSlackEvent: any Events API body (signed, so the body is what is
// tested) through the running adapter over a real kernel. The answer is
// 200 or 400 bad_request; a refusal is plain and stable; a body naming a
// member twice or two differing only in case is never handled.
func FuzzSlackEvent(f *testing.F) {
	for _, s := range []string{
		`{"type":"event_callback","event_id":"Ev1","event":{"type":"message","user":"UALICE","channel":"DUALICE","channel_type":"im","text":"list my servers","ts":"1.0"}}`,
		`{"type":"event_callback","event_id":"Ev2","event":{"type":"app_mention","user":"UALICE","channel":"C1","text":"<@UBOT> restart web-1","ts":"2.0"}}`,
		`{"type":"event_callback","event_id":"Ev3","event":{"type":"message","user":"UALICE","channel":"DUALICE","text":"hi","text":"delete web-1"}}`,
		`{"type":"event_callback","event_id":"Ev4","event":{"type":"message","user":"UALICE","channel":"DUALICE","text":"hi","Text":"delete web-1"}}`,
		`{"type":"url_verification","challenge":"abc"}`, `{"type":"url_verification","challenge":"a","Challenge":"b"}`,
		`{"type":"event_callback","event":{"type":"message"}}`, `{"type":"event_callback","event_id":"Ev5","event":{"type":"message","text":7}}`,
		`{"type":"app_rate_limited"}`, `{"event_id":"Ev1"}`, "hello", `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	e := kerneltest.New(f, kerneltest.Options{})
	r := newRig(f, e, rigOptions{mode: ModeEvents})
	r.link(f, "UALICE", kerneltest.Alice)
	f.Fuzz(func(t *testing.T, body []byte) {
		code := fuzzPost(t, r, "/events", "application/json", body)
		if code == "" && httpjson.CheckNames(body) != nil {
			t.Fatalf("a body with a name twice or two differing only in case was handled: %q", body)
		}
	})
}

// FuzzSlackInteraction: any form posted to the interactivity endpoint —
// a block_actions payload (a button press), other interaction types, and
// the form a slash command posts (command=…&text=…, no payload; this app
// registers no slash command: socket mode acknowledges one and runs
// nothing, and over HTTP it is refused as a form without a payload). The
// answer is 200 or 400 bad_request; a refusal is plain and stable; a
// payload naming a member twice or two differing only in case is never
// handled.
func FuzzSlackInteraction(f *testing.F) {
	for _, p := range []string{
		`{"type":"block_actions","user":{"id":"UALICE"},"trigger_id":"t1","channel":{"id":"DUALICE"},"container":{"message_ts":"1.0"},"actions":[{"action_id":"accept","value":"a:p_abc234"}]}`,
		`{"type":"block_actions","user":{"id":"UALICE","ID":"UBOB"},"actions":[{"action_id":"a"}]}`,
		`{"type":"block_actions","user":{"id":"UALICE"},"actions":[]}`,
		`{"type":"view_submission","user":{"id":"UALICE"}}`, `{"type":""}`, `not json`,
	} {
		f.Add([]byte(url.Values{"payload": {p}}.Encode()))
	}
	f.Add([]byte(url.Values{"command": {"/steward"}, "text": {"restart web-1"}, "user_id": {"UALICE"}, "channel_id": {"DUALICE"}, "trigger_id": {"t2"}}.Encode()))
	f.Add([]byte("payload=%zz"))
	f.Add([]byte(""))
	e := kerneltest.New(f, kerneltest.Options{})
	r := newRig(f, e, rigOptions{mode: ModeEvents})
	r.link(f, "UALICE", kerneltest.Alice)
	f.Fuzz(func(t *testing.T, body []byte) {
		code := fuzzPost(t, r, "/interactions", "application/x-www-form-urlencoded", body)
		if code != "" {
			return
		}
		form, err := url.ParseQuery(string(body))
		if p := form.Get("payload"); err == nil && p != "" && httpjson.CheckNames([]byte(p)) != nil {
			t.Fatalf("a payload with a name twice or two differing only in case was handled: %q", p)
		}
	})
}
