package slack

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/channeltest"
	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/channels/slack/slacktest"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// A test workspace: the real client library against slacktest, over the
// socket or the Events API, with a real kernel behind the adapter.

const waitLong = 15 * time.Second

type rig struct {
	t    testing.TB
	e    *kerneltest.Env
	fake *slacktest.Server
	a    *Adapter
	mode string
	// eventsBase is the adapter's HTTP endpoint (events mode).
	eventsBase string

	mu      sync.Mutex
	handled map[string]int
	changed chan struct{}
}

type rigOptions struct {
	mode       string
	sweepEvery time.Duration
	ackWait    time.Duration
}

// newRig starts a fake Slack, the adapter over e.K, and its Run.
func newRig(t testing.TB, e *kerneltest.Env, o rigOptions) *rig {
	t.Helper()
	if o.mode == "" {
		o.mode = ModeSocket
	}
	fake := slacktest.Start(t, slacktest.Options{})
	ctx := context.Background()
	a, err := New(ctx, channels.CoreOf(e.K), Options{
		Name: "default", Channel: "slack", Tenant: "acme",
		Token: fake.BotToken(), Mode: o.mode, AppToken: fake.AppToken(), SigningSecret: fake.SigningSecret(),
		APIURL: fake.APIURL(), Now: e.Clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, e: e, fake: fake, a: a, mode: o.mode, handled: map[string]int{}, changed: make(chan struct{})}
	a.handled = r.onHandled
	if o.sweepEvery > 0 {
		a.sweepEvery = o.sweepEvery
	}
	if o.ackWait > 0 {
		a.ackWait = o.ackWait
	}
	if o.mode == ModeEvents {
		srv := httptest.NewServer(a)
		t.Cleanup(srv.Close)
		fake.SetEventsURL(srv.URL)
		r.eventsBase = srv.URL
	}
	runCtx, cancel := context.WithCancel(ctx)
	stopped := make(chan error, 1)
	go func() { stopped <- a.Run(runCtx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-stopped:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(waitLong):
			t.Error("Run did not return after its context ended")
		}
	})
	if o.mode == ModeSocket {
		wctx, wcancel := context.WithTimeout(ctx, waitLong)
		defer wcancel()
		if err := fake.WaitConnected(wctx); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func (r *rig) onHandled(key string) {
	r.mu.Lock()
	r.handled[key]++
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// count is how many times an event has been handled so far.
func (r *rig) count(key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.handled[key]
}

// waitHandled waits until key has been handled n times in all.
func (r *rig) waitHandled(t testing.TB, key string, n int) {
	t.Helper()
	deadline := time.NewTimer(waitLong)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		got, ch := r.handled[key], r.changed
		r.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("event %s not handled (%d of %d)", key, got, n)
		}
	}
}

// link links a Slack user to an actor as a person would: a code issued
// where the actor is known, sent as "link CODE" in a direct message.
func (r *rig) link(t testing.TB, user string, a session.Actor) {
	t.Helper()
	code, _, err := r.e.K.Identity().LinkCode(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	seq := len(r.fake.Calls())
	r.say(t, slacktest.Message{User: user, Channel: slacktest.DMChannel(user), Text: "link " + code})
	got := visible(r.fake.Since(seq), user)
	if len(got) == 0 || !strings.Contains(got[0].Text, "Linked") {
		t.Fatalf("link: %+v", got)
	}
}

// say delivers a message and waits until the adapter has handled it.
func (r *rig) say(t testing.TB, m slacktest.Message) string {
	t.Helper()
	if m.EventID == "" {
		m.EventID = "Ev" + r.fake.NextTS()
	}
	before := r.count(m.EventID)
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	id, res, err := r.fake.Message(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if r.mode == ModeEvents && res.Status != 200 {
		t.Fatalf("events answered %d %s", res.Status, res.Body)
	}
	r.waitHandled(t, id, before+1)
	return id
}

// press delivers a button press and waits until it has been handled.
func (r *rig) press(t testing.TB, p slacktest.Press) slacktest.Result {
	t.Helper()
	if p.TriggerID == "" {
		p.TriggerID = "trig." + r.fake.NextTS()
	}
	before := r.count(p.TriggerID)
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	id, res, err := r.fake.Press(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	r.waitHandled(t, id, before+1)
	return res
}

// visible keeps the new messages a user sees: posts, and ephemeral
// messages meant for them (not edits).
func visible(calls []slacktest.Call, user string) []slacktest.Call {
	var out []slacktest.Call
	for _, c := range calls {
		if c.Method == "chat.postMessage" || (c.Method == "chat.postEphemeral" && c.User == user) {
			out = append(out, c)
		}
	}
	return out
}

// observe reads messages back as a person reads them: a card is a message
// with decision buttons (its id from their payload, its level from its
// text, a phrase needed when there is no Confirm button and the text says
// what to type); other text line by line, as the terminal's test does.
func observe(calls []slacktest.Call) channeltest.Observation {
	var o channeltest.Observation
	for _, c := range calls {
		shown := slacktest.Unescape(c.Shown())
		if card, ok := cardOf(c, shown); ok {
			o.Cards = append(o.Cards, card)
			continue
		}
		channeltest.ReadText(&o, shown)
	}
	return o
}

func cardOf(c slacktest.Call, shown string) (channeltest.Card, bool) {
	level, phrase, ok := channeltest.ReadCardText(shown)
	if !ok {
		return channeltest.Card{}, false
	}
	card := channeltest.Card{Level: level}
	confirm := false
	for _, b := range c.Buttons() {
		p, accept, ok := chatkit.ParseButtonData(b.Value)
		if !ok {
			continue
		}
		card.ID = string(p)
		confirm = confirm || accept
	}
	card.NeedsPhrase = !confirm && phrase
	return card, card.ID != ""
}

// ---- the shared suite's driver ----

type driver struct {
	r       *rig
	user    string
	channel string
	cursor  int
	ts      map[string]string // event id → message ts, so a redelivery is the same message
	cards   map[string]slacktest.Call
}

func (d *driver) Capabilities() channels.Capabilities { return d.r.a.Capabilities() }

func (d *driver) collect() channeltest.Observation {
	calls := d.r.fake.Since(d.cursor)
	if len(calls) > 0 {
		d.cursor = calls[len(calls)-1].Seq
	}
	shown := visible(calls, d.user)
	for _, c := range shown {
		if card, ok := cardOf(c, slacktest.Unescape(c.Shown())); ok {
			d.cards[card.ID] = c
		}
	}
	return observe(shown)
}

func (d *driver) Say(t testing.TB, id, text string) channeltest.Observation {
	t.Helper()
	ts, ok := d.ts[id]
	if !ok {
		ts = d.r.fake.NextTS()
		d.ts[id] = ts
	}
	d.r.say(t, slacktest.Message{EventID: id, User: d.user, Channel: d.channel, Text: text, TS: ts})
	return d.collect()
}

// Decide presses the card's button, or types the danger phrase.
func (d *driver) Decide(t testing.TB, id string, c channeltest.Card, accept bool, phrase string) channeltest.Observation {
	t.Helper()
	if phrase != "" {
		return d.Say(t, id, "confirm "+c.ID+" "+phrase)
	}
	card, ok := d.cards[c.ID]
	if !ok {
		t.Fatalf("no card %s on screen", c.ID)
	}
	want := chatkit.ButtonData(session.ProposalID(c.ID), accept)
	var button *slacktest.Button
	for _, b := range card.Buttons() {
		if b.Value == want {
			button = &b
		}
	}
	if button == nil {
		t.Fatalf("card %s has no button %s", c.ID, want)
	}
	d.r.press(t, slacktest.Press{TriggerID: id, User: d.user, Channel: card.Channel, MessageTS: card.TS, ThreadTS: card.ThreadTS, ActionID: button.ActionID, Value: button.Value})
	return d.collect()
}

func (d *driver) Deliveries(t testing.TB, wait time.Duration) channeltest.Observation {
	d.r.fake.Wait(d.cursor, wait, func(c []slacktest.Call) bool { return len(visible(c, d.user)) > 0 })
	return d.collect()
}

func opener(mode string) channeltest.Opener {
	return func(t *testing.T, e *kerneltest.Env, a session.Actor) channeltest.Driver {
		r := newRig(t, e, rigOptions{mode: mode})
		user := "U" + strings.ToUpper(string(a.ID))
		r.link(t, user, a)
		return &driver{r: r, user: user, channel: slacktest.DMChannel(user), cursor: len(r.fake.Calls()), ts: map[string]string{}, cards: map[string]slacktest.Call{}}
	}
}

// CHAN-03 CHAN-04: Slack passes the shared adapter suite, over Socket Mode
// and over the Events API, driving the real client library.
func TestChannelSuite(t *testing.T) {
	for _, mode := range []string{ModeSocket, ModeEvents} {
		t.Run(mode, func(t *testing.T) { channeltest.Run(t, opener(mode)) })
	}
}
