package discord

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/channels/discord/discordtest"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

func refusals(t *testing.T, e *kerneltest.Env, code string) int {
	t.Helper()
	n := 0
	for _, r := range e.Audit(t, "acme") {
		if r.Kind == "request_refused" && strings.Contains(r.Data, `"channel":"discord"`) && strings.Contains(r.Data, `"code":"`+code+`"`) {
			n++
		}
	}
	return n
}

func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Message == "" {
		t.Fatalf("not an error envelope: %s", body)
	}
	return e.Error.Code
}

// Bad or missing signatures and stale timestamps are 401 bad_signature
// and audited; malformed bodies 400 bad_request; a PING is answered PONG.
func TestInteractionVerification(t *testing.T) {
	t.Parallel()
	e := kerneltest.New(t, kerneltest.Options{})
	h := start(t, e, setup{})
	h.link(t, alice, kerneltest.Alice)
	c := one(t, h.say(t, discordtest.In{ID: "r1", Author: alice, Content: `hosting.restart_server {"server":"web-1"}`}))
	card := h.card(t, c.ID)
	valid, err := h.fake.Interaction(discordtest.Press{ID: "i-valid", MessageID: card.MessageID, CustomID: "a:" + c.ID, User: alice})
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	now := e.Clock.Now()
	foreign := func(body []byte) http.Header {
		h := h.fake.Sign(body, now)
		ts := h.Get("X-Signature-Timestamp")
		h.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(otherKey, append([]byte(ts), body...))))
		return h
	}
	before := restarts(t, e, "web-1")
	for _, tc := range []struct {
		name   string
		body   []byte
		header func(body []byte) http.Header
		status int
		code   string
	}{
		{"no signature", valid, func([]byte) http.Header { return http.Header{} }, 401, session.CodeBadSignature},
		{"signed by another key", valid, foreign, 401, session.CodeBadSignature},
		{"body changed after signing", valid, func([]byte) http.Header { return h.fake.Sign([]byte(`{"id":"x"}`), now) }, 401, session.CodeBadSignature},
		{"signature not hex", valid, func(b []byte) http.Header {
			x := h.fake.Sign(b, now)
			x.Set("X-Signature-Ed25519", "zz")
			return x
		}, 401, session.CodeBadSignature},
		{"timestamp 6 minutes old", valid, func(b []byte) http.Header { return h.fake.Sign(b, now.Add(-6*time.Minute)) }, 401, session.CodeBadSignature},
		{"timestamp 6 minutes ahead", valid, func(b []byte) http.Header { return h.fake.Sign(b, now.Add(6*time.Minute)) }, 401, session.CodeBadSignature},
		{"not JSON", []byte(`{"id":`), func(b []byte) http.Header { return h.fake.Sign(b, now) }, 400, session.CodeBadRequest},
		{"no id or type", []byte(`{"hello":1}`), func(b []byte) http.Header { return h.fake.Sign(b, now) }, 400, session.CodeBadRequest},
		{"press without its message", []byte(`{"id":"i9","type":3,"token":"t","channel_id":"c","user":{"id":"1"},"data":{"custom_id":"a:p_aaaa","component_type":2}}`),
			func(b []byte) http.Header { return h.fake.Sign(b, now) }, 400, session.CodeBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sig, bad := refusals(t, e, session.CodeBadSignature), refusals(t, e, session.CodeBadRequest)
			rep, err := h.fake.Post(context.Background(), h.hook.URL+"/", tc.body, tc.header(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Status != tc.status || errorCode(t, rep.Body) != tc.code {
				t.Fatalf("got %d %s", rep.Status, rep.Body)
			}
			if refusals(t, e, session.CodeBadSignature)+refusals(t, e, session.CodeBadRequest) != sig+bad+1 {
				t.Fatal("refusal not audited")
			}
		})
	}
	if restarts(t, e, "web-1") != before {
		t.Fatal("a refused request ran the tool")
	}
	if m, _ := h.fake.Message(card.MessageID); len(m.Buttons) != 2 || m.Edited != 0 {
		t.Fatalf("card changed by refused requests: %+v", m)
	}

	// PING → PONG; other methods and paths are refused plainly.
	rep, err := h.fake.Ping(context.Background(), h.hook.URL+"/")
	if err != nil || rep.Status != 200 || rep.Type != 1 {
		t.Fatalf("ping: %+v %v", rep, err)
	}
	for _, tc := range []struct {
		method, path string
		status       int
		code         string
	}{
		{http.MethodGet, "/", 405, session.CodeMethodNotAllowed},
		{http.MethodPost, "/elsewhere", 404, session.CodeNotFound},
	} {
		req, _ := http.NewRequest(tc.method, h.hook.URL+tc.path, strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var b [512]byte
		n, _ := resp.Body.Read(b[:])
		resp.Body.Close()
		if resp.StatusCode != tc.status || errorCode(t, b[:n]) != tc.code {
			t.Fatalf("%s %s: %d %s", tc.method, tc.path, resp.StatusCode, b[:n])
		}
	}
}

// Without a public key the endpoint is off.
func TestInteractionsDisabledWithoutKey(t *testing.T) {
	t.Parallel()
	e := kerneltest.New(t, kerneltest.Options{})
	h := start(t, e, setup{noPublicKey: true})
	rep, err := h.fake.Ping(context.Background(), h.hook.URL+"/")
	if err != nil || rep.Status != 404 || errorCode(t, rep.Body) != session.CodeNotFound {
		t.Fatalf("ping: %+v %v", rep, err)
	}
}

// A replayed message and a replayed interaction (same ids) make one turn
// and one execution.
func TestReplayedEventsRunOnce(t *testing.T) {
	t.Parallel()
	e := kerneltest.New(t, kerneltest.Options{})
	h := start(t, e, setup{})
	h.link(t, alice, kerneltest.Alice)
	before := restarts(t, e, "web-1")
	first := one(t, h.say(t, discordtest.In{ID: "m-1", Author: alice, Content: `hosting.restart_server {"server":"web-1"}`}))
	again := one(t, h.say(t, discordtest.In{ID: "m-1", Author: alice, Content: `hosting.restart_server {"server":"web-1"}`}))
	if first.ID != again.ID {
		t.Fatalf("a replayed message proposed again: %s, %s", first.ID, again.ID)
	}
	card := h.card(t, first.ID)
	for _, gateway := range []bool{false, false, true} {
		o, _ := h.press(t, discordtest.Press{ID: "i-1", MessageID: card.MessageID, CustomID: "a:" + first.ID, User: alice}, gateway)
		if len(o.Errors) > 0 || !strings.Contains(o.Text(), "restarted") {
			t.Fatalf("replayed press: %+v", o)
		}
	}
	if restarts(t, e, "web-1") != before+1 {
		t.Fatal("a replayed press ran twice")
	}
	// A new press is a new decision: refused, to the presser only.
	o, recs := h.press(t, discordtest.Press{ID: "i-2", MessageID: card.MessageID, CustomID: "a:" + first.ID, User: alice}, false)
	if len(o.Errors) != 1 || o.Errors[0] != session.CodeAlreadyExecuted || !ephemeral(recs, "i-2") {
		t.Fatalf("second press: %+v %+v", o, recs)
	}
	if restarts(t, e, "web-1") != before+1 {
		t.Fatal("ran twice")
	}
}

// ephemeral reports that an interaction was answered with a message only
// its presser sees, and that nothing was posted in the channel.
func ephemeral(recs []discordtest.Record, id string) bool {
	seen := false
	for _, r := range recs {
		switch {
		case (r.Kind == "callback" && r.Type == 4 || r.Kind == "followup") && r.Interaction == id:
			if r.Flags&64 == 0 {
				return false
			}
			seen = true
		case r.Kind == "create", r.Kind == "edit", r.Kind == "callback" && r.Type == 7:
			return false
		}
	}
	return seen
}

// Presses that must change nothing: someone else's proposal in a guild
// channel, an unlinked presser, a forged or unknown proposal id, a button
// that is not ours. Each is answered to the presser alone, and the card
// keeps its buttons.
func TestPressRefusals(t *testing.T) {
	t.Parallel()
	e := kerneltest.New(t, kerneltest.Options{})
	h := start(t, e, setup{})
	h.link(t, alice, kerneltest.Alice)
	h.link(t, bob, kerneltest.Bob)
	const guild, channel = "700000000000000001", "710000000000000001"
	mention := "<@" + h.fake.Bot().ID + "> "
	c := one(t, h.say(t, discordtest.In{ID: "g-1", ChannelID: channel, GuildID: guild, Author: alice, Content: mention + `hosting.restart_server {"server":"web-1"}`, Mentions: []discordtest.User{h.fake.Bot()}}))
	card := h.card(t, c.ID)
	before := restarts(t, e, "web-1")
	for _, tc := range []struct {
		name     string
		user     discordtest.User
		customID string
		code     string
		gateway  bool
	}{
		{"someone else's proposal", bob, "a:" + c.ID, session.CodeNotYourProposal, false},
		{"someone else's proposal, over the gateway", bob, "r:" + c.ID, session.CodeNotYourProposal, true},
		{"an unlinked account", carol, "a:" + c.ID, session.CodeUnknownSender, false},
		{"an unknown proposal id", alice, "a:p_aaaaaaaaaaaaaaaa", session.CodeProposalNotFound, false},
		{"a button that is not ours", alice, "vote:yes", session.CodeBadRequest, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := "i-" + strings.ReplaceAll(tc.name, " ", "-")
			o, recs := h.press(t, discordtest.Press{ID: id, MessageID: card.MessageID, CustomID: tc.customID, User: tc.user, GuildID: guild}, tc.gateway)
			if len(o.Errors) != 1 || o.Errors[0] != tc.code || !ephemeral(recs, id) {
				t.Fatalf("got %+v from %+v", o, recs)
			}
			if tc.code == session.CodeUnknownSender && !strings.Contains(strings.Join(contents(recs), "\n"), "link ABCD-EFGH") {
				t.Fatalf("the refusal does not say how to link: %+v", recs)
			}
		})
	}
	if restarts(t, e, "web-1") != before {
		t.Fatal("a refused press ran the tool")
	}
	if m, _ := h.fake.Message(card.MessageID); len(m.Buttons) != 2 || m.Edited != 0 {
		t.Fatalf("card changed by refused presses: %+v", m)
	}
	// The owner's press still works.
	o, _ := h.press(t, discordtest.Press{ID: "i-owner", MessageID: card.MessageID, CustomID: "a:" + c.ID, User: alice, GuildID: guild}, false)
	if !strings.Contains(o.Text(), "restarted") || restarts(t, e, "web-1") != before+1 {
		t.Fatalf("owner press: %+v", o)
	}
}

