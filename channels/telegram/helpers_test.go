package telegram_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/channeltest"
	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/channels/telegram"
	"github.com/steward-os/steward/channels/telegram/telegramtest"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// Telegram users of the tests.
var (
	tgAlice = telegramtest.User{ID: 111, FirstName: "Alice", Username: "alice"}
	tgBob   = telegramtest.User{ID: 222, FirstName: "Bob", Username: "bob"}
	tgCarol = telegramtest.User{ID: 333, FirstName: "Carol", Username: "carol"}
)

const secret = "s3cret-Webhook_token"

// rig is a kernel, the fake Bot API and a running adapter.
type rig struct {
	e    *kerneltest.Env
	tg   *telegramtest.Server
	ad   *telegram.Adapter
	hook *httptest.Server // webhook mode: where the adapter is mounted
}

type rigOptions struct {
	mode       string // "webhook" (default) or "poll"
	sweepEvery time.Duration
	before     func(*telegramtest.Server) // before the adapter starts
}

func logger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// start builds and runs the adapter over e as cmd/steward would mount it.
func start(t testing.TB, e *kerneltest.Env, o rigOptions) *rig {
	t.Helper()
	if o.mode == "" {
		o.mode = "webhook"
	}
	r := &rig{e: e, tg: telegramtest.Start(t, telegramtest.Options{})}
	if o.before != nil {
		o.before(r.tg)
	}
	var h http.Handler = http.NotFoundHandler()
	mux := http.NewServeMux()
	mux.Handle("/hooks/telegram/default/", http.StripPrefix("/hooks/telegram/default", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { h.ServeHTTP(w, req) })))
	r.hook = httptest.NewServer(mux)
	t.Cleanup(r.hook.Close)
	ctx, cancel := context.WithCancel(context.Background())
	ad, err := telegram.New(ctx, channels.CoreOf(e.K), telegram.Options{
		Name: "default", Channel: "telegram", Tenant: "acme",
		Token: r.tg.Token, Mode: o.mode, WebhookURL: r.hook.URL + "/hooks/telegram/default/", Secret: secret,
		APIURL: r.tg.APIURL(), PollTimeout: 2 * time.Second, SweepEvery: o.sweepEvery,
		Log: logger(t), Now: e.Clock.Now,
	})
	if err != nil {
		cancel()
		t.Fatalf("new adapter: %v", err)
	}
	r.ad, h = ad, ad
	done := make(chan error, 1)
	go func() { done <- ad.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
	if o.mode == "webhook" {
		waitFor(t, "webhook registered", func() bool { u, _ := r.tg.Webhook(); return u != "" })
	} else {
		waitFor(t, "polling", func() bool { return r.tg.Calls("getUpdates") > 0 })
	}
	return r
}

// waitFor polls cond until it holds, failing after 10 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// say sends text from a user in a chat and returns what the bot sent in
// reply (webhook mode: the reply is complete when the webhook answers).
func (r *rig) say(t testing.TB, from telegramtest.User, chat telegramtest.Chat, text string) (telegramtest.Update, []telegramtest.Event) {
	t.Helper()
	seq := r.tg.Seq()
	u := r.tg.SendText(t, from, chat, text)
	r.handled(t, u)
	return u, replies(r.tg.Events(seq), chat.ID, u.Message.MessageID)
}

// press presses a button and returns the bot's replies in the chat and
// the callback answer.
func (r *rig) press(t testing.TB, from telegramtest.User, chatID int64, msg int, data string) (telegramtest.Update, []telegramtest.Event, *telegramtest.Event) {
	t.Helper()
	seq := r.tg.Seq()
	u := r.tg.Press(t, from, chatID, msg, data)
	r.handled(t, u)
	evs := r.tg.Events(seq)
	return u, replies(evs, chatID, msg), answerOf(evs, u.CallbackQuery.ID)
}

