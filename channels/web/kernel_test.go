package web_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/channeltest"
	"github.com/steward-os/steward/channels/web"
	"github.com/steward-os/steward/kernel"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// Tests against the real kernel (SQLite store, demo world, scripted router).

func kernelServer(t *testing.T, e *kerneltest.Env) *httptest.Server {
	t.Helper()
	w := web.New(channels.CoreOf(e.K), e.Dir, web.Options{EventWait: 200 * time.Millisecond})
	srv := httptest.NewServer(w)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = w.Shutdown(ctx)
		srv.Close()
	})
	return srv
}

func restartsOf(t *testing.T, e *kerneltest.Env, server string) float64 {
	t.Helper()
	m := e.Call(t, kerneltest.Alice, "hosting.get_server", `{"server":"`+server+`"}`)
	n, _ := m["restarts"].(float64)
	return n
}

func cardOf(t testing.TB, f frame) *session.ProposalCard {
	t.Helper()
	for _, r := range f.Replies {
		if p, err := session.UnmarshalPart(r); err == nil {
			if c, ok := p.(*session.ProposalCard); ok {
				return c
			}
		}
	}
	t.Fatalf("no proposal in %+v", f)
	return nil
}

func auditKinds(t *testing.T, e *kerneltest.Env, tenant session.TenantID) []string {
	var out []string
	for _, r := range e.Audit(t, tenant) {
		out = append(out, r.Kind)
	}
	return out
}

// CHAN-04: a forged, foreign or cross-tenant proposal id is refused by the
// kernel's gate exactly as on any other channel, and audited.
func TestForgedProposalID(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	srv := kernelServer(t, e)
	bob := dial(t, srv)
	signInAs(t, bob, "demo-bob")
	bob.send(t, map[string]string{"type": "message", "id": "m1", "text": `hosting.restart_server {"server":"web-1"}`})
	card := cardOf(t, bob.nextType(t, "turn"))
	before := restartsOf(t, e, "web-1")

	alice := dial(t, srv)
	signIn(t, alice)
	dave := dial(t, srv)
	signInAs(t, dave, "demo-dave")
	for _, x := range []struct {
		c    *client
		id   string
		code string
	}{
		{alice, "p_aaaaaaaaaaaaaaaa", session.CodeProposalNotFound}, // forged
		{alice, string(card.ID), session.CodeNotYourProposal},       // someone else's
		{dave, string(card.ID), session.CodeProposalNotFound},       // another tenant's: same answer as a forged one
	} {
		x.c.send(t, map[string]string{"type": "decision", "id": "d-" + x.id, "proposal_id": x.id, "decision": "accept"})
		f := x.c.nextType(t, "turn")
		if got := texts(t, f.Replies); !slices.Equal(got, []string{"error:" + x.code}) {
			t.Fatalf("%s: %v", x.id, got)
		}
	}
	if restartsOf(t, e, "web-1") != before {
		t.Fatal("a refused decision ran the tool")
	}
	kinds := auditKinds(t, e, "acme")
	if n := strings.Count(strings.Join(kinds, ","), "confirmation_refused"); n < 2 {
		t.Fatalf("refusals not audited: %v", kinds)
	}
	if !slices.Contains(auditKinds(t, e, "globex"), "cross_tenant_refused") {
		t.Fatal("cross-tenant attempt not audited in the attacker's tenant")
	}
}

// CHAN-03, CHAN-04: the button press is the same gate as a typed
// confirmation; a re-sent message or decision (same id, after a dropped
// connection) gets the stored outcome and runs nothing twice.
func TestAcceptAndResendAfterReconnect(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	srv := kernelServer(t, e)
	before := restartsOf(t, e, "web-1")

	c := dial(t, srv)
	signIn(t, c)
	msg := map[string]string{"type": "message", "id": "m-restart", "text": `hosting.restart_server {"server":"web-1"}`}
	c.send(t, msg)
	first := c.nextType(t, "turn")
	card := cardOf(t, first)
	if card.SafetyLevel != 2 || card.DangerPhraseRequired || card.ArgsHash == "" || len(card.Impact.Targets) == 0 {
		t.Fatalf("card %+v", card)
	}
	if restartsOf(t, e, "web-1") != before {
		t.Fatal("ran before confirmation")
	}
	c.ws.Close()

	// The page reconnects and re-sends the message: same proposal.
	c2 := dial(t, srv)
	signIn(t, c2)
	c2.send(t, msg)
	again := c2.nextType(t, "turn")
	if again.Turn != first.Turn || cardOf(t, again).ID != card.ID {
		t.Fatalf("a re-sent message proposed again: %+v", again)
	}
	dec := map[string]string{"type": "decision", "id": "d-restart", "proposal_id": string(card.ID), "decision": "accept"}
	c2.send(t, dec)
	done := c2.nextType(t, "turn")
	if got := strings.Join(texts(t, done.Replies), "\n"); !strings.Contains(got, "restarted") {
		t.Fatalf("accept: %s", got)
	}
	if restartsOf(t, e, "web-1") != before+1 {
		t.Fatal("not restarted once")
	}
	c2.ws.Close()

	// Dropped before the page saw the result: it re-sends the decision.
	c3 := dial(t, srv)
	signIn(t, c3)
	c3.send(t, dec)
	redo := c3.nextType(t, "turn")
	if redo.Turn != done.Turn || !slices.Equal(texts(t, redo.Replies), texts(t, done.Replies)) {
		t.Fatalf("re-sent decision answered differently: %+v vs %+v", redo, done)
	}
	if restartsOf(t, e, "web-1") != before+1 {
		t.Fatal("a re-sent decision ran twice")
	}
	// A new press (new id) is a new decision: refused, nothing runs.
	c3.send(t, map[string]string{"type": "decision", "id": "d-again", "proposal_id": string(card.ID), "decision": "accept"})
	if got := texts(t, c3.nextType(t, "turn").Replies); !slices.Equal(got, []string{"error:" + session.CodeAlreadyExecuted}) {
		t.Fatalf("second press: %v", got)
	}
	if !slices.Contains(auditKinds(t, e, "acme"), "duplicate") {
		t.Fatal("redelivery not audited")
	}
}

