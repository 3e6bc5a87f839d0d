package telegram_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/channels/telegram/telegramtest"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// Long polling: a stale webhook is removed, a failing getUpdates is
// retried, a message and a button press are handled, and an update is
// confirmed only after it was handled — an update whose reply could not
// be sent is fetched again, and the kernel's dedupe keeps it to one turn
// and one execution.
func TestPollMode(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := start(t, e, rigOptions{mode: "poll", before: func(tg *telegramtest.Server) {
		tg.SetWebhook("https://old.example/hook", "old")
		tg.Fail("getUpdates", 2, http.StatusBadGateway)
	}})
	if hook, _ := r.tg.Webhook(); hook != "" || r.tg.Calls("deleteWebhook") == 0 {
		t.Fatalf("webhook %q not deleted", hook)
	}
	r.link(t, tgAlice, kerneltest.Alice) // only after two failed getUpdates
	if n := r.tg.Calls("getUpdates"); n < 3 {
		t.Fatalf("getUpdates called %d times", n)
	}
	chat := telegramtest.Private(tgAlice)
	if _, got := r.say(t, tgAlice, chat, `hosting.list_servers {}`); len(got) != 1 || !strings.Contains(got[0].Text, "web-1") {
		t.Fatalf("list: %+v", got)
	}

	// Every attempt to send the card fails: the update is not confirmed
	// and comes back until the reply goes out.
	before := restarts(t, e, "web-1")
	r.tg.Fail("sendMessage", chatkit.RetryAttempts, http.StatusInternalServerError)
	u, got := r.say(t, tgAlice, chat, `hosting.restart_server {"server":"web-1"}`)
	if r.tg.Fetched(u) < 2 {
		t.Fatalf("update fetched %d times: it was confirmed before it was handled", r.tg.Fetched(u))
	}
	o := observe(got, nil)
	if len(got) != 1 || len(o.Cards) != 1 {
		t.Fatalf("card after the retry: %+v", got)
	}
	_, done, ans := r.press(t, tgAlice, chat.ID, got[0].MessageID, chatkit.ButtonData(session.ProposalID(o.Cards[0].ID), true))
	if ans == nil || len(done) != 1 || !strings.Contains(done[0].Text, "restarted") {
		t.Fatalf("press: %+v %+v", done, ans)
	}
	if restarts(t, e, "web-1") != before+1 {
		t.Fatal("not restarted exactly once")
	}
	if m, _ := r.tg.Message(chat.ID, got[0].MessageID); len(m.Buttons) != 0 || !strings.HasSuffix(m.Text, "✓ Confirmed and carried out.") {
		t.Fatalf("card not edited: %+v", m)
	}
}
