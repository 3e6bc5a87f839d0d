package chatkit_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// alertsFake records the acts it is handed.
type alertsFake struct {
	mu   sync.Mutex
	acts []session.AlertAct
}

func (f *alertsFake) Act(_ context.Context, a session.Actor, act session.AlertAct) (session.AlertCard, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acts = append(f.acts, act)
	return session.AlertCard{ID: "al_x", State: session.AlertAcknowledged, AckedBy: a.ID}, nil
}

// poster is a platform with alert cards: it records posts and edits
// among what it was asked to show ("post m1 s1", "edit m1 acknowledged").
type poster struct {
	platform
	n int
}

func (p *poster) PostAlert(_ context.Context, _ session.Address, c *session.AlertCard, ref string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ref != "" {
		p.got = append(p.got, "edit "+ref+" "+string(c.State))
		return ref, nil
	}
	p.n++
	ref = fmt.Sprintf("m%d", p.n)
	p.got = append(p.got, "post "+ref+" "+c.Step)
	return ref, nil
}

// Typed acts ("ack", "snooze 30m") go to the alerts service, not to a
// turn; alert buttons carry their act.
func TestTypedAlertActs(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	core := channels.CoreOf(e.K)
	fake := &alertsFake{}
	core.Alerts = fake
	b := chatkit.New(core, chatkit.Options{Channel: "telegram", Tenant: "acme", Now: e.Clock.Now})
	link(t, e, b, kerneltest.Alice, "7")
	out := b.Message(context.Background(), session.Address{Account: "7", Chat: "7"}, "m1", "ack")
	if len(fake.acts) != 1 || fake.acts[0].Kind != session.AlertAck || fake.acts[0].From.Channel != "telegram" {
		t.Fatalf("acts %+v", fake.acts)
	}
	if txt, ok := out.Parts[0].(*session.Text); !ok || !strings.HasPrefix(txt.Text, "✓ Acknowledged al_x") {
		t.Fatalf("answer %#v", out.Parts)
	}
	b.Message(context.Background(), session.Address{Account: "7", Chat: "7"}, "m2", "snooze 30m")
	if fake.acts[1].Kind != session.AlertSnooze || fake.acts[1].For != 30*time.Minute {
		t.Fatalf("snooze act %+v", fake.acts[1])
	}
	for _, k := range []session.AlertActKind{session.AlertAck, session.AlertUnack, session.AlertSnooze, session.AlertResolve, session.AlertEscalate} {
		d := chatkit.AlertButtonData(k, "al_abcdefghijklmnop")
		act, ok := chatkit.ParseAlertButton(d)
		if !ok || act.Kind != k || act.Alert != "al_abcdefghijklmnop" || len(d) > 64 {
			t.Fatalf("%q → %+v %v", d, act, ok)
		}
	}
	for _, bad := range []string{"al:", "al:z:al_x", "al:a:p_x", "a:p_x"} {
		if _, ok := chatkit.ParseAlertButton(bad); ok {
			t.Fatalf("accepted %q", bad)
		}
	}
}

// A page is posted once, also when its event is delivered again; an edit
// edits the posted copy and is never posted where there is none.
func TestAlertCardsPostedOnceAndEdited(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	pub := e.K.Deliveries().(interface {
		Publish(context.Context, session.SessionID, session.Outbound)
	})
	b := chatkit.New(channels.CoreOf(e.K), chatkit.Options{Channel: "telegram", Tenant: "acme", Now: e.Clock.Now})
	link(t, e, b, kerneltest.Alice, "7")
	p := &poster{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = b.Pump(ctx, p) }()
	started(t, e, "telegram")
	sid := session.SessionFor(kerneltest.Alice)
	to := session.Address{Channel: "telegram"}
	card := func(id session.AlertID, state session.AlertState, step string, edit bool) session.Outbound {
		return session.Outbound{To: to, Parts: []session.Part{&session.AlertCard{ID: id, State: state, Severity: "critical", Title: "down", Step: step, Edit: edit}}}
	}
	pub.Publish(ctx, sid, card("al_a", session.AlertFiring, "s1", false))
	pub.Publish(ctx, sid, card("al_a", session.AlertFiring, "s1", false))    // delivered again
	pub.Publish(ctx, sid, card("al_b", session.AlertAcknowledged, "", true)) // no copy of al_b here
	pub.Publish(ctx, sid, card("al_a", session.AlertAcknowledged, "", true))
	got := p.wait(t, 2)
	time.Sleep(50 * time.Millisecond)
	p.mu.Lock()
	defer p.mu.Unlock()
	if want := []string{"post m1 s1", "edit m1 acknowledged"}; strings.Join(p.got, "|") != strings.Join(want, "|") {
		t.Fatalf("operations %v, want %v", got, want)
	}
}
