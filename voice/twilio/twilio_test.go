package twilio_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/voice"
	"github.com/steward-os/steward/voice/twilio"
	"github.com/steward-os/steward/voice/twilio/twiliotest"
	"github.com/steward-os/steward/voice/voicetest"
)

const (
	sid      = "AC0123456789abcdef0123456789abcdef"
	token    = "0f1e2d3c4b5a69788796a5b4c3d2e1f0" // as the real ones: 32 hex digits
	bobPhone = "+15550001"
	alicePh  = "+15550002"
	speed    = 20 // the fake plays the server's audio 20 times faster than real time
)

// rig is a real kernel (demo world, scripted router), the adapter on a
// test server, and bob's and alice's numbers linked.
type rig struct {
	env    *kerneltest.Env
	srv    *httptest.Server
	ad     *twilio.Adapter
	said   chan string
	mu     sync.Mutex
	sayLog []string
	seed   uint64
}

var menu = []voice.MenuItem{
	{Key: "3", Say: "restart web-1", Text: `hosting.restart_server {"server":"web-1"}`},
	{Key: "4", Say: "delete staging-1", Text: `hosting.delete_server {"server":"staging-1"}`},
}

func newRig(t *testing.T, apiURL string) *rig {
	return newRigWith(t, apiURL, voicetest.Offline(t).Speech())
}

// newRigWith is newRig with the speech engines given.
func newRigWith(t *testing.T, apiURL string, sp voice.Speech) *rig {
	env := kerneltest.New(t, kerneltest.Options{})
	r := &rig{env: env, said: make(chan string, 256)}
	var h http.Handler
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, q *http.Request) {
		q.URL.Path = strings.TrimPrefix(q.URL.Path, "/hooks/twilio/default")
		h.ServeHTTP(w, q)
	}))
	t.Cleanup(r.srv.Close)
	r.ad = twilio.New(channels.CoreOf(env.K), sp, twilio.Options{Name: "default", Channel: "twilio", Tenant: "acme",
		AccountSID: sid, AuthToken: token, PublicURL: r.srv.URL, Number: "+15550100", Menu: menu, APIURL: apiURL,
		Now: env.Clock.Now, Log: slog.New(slog.NewTextHandler(testWriter{t}, nil)), Call: voice.Config{NoInput: 30 * time.Second, Said: func(s string) {
			r.mu.Lock()
			r.sayLog = append(r.sayLog, s)
			r.mu.Unlock()
			r.said <- s
		}}})
	h = r.ad
	t.Cleanup(func() { _ = r.ad.Close(context.Background()) })
	ctx := context.Background()
	for _, x := range []struct {
		a     session.Actor
		phone string
	}{{kerneltest.Bob, bobPhone}, {kerneltest.Alice, alicePh}} {
		code, _, err := env.K.Identity().LinkCode(ctx, x.a)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.K.Identity().Redeem(ctx, "acme", "twilio", x.phone, code); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// dial places an inbound call from a number and connects its stream.
func (r *rig) dial(t *testing.T, from, callSID string) *twiliotest.Call {
	t.Helper()
	hook := r.ad.WebhookURL()
	code, body := twiliotest.Webhook(t, hook, hook, token, twiliotest.CallParams(sid, callSID, from, "+15550100"))
	if code != http.StatusOK {
		t.Fatalf("webhook: %d %s", code, body)
	}
	u, tok := twiliotest.Stream(t, body)
	c, err := twiliotest.Connect(t, u, sid, callSID, tok, speed)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	return c
}

// expect waits for a prompt containing want and returns it.
func (r *rig) expect(t *testing.T, want string) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case s := <-r.said:
			if strings.Contains(s, want) {
				return s
			}
		case <-deadline:
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("no prompt with %q; said:\n%s", want, strings.Join(r.sayLog, "\n"))
		}
	}
}

// expectAny waits for a prompt containing one of wants and returns the
// index of the one it holds.
func (r *rig) expectAny(t *testing.T, wants ...string) int {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case s := <-r.said:
			for i, w := range wants {
				if strings.Contains(s, w) {
					return i
				}
			}
		case <-deadline:
			t.Fatalf("no prompt with any of %q", wants)
		}
	}
}