// LRO-03: a background task's result reaches a page that was offline when
// it finished, once.
func TestTaskResultAfterResume(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{Config: kernel.Config{InlineBudget: 100 * time.Millisecond}})
	release := e.LoadSlow(t)
	srv := kernelServer(t, e)
	c := dial(t, srv)
	signIn(t, c)
	c.send(t, map[string]any{"type": "resume", "after": 0})
	c.send(t, map[string]string{"type": "message", "id": "m-work", "text": `slowtest.work {"label":"x"}`})
	f := c.nextType(t, "turn")
	got := texts(t, f.Replies)
	if len(got) == 0 || !strings.HasPrefix(got[0], "progress:") || !strings.HasSuffix(got[0], ":running") {
		t.Fatalf("not a running task: %v", got)
	}
	// Whatever arrived so far, the page has seen up to here.
	var last int64
	for {
		ev, ok := c.poll(300 * time.Millisecond)
		if !ok {
			break
		}
		if ev.Type == "event" {
			last = ev.ID
		}
	}
	c.ws.Close()
	close(release) // the task ends while the page is away

	time.Sleep(300 * time.Millisecond)
	c2 := dial(t, srv)
	signIn(t, c2)
	c2.send(t, map[string]any{"type": "resume", "after": last})
	var seen []int64
	var all []string
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(strings.Join(all, "|"), "Work x done.") {
		ev, ok := c2.poll(500 * time.Millisecond)
		if !ok || ev.Type != "event" {
			continue
		}
		seen = append(seen, ev.ID)
		var out struct {
			Replies []json.RawMessage `json:"replies"`
		}
		_ = json.Unmarshal(ev.Outbound, &out)
		all = append(all, texts(t, out.Replies)...)
	}
	if !strings.Contains(strings.Join(all, "|"), "Work x done.") || !strings.Contains(strings.Join(all, "|"), ":succeeded") {
		t.Fatalf("result not delivered: %v", all)
	}
	for i, id := range seen {
		if id <= last || (i > 0 && id <= seen[i-1]) {
			t.Fatalf("event ids %v after %d: a duplicate or out of order", seen, last)
		}
	}
	c2.quiet(t, 400*time.Millisecond)
}

// webDriver drives the web channel for the shared adapter suite: a real
// gorilla client speaking the page's protocol (buttons → decision frames).
type webDriver struct {
	c      *client
	events []frame
}

func (d *webDriver) Capabilities() channels.Capabilities {
	return channels.Capabilities{Buttons: true, Edits: true, MaxText: 4000}
}

func (d *webDriver) await(t testing.TB, id string) channeltest.Observation {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		f, ok := d.c.poll(time.Second)
		if !ok {
			continue
		}
		switch {
		case f.Type == "event":
			d.events = append(d.events, f)
		case f.Type == "turn" && f.InReplyTo == id:
			return channeltest.FromReplies(f.Replies)
		case f.Type == "error":
			return channeltest.Observation{Errors: []string{f.Code}}
		}
	}
	t.Fatalf("no reply to %s", id)
	return channeltest.Observation{}
}

func (d *webDriver) Say(t testing.TB, id, text string) channeltest.Observation {
	d.c.send(t, map[string]string{"type": "message", "id": id, "text": text})
	return d.await(t, id)
}

func (d *webDriver) Decide(t testing.TB, id string, c channeltest.Card, accept bool, phrase string) channeltest.Observation {
	dec := "reject"
	if accept {
		dec = "accept"
	}
	d.c.send(t, map[string]string{"type": "decision", "id": id, "proposal_id": c.ID, "decision": dec, "phrase": phrase})
	return d.await(t, id)
}

func (d *webDriver) Deliveries(t testing.TB, wait time.Duration) channeltest.Observation {
	evs := d.events
	d.events = nil
	if len(evs) == 0 {
		if f, ok := d.c.poll(wait); ok && f.Type == "event" {
			evs = append(evs, f)
		}
	}
	var o channeltest.Observation
	for _, e := range evs {
		var out struct {
			Replies []json.RawMessage `json:"replies"`
		}
		_ = json.Unmarshal(e.Outbound, &out)
		got := channeltest.FromReplies(out.Replies)
		o.Texts = append(o.Texts, got.Texts...)
		o.Errors = append(o.Errors, got.Errors...)
		o.Progress = append(o.Progress, got.Progress...)
		o.Cards = append(o.Cards, got.Cards...) // approval requests arrive as events
	}
	return o
}

// CHAN-03 CHAN-04: the web channel passes the shared adapter suite.
func TestChannelSuite(t *testing.T) {
	channeltest.Run(t, func(t *testing.T, e *kerneltest.Env, a session.Actor) channeltest.Driver {
		srv := kernelServer(t, e)
		c := dial(t, srv)
		signInAs(t, c, "demo-"+string(a.ID))
		c.send(t, map[string]any{"type": "resume", "after": 0})
		return &webDriver{c: c}
	})
}
