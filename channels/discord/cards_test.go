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

// edits returns the edits of a message among records: by an UPDATE_MESSAGE
// answer or by REST.
func edits(recs []discordtest.Record, msg string) []discordtest.Record {
	var out []discordtest.Record
	for _, r := range recs {
		if r.MessageID == msg && (r.Kind == "edit" || r.Kind == "callback" && r.Type == 7) {
			out = append(out, r)
		}
	}
	return out
}

// A card is edited in place to its outcome, buttons removed: by the
// interaction's answer when the decision is quick (HTTP or gateway), by a
// REST edit after a deferred answer when it is slow, and after a typed
// decision.
func TestCardEditedOnDecision(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		accept   bool
		gateway  bool
		slow     bool
		answer   int    // the interaction's first answer
		outcome  string // the card's new first line
		replyHas string
	}{
		{"accept over HTTP", true, false, false, 7, "✓ Confirmed and carried out.", "restarted"},
		{"reject over HTTP", false, false, false, 7, "✗ Rejected: nothing was changed.", "nothing was changed"},
		{"accept over the gateway", true, true, false, 7, "✓ Confirmed and carried out.", "restarted"},
		{"slow accept over HTTP: deferred, then edited", true, false, true, 6, "✓ Confirmed and carried out.", "restarted"},
		{"slow reject over the gateway: deferred, then edited", false, true, true, 6, "✗ Rejected: nothing was changed.", "nothing was changed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := kerneltest.New(t, kerneltest.Options{})
			s := setup{}
			if tc.slow {
				s.ackWait = time.Nanosecond // every decision is "slow"
			}
			h := start(t, e, s)
			h.link(t, alice, kerneltest.Alice)
			c := one(t, h.say(t, discordtest.In{ID: "m-1", Author: alice, Content: `hosting.restart_server {"server":"web-1"}`}))
			card := h.card(t, c.ID)
			custom := "r:" + c.ID
			if tc.accept {
				custom = "a:" + c.ID
			}
			o, recs := h.press(t, discordtest.Press{ID: "i-1", MessageID: card.MessageID, CustomID: custom, User: alice}, tc.gateway)
			if len(o.Errors) > 0 || !strings.Contains(o.Text(), tc.replyHas) {
				t.Fatalf("reply: %+v", o)
			}
			var first *discordtest.Record
			for i, r := range recs {
				if r.Kind == "callback" && r.Interaction == "i-1" {
					first = &recs[i]
					break
				}
			}
			if first == nil || first.Type != tc.answer {
				t.Fatalf("first answer %+v in %+v", first, recs)
			}
			if via := first.Via; (via == "http") == tc.gateway {
				t.Fatalf("answered via %s", via)
			}
			ed := edits(recs, card.MessageID)
			if len(ed) != 1 {
				t.Fatalf("want one edit of the card, got %+v", recs)
			}
			m, _ := h.fake.Message(card.MessageID)
			if len(m.Buttons) != 0 || !strings.HasPrefix(unescape(m.Content), tc.outcome) || !strings.Contains(unescape(m.Content), c.ID) {
				t.Fatalf("card now %+v", m)
			}
		})
	}
}

