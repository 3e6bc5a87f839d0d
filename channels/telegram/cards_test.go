package telegram_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/channels/telegram/telegramtest"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// card asks for a restart in chat and returns the card's id and message.
func (r *rig) card(t *testing.T, from telegramtest.User, chat telegramtest.Chat, text string) (session.ProposalID, telegramtest.Event) {
	t.Helper()
	_, got := r.say(t, from, chat, text)
	for _, e := range got {
		if c, ok := cardOf(e); ok {
			return session.ProposalID(c.ID), e
		}
	}
	t.Fatalf("no card in %+v", got)
	return "", telegramtest.Event{}
}

// In a group only the proposal's actor may press its buttons; anyone
// else's press is refused to them alone (the callback's alert), nothing
// is posted in the group and nothing runs.
func TestGroupPressByAnotherPerson(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := start(t, e, rigOptions{})
	r.link(t, tgAlice, kerneltest.Alice)
	r.link(t, tgBob, kerneltest.Bob)
	group := telegramtest.Group(-100200300, "ops")
	before := restarts(t, e, "web-1")

	id, card := r.card(t, tgAlice, group, `@steward_bot hosting.restart_server {"server":"web-1"}`)
	if card.ChatID != group.ID || len(card.Buttons) != 2 {
		t.Fatalf("card %+v", card)
	}
	for _, c := range []struct {
		who  telegramtest.User
		code string
		says string
	}{
		{tgBob, session.CodeNotYourProposal, ""},
		{tgCarol, session.CodeUnknownSender, `"link ABCD-EFGH"`},
	} {
		seq := r.tg.Seq()
		_, _, ans := r.press(t, c.who, group.ID, card.MessageID, chatkit.ButtonData(id, true))
		if ans == nil || !ans.Alert || !strings.HasSuffix(ans.Text, "["+c.code+"]") || !strings.Contains(ans.Text, c.says) || telegramtest.Length(ans.Text) > 200 {
			t.Fatalf("%s: answer %+v", c.who.Username, ans)
		}
		for _, ev := range r.tg.Events(seq) {
			if ev.Kind != "answer" {
				t.Fatalf("%s's refused press showed in the group: %+v", c.who.Username, ev)
			}
		}
	}
	if restarts(t, e, "web-1") != before {
		t.Fatal("a press by someone else ran the tool")
	}
	if m, _ := r.tg.Message(group.ID, card.MessageID); len(m.Buttons) != 2 {
		t.Fatalf("card changed by a refused press: %+v", m)
	}
	_, done, ans := r.press(t, tgAlice, group.ID, card.MessageID, chatkit.ButtonData(id, true))
	if ans == nil || ans.Text != "✓ Confirmed" || len(done) == 0 || !strings.Contains(done[0].Text, "restarted") || restarts(t, e, "web-1") != before+1 {
		t.Fatalf("alice's press: %+v %+v", done, ans)
	}
}

// Presses that cannot decide anything are answered (an alert with the
// code) and run nothing: an unknown proposal, a payload that is not ours,
// an expired proposal (whose card is edited to say so).
func TestCallbackRefusals(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := start(t, e, rigOptions{})
	r.link(t, tgAlice, kerneltest.Alice)
	chat := telegramtest.Private(tgAlice)
	id, card := r.card(t, tgAlice, chat, `hosting.resize_server {"server":"web-1","size":"xl"}`)

	for _, c := range []struct{ name, data, code string }{
		{"unknown proposal", "a:p_aaaaaaaaaaaaaaaa", session.CodeProposalNotFound},
		{"not our payload", "launch:missiles", session.CodeBadRequest},
		{"empty payload", "", session.CodeBadRequest},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, shown, ans := r.press(t, tgAlice, chat.ID, card.MessageID, c.data)
			if ans == nil || !strings.HasSuffix(ans.Text, "["+c.code+"]") || len(shown) != 0 {
				t.Fatalf("answer %+v, shown %+v", ans, shown)
			}
		})
	}
	e.Clock.Advance(11 * time.Minute)
	_, shown, ans := r.press(t, tgAlice, chat.ID, card.MessageID, chatkit.ButtonData(id, true))
	if ans == nil || !strings.HasSuffix(ans.Text, "[proposal_expired]") || len(shown) != 0 {
		t.Fatalf("expired: answer %+v, shown %+v", ans, shown)
	}
	m, _ := r.tg.Message(chat.ID, card.MessageID)
	if !strings.Contains(m.Text, "⌛ Expired: nothing was changed.") || len(m.Buttons) != 0 {
		t.Fatalf("expired card not edited: %+v", m)
	}
}