func contents(recs []discordtest.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, unescape(r.Content))
	}
	return out
}

// An unlinked account is told how to link, and can link by sending the
// code; a redelivered unknown-sender message is answered once.
func TestUnknownSender(t *testing.T) {
	t.Parallel()
	e := kerneltest.New(t, kerneltest.Options{})
	h := start(t, e, setup{})
	o := h.say(t, discordtest.In{ID: "u-1", Author: carol, Content: "hosting.list_servers {}"})
	if len(o.Errors) != 1 || o.Errors[0] != session.CodeUnknownSender || !strings.Contains(o.Text()+strings.Join(contents(h.fake.Records()), ""), "link ABCD-EFGH") {
		t.Fatalf("unknown sender: %+v", o)
	}
	if again := h.say(t, discordtest.In{ID: "u-1", Author: carol, Content: "hosting.list_servers {}"}); len(again.Errors)+len(again.Texts) != 0 {
		t.Fatalf("a redelivered unknown-sender message was answered again: %+v", again)
	}
	if refusals(t, e, session.CodeUnknownSender) != 1 {
		t.Fatal("unknown sender not audited once")
	}
	h.link(t, carol, kerneltest.Carol)
	if o := h.say(t, discordtest.In{ID: "u-2", Author: carol, Content: "hosting.list_servers {}"}); len(o.Errors) > 0 || !strings.Contains(o.Text(), "web-1") {
		t.Fatalf("after linking: %+v", o)
	}
}