// A level-4 card has only Reject and the typed instruction; the typed
// confirmation edits the card.
func TestDangerCardTypedConfirmation(t *testing.T) {
	t.Parallel()
	e := kerneltest.New(t, kerneltest.Options{})
	h := start(t, e, setup{})
	h.link(t, alice, kerneltest.Alice)
	_, recs := h.sayRecords(t, discordtest.In{ID: "m-1", Author: alice, Content: `hosting.delete_server {"server":"staging-1"}`})
	var card *discordtest.Record
	for i := range recs {
		if len(recs[i].Buttons) > 0 {
			card = &recs[i]
		}
	}
	if card == nil || len(card.Buttons) != 1 || card.Buttons[0].Label != "Reject" || !strings.HasPrefix(card.Buttons[0].CustomID, "r:") {
		t.Fatalf("level-4 card: %+v", recs)
	}
	text := unescape(card.Content)
	id := strings.TrimPrefix(card.Buttons[0].CustomID, "r:")
	if !strings.Contains(text, "To confirm, type: confirm "+id+" <exact name of the target>") || !strings.Contains(text, "level 4") {
		t.Fatalf("level-4 card text: %s", text)
	}
	e.Clock.Advance(31 * time.Second)
	o := h.say(t, discordtest.In{ID: "m-2", Author: alice, Content: "confirm " + id + " staging-1"})
	if len(o.Errors) > 0 || !strings.Contains(o.Text(), "deleted") {
		t.Fatalf("confirm: %+v", o)
	}
	m, _ := h.fake.Message(card.MessageID)
	if len(m.Buttons) != 0 || !strings.HasPrefix(m.Content, "✓ Confirmed") {
		t.Fatalf("card after the typed confirmation: %+v", m)
	}
}

// A card whose proposal expired, or was decided on another channel, is
// edited by the sweep (bridge.Watch runs it every few seconds); a press on
// an expired card answers proposal_expired to the presser and edits the
// card.
func TestCardEditedWhenEndedElsewhere(t *testing.T) {
	t.Parallel()
	e := kerneltest.New(t, kerneltest.Options{})
	h := start(t, e, setup{})
	h.link(t, alice, kerneltest.Alice)
	expiring := one(t, h.say(t, discordtest.In{ID: "m-1", Author: alice, Content: `hosting.resize_server {"server":"web-1","size":"xl"}`}))
	elsewhere := one(t, h.say(t, discordtest.In{ID: "m-2", Author: alice, Content: `hosting.restart_server {"server":"web-2"}`}))
	pressed := one(t, h.say(t, discordtest.In{ID: "m-3", Author: alice, Content: `hosting.restart_server {"server":"db-1"}`}))

	// Decided on another channel (the API, say).
	if out := e.Decide(t, kerneltest.Alice, session.ProposalID(elsewhere.ID), session.ActionReject, ""); kerneltest.ErrCode(out) != "" {
		t.Fatalf("decide elsewhere: %s", kerneltest.Dump(out))
	}
	if err := h.a.sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m, _ := h.fake.Message(h.card(t, elsewhere.ID).MessageID); len(m.Buttons) != 0 || !strings.HasPrefix(m.Content, "✗ Rejected") {
		t.Fatalf("card decided elsewhere: %+v", m)
	}
	if m, _ := h.fake.Message(h.card(t, expiring.ID).MessageID); len(m.Buttons) == 0 {
		t.Fatalf("a pending card was edited: %+v", m)
	}

	e.Clock.Advance(11 * time.Minute)
	// A press on an expired card: refused to the presser, card edited.
	card := h.card(t, pressed.ID)
	o, recs := h.press(t, discordtest.Press{ID: "i-1", MessageID: card.MessageID, CustomID: "a:" + pressed.ID, User: alice}, false)
	if len(o.Errors) != 1 || o.Errors[0] != session.CodeProposalExpired {
		t.Fatalf("press on expired: %+v", o)
	}
	for _, r := range recs {
		if (r.Kind == "followup" || r.Kind == "callback" && r.Type == 4) && r.Flags&64 == 0 {
			t.Fatalf("refusal shown to the channel: %+v", r)
		}
	}
	if m, _ := h.fake.Message(card.MessageID); len(m.Buttons) != 0 || !strings.HasPrefix(m.Content, "⌛ Expired") {
		t.Fatalf("pressed expired card: %+v", m)
	}
	// Expired untouched: the sweep edits it, once.
	if err := h.a.sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	exp := h.card(t, expiring.ID)
	if m, _ := h.fake.Message(exp.MessageID); len(m.Buttons) != 0 || !strings.HasPrefix(m.Content, "⌛ Expired") {
		t.Fatalf("expired card: %+v", m)
	}
	if err := h.a.sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(edits(h.fake.Records(), exp.MessageID)); n != 1 {
		t.Fatalf("expired card edited %d times", n)
	}
}
