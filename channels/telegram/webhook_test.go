package telegram_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/channels/telegram/telegramtest"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// Bad webhook requests get a stable code and a plain message, are
// audited, and run nothing.
func TestWebhookRefusals(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := start(t, e, rigOptions{})
	r.link(t, tgAlice, kerneltest.Alice)
	good := `{"update_id":900001,"message":{"message_id":77,"from":{"id":111,"is_bot":false,"first_name":"Alice"},"chat":{"id":111,"type":"private"},"date":1,"text":"hosting.restart_server {\"server\":\"web-1\"}"}}`
	url := r.hook.URL + "/hooks/telegram/default/"
	cases := []struct {
		name, method, path, secret, body string
		status                           int
		code                             string
	}{
		{"missing secret", "POST", "/", "", good, 401, session.CodeBadSignature},
		{"wrong secret", "POST", "/", "s3cret-Webhook_tokem", good, 401, session.CodeBadSignature},
		{"secret of another length", "POST", "/", "x", good, 401, session.CodeBadSignature},
		{"not JSON", "POST", "/", secret, `{"update_id":`, 400, session.CodeBadRequest},
		{"not an update", "POST", "/", secret, `{"hello":"world"}`, 400, session.CodeBadRequest},
		{"wrong types", "POST", "/", secret, `{"update_id":"seven"}`, 400, session.CodeBadRequest},
		{"too large", "POST", "/", secret, `{"update_id":1,"x":"` + strings.Repeat("a", 1<<20) + `"}`, 413, session.CodeBodyTooLarge},
		{"GET", "GET", "/", secret, "", 405, session.CodeMethodNotAllowed},
		{"other path", "POST", "/events", secret, good, 404, session.CodeNotFound},
	}
	before := restarts(t, e, "web-1")
	seq := r.tg.Seq()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, strings.TrimSuffix(url, "/")+c.path, strings.NewReader(c.body))
			req.Header.Set("Content-Type", "application/json")
			if c.secret != "" {
				req.Header.Set("X-Telegram-Bot-Api-Secret-Token", c.secret)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var env struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal(body, &env); err != nil || resp.StatusCode != c.status || env.Error.Code != c.code || env.Error.Message == "" {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, body, c.status, c.code)
			}
			if strings.Contains(string(body), "goroutine") || strings.Contains(string(body), ".go:") {
				t.Fatalf("internals in the answer: %s", body)
			}
		})
	}
	if evs := r.tg.Events(seq); len(evs) != 0 {
		t.Fatalf("a refused request made the bot act: %+v", evs)
	}
	if restarts(t, e, "web-1") != before {
		t.Fatal("a refused request ran something")
	}
	audit := auditKinds(t, e, "acme") + auditKinds(t, e, "_system")
	for _, want := range []string{`"code":"bad_signature","detail":"missing X-Telegram-Bot-Api-Secret-Token"`, `"code":"bad_signature","detail":"wrong X-Telegram-Bot-Api-Secret-Token"`, `"code":"bad_request"`, `"code":"body_too_large"`} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit lacks %s:\n%s", want, audit)
		}
	}
}

