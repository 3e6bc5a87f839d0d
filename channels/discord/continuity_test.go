package discord

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/channels/discord/discordtest"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// CHAN-05: one session across channels. A proposal shown on Discord and
// accepted on another channel runs once; Discord's card is edited to the
// outcome and the outcome is delivered to the conversation it came from.
// A proposal made on another channel is confirmed on Discord by typing.
func TestContinuity(t *testing.T) {
	t.Parallel()
	e := kerneltest.New(t, kerneltest.Options{})
	h := start(t, e, setup{})
	h.link(t, alice, kerneltest.Alice)
	d := &driver{h: h, user: alice, after: h.mark()}
	before := restarts(t, e, "web-1")

	c := one(t, d.Say(t, "m-1", `hosting.restart_server {"server":"web-1"}`))
	out := e.Decide(t, kerneltest.Alice, session.ProposalID(c.ID), session.ActionAccept, "")
	if kerneltest.ErrCode(out) != "" || restarts(t, e, "web-1") != before+1 {
		t.Fatalf("accept elsewhere: %s", kerneltest.Dump(out))
	}
	var seen []string
	deadline := time.Now().Add(waitLong)
	for time.Now().Before(deadline) && !strings.Contains(strings.Join(seen, "\n"), "restarted") {
		seen = append(seen, d.Deliveries(t, time.Second).Texts...)
	}
	if !strings.Contains(strings.Join(seen, "\n"), "restarted") {
		t.Fatalf("outcome not delivered to Discord: %v", seen)
	}
	if err := h.a.sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m, _ := h.fake.Message(h.card(t, c.ID).MessageID); len(m.Buttons) != 0 || !strings.HasPrefix(m.Content, "✓ Confirmed") {
		t.Fatalf("card after a decision elsewhere: %+v", m)
	}
	// A late press on Discord runs nothing.
	o, _ := h.press(t, discordtest.Press{ID: "i-late", MessageID: h.card(t, c.ID).MessageID, CustomID: "a:" + c.ID, User: alice}, false)
	if len(o.Errors) != 1 || o.Errors[0] != session.CodeAlreadyExecuted || restarts(t, e, "web-1") != before+1 {
		t.Fatalf("late press: %+v", o)
	}

	// Made elsewhere, confirmed here.
	card := kerneltest.Card(t, e.Say(t, kerneltest.Alice, `hosting.restart_server {"server":"web-2"}`))
	b2 := restarts(t, e, "web-2")
	if o := d.Say(t, "m-2", "confirm "+string(card.ID)); len(o.Errors) > 0 || !strings.Contains(o.Text(), "restarted") || restarts(t, e, "web-2") != b2+1 {
		t.Fatalf("typed confirmation of a proposal made elsewhere: %+v", o)
	}
}

// A dropped gateway connection is resumed by the client; messages sent
// after it are answered.
func TestGatewayReconnect(t *testing.T) {
	t.Parallel()
	e := kerneltest.New(t, kerneltest.Options{})
	h := start(t, e, setup{})
	h.link(t, alice, kerneltest.Alice)
	h.fake.Drop()
	if err := h.fake.WaitConnected(waitLong); err != nil {
		t.Fatal(err)
	}
	if o := h.say(t, discordtest.In{Author: alice, Content: `hosting.list_servers {}`}); !strings.Contains(o.Text(), "web-1") {
		t.Fatalf("after reconnect: %+v", o)
	}
	if n := h.fake.Resumes(); n != 1 {
		t.Fatalf("%d resumes", n)
	}
}