// handled waits, in poll mode, until the adapter confirmed the update
// (it confirms only after handling); a webhook answers after handling.
func (r *rig) handled(t testing.TB, u telegramtest.Update) {
	t.Helper()
	if hook, _ := r.tg.Webhook(); hook == "" {
		r.tg.WaitConfirmed(t, u)
	} else if st := r.tg.Status(u); st != http.StatusOK {
		t.Fatalf("webhook answered %d to update %d", st, u.UpdateID)
	}
}

func replies(evs []telegramtest.Event, chat int64, to int) []telegramtest.Event {
	var out []telegramtest.Event
	for _, e := range evs {
		if e.Kind == "send" && e.ChatID == chat && e.ReplyTo == to {
			out = append(out, e)
		}
	}
	return out
}

func answerOf(evs []telegramtest.Event, id string) *telegramtest.Event {
	for _, e := range evs {
		if e.Kind == "answer" && e.CallbackID == id {
			return &e
		}
	}
	return nil
}

// link links a Telegram user to an actor the way a person does: a code
// asked for where they are known, sent to the bot from Telegram.
func (r *rig) link(t testing.TB, u telegramtest.User, a session.Actor) {
	t.Helper()
	code, _, err := r.e.K.Identity().LinkCode(context.Background(), a)
	if err != nil {
		t.Fatalf("link code: %v", err)
	}
	_, got := r.say(t, u, telegramtest.Private(u), "link "+code)
	if len(got) != 1 || !strings.Contains(got[0].Text, "Linked: this Telegram account now acts as "+string(a.ID)) {
		t.Fatalf("link reply: %+v", got)
	}
}

var (
	reConfirm = regexp.MustCompile(`To confirm, type: confirm (p_[a-z2-7]+)( <exact name of the target>)?`)
	reError   = regexp.MustCompile(`^✗ .*\[([a-z_]+)\]$`)
)

// observe reads what the bot showed back into an observation, from the
// text a person reads and the buttons they can press, never from anything
// hidden.
func observe(evs []telegramtest.Event, cards map[string]int) channeltest.Observation {
	var o channeltest.Observation
	for _, e := range evs {
		switch e.Kind {
		case "answer":
			if m := reError.FindStringSubmatch(e.Text); m != nil {
				o.Errors = append(o.Errors, m[1])
			}
		case "send":
			if c, ok := cardOf(e); ok {
				o.Cards = append(o.Cards, c)
				if cards != nil {
					cards[c.ID] = e.MessageID
				}
				continue
			}
			channeltest.ReadText(&o, e.Text)
		}
	}
	return o
}

func cardOf(e telegramtest.Event) (channeltest.Card, bool) {
	head, _, _ := strings.Cut(e.Text, "\n")
	lvl, _, ok := channeltest.ReadCardText(head)
	if !ok {
		return channeltest.Card{}, false
	}
	c := channeltest.Card{Level: lvl}
	accept := false
	for _, b := range e.Buttons {
		if id, acc, ok := chatkit.ParseButtonData(b.CallbackData); ok {
			c.ID = string(id)
			accept = accept || acc
		}
	}
	if t := reConfirm.FindStringSubmatch(e.Text); t != nil {
		c.ID = t[1]
		c.NeedsPhrase = t[2] != ""
	}
	if c.NeedsPhrase && accept {
		c.NeedsPhrase = false // a button cannot carry a phrase: this would be a bug
	}
	return c, c.ID != ""
}

// restarts reads a demo server's restart count.
func restarts(t testing.TB, e *kerneltest.Env, server string) float64 {
	t.Helper()
	m := e.Call(t, kerneltest.Alice, "hosting.get_server", `{"server":"`+server+`"}`)
	n, _ := m["restarts"].(float64)
	return n
}

func auditKinds(t testing.TB, e *kerneltest.Env, tenant session.TenantID) string {
	var out []string
	for _, r := range e.Audit(t, tenant) {
		out = append(out, r.Kind+" "+r.Data)
	}
	return strings.Join(out, "\n")
}