// CHAN-04: a redelivered update (same update, same ids) makes no second
// proposal and no second execution.
func TestReplayedUpdates(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := start(t, e, rigOptions{})
	r.link(t, tgAlice, kerneltest.Alice)
	chat := telegramtest.Private(tgAlice)
	before := restarts(t, e, "web-1")

	u, first := r.say(t, tgAlice, chat, `hosting.restart_server {"server":"web-1"}`)
	c1 := observe(first, nil)
	if len(c1.Cards) != 1 {
		t.Fatalf("no card: %+v", first)
	}
	seq := r.tg.Seq()
	if st := r.tg.Deliver(t, u); st != http.StatusOK {
		t.Fatalf("redelivery answered %d", st)
	}
	again := observe(replies(r.tg.Events(seq), chat.ID, u.Message.MessageID), nil)
	if len(again.Cards) != 1 || again.Cards[0].ID != c1.Cards[0].ID {
		t.Fatalf("redelivered message proposed again: %+v vs %+v", again, c1)
	}

	cardMsg := first[0].MessageID
	press, done, ans := r.press(t, tgAlice, chat.ID, cardMsg, chatkit.ButtonData(session.ProposalID(c1.Cards[0].ID), true))
	if ans == nil || ans.Text != "✓ Confirmed" || !strings.Contains(observe(done, nil).Text(), "restarted") {
		t.Fatalf("press: %+v %+v", done, ans)
	}
	for range 2 {
		if st := r.tg.Deliver(t, press); st != http.StatusOK {
			t.Fatalf("redelivered press answered %d", st)
		}
	}
	if got := restarts(t, e, "web-1"); got != before+1 {
		t.Fatalf("restarts %v, want %v: a redelivered press ran again", got, before+1)
	}
	if !strings.Contains(auditKinds(t, e, "acme"), "duplicate") {
		t.Fatal("redelivery not audited")
	}
}

// An account that is not linked is told how to link, once per event, and
// the refusal is audited.
func TestUnlinkedAccount(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := start(t, e, rigOptions{})
	chat := telegramtest.Private(tgCarol)
	u, got := r.say(t, tgCarol, chat, `hosting.list_servers {}`)
	if len(got) != 1 {
		t.Fatalf("replies: %+v", got)
	}
	o := observe(got, nil)
	if len(o.Errors) != 1 || o.Errors[0] != session.CodeUnknownSender || !strings.Contains(got[0].Text, chatkit.UnknownSenderMessage("Telegram")) || !strings.Contains(got[0].Text, `send me "link ABCD-EFGH" here`) {
		t.Fatalf("unknown sender answer: %q", got[0].Text)
	}
	seq := r.tg.Seq()
	r.tg.Deliver(t, u)
	if evs := r.tg.Events(seq); len(evs) != 0 {
		t.Fatalf("a redelivered event was answered again: %+v", evs)
	}
	if !strings.Contains(auditKinds(t, e, "acme")+auditKinds(t, e, "_system"), `"code":"unknown_sender","detail":"account 333 is not linked"`) {
		t.Fatal("unknown sender not audited")
	}
	// A wrong code is refused in plain words.
	_, got = r.say(t, tgCarol, chat, "link ABCD-EFGH")
	if o := observe(got, nil); len(o.Errors) != 1 || o.Errors[0] != session.CodeLinkCodeInvalid {
		t.Fatalf("wrong code: %+v", got)
	}
}

// Nothing accepted is lost: when the reply cannot be sent, the webhook
// answers 503 so Telegram delivers the update again, and the redelivery
// gets the same proposal, not a second one.
func TestWebhookFailureIsRedelivered(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := start(t, e, rigOptions{})
	r.link(t, tgAlice, kerneltest.Alice)
	chat := telegramtest.Private(tgAlice)
	r.tg.Fail("sendMessage", chatkit.RetryAttempts, http.StatusBadGateway)
	seq := r.tg.Seq()
	u := r.tg.SendText(t, tgAlice, chat, `hosting.restart_server {"server":"web-1"}`)
	if st := r.tg.Status(u); st != http.StatusServiceUnavailable {
		t.Fatalf("webhook answered %d, want 503", st)
	}
	if evs := r.tg.Events(seq); len(evs) != 0 {
		t.Fatalf("sent %+v", evs)
	}
	if st := r.tg.Deliver(t, u); st != http.StatusOK {
		t.Fatalf("redelivery answered %d", st)
	}
	got := observe(replies(r.tg.Events(seq), chat.ID, u.Message.MessageID), nil)
	if len(got.Cards) != 1 {
		t.Fatalf("after redelivery: %+v", got)
	}
	// Exactly one proposal exists for the request.
	if n := strings.Count(auditKinds(t, e, "acme"), "\nproposed "); n != 1 {
		t.Fatalf("%d proposals", n)
	}
}
