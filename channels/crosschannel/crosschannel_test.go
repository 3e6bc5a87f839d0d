package crosschannel_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/channels/slack"
	"github.com/steward-os/steward/channels/slack/slacktest"
	"github.com/steward-os/steward/channels/telegram"
	"github.com/steward-os/steward/channels/telegram/telegramtest"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

const wait = 10 * time.Second

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// run starts an adapter and stops it when the test ends.
func run(t *testing.T, name string, r interface{ Run(context.Context) error }) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		case <-time.After(wait):
			t.Errorf("%s did not stop", name)
		}
	})
}

// CHAN-05 CHAN-03: bob asks on Telegram and a level-4 proposal appears
// there; after the cooling period he types the danger phrase on Slack.
// The result appears on both — as the reply on Slack, and on Telegram as
// a pushed message and the card edited in place — and the audit shows one
// execution.
func TestTelegramProposalConfirmedOnSlack(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	bob := kerneltest.Bob
	bob.Roles = []string{"admin"} // a level-4 action needs the admin ceiling
	e.Dir.Add(bob, "demo-bob")
	ctx := context.Background()

	// Telegram, webhook mode, mounted as serve mounts it.
	tg := telegramtest.Start(t, telegramtest.Options{})
	hook := httptest.NewServer(nil)
	t.Cleanup(hook.Close)
	tgAd, err := telegram.New(ctx, channels.CoreOf(e.K), telegram.Options{
		Name: "default", Channel: "telegram", Tenant: "acme", Token: tg.Token, APIURL: tg.APIURL(),
		Mode: "webhook", WebhookURL: hook.URL + "/", Secret: "cross-channel-secret", SweepEvery: 20 * time.Millisecond, Now: e.Clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	hook.Config.Handler = tgAd
	run(t, "telegram", tgAd)
	waitFor(t, "telegram webhook", func() bool { u, _ := tg.Webhook(); return u != "" })

	// Slack, Events API mode.
	sl := slacktest.Start(t, slacktest.Options{})
	slAd, err := slack.New(ctx, channels.CoreOf(e.K), slack.Options{
		Name: "default", Channel: "slack", Tenant: "acme", Token: sl.BotToken(), Mode: "events",
		SigningSecret: sl.SigningSecret(), APIURL: sl.APIURL(), Now: e.Clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	events := httptest.NewServer(slAd)
	t.Cleanup(events.Close)
	sl.SetEventsURL(events.URL)
	run(t, "slack", slAd)

	// Bob links both accounts with codes, as a person would.
	tgBob := telegramtest.User{ID: 222, FirstName: "Bob"}
	const slBob = "UBOB"
	code := func() string {
		c, _, err := e.K.Identity().LinkCode(ctx, bob)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	seq := tg.Seq()
	tg.SendText(t, tgBob, telegramtest.Private(tgBob), "link "+code())
	if !strings.Contains(joined(tg.Events(seq)), "now acts as bob") {
		t.Fatalf("telegram link: %+v", tg.Events(seq))
	}
	slSeq := len(sl.Calls())
	if _, _, err := sl.Message(ctx, slacktest.Message{User: slBob, Channel: slacktest.DMChannel(slBob), Text: "link " + code()}); err != nil {
		t.Fatal(err)
	}
	if _, ok := sl.Wait(slSeq, wait, func(c []slacktest.Call) bool { return strings.Contains(shown(c), "now acts as bob") }); !ok {
		t.Fatalf("slack link: %+v", sl.Since(slSeq))
	}

	// On Telegram: a level-4 proposal, with only a Reject button.
	seq = tg.Seq()
	tg.SendText(t, tgBob, telegramtest.Private(tgBob), `hosting.delete_server {"server":"staging-1"}`)
	var card telegramtest.Event
	var id session.ProposalID
	for _, ev := range tg.Events(seq) {
		for _, b := range ev.Buttons {
			if p, accept, ok := chatkit.ParseButtonData(b.CallbackData); ok {
				if accept {
					t.Fatalf("a level-4 card offers a Confirm button: %+v", ev)
				}
				card, id = ev, p
			}
		}
	}
	if id == "" || !strings.Contains(card.Text, "level 4") {
		t.Fatalf("no level-4 card on telegram: %+v", tg.Events(seq))
	}

	// On Slack, after the cooling period, the danger phrase.
	e.Clock.Advance(31 * time.Second)
	seq = tg.Seq()
	slSeq = len(sl.Calls())
	if _, _, err := sl.Message(ctx, slacktest.Message{User: slBob, Channel: slacktest.DMChannel(slBob), Text: "confirm " + string(id) + " staging-1"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := sl.Wait(slSeq, wait, func(c []slacktest.Call) bool { return strings.Contains(shown(c), "deleted") }); !ok {
		t.Fatalf("no result on slack: %+v", sl.Since(slSeq))
	}

	// On Telegram: the outcome pushed to the chat the proposal was made
	// in, and the card edited in place, its buttons gone.
	waitFor(t, "the outcome on telegram", func() bool {
		pushed, edited := false, false
		for _, ev := range tg.Events(seq) {
			if ev.Kind == "send" && ev.ChatID == tgBob.ID && strings.Contains(ev.Text, "deleted") {
				pushed = true
			}
			if ev.Kind == "edit" && ev.MessageID == card.MessageID && strings.Contains(ev.Text, "Confirmed and carried out") && len(ev.Buttons) == 0 {
				edited = true
			}
		}
		return pushed && edited
	})

	// One execution in the audit trail.
	confirmed, dispatched := 0, 0
	for _, r := range e.Audit(t, "acme") {
		switch {
		case r.Kind == "confirmed" && strings.Contains(r.Data, string(id)):
			confirmed++
		case r.Kind == "dispatch" && strings.Contains(r.Data, "hosting.delete_server"):
			dispatched++
		}
	}
	if confirmed != 1 || dispatched != 1 {
		t.Fatalf("confirmed %d, dispatched %d: want one execution", confirmed, dispatched)
	}
	// The proposal cannot run again from either channel.
	seq = tg.Seq()
	tg.SendText(t, tgBob, telegramtest.Private(tgBob), "confirm "+string(id)+" staging-1")
	if !strings.Contains(joined(tg.Events(seq)), session.CodeAlreadyExecuted) {
		t.Fatalf("second confirmation: %+v", tg.Events(seq))
	}
}

func joined(evs []telegramtest.Event) string {
	var b strings.Builder
	for _, e := range evs {
		b.WriteString(e.Text)
		b.WriteString("\n")
	}
	return b.String()
}

func shown(calls []slacktest.Call) string {
	var b strings.Builder
	for _, c := range calls {
		b.WriteString(c.Shown())
		b.WriteString("\n")
	}
	return b.String()
}