// Cards are edited in place, keyboard removed, when their proposal is
// accepted, rejected, or expires (found by the sweep, or by Run's watch).
func TestCardsEditedInPlace(t *testing.T) {
	cases := []struct {
		name    string
		end     func(t *testing.T, r *rig, id session.ProposalID, card telegramtest.Event)
		outcome string
	}{
		{"accepted", func(t *testing.T, r *rig, id session.ProposalID, card telegramtest.Event) {
			r.press(t, tgAlice, card.ChatID, card.MessageID, chatkit.ButtonData(id, true))
		}, "✓ Confirmed and carried out."},
		{"rejected", func(t *testing.T, r *rig, id session.ProposalID, card telegramtest.Event) {
			r.press(t, tgAlice, card.ChatID, card.MessageID, chatkit.ButtonData(id, false))
		}, "✗ Rejected: nothing was changed."},
		{"rejected by typing", func(t *testing.T, r *rig, id session.ProposalID, card telegramtest.Event) {
			r.say(t, tgAlice, telegramtest.Private(tgAlice), "reject "+string(id))
		}, "✗ Rejected: nothing was changed."},
		{"expired, swept", func(t *testing.T, r *rig, id session.ProposalID, card telegramtest.Event) {
			r.e.Clock.Advance(11 * time.Minute)
			if err := r.ad.Sweep(context.Background()); err != nil {
				t.Fatal(err)
			}
		}, "⌛ Expired: nothing was changed."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := kerneltest.New(t, kerneltest.Options{})
			r := start(t, e, rigOptions{})
			r.link(t, tgAlice, kerneltest.Alice)
			id, card := r.card(t, tgAlice, telegramtest.Private(tgAlice), `hosting.restart_server {"server":"web-2"}`)
			c.end(t, r, id, card)
			m, _ := r.tg.Message(card.ChatID, card.MessageID)
			if !strings.HasSuffix(m.Text, c.outcome) || len(m.Buttons) != 0 || !strings.HasPrefix(m.Text, "⚠ Needs your confirmation — level 2") || strings.Contains(m.Text, "To confirm") {
				t.Fatalf("card now reads %q with buttons %v", m.Text, m.Buttons)
			}
			edits := 0
			for _, ev := range r.tg.Events(0) {
				if ev.Kind == "edit" && ev.MessageID == card.MessageID {
					edits++
				}
			}
			if edits != 1 {
				t.Fatalf("%d edits of the card, want 1", edits)
			}
		})
	}
}

// Run's watch edits a card that expires with nobody pressing anything.
func TestWatchEditsExpiredCard(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := start(t, e, rigOptions{sweepEvery: 20 * time.Millisecond})
	r.link(t, tgAlice, kerneltest.Alice)
	_, card := r.card(t, tgAlice, telegramtest.Private(tgAlice), `hosting.restart_server {"server":"web-2"}`)
	e.Clock.Advance(11 * time.Minute)
	waitFor(t, "the expired card edited", func() bool {
		m, _ := r.tg.Message(card.ChatID, card.MessageID)
		return strings.HasSuffix(m.Text, "⌛ Expired: nothing was changed.") && len(m.Buttons) == 0
	})
}

// CHAN-05: a proposal shown on Telegram and decided on another channel:
// its card is edited to the outcome and the outcome is delivered to the
// chat where it was proposed.
func TestDecidedOnAnotherChannel(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := start(t, e, rigOptions{sweepEvery: 20 * time.Millisecond})
	r.link(t, tgAlice, kerneltest.Alice)
	chat := telegramtest.Private(tgAlice)
	id, card := r.card(t, tgAlice, chat, `hosting.restart_server {"server":"web-1"}`)
	seq := r.tg.Seq()
	out := e.Decide(t, kerneltest.Alice, id, session.ActionAccept, "")
	if kerneltest.ErrCode(out) != "" {
		t.Fatalf("decide: %s", kerneltest.Dump(out))
	}
	waitFor(t, "the card edited and the outcome delivered", func() bool {
		m, _ := r.tg.Message(card.ChatID, card.MessageID)
		delivered := false
		for _, ev := range r.tg.Events(seq) {
			delivered = delivered || (ev.Kind == "send" && ev.ChatID == chat.ID && ev.ReplyTo == 0 && strings.Contains(ev.Text, "restarted"))
		}
		return delivered && strings.HasSuffix(m.Text, "✓ Confirmed and carried out.") && len(m.Buttons) == 0
	})
}

// A level-4 card has only a Reject button and the typed instruction.
func TestDangerCardHasNoConfirmButton(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := start(t, e, rigOptions{})
	r.link(t, tgAlice, kerneltest.Alice)
	id, card := r.card(t, tgAlice, telegramtest.Private(tgAlice), `hosting.delete_server {"server":"staging-1"}`)
	if len(card.Buttons) != 1 || card.Buttons[0].CallbackData != chatkit.ButtonData(id, false) {
		t.Fatalf("buttons %+v", card.Buttons)
	}
	if !strings.Contains(card.Text, "To confirm, type: confirm "+string(id)+" <exact name of the target>") || strings.Contains(card.Text, "To cancel") {
		t.Fatalf("card text %q", card.Text)
	}
	// The card's text is MarkdownV2 with its header in bold.
	if !strings.HasPrefix(card.Raw, "*⚠ Needs your confirmation — level 4 \\(CRITICAL\\)*\n") || card.ParseMode != "MarkdownV2" {
		t.Fatalf("raw %q (%s)", card.Raw, card.ParseMode)
	}
}
