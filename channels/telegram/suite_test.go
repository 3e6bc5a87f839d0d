package telegram_test

import (
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/channeltest"
	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/channels/telegram/telegramtest"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// tgDriver drives the Telegram channel as a person would: messages typed
// in the private chat, buttons pressed on the card, and what the bot
// posted read back from the fake Bot API.
type tgDriver struct {
	r       *rig
	user    telegramtest.User
	chat    telegramtest.Chat
	updates map[string]telegramtest.Update // event id → update, redelivered when reused
	cards   map[string]int                 // proposal id → the card's message id
	seen    int                            // deliveries read up to this event
}

func (d *tgDriver) Capabilities() channels.Capabilities { return d.r.ad.Capabilities() }

// deliver sends (or redelivers, for a reused id) an update and returns
// the events since before it.
func (d *tgDriver) deliver(t testing.TB, id string, mk func() telegramtest.Update) (telegramtest.Update, []telegramtest.Event) {
	t.Helper()
	seq := d.r.tg.Seq()
	u, ok := d.updates[id]
	if ok {
		u = d.r.tg.Redeliver(t, u)
	} else {
		u = mk()
		d.updates[id] = u
	}
	d.r.handled(t, u)
	return u, d.r.tg.Events(seq)
}

func (d *tgDriver) Say(t testing.TB, id, text string) channeltest.Observation {
	t.Helper()
	u, evs := d.deliver(t, id, func() telegramtest.Update { return d.r.tg.SendText(t, d.user, d.chat, text) })
	return observe(replies(evs, d.chat.ID, u.Message.MessageID), d.cards)
}

// Decide presses the card's button, or types the instruction the card
// shows when a phrase is needed.
func (d *tgDriver) Decide(t testing.TB, id string, c channeltest.Card, accept bool, phrase string) channeltest.Observation {
	t.Helper()
	if phrase != "" {
		return d.Say(t, id, strings.TrimSpace("confirm "+c.ID+" "+phrase))
	}
	msg, ok := d.cards[c.ID]
	if !ok {
		t.Fatalf("no card message for %s", c.ID)
	}
	u, evs := d.deliver(t, id, func() telegramtest.Update {
		return d.r.tg.Press(t, d.user, d.chat.ID, msg, chatkit.ButtonData(session.ProposalID(c.ID), accept))
	})
	shown := replies(evs, d.chat.ID, msg)
	if a := answerOf(evs, u.CallbackQuery.ID); a != nil {
		shown = append(shown, *a)
	}
	return observe(shown, d.cards)
}

// Deliveries is what the bot posted outside a reply.
func (d *tgDriver) Deliveries(t testing.TB, wait time.Duration) channeltest.Observation {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		var got []telegramtest.Event
		for _, e := range d.r.tg.Events(d.seen) {
			d.seen = e.Seq
			if e.Kind == "send" && e.ReplyTo == 0 && e.ChatID == d.chat.ID {
				got = append(got, e)
			}
		}
		if len(got) > 0 || time.Now().After(deadline) {
			return observe(got, d.cards)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// CHAN-03 CHAN-04: the Telegram channel passes the shared adapter suite
// through the real client library against the fake Bot API (webhook
// mode), buttons for decisions and a typed phrase at level 4.
func TestChannelSuite(t *testing.T) {
	channeltest.Run(t, func(t *testing.T, e *kerneltest.Env, a session.Actor) channeltest.Driver {
		r := start(t, e, rigOptions{})
		r.link(t, tgAlice, a)
		return &tgDriver{r: r, user: tgAlice, chat: telegramtest.Private(tgAlice), updates: map[string]telegramtest.Update{}, cards: map[string]int{}, seen: r.tg.Seq()}
	})
}

// CHAN-03 CHAN-04: the same suite with updates received by long polling.
func TestChannelSuitePolling(t *testing.T) {
	channeltest.Run(t, func(t *testing.T, e *kerneltest.Env, a session.Actor) channeltest.Driver {
		r := start(t, e, rigOptions{mode: "poll"})
		r.link(t, tgAlice, a)
		return &tgDriver{r: r, user: tgAlice, chat: telegramtest.Private(tgAlice), updates: map[string]telegramtest.Update{}, cards: map[string]int{}, seen: r.tg.Seq()}
	})
}
