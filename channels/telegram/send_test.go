package telegram_test

import (
	"context"
	"strings"
	"testing"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/channels/telegram"
	"github.com/steward-os/steward/channels/telegram/telegramtest"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// A 429 with retry_after delays a send; the message still arrives.
func TestRateLimitedSendArrives(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := start(t, e, rigOptions{})
	r.link(t, tgAlice, kerneltest.Alice)
	calls := r.tg.Calls("sendMessage")
	r.tg.RateLimit("sendMessage", 1, 1)
	_, got := r.say(t, tgAlice, telegramtest.Private(tgAlice), `hosting.list_servers {}`)
	if len(got) != 1 || !strings.Contains(got[0].Text, "web-1") {
		t.Fatalf("reply after a rate limit: %+v", got)
	}
	if n := r.tg.Calls("sendMessage") - calls; n != 2 {
		t.Fatalf("sendMessage called %d times, want 2 (refused, then sent)", n)
	}
}

// Text with every MarkdownV2 reserved character (and backslashes) reads
// exactly as written.
func TestMarkdownRoundTrip(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := start(t, e, rigOptions{})
	r.link(t, tgAlice, kerneltest.Alice)
	texts := []string{
		"_*[]()~`>#+-=|{}.!",
		`C:\path\to\file.txt \_ \\ \`,
		"*bold?* _it_ [link](http://x.y) `code` ```pre``` ||spoiler|| ~s~ > quote\n# 1. a-b=c+d {e} f|g!",
		"emoji 🚀 and ∑ and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢.",
	}
	for _, text := range texts {
		seq := r.tg.Seq()
		if err := r.ad.Deliver(context.Background(), session.Address{Channel: "telegram", Account: "111", Chat: "111"}, session.Outbound{Parts: []session.Part{&session.Text{Text: text}}}); err != nil {
			t.Fatalf("deliver %q: %v", text, err)
		}
		evs := r.tg.Events(seq)
		if len(evs) != 1 || evs[0].Text != text || evs[0].ParseMode != "MarkdownV2" {
			t.Fatalf("sent %q, reads %+v", text, evs)
		}
	}
}

// Long replies are split into messages Telegram accepts, losing nothing.
func TestLongReplySplit(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := start(t, e, rigOptions{})
	r.link(t, tgAlice, kerneltest.Alice)
	var b strings.Builder
	for i := 0; b.Len() < 12000; i++ {
		b.WriteString("server web-1.example (v2.1) is_up! ")
		if i%40 == 39 {
			b.WriteString("\n")
		}
	}
	text := strings.TrimSpace(b.String())
	seq := r.tg.Seq()
	if err := r.ad.Deliver(context.Background(), session.Address{Channel: "telegram", Account: "111"}, session.Outbound{Parts: []session.Part{&session.Text{Text: text}}}); err != nil {
		t.Fatal(err)
	}
	evs := r.tg.Events(seq)
	if len(evs) < 4 {
		t.Fatalf("%d messages for %d characters", len(evs), len(text))
	}
	var words []string
	for _, ev := range evs {
		if telegramtest.Length(ev.Raw) > telegram.MaxText {
			t.Fatalf("a message of %d characters as sent", telegramtest.Length(ev.Raw))
		}
		words = append(words, strings.Fields(ev.Text)...)
	}
	if strings.Join(words, " ") != strings.Join(strings.Fields(text), " ") {
		t.Fatal("the pieces do not give the text back")
	}
}

// Direct is the private chat (chat id = user id).
func TestDirect(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := start(t, e, rigOptions{})
	a, err := r.ad.Direct(context.Background(), "111")
	if err != nil || a != (session.Address{Channel: "telegram", Account: "111", Chat: "111"}) {
		t.Fatalf("direct: %+v %v", a, err)
	}
	if _, err := r.ad.Direct(context.Background(), "alice"); err == nil || !chatkit.IsPermanent(err) {
		t.Fatalf("direct to a non-numeric account: %v", err)
	}
}

// New names what is wrong.
func TestNewErrors(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	tg := telegramtest.Start(t, telegramtest.Options{})
	cases := []struct {
		name string
		o    telegram.Options
		want string
	}{
		{"token refused", telegram.Options{Token: "999:wrong"}, "telegram default: token refused by the platform"},
		{"no token", telegram.Options{}, "telegram default: no token"},
		{"bad mode", telegram.Options{Token: tg.Token, Mode: "push"}, `telegram default: mode "push"`},
		{"webhook without secret", telegram.Options{Token: tg.Token, Mode: "webhook", WebhookURL: "https://x.example/hooks/telegram/default"}, "needs a secret"},
		{"secret with spaces", telegram.Options{Token: tg.Token, Mode: "webhook", WebhookURL: "https://x.example/", Secret: "a b"}, "needs a secret"},
		{"webhook without URL", telegram.Options{Token: tg.Token, Mode: "webhook", Secret: "abc"}, "needs the webhook URL"},
		{"bad api url", telegram.Options{Token: tg.Token, APIURL: "http://x/"}, "api_url"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.o.Tenant = "acme"
			if c.o.APIURL == "" {
				c.o.APIURL = tg.APIURL()
			}
			_, err := telegram.New(context.Background(), channels.CoreOf(e.K), c.o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

// Run stops with an error that names the problem when Telegram refuses
// the webhook; it returns nil when its context ends.
func TestRunWebhookRefused(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	tg := telegramtest.Start(t, telegramtest.Options{})
	ad, err := telegram.New(context.Background(), channels.CoreOf(e.K), telegram.Options{Tenant: "acme", Token: tg.Token, APIURL: tg.APIURL(), Mode: "webhook", WebhookURL: "ftp://bot.example/hook", Secret: "abc"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ad.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "telegram default: register webhook") {
		t.Fatalf("run: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ad.Run(ctx); err != nil {
		t.Fatalf("run with an ended context: %v", err)
	}
}