// played waits until the server's audio has played out and its mark is
// back.
func played(t *testing.T, c *twiliotest.Call) {
	t.Helper()
	for i := 0; i < 600; i++ {
		if !c.Playing() {
			time.Sleep(60 * time.Millisecond)
			if !c.Playing() {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the server's audio never finished playing")
}

// speak says text on the call (espeak-ng, phone line, noise floor).
func (r *rig) speak(t *testing.T, c *twiliotest.Call, text string) {
	t.Helper()
	r.seed++
	a, _ := voicetest.Caller(t, text, "en-us", 175, r.seed)
	c.Say(a)
}

// menuToCard plays the greeting out and asks for a proposal by keypad.
func (r *rig) menuToCard(t *testing.T, c *twiliotest.Call, key, want string) {
	t.Helper()
	r.expect(t, "Press "+key)
	played(t, c)
	c.Press(key)
	r.expect(t, want)
}

func (r *rig) count(t *testing.T, kind, actor string) int {
	n := 0
	for _, row := range r.env.Audit(t, "acme") {
		if row.Kind == kind && (actor == "" || row.Actor == actor) {
			n++
		}
	}
	return n
}

// TestSpokenConfirmation: the read-back names the action and spells the
// target; "approve" said after it was heard confirms; the kernel runs it
// (CHAN-06, VOI-01, VOI-02).
func TestSpokenConfirmation(t *testing.T) {
	r := newRig(t, "")
	c := r.dial(t, bobPhone, "CA0000000000000000000000000000001")
	r.menuToCard(t, c, "3", "Restart web one. That is web one, spelled: whiskey echo bravo, dash, one.")
	played(t, c)
	r.speak(t, c, "approve")
	r.expect(t, "web one restarted")
	if n := r.count(t, "confirmed", "bob"); n != 1 {
		t.Fatalf("confirmations: %d", n)
	}
}

// TestOtherTargetReprompts: naming another server re-prompts, naming the
// pending one; keypad 1 then confirms (VOI-03).
func TestOtherTargetReprompts(t *testing.T) {
	r := newRig(t, "")
	c := r.dial(t, bobPhone, "CA0000000000000000000000000000002")
	r.menuToCard(t, c, "3", "Restart web one")
	// Under heavy load the endpointer may cut the words differently and
	// the recognizer miss them ("unclear": the generic re-prompt); the
	// caller says it again, as a person would. It must never confirm.
	for try := 0; ; try++ {
		played(t, c)
		r.speak(t, c, "web two")
		if r.expectAny(t, "You said web two, but this is about web one.", "Sorry, I didn't get that.") == 0 {
			break
		}
		if try == 1 {
			t.Fatal("the other target was not heard in two tries")
		}
	}
	if n := r.count(t, "confirmed", "bob"); n != 0 {
		t.Fatalf("a wrong target confirmed: %d", n)
	}
	played(t, c)
	c.Press("1")
	r.expect(t, "web one restarted")
}

// TestBackchannelIsNotAConfirmation: "okay" re-prompts; "cancel"
// rejects; nothing runs (VOI-02).
func TestBackchannelIsNotAConfirmation(t *testing.T) {
	r := newRig(t, "")
	c := r.dial(t, bobPhone, "CA0000000000000000000000000000003")
	r.menuToCard(t, c, "3", "Restart web one")
	played(t, c)
	r.speak(t, c, "okay")
	r.expect(t, "I need a clear answer.")
	played(t, c)
	r.speak(t, c, "cancel")
	r.expect(t, "Cancelled.")
	if n := r.count(t, "confirmed", "bob"); n != 0 {
		t.Fatalf("a backchannel confirmed: %d", n)
	}
}

// TestBargeInYesDoesNotCount: speaking during the read-back clears the
// line; that "approve" does not count, the read-back is read again, and
// only an "approve" after it was heard to the end confirms (VOI-02).
func TestBargeInYesDoesNotCount(t *testing.T) {
	r := newRig(t, "")
	c := r.dial(t, bobPhone, "CA0000000000000000000000000000004")
	r.menuToCard(t, c, "3", "Restart web one")
	r.speak(t, c, "approve") // at once: the read-back is still playing
	r.expect(t, "Let me read it to the end first.")
	if c.Clears() == 0 {
		t.Fatal("no clear sent on barge-in")
	}
	if n := r.count(t, "confirmed", "bob"); n != 0 {
		t.Fatalf("a yes during the read-back counted: %d", n)
	}
	played(t, c)
	r.speak(t, c, "approve")
	r.expect(t, "web one restarted")
}

// TestKeypadAfterTwoReprompts: three unclear answers bring the keypad;
// 2 cancels (VOI-03).
func TestKeypadAfterTwoReprompts(t *testing.T) {
	r := newRig(t, "")
	c := r.dial(t, bobPhone, "CA0000000000000000000000000000005")
	r.menuToCard(t, c, "3", "Restart web one")
	for i := 0; i < 3; i++ {
		played(t, c)
		r.speak(t, c, "what time is it")
	}
	r.expect(t, "Please use the keypad. Press 1 to confirm, or 2 to cancel.")
	played(t, c)
	c.Press("2")
	r.expect(t, "Cancelled.")
}

// TestLevel4AfterCooling: a delete cannot be confirmed by keypad; the
// call says how long the cooling period lasts and asks for the spelled
// name once it has passed; a spelling that is not the name changes
// nothing; confirmed from chat while the call is open, the call says so
// (VOI-03, SAFE-07, SAFE-08, CHAN-05).
func TestLevel4AfterCooling(t *testing.T) {
	r := newRig(t, "")
	c := r.dial(t, alicePh, "CA0000000000000000000000000000006")
	r.menuToCard(t, c, "4", "it can be confirmed in 30 seconds")
	played(t, c)
	c.Press("1")
	r.expect(t, "cannot be confirmed with the keypad")
	r.env.Clock.Advance(31 * time.Second)
	r.expect(t, "It can be confirmed now. To confirm, spell the name now: sierra tango alpha golf, india november golf, dash, one.")
	played(t, c)
	r.speak(t, c, "sierra tango alpha golf india november golf dash two")
	r.expect(t, "which is not the name")
	if n := r.count(t, "confirmed", "alice"); n != 0 {
		t.Fatalf("a wrong spelling confirmed: %d", n)
	}
	id := session.ProposalID(reProposal.FindString(r.lastProposed(t)))
	out := r.env.Decide(t, kerneltest.Alice, id, session.ActionAccept, "staging-1")
	if code := kerneltest.ErrCode(out); code != "" {
		t.Fatalf("confirm from chat: %s", kerneltest.Dump(out))
	}
	r.expect(t, "It was confirmed in another channel and carried out.")
}

var reProposal = regexp.MustCompile(`p_[a-z2-7]+`)

func (r *rig) lastProposed(t *testing.T) string {
	rows := r.env.Audit(t, "acme")
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].Kind == "proposed" {
			return rows[i].Data
		}
	}
	t.Fatal("nothing proposed")
	return ""
}

// TestForgedSignatureRefused: a webhook without the signature, or with
// one made with another token, is 403, audited, and makes no call
// (VOI-04).
func TestForgedSignatureRefused(t *testing.T) {
	r := newRig(t, "")
	hook := r.ad.WebhookURL()
	p := twiliotest.CallParams(sid, "CA0000000000000000000000000000007", bobPhone, "+15550100")
	for _, tok := range []string{"", "another-token"} {
		code, body := twiliotest.Webhook(t, hook, hook, tok, p)
		if code != http.StatusForbidden || !strings.Contains(body, session.CodeBadSignature) || strings.Contains(body, "Stream") {
			t.Fatalf("token %q: %d %s", tok, code, body)
		}
	}
	if n := r.count(t, "request_refused", "twilio"); n != 2 {
		t.Fatalf("refusals audited: %d", n)
	}
	// A valid signature over another URL is forged too.
	if code, _ := twiliotest.Webhook(t, hook, hook+"/other", token, p); code != http.StatusForbidden {
		t.Fatalf("signature over another URL: %d", code)
	}
	// The vector of the notes: the signature algorithm itself.
	v := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"}, "From": {"+12349013030"}, "To": {"+18005551212"}}
	if got := twiliotest.Sign("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", v); got != "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" {
		t.Fatalf("signature vector: %s", got)
	}
}

// TestReplayedStreamTokenRefused: a stream token works once (VOI-04).
func TestReplayedStreamTokenRefused(t *testing.T) {
	r := newRig(t, "")
	hook := r.ad.WebhookURL()
	_, body := twiliotest.Webhook(t, hook, hook, token, twiliotest.CallParams(sid, "CA0000000000000000000000000000008", bobPhone, "+15550100"))
	u, tok := twiliotest.Stream(t, body)
	first, err := twiliotest.Connect(t, u, sid, "CA0000000000000000000000000000008", tok, speed)
	if err != nil {
		t.Fatal(err)
	}
	r.expect(t, "Hello bob")
	second, err := twiliotest.Connect(t, u, sid, "CA0000000000000000000000000000008", tok, speed)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-second.Closed():
	case <-time.After(5 * time.Second):
		t.Fatal("a replayed token's stream stayed open")
	}
	if n := r.count(t, "request_refused", "twilio"); n != 1 {
		t.Fatalf("replay audited: %d", n)
	}
	first.Hangup()
}

// TestUnknownNumberRefused: a number linked to nobody is told so, hung up
// on and audited; no stream is offered (VOI-04).
func TestUnknownNumberRefused(t *testing.T) {
	r := newRig(t, "")
	hook := r.ad.WebhookURL()
	code, body := twiliotest.Webhook(t, hook, hook, token, twiliotest.CallParams(sid, "CA0000000000000000000000000000009", "+15559999", "+15550100"))
	if code != http.StatusOK || !strings.Contains(body, "not linked to anyone") || !strings.Contains(body, "<Hangup") || strings.Contains(body, "<Stream") {
		t.Fatalf("unknown caller: %d %s", code, body)
	}
	if n := r.count(t, "request_refused", "twilio:+15559999"); n != 1 {
		t.Fatalf("unknown caller audited: %d", n)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}
